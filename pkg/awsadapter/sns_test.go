package awsadapter_test

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/profilesync/profilesync/internal/moto"
	paws "github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/claims/approval"
	"github.com/profilesync/profilesync/pkg/fault"
)

// SNSPublisher is the approval notifier's Publisher. The assertion lives
// here, not in sns.go, so the Lambda binaries that link awsadapter do not
// link approval's html/template.
var _ approval.Publisher = (*paws.SNSPublisher)(nil)

// snsQuery makes one Query API call to moto with a dummy signature (moto
// reads the service from the credential scope but checks no signature), so
// the test's topic and subscription do not depend on the code under test.
func snsQuery(t *testing.T, srv *moto.Server, form url.Values) []byte {
	t.Helper()
	form.Set("Version", "2010-03-31")
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.Endpoint()+"/", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x/20260101/"+moto.Region+"/sns/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("sns %s: %v", form.Get("Action"), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sns %s: %s: %s", form.Get("Action"), resp.Status, b)
	}
	return b
}

// A published message reaches an SQS subscriber of the topic with its
// subject, and Publish returns the id SNS gave it.
func TestSNSPublish(t *testing.T) {
	srv := moto.Start(t)
	ctx := ctxFor(t)
	name := strings.NewReplacer("/", "-", "_", "-").Replace(t.Name())

	var created struct {
		ARN string `xml:"CreateTopicResult>TopicArn"`
	}
	if err := xml.Unmarshal(snsQuery(t, srv, url.Values{"Action": {"CreateTopic"}, "Name": {name}}), &created); err != nil || created.ARN == "" {
		t.Fatalf("create topic: %v %q", err, created.ARN)
	}
	sq := sqs.NewFromConfig(srv.AWSConfig(ctx))
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: awssdk.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: q.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	snsQuery(t, srv, url.Values{"Action": {"Subscribe"}, "TopicArn": {created.ARN}, "Protocol": {"sqs"},
		"Endpoint": {attrs.Attributes["QueueArn"]}})

	pub, err := paws.NewSNSPublisher(srv.AWSConfig(ctx))
	if err != nil {
		t.Fatal(err)
	}
	msg := "Approval requested: hcp & <more>\nline two ✓"
	id, err := pub.Publish(ctx, created.ARN, "Approval requested", msg)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if id == "" {
		t.Fatal("no message id")
	}

	got, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 1 {
		t.Fatalf("%d messages on the subscribed queue, want 1", len(got.Messages))
	}
	var envelope struct{ MessageId, Subject, Message, TopicArn string }
	if err := json.Unmarshal([]byte(*got.Messages[0].Body), &envelope); err != nil {
		t.Fatal(err)
	}
	want := struct{ MessageId, Subject, Message, TopicArn string }{id, "Approval requested", msg, created.ARN}
	if envelope != want {
		t.Errorf("delivered %+v, want %+v", envelope, want)
	}
}

// Publishing to a topic that does not exist is a permanent ErrTopicNotFound.
func TestSNSPublishMissingTopic(t *testing.T) {
	srv := moto.Start(t)
	pub, err := paws.NewSNSPublisher(srv.AWSConfig(ctxFor(t)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = pub.Publish(ctxFor(t), "arn:aws:sns:us-east-1:"+moto.AccountID+":no-such-topic", "", "hello")
	if !errors.Is(err, paws.ErrTopicNotFound) {
		t.Fatalf("err %v, want ErrTopicNotFound", err)
	}
	if c := fault.ClassOf(err); c != fault.Permanent {
		t.Errorf("class %v, want permanent", c)
	}
}

// SNS's errors are classified by status and code: throttling retries after
// a while, refused credentials ask for fresh ones, 5xx is transient.
func TestSNSPublishErrorClasses(t *testing.T) {
	for _, tc := range []struct {
		status int
		code   string
		want   fault.Class
	}{
		{400, "Throttling", fault.Throttled},
		{429, "Throttled", fault.Throttled},
		{403, "InvalidClientTokenId", fault.Auth},
		{403, "AuthorizationError", fault.Permanent},
		{400, "InvalidParameter", fault.Permanent},
		{500, "InternalError", fault.Transient},
		{503, "", fault.Transient},
	} {
		t.Run(tc.code, func(t *testing.T) {
			srv := newSNSStub(t, tc.status, `<ErrorResponse><Error><Type>Sender</Type><Code>`+tc.code+
				`</Code><Message>m</Message></Error><RequestId>r</RequestId></ErrorResponse>`)
			_, err := newStubPublisher(t, srv).Publish(ctxFor(t), "arn:aws:sns:us-east-1:1:t", "", "x")
			fe := fault.As(err)
			if fe == nil || fe.Class != tc.want || fe.Code != tc.code {
				t.Fatalf("err %v, want class %v code %q", err, tc.want, tc.code)
			}
		})
	}
}

// An answer without a MessageId is an error, not an empty id.
func TestSNSPublishMalformedAnswer(t *testing.T) {
	srv := newSNSStub(t, 200, `<html>proxy login</html>`)
	if _, err := newStubPublisher(t, srv).Publish(ctxFor(t), "arn:aws:sns:us-east-1:1:t", "", "x"); fault.ClassOf(err) != fault.Permanent {
		t.Fatalf("err %v, want a permanent error", err)
	}
}

// newSNSStub answers every call with status and body, after checking that
// it is a signed Publish form.
func newSNSStub(t *testing.T, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("Action") != "Publish" || r.PostForm.Get("Version") != "2010-03-31" {
			t.Errorf("not a Publish form: %v %v", err, r.PostForm)
		}
		if a := r.Header.Get("Authorization"); !strings.Contains(a, "/us-east-1/sns/aws4_request") {
			t.Errorf("Authorization %q: not signed for sns", a)
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newStubPublisher(t *testing.T, srv *httptest.Server) *paws.SNSPublisher {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_SNS", "")
	cfg := awssdk.Config{Region: moto.Region, BaseEndpoint: awssdk.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")}
	pub, err := paws.NewSNSPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// AWS_ENDPOINT_URL_SNS comes before the configured base endpoint, and
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS must parse.
func TestSNSPublisherEndpoint(t *testing.T) {
	srv := newSNSStub(t, 200, `<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>`)
	t.Setenv("AWS_ENDPOINT_URL_SNS", srv.URL)
	cfg := awssdk.Config{Region: moto.Region, BaseEndpoint: awssdk.String("http://127.0.0.1:1"),
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")}
	pub, err := paws.NewSNSPublisher(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := pub.Publish(ctxFor(t), "arn:aws:sns:us-east-1:1:t", "s", "x"); err != nil || id != "m-1" {
		t.Fatalf("publish: %q %v", id, err)
	}
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "maybe")
	if _, err := paws.NewSNSPublisher(cfg); err == nil {
		t.Error("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=maybe accepted")
	}
	if _, err := paws.NewSNSPublisher(awssdk.Config{}); !errors.Is(err, paws.ErrNoRegion) {
		t.Errorf("no region: %v", err)
	}
}
