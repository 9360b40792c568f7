// Command sync is the per-target delivery Lambda: one deployment per
// target (TARGET), fed by that target's SQS queue with partial batch
// responses. Wiring only: pkg/lambdaenv reads the environment into AWS
// ports, pkg/wiring assembles the handler (pkg/delivery) with every
// connector and the phone normaliser (pkg/wiring/plugins).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

func main() {
	log := lambdaenv.Logger()
	if err := run(log); err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ports, err := lambdaenv.Sync(log, plugins.All)
	if err != nil {
		return err
	}
	h, err := wiring.Sync(context.Background(), ports)
	if err != nil {
		return err
	}
	lambda.Start(h.Handle)
	return nil
}
