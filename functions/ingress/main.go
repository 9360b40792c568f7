// Command ingress is the webhook Lambda: POST /webhooks/{source} behind API
// Gateway (HTTP API, payload v2). Wiring only; see pkg/ingress.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/profilesync/profilesync/pkg/stack"
)

func main() {
	log := stack.LambdaLogger()
	h, err := stack.IngressFromEnv(context.Background(), log)
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}
