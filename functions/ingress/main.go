// Command ingress is the webhook Lambda: POST /webhooks/{source} behind API
// Gateway (HTTP API, payload v2). Wiring only: pkg/lambdaenv reads the
// environment into AWS ports, pkg/wiring assembles the handler
// (pkg/ingress). It links no connector and no phone normaliser.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/wiring"
)

func main() {
	log := lambdaenv.Logger()
	if err := run(log); err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ports, err := lambdaenv.Ingress(log)
	if err != nil {
		return err
	}
	h, err := wiring.Ingress(context.Background(), ports)
	if err != nil {
		return err
	}
	lambda.Start(h.Handle)
	return nil
}
