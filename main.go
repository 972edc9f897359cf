// Command main is the redis-restore function: SCF starts it and calls it
// over net/rpc. Everything it does lives in package handler; this file only
// wires.
package main

import (
	"log/slog"
	"os"

	"github.com/tencentyun/scf-go-lib/cloudfunction"

	"redis-restore/handler"
)

func main() {
	// LOG_LEVEL is read per invocation: SCF hands the environment over
	// with each call.
	level := new(slog.LevelVar)
	h := handler.New(handler.NewLogger(os.Stderr, level))
	h.Level = level
	cloudfunction.StartHandler(handler.RPC{Handler: h})
}
