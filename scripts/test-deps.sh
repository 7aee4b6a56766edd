#!/usr/bin/env bash
# Installs the external clients the end-to-end tests drive (curl, lftp)
# from Debian's packages when they are missing. Idempotent.
set -euo pipefail

need=()
command -v curl >/dev/null || need+=(curl)
command -v lftp >/dev/null || need+=(lftp)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
curl --version | head -1
lftp --version | head -1
