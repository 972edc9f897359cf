//go:build !linux

package redisserver

import "syscall"

// sysProcAttr: elsewhere than Linux, only Close stops a server.
func sysProcAttr() *syscall.SysProcAttr { return nil }
