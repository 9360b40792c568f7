package awsadapter

import (
	"context"
	"fmt"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// DynamoDBBatchGetAPI is the part of *dynamodb.Client that StateTable's
// GetMany uses; DynamoDBMethods has it. A client without it is read one
// GetItem per subject.
type DynamoDBBatchGetAPI interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// BatchGetItem limits: at most 100 keys a call; keys DynamoDB leaves
// unprocessed (throttling, the 16 MB response cap) are asked again after a
// capped exponential backoff, at most batchGetAttempts times in all.
const (
	maxBatchGetKeys  = 100
	batchGetAttempts = 5
	batchGetBackoff  = 50 * time.Millisecond
)

var _ delivery.BatchStateReader = (*StateTable)(nil)

// GetMany reads the states of subjects for target in BatchGetItem calls of
// at most 100 keys, strongly consistent like Get; a subject without state
// is absent from the map. One BatchGetItem costs the read capacity of its
// items, as the GetItems would, in one request instead of one per subject.
func (s *StateTable) GetMany(ctx context.Context, target string, subjects []string) (map[string]delivery.State, error) {
	out := make(map[string]delivery.State, len(subjects))
	bg, ok := s.client.(DynamoDBBatchGetAPI)
	if m, isMethods := s.client.(DynamoDBMethods); isMethods && m.BatchGetItemFunc == nil {
		ok = false
	}
	if !ok {
		for _, sub := range subjects {
			st, found, err := s.Get(ctx, target, sub)
			if err != nil {
				return nil, err
			}
			if found {
				out[sub] = st
			}
		}
		return out, nil
	}
	for from := 0; from < len(subjects); from += maxBatchGetKeys {
		chunk := subjects[from:min(from+maxBatchGetKeys, len(subjects))]
		if err := s.batchGet(ctx, bg, target, chunk, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// batchGet reads one chunk of at most 100 subjects into out, asking again
// for unprocessed keys.
func (s *StateTable) batchGet(ctx context.Context, bg DynamoDBBatchGetAPI, target string, subjects []string, out map[string]delivery.State) error {
	keys := make([]map[string]types.AttributeValue, 0, len(subjects))
	seen := make(map[string]bool, len(subjects))
	for _, sub := range subjects {
		if !seen[sub] { // BatchGetItem refuses duplicate keys
			seen[sub] = true
			keys = append(keys, stateKey(target, sub))
		}
	}
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ConsistentRead: awssdk.Bool(true)}}
	delay := batchGetBackoff
	for attempt := 1; ; attempt++ {
		resp, err := bg.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return fmt.Errorf("batch get state %s (%d subjects): %w", target, len(keys), err)
		}
		for _, item := range resp.Responses[s.table] {
			sub, ok := strings.CutPrefix(stringAttr(item, stateAttrSK), stateSKPrefix)
			if !ok {
				return fmt.Errorf("batch get state %s: item without a %s key", target, stateAttrSK)
			}
			st, err := decodeState(item)
			if err != nil {
				return fmt.Errorf("batch get state %s/%s: %w", target, sub, err)
			}
			out[sub] = st
		}
		left := resp.UnprocessedKeys[s.table]
		if len(left.Keys) == 0 {
			return nil
		}
		if attempt == batchGetAttempts {
			return fmt.Errorf("batch get state %s: %d of %d keys still unprocessed after %d attempts", target, len(left.Keys), len(keys), attempt)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("batch get state %s: %w", target, context.Cause(ctx))
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
		req = map[string]types.KeysAndAttributes{s.table: left}
	}
}
