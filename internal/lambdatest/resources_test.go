package lambdatest

import (
	"encoding/json"
	"errors"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The template's resources, made on moto as CloudFormation would make
// them: queues, buckets and tables with their indexes.

// createResources creates the template's queues (dead-letter queues first,
// so redrive policies can name them) and tables.
func (s *stack) createResources(t *testing.T) {
	t.Helper()
	res := mapOf(s.tpl["Resources"])
	var plain, redriven, tables, buses, buckets []string
	for _, id := range sortedKeys(res) {
		r := mapOf(res[id])
		switch r["Type"] {
		case "AWS::SQS::Queue":
			if _, ok := mapOf(r["Properties"])["RedrivePolicy"]; ok {
				redriven = append(redriven, id)
			} else {
				plain = append(plain, id)
			}
		case "AWS::DynamoDB::Table":
			tables = append(tables, id)
		case "AWS::Events::EventBus":
			buses = append(buses, id)
		case "AWS::S3::Bucket":
			buckets = append(buckets, id)
		case "AWS::SecretsManager::Secret":
			s.createGeneratedSecret(t, id, mapOf(mapOf(r["Properties"])["GenerateSecretString"]))
		}
	}
	for _, id := range buses {
		name := s.resolve(t, mapOf(mapOf(res[id])["Properties"])["Name"])
		// moto is shared by the package's tests: the bus may exist already.
		_, err := eventbridge.NewFromConfig(s.aws).CreateEventBus(t.Context(), &eventbridge.CreateEventBusInput{Name: &name})
		var exists *ebtypes.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			t.Fatalf("create event bus %s: %v", name, err)
		}
		s.refs[id] = name
	}
	for _, id := range buckets {
		s.createBucket(t, id)
	}
	for _, id := range append(plain, redriven...) {
		s.createQueue(t, id, mapOf(mapOf(res[id])["Properties"]))
	}
	for _, id := range tables {
		s.createTable(t, id, mapOf(mapOf(res[id])["Properties"]))
	}
}

func (s *stack) createQueue(t *testing.T, id string, props map[string]any) {
	t.Helper()
	attrs := map[string]string{}
	for _, k := range []string{"VisibilityTimeout", "MessageRetentionPeriod"} {
		if v, ok := props[k]; ok {
			attrs[k] = s.resolve(t, v)
		}
	}
	if rp, ok := props["RedrivePolicy"]; ok {
		p := mapOf(rp)
		policy, _ := json.Marshal(map[string]string{
			"deadLetterTargetArn": s.resolve(t, p["deadLetterTargetArn"]),
			"maxReceiveCount":     s.resolve(t, p["maxReceiveCount"]),
		})
		attrs["RedrivePolicy"] = string(policy)
	}
	name := s.prefix + "-" + id
	out, err := s.sqs.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: awssdk.String(name), Attributes: attrs})
	if err != nil {
		t.Fatalf("create queue %s: %v", id, err)
	}
	got, err := s.sqs.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("queue %s attributes: %v", id, err)
	}
	if attrs["RedrivePolicy"] != "" && got.Attributes["RedrivePolicy"] == "" {
		t.Fatalf("queue %s: moto dropped the RedrivePolicy", id)
	}
	arn := got.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
	s.refs[id], s.attrs[id+".Arn"], s.attrs[id+".QueueName"] = *out.QueueUrl, arn, name
	s.queueARNs[*out.QueueUrl] = arn
}

// createBucket creates the bucket with the template's default encryption
// (moto applies it to every object, as S3 does).
func (s *stack) createBucket(t *testing.T, id string) {
	t.Helper()
	name := strings.ToLower(s.prefix + "-" + id)
	client := s3.NewFromConfig(s.aws)
	if _, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("create bucket %s: %v", id, err)
	}
	_, err := client.PutBucketEncryption(t.Context(), &s3.PutBucketEncryptionInput{
		Bucket: &name,
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256},
		}}},
	})
	if err != nil {
		t.Fatalf("bucket %s encryption: %v", id, err)
	}
	s.refs[id], s.attrs[id+".Arn"] = name, "arn:aws:s3:::"+name
}

func (s *stack) createTable(t *testing.T, id string, props map[string]any) {
	t.Helper()
	name := s.prefix + "-" + id
	in := &dynamodb.CreateTableInput{TableName: awssdk.String(name), BillingMode: dbtypes.BillingModePayPerRequest}
	for _, a := range listOf(props["AttributeDefinitions"]) {
		m := mapOf(a)
		in.AttributeDefinitions = append(in.AttributeDefinitions, dbtypes.AttributeDefinition{
			AttributeName: awssdk.String(s.resolve(t, m["AttributeName"])),
			AttributeType: dbtypes.ScalarAttributeType(s.resolve(t, m["AttributeType"])),
		})
	}
	in.KeySchema = s.keySchema(t, props["KeySchema"])
	for _, g := range listOf(props["GlobalSecondaryIndexes"]) {
		m := mapOf(g)
		proj := mapOf(m["Projection"])
		gsi := dbtypes.GlobalSecondaryIndex{
			IndexName:  awssdk.String(s.resolve(t, m["IndexName"])),
			KeySchema:  s.keySchema(t, m["KeySchema"]),
			Projection: &dbtypes.Projection{ProjectionType: dbtypes.ProjectionType(s.resolve(t, proj["ProjectionType"]))},
		}
		for _, a := range listOf(proj["NonKeyAttributes"]) {
			gsi.Projection.NonKeyAttributes = append(gsi.Projection.NonKeyAttributes, s.resolve(t, a))
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	if _, err := s.dynamo.CreateTable(t.Context(), in); err != nil {
		t.Fatalf("create table %s: %v", id, err)
	}
	if ttl := mapOf(props["TimeToLiveSpecification"]); ttl != nil {
		_, err := s.dynamo.UpdateTimeToLive(t.Context(), &dynamodb.UpdateTimeToLiveInput{
			TableName: awssdk.String(name),
			TimeToLiveSpecification: &dbtypes.TimeToLiveSpecification{
				AttributeName: awssdk.String(s.resolve(t, ttl["AttributeName"])), Enabled: awssdk.Bool(true),
			},
		})
		if err != nil {
			t.Fatalf("table %s ttl: %v", id, err)
		}
	}
	s.refs[id] = name
}

// keySchema is a template KeySchema (of a table or an index).
func (s *stack) keySchema(t *testing.T, v any) []dbtypes.KeySchemaElement {
	var out []dbtypes.KeySchemaElement
	for _, k := range listOf(v) {
		m := mapOf(k)
		out = append(out, dbtypes.KeySchemaElement{
			AttributeName: awssdk.String(s.resolve(t, m["AttributeName"])),
			KeyType:       dbtypes.KeyType(s.resolve(t, m["KeyType"])),
		})
	}
	return out
}
