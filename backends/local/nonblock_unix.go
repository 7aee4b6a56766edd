//go:build unix

package local

import "syscall"

// nonblockFlag keeps open(2) of a FIFO from blocking.
const nonblockFlag = syscall.O_NONBLOCK
