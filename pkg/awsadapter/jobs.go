package awsadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/profilesync/profilesync/pkg/jobs"
)

// The jobs table (JOBS_TABLE; partition key "pk", sort key "sk", both
// strings) holds two items per job:
//
//	pk job#<name>  sk current  the unfinished run's checkpoint (none between runs)
//	pk job#<name>  sk last     the last complete run's checkpoint (its watermark)
//
// The checkpoint is JSON in "detail"; "run" and "updated_at" are there
// for operators reading the table in the console.
const (
	jobAttrDetail  = "detail"
	jobAttrRun     = "run"
	jobAttrUpdated = "updated_at"
	jobPK          = "job#"
	jobSKCurrent   = "current"
	jobSKLast      = "last"
)

// JobDynamoDBAPI is the part of *dynamodb.Client that JobCheckpoints
// uses (ClaimDynamoDBMethods has it).
type JobDynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, optFns ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

// JobCheckpoints are the scheduled jobs' checkpoints in DynamoDB: the
// AWS twin of pkg/local's JobCheckpoints. One run of a job at a time is
// the caller's to ensure (one schedule, one continuation message).
type JobCheckpoints struct {
	db    JobDynamoDBAPI
	table string
	now   func() time.Time
}

var _ jobs.Checkpoints = (*JobCheckpoints)(nil)

// NewJobCheckpoints returns the checkpoints in table.
func NewJobCheckpoints(db JobDynamoDBAPI, table string) *JobCheckpoints {
	return &JobCheckpoints{db: db, table: table, now: time.Now}
}

// Current implements jobs.Checkpoints with a strongly consistent read.
func (s *JobCheckpoints) Current(ctx context.Context, job string) (*jobs.Checkpoint, error) {
	return s.read(ctx, job, jobSKCurrent)
}

// Last implements jobs.Checkpoints.
func (s *JobCheckpoints) Last(ctx context.Context, job string) (*jobs.Checkpoint, error) {
	return s.read(ctx, job, jobSKLast)
}

func (s *JobCheckpoints) read(ctx context.Context, job, sk string) (*jobs.Checkpoint, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: claimKey(jobPK+job, sk), ConsistentRead: awssdk.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("read job checkpoint %s: %w", sk, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	var c jobs.Checkpoint
	if err := decodeJobDetail(out.Item, &c); err != nil {
		return nil, fmt.Errorf("read job checkpoint %s: %w", sk, err)
	}
	return &c, nil
}

func decodeJobDetail(item map[string]types.AttributeValue, v any) error {
	detail, ok := item[jobAttrDetail].(*types.AttributeValueMemberS)
	if !ok {
		return errors.New("item has no string " + jobAttrDetail)
	}
	return json.Unmarshal([]byte(detail.Value), v)
}

// Save implements jobs.Checkpoints: an unfinished run overwrites the
// current item; a done one puts the last item and deletes the current
// one in one transaction, so a crash between the two cannot leave a
// finished run to be continued.
func (s *JobCheckpoints) Save(ctx context.Context, c jobs.Checkpoint) error {
	if c.Job == "" {
		return errors.New("save job checkpoint: the job is required")
	}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	item := func(sk string) map[string]types.AttributeValue {
		it := claimKey(jobPK+c.Job, sk)
		it[jobAttrDetail] = strAttr(string(b))
		it[jobAttrRun] = strAttr(c.Run)
		it[jobAttrUpdated] = strAttr(sortableTime(s.now()))
		return it
	}
	if !c.Done {
		if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item(jobSKCurrent)}); err != nil {
			return fmt.Errorf("save job checkpoint: %w", err)
		}
		return nil
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.table, Item: item(jobSKLast)}},
		{Delete: &types.Delete{TableName: &s.table, Key: claimKey(jobPK+c.Job, jobSKCurrent)}},
	}})
	if err != nil {
		return fmt.Errorf("save job checkpoint: finish run: %w", err)
	}
	return nil
}

// jobSKLease is the item of who runs a job now (jobs.Leases).
const jobSKLease = "lease"

var _ jobs.Leases = (*JobCheckpoints)(nil)

// Acquire implements jobs.Leases with one conditional PutItem: the lease
// is taken when there is none, it has expired, or holder has it already.
func (s *JobCheckpoints) Acquire(ctx context.Context, job, holder string, until, now time.Time) (bool, error) {
	it := claimKey(jobPK+job, jobSKLease)
	it["holder"] = strAttr(holder)
	it["until"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(until.UnixMilli(), 10)}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: it,
		ConditionExpression:      awssdk.String("attribute_not_exists(pk) OR #until < :now OR holder = :holder"),
		ExpressionAttributeNames: map[string]string{"#until": "until"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":    &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
			":holder": strAttr(holder),
		}})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("job lease: %w", err)
	}
	return true, nil
}

// Release implements jobs.Leases: the lease expires now, if holder still
// has it.
func (s *JobCheckpoints) Release(ctx context.Context, job, holder string) error {
	it := claimKey(jobPK+job, jobSKLease)
	it["holder"] = strAttr(holder)
	it["until"] = &types.AttributeValueMemberN{Value: "0"}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: it,
		ConditionExpression:       awssdk.String("holder = :holder"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":holder": strAttr(holder)}})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("job lease: %w", err)
	}
	return nil
}
