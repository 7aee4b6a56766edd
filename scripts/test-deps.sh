#!/usr/bin/env bash
# Installs what the tests drive, from the registries, when missing:
#   - curl, lftp and rclone (Debian packages), the FTPS clients of the end-to-end tests;
#   - haproxy (Debian package), the load balancer in front of several replicas;
#   - nginx (Debian package), the relay `make bench` compares downloads with;
#   - chromium (Debian package), the headless browser of the console's test;
#   - systemd (for systemd-analyze, which checks deploy/systemd), python3 and openssl (the
#     README's webhook signature recipes);
#   - versitygw (S3) and fake-gcs-server (GCS) with `go install`, into .tools/bin;
#   - Azurite (Azure Blob) from npm, into .tools/node;
#   - golangci-lint (`make lint`) with `go install`, into .tools/bin.
# Idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/.tools"
mkdir -p "$tools/bin"

need=()
command -v systemd-analyze >/dev/null || need+=(systemd)   # verifies deploy/systemd
command -v curl >/dev/null || need+=(curl)
command -v lftp >/dev/null || need+=(lftp)
command -v rclone >/dev/null || need+=(rclone)   # preserves times with MFMT, reads them from MLSD
command -v python3 >/dev/null || need+=(python3)   # the README's webhook verification recipe
command -v openssl >/dev/null || need+=(openssl)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)   # a contender of make bench
command -v node >/dev/null || need+=(nodejs npm)
command -v chromium >/dev/null || need+=(chromium) # the console's browser test
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Pinned versions: the ones measured on this machine kind (shared/FIELD-NOTES.md).
if [ ! -x "$tools/bin/versitygw" ]; then
	echo "installing versitygw v1.8.0 (about 2 minutes)"
	GOBIN="$tools/bin" go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
fi
if [ ! -x "$tools/bin/fake-gcs-server" ]; then
	echo "installing fake-gcs-server v1.56.1"
	GOBIN="$tools/bin" go install github.com/fsouza/fake-gcs-server@v1.56.1
fi
# v2.15.0 is built from source with the module's Go (1.26.8), so it reads
# the language version the code uses; a different pinned version reinstalls.
golangci_version=2.15.0
if [ "$("$tools/bin/golangci-lint" version --short 2>/dev/null)" != "$golangci_version" ]; then
	echo "installing golangci-lint v$golangci_version (a few minutes)"
	GOBIN="$tools/bin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v$golangci_version"
fi
if [ ! -f "$tools/node/node_modules/azurite/dist/src/blob/main.js" ]; then
	echo "installing azurite 3.37.0"
	npm install --silent --no-audit --no-fund --prefix "$tools/node" azurite@3.37.0 >/dev/null
fi

echo "test clients: $(curl --version | head -1 | cut -d' ' -f1-2), $(lftp --version | head -1), $( (haproxy -v || /usr/sbin/haproxy -v) | head -1 | cut -d' ' -f1-3)"
echo "test servers: versitygw, fake-gcs-server, azurite in $tools"
