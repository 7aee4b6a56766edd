//go:build !unix

package local

// nonblockFlag is 0 where FIFOs cannot block an open.
const nonblockFlag = 0
