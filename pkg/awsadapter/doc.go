// Package aws holds the AWS adapters behind ProfileSync's ports: the SQS
// queue the ingress writes to, Secrets Manager credentials, and the SDK
// configuration they share. Only the Lambda composition roots
// (functions/*/main.go) and tests import it; domain packages declare the
// interfaces and never see the SDK. The embedded adapters for local runs
// live in pkg/local, not here, so Lambda binaries do not link them.
package awsadapter
