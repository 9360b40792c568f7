// Command ingress is the webhook Lambda: POST /webhooks/{source} behind API
// Gateway (HTTP API, payload v2). Wiring only; see pkg/ingress. It imports
// pkg/lambdaenv, not pkg/stack, so it links no connector.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/profilesync/profilesync/pkg/lambdaenv"
)

func main() {
	log := lambdaenv.Logger()
	h, err := lambdaenv.Ingress(context.Background(), log)
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
