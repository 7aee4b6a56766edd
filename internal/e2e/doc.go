// Package e2e holds the end-to-end tests: the real ftpsbridge binary,
// configured with a cloud backend pointing at a real store emulator on
// loopback, driven by real FTPS clients (curl and lftp as subprocesses),
// with every result checked in the bucket through the cloud's own SDK.
package e2e
