// Package deploy holds the deployment files (systemd, HAProxy,
// Kubernetes) and the tests that check them with the real tools:
// `haproxy -c` and `systemd-analyze verify`. The Kubernetes manifests are
// checked in the k8stest module, which keeps k8s.io/api out of ours.
package deploy
