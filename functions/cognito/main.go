// Command cognito is the Amazon Cognito user pool trigger (Post
// confirmation): Cognito invokes it synchronously with the trigger event,
// it enqueues the profile events through the ingress's routing and hands
// the event back unchanged. Wiring only: pkg/lambdaenv reads the
// environment, pkg/wiring assembles the handler (pkg/source/cognito). Like
// the ingress, it links no connector and no phone normaliser.
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
	ports, cfg, err := lambdaenv.Cognito(log)
	if err != nil {
		return err
	}
	t, err := wiring.CognitoTrigger(context.Background(), ports, cfg)
	if err != nil {
		return err
	}
	lambda.Start(t.Handle)
	return nil
}
