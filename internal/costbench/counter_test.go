package costbench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCounterNamesOperations(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	auth := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=x/20251202/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=00"
	}
	c := &Counter{}
	send := func(method, path, service, target, form string) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth(service))
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		}
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	send("POST", "/", "dynamodb", "DynamoDB_20120810.BatchGetItem", "")
	send("POST", "/", "dynamodb", "DynamoDB_20120810.BatchGetItem", "")
	send("POST", "/", "sqs", "AmazonSQS.SendMessageBatch", "")
	send("POST", "/", "sqs", "", "Action=ReceiveMessage&Version=2012-11-05")
	send("GET", "/bodies/salesforce/abc", "s3", "", "")
	want := Counts{
		{"dynamodb", "BatchGetItem"}: 2,
		{"sqs", "SendMessageBatch"}:  1,
		{"sqs", "ReceiveMessage"}:    1,
		{"s3", "GET /bodies"}:        1,
	}
	got := c.Snapshot()
	if len(got) != len(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	for op, n := range want {
		if got[op] != n {
			t.Errorf("%s = %d, want %d", op, got[op], n)
		}
	}
	if d := got.Sub(Counts{{"dynamodb", "BatchGetItem"}: 2}); d.Total("dynamodb") != 0 || d.Total("") != 3 {
		t.Errorf("Sub = %v", d)
	}
}
