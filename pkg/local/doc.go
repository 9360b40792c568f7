// Package local holds the embedded adapters and the local runtime that let
// `make run` drive the same handlers the Lambdas run, on one machine with no
// AWS and no Docker.
//
// What lives here: a SQLite database (Open), a durable per-target queue with
// SQS semantics built on goqite (Queues: visibility timeouts, receive counts,
// redrive to a per-target DLQ), a poller that feeds SQS batches to a sync
// handler the way the Lambda event source mapping does (Poller), an adapter
// that turns net/http requests into API Gateway HTTP API v2 events
// (APIGatewayHandler), a SQLite state store and abandoned log (State), and
// the notices table (Notices), the local twin of the EventBridge bus, the
// archive of accepted events (Archive), the S3 archive's twin, and the
// per-record sync log with its erasure ledger and key (SyncLog, LogKey),
// the twin of the DynamoDB SyncLogTable.
//
// What does not: business logic, and anything a Lambda binary needs. Lambda
// binaries never import this package, so SQLite is never linked into them.
package local
