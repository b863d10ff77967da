// Command vigil is Vigil's single binary: ingestion, inventory, the API
// server, the simulator and the demo. This package only wires flags to the
// internal packages; no logic lives here.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK       = 0
	exitError    = 1
	exitRejected = 2 // the command ran, but some input records were rejected
)

// errRejected reports that a run completed with rejected records; the
// details were already printed.
var errRejected = errors.New("some records were rejected")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:]))
}

func run(ctx context.Context, args []string) int {
	cmd := newRootCommand()
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errRejected):
		return exitRejected
	default:
		fmt.Fprintln(os.Stderr, "vigil:", err)
		return exitError
	}
}
