// Package k8stest checks the Kubernetes manifests in deploy/kubernetes:
// every document decodes strictly into its k8s.io/api type (an unknown
// or misspelt field fails), and the probes, ports, grace period and
// per-pod passive ranges agree with the configuration they ship. It is
// a module of its own so that k8s.io/api stays out of ftpsbridge's.
package k8stest
