package redisserver

import "syscall"

// sysProcAttr has the kernel kill a server when the process that started
// it dies, so that a test binary killed on its timeout, or `make run`
// stopped with Ctrl-C, leaves no redis-server behind. (The signal follows
// the death of the OS thread that started the server; the Go runtime
// keeps its threads, but for goroutines that lock one and exit, which
// this package does not do.)
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
