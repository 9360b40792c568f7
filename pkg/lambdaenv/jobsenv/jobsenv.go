// Package jobsenv reads the scheduled jobs Lambda's environment into its
// ports, as pkg/lambdaenv does for the ingress and sync functions: a
// package of its own so that those binaries link none of the exports.
package jobsenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/profilesync/profilesync/mappings"
	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/export/httpsdest"
	"github.com/profilesync/profilesync/pkg/export/s3dest"
	"github.com/profilesync/profilesync/pkg/export/sftpdest"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobsdispatch"
	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/mapping/phone"
	"github.com/profilesync/profilesync/pkg/spec"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/jobsfn"
)

// Jobs reads the jobs function's environment:
//
//	JOBS_TABLE      the DynamoDB table of the jobs' checkpoints
//	JOBS_QUEUE_URL  the jobs queue: a run that stops at the deadline
//	                sends {"job": "<name>"} there to continue
//	EXPORT_BUCKET   the bucket of S3 destinations that name none
//	EXPORT_KMS_KEY  optional: the SSE-KMS key of S3 destinations that
//	                name none (unset: the bucket's default encryption)
//	ENVIRONMENT     optional: selects the job files' environments: overrides
//	SYNC_LOG_TABLE  the sync-log table, when a synclog job exports it
//
// plus SOURCES and SECRET_ARNS as every function. The job files are the
// embedded mappings/jobs/*.yaml. Their fields are parsed with the phone
// normaliser (the e164 transform) but without the connector registry:
// job files have no connector settings, and the registry would add
// megabytes to the binary.
func Jobs(log *slog.Logger) (jobsfn.Ports, error) {
	fn, cfg, err := lambdaenv.Base(log, wiring.Plugins{})
	if err != nil {
		return jobsfn.Ports{}, err
	}
	set, err := jobs.Loader{Mapping: wiring.Plugins{Phone: phone.E164}.Loader(), Environment: os.Getenv("ENVIRONMENT")}.LoadFS(mappings.FS, jobs.Dir)
	if err != nil {
		return jobsfn.Ports{}, err
	}
	table, queueURL, bucket := os.Getenv("JOBS_TABLE"), os.Getenv("JOBS_QUEUE_URL"), os.Getenv("EXPORT_BUCKET")
	if table == "" || queueURL == "" || bucket == "" {
		return jobsfn.Ports{}, errors.New("JOBS_TABLE, JOBS_QUEUE_URL and EXPORT_BUCKET must be set")
	}
	objects, err := awsadapter.NewObjectStore(cfg)
	if err != nil {
		return jobsfn.Ports{}, fmt.Errorf("export bucket: %w", err)
	}
	ports := jobsfn.Ports{
		Function:     fn,
		Jobs:         set,
		Checkpoints:  awsadapter.NewJobCheckpoints(awsadapter.ClaimDynamoDBOf(dynamodb.NewFromConfig(cfg)), table),
		Destinations: Destinations(objects, bucket, os.Getenv("EXPORT_KMS_KEY"), fn.Secrets, fn.HTTPClient()),
		Continue:     Continue(awsadapter.SQSOf(sqs.NewFromConfig(cfg)), queueURL),
	}
	// Cleanup and reconcile jobs send through the targets' queues
	// (QUEUE_URLS, as the ingress has it); the stores' TTLs keep their
	// bookkeeping, so there is no Housekeeping on AWS.
	if raw := os.Getenv("QUEUE_URLS"); raw != "" {
		var urls map[string]string
		if err := json.Unmarshal([]byte(raw), &urls); err != nil {
			return jobsfn.Ports{}, fmt.Errorf("QUEUE_URLS: want a JSON object of target to queue URL: %w", err)
		}
		ports.Queue = awsadapter.NewQueues(awsadapter.SQSOf(sqs.NewFromConfig(cfg)), urls)
		ports.Reconcile.Queue = ports.Queue
	}
	for _, j := range set.All() {
		if j.Kind == jobs.KindSyncLog && ports.SyncLog == nil {
			t := os.Getenv("SYNC_LOG_TABLE")
			if t == "" {
				return jobsfn.Ports{}, fmt.Errorf("job %s: a synclog job needs SYNC_LOG_TABLE (regenerate template.yaml)", j.Name)
			}
			ports.SyncLog = awsadapter.NewSyncLogWindow(awsadapter.DynamoDBOf(dynamodb.NewFromConfig(cfg)), t)
		}
		if (j.Kind == jobs.KindCleanup || j.Kind == jobs.KindReconcile) && ports.Queue == nil {
			return jobsfn.Ports{}, fmt.Errorf("job %s: a %s job needs QUEUE_URLS (regenerate template.yaml)", j.Name, j.Kind)
		}
	}
	return ports, nil
}

// Destinations opens a job's destination on AWS: S3 through api, with
// bucket and kmsKey for destinations that name none. SFTP and HTTPS
// destinations are not in this build yet.
func Destinations(api s3dest.API, bucket, kmsKey string, secrets wiring.Secrets, hc *http.Client) jobsfn.Destinations {
	return func(ctx context.Context, j *jobs.Job) (export.Destination, error) {
		switch j.Dest.Kind {
		case "s3":
			cfg := s3dest.Config{Bucket: j.Dest.Bucket, Prefix: j.Dest.Prefix, KMSKeyID: j.Dest.KMSKey}
			if cfg.Bucket == "" {
				cfg.Bucket = bucket
			}
			if cfg.KMSKeyID == "" {
				cfg.KMSKeyID = kmsKey
			}
			return s3dest.New(api, cfg)
		case "sftp":
			var cfg sftpdest.Config
			if err := readSecret(ctx, secrets, j.Dest.Secret, sftpdest.Spec, &cfg); err != nil {
				return nil, err
			}
			if j.Dest.Path != "" {
				cfg.Dir = j.Dest.Path
			}
			return sftpdest.New(cfg)
		case "https":
			var cfg httpsdest.Config
			if err := readSecret(ctx, secrets, j.Dest.Secret, httpsdest.Spec, &cfg); err != nil {
				return nil, err
			}
			return httpsdest.New(cfg, hc)
		case "dir":
			return nil, errors.New("destination kind dir is for the local stack only; use s3 on AWS")
		}
		return nil, fmt.Errorf("destination kind %s is not available in this build", j.Dest.Kind)
	}
}

// SendAPI is the SQS call Continue makes.
type SendAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Continue sends a continuation of job to the jobs queue at url: the
// function is invoked again with it, in a new 15 minutes.
func Continue(api SendAPI, url string) func(ctx context.Context, job string) error {
	return func(ctx context.Context, job string) error {
		body, err := json.Marshal(jobsdispatch.Message{Job: job})
		if err != nil {
			return err
		}
		if _, err := api.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: awssdk.String(url), MessageBody: awssdk.String(string(body))}); err != nil {
			return fmt.Errorf("send the continuation: %w", err)
		}
		return nil
	}
}

// readSecret decodes the destination's secret with its spec.
func readSecret(ctx context.Context, secrets wiring.Secrets, name string, c spec.Component, v any) error {
	raw, err := secrets.Secret(ctx, name)
	if err != nil {
		return fmt.Errorf("read secret %s: %w", name, err)
	}
	if err := spec.DecodeJSON(c.Secret, raw, v); err != nil {
		return fmt.Errorf("secret %s: %w", name, err)
	}
	return nil
}
