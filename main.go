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
	h := handler.New(handler.NewLogger(os.Stderr, slog.LevelInfo))
	cloudfunction.StartHandler(handler.RPC{Handler: h})
}
