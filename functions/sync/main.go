// Command sync is the per-target delivery Lambda: one deployment per
// target (TARGET), fed by that target's SQS queue with partial batch
// responses. Wiring only; see pkg/delivery.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/stack"
)

func main() {
	log := lambdaenv.Logger()
	h, err := stack.SyncFromEnv(context.Background(), log)
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
