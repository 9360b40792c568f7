// Package awsadapter holds the AWS adapters behind ProfileSync's ports:
// the SQS queues the ingress writes to and the sync function retries and
// dead-letters on, the DynamoDB state table and abandoned log, cached
// Secrets Manager secrets, EventBridge notices, the S3 bucket of envelopes
// too large for a queue message (Bodies), the archive of accepted events
// for replay (S3Archive), and the SDK configuration
// the Lambdas read from their environment (ConfigFromEnv). pkg/lambdaenv
// builds them for the Lambda roots; the CLI's dlq commands and tests use
// them too. Domain packages declare the interfaces and never see the SDK.
// The local twins live in pkg/local, so Lambda binaries do not link them.
package awsadapter
