// Command jobs is the scheduled jobs Lambda: one function behind each
// job's EventBridge Scheduler schedule and the jobs queue, where a run
// that stopped at the Lambda's deadline continues (pkg/jobsdispatch).
// Wiring only: pkg/lambdaenv/jobsenv reads the environment into AWS
// ports, pkg/wiring/jobsfn assembles the runner.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/profilesync/profilesync/pkg/jobsdispatch"
	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/lambdaenv/jobsenv"
	"github.com/profilesync/profilesync/pkg/wiring/jobsfn"
)

func main() {
	log := lambdaenv.Logger()
	if err := run(log); err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ports, err := jobsenv.Jobs(log)
	if err != nil {
		return err
	}
	r, err := jobsfn.New(context.Background(), ports)
	if err != nil {
		return err
	}
	lambda.Start(jobsdispatch.New(r, log).Handle)
	return nil
}
