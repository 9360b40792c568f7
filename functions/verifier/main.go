// Command verifier is the claim verifier Lambda: one function behind
// three event sources, told apart by the event's shape (pkg/verifierfn):
// its SQS queue (profile events the ingress routed to claims), the API
// Gateway routes POST /claims/verify and /claims/approvals/, and an
// hourly schedule that reminds approvers. Wiring only:
// pkg/lambdaenv/verifierenv reads the environment into AWS ports,
// pkg/wiring/verifier assembles the verifier. It is the only function
// that links the authorities (pkg/claims/authority/registry).
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/lambdaenv/verifierenv"
	"github.com/profilesync/profilesync/pkg/verifierfn"
	"github.com/profilesync/profilesync/pkg/wiring/verifier"
)

func main() {
	log := lambdaenv.Logger()
	if err := run(log); err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ports, err := verifierenv.Verifier(log, registry.Build, registry.CheckSettings)
	if err != nil {
		return err
	}
	v, err := verifier.New(context.Background(), ports)
	if err != nil {
		return err
	}
	lambda.Start(verifierfn.New(v, log).Handle)
	return nil
}
