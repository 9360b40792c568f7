package awsadapter_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/jobs/jobstest"
)

// TestJobCheckpointsContract runs the jobs.Checkpoints contract on
// DynamoDB (moto), in a table shaped as the template's JobsTable.
func TestJobCheckpointsContract(t *testing.T) {
	jobstest.Run(t, func(t *testing.T) jobs.Checkpoints {
		client, table := newClaimsTable(t)
		return paws.NewJobCheckpoints(paws.ClaimDynamoDBOf(client), table)
	})
}

// TestJobCheckpointItems checks the items as stored: the key design the
// template and operators' queries rely on.
func TestJobCheckpointItems(t *testing.T) {
	client, table := newClaimsTable(t)
	s := paws.NewJobCheckpoints(paws.ClaimDynamoDBOf(client), table)
	c := jobs.Checkpoint{Job: "newsletter", Run: "20261202T020000Z", Cursor: "p2"}
	if err := s.Save(ctxFor(t), c); err != nil {
		t.Fatal(err)
	}
	keys := func() map[string]string {
		out, err := client.Scan(ctxFor(t), &dynamodb.ScanInput{TableName: &table})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, it := range out.Items {
			pk := it["pk"].(*types.AttributeValueMemberS).Value
			sk := it["sk"].(*types.AttributeValueMemberS).Value
			run := it["run"].(*types.AttributeValueMemberS).Value
			if _, ok := it["detail"].(*types.AttributeValueMemberS); !ok {
				t.Errorf("%s/%s has no detail", pk, sk)
			}
			got[pk+" "+sk] = run
		}
		return got
	}
	if got := keys(); len(got) != 1 || got["job#newsletter current"] != c.Run {
		t.Errorf("items of an unfinished run: %v", got)
	}
	c.Done = true
	if err := s.Save(ctxFor(t), c); err != nil {
		t.Fatal(err)
	}
	if got := keys(); len(got) != 1 || got["job#newsletter last"] != c.Run {
		t.Errorf("items of a finished run: %v; want only job#newsletter last", got)
	}
}
