package samgen

import (
	"fmt"
	"strings"

	"github.com/profilesync/profilesync/pkg/mapping"
)

// The sync-log blocks, rendered once: the per-record sync log's table and
// the key of its hashes, which every sync function writes with
// (SYNC_LOG_TABLE, the "sync-log" secret; pkg/lambdaenv.Sync).
const (
	BlockSyncLogParameters = "SYNC LOG PARAMETERS"
	BlockSyncLog           = "SYNC LOG"
	// BlockSyncLogIngressPolicy lets the ingress open erasures in the
	// ledger the table keeps (its SYNC_LOG_TABLE; pkg/lambdaenv.Ingress).
	BlockSyncLogIngressPolicy = "SYNC LOG INGRESS POLICY"
)

// SyncLogSecret is the SECRET_ARNS name of the sync-log key
// (wiring.SyncLogSecret; a test keeps the two equal, so this package does
// not link the wiring).
const SyncLogSecret = "sync-log"

var syncLogTemplates = map[string]string{
	BlockSyncLogIngressPolicy: `
# Record every delete pending in the erasure ledger before it is queued:
# one conditional PutItem per target, no read and no batch (a batch could
# overwrite a settled row).
- Statement:
    - Effect: Allow
      Action: dynamodb:PutItem
      Resource: !GetAtt SyncLogTable.Arn
`,
	BlockSyncLogParameters: `
SyncLogRetentionDays:
  Type: Number
  Default: 30
  MinValue: 1
  MaxValue: 3650
  Description: Days the per-record sync log keeps an entry before DynamoDB's TTL deletes it.
`,
	BlockSyncLog: `
# --- the per-record sync log (profilesync log) ---
# Every delivery decision per subject and target, with the changed fields'
# values hashed or masked as each mapping's log: block says (no raw
# personal data), kept SyncLogRetentionDays through the TTL. The sync
# functions only write; reading it (Query) is the operator's.
SyncLogTable:
  Type: AWS::DynamoDB::Table
  Properties:
    BillingMode: PAY_PER_REQUEST
    AttributeDefinitions:
      - AttributeName: pk
        AttributeType: S
      - AttributeName: sk
        AttributeType: S
      - AttributeName: hour
        AttributeType: S
    KeySchema:
      - AttributeName: pk # the subject
        KeyType: HASH
      - AttributeName: sk # time#target#event id
        KeyType: RANGE
    # The export (a synclog job, profilesync log export) reads an hour
    # with a Query per shard, not a Scan. hour is <hour>#<shard 0-7>: one
    # partition per hour would take all of a busy hour's writes, and a
    # throttled index throttles the table's (the deliveries') writes.
    GlobalSecondaryIndexes:
      - IndexName: by-hour
        KeySchema:
          - AttributeName: hour
            KeyType: HASH
          - AttributeName: sk
            KeyType: RANGE
        Projection:
          ProjectionType: INCLUDE
          NonKeyAttributes: [entry]
    TimeToLiveSpecification:
      AttributeName: expires_at
      Enabled: true
    PointInTimeRecoverySpecification:
      PointInTimeRecoveryEnabled: true
    SSESpecification:
      SSEEnabled: true

# The key of the sync log's field hashes (HMAC-SHA256), generated at the
# first deploy: without it a guessed e-mail cannot be hashed and looked
# up. Kept past the stack: a new key makes every field look changed once.
SyncLogKeySecret:
  Type: AWS::SecretsManager::Secret
  DeletionPolicy: Retain
  UpdateReplacePolicy: Retain
  Properties:
    Description: Key of the ProfileSync sync log's field hashes; generated once.
    GenerateSecretString:
      SecretStringTemplate: "{}"
      GenerateStringKey: key
      PasswordLength: 64
      ExcludePunctuation: true
`,
}

// renderSyncLog renders a sync-log block.
func renderSyncLog(block string) ([]string, error) {
	text, ok := syncLogTemplates[block]
	if !ok {
		return nil, fmt.Errorf("no renderer for block %s", block)
	}
	return strings.Split(strings.Trim(text, "\n"), "\n"), nil
}

// checkSyncLogSecret refuses a target whose secret would take the sync-log
// key's place in SECRET_ARNS.
func checkSyncLogSecret(set *mapping.Set) error {
	for _, m := range set.All() {
		if m.Secret == SyncLogSecret {
			return &mapping.Error{File: m.File, Field: "secret", Msg: fmt.Sprintf("%q is the sync log's key; name the target's secret otherwise", m.Secret)}
		}
	}
	return nil
}
