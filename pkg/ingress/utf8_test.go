package ingress

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// A subject or event id that is not text is refused with 400, through the
// real Standard Webhooks parser and a valid signature, instead of being
// enqueued as U+FFFD.
func TestInvalidUTF8KeyIsRejected(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		id     string
		status int
	}{
		{"valid unicode id", strings.Replace(userCreated, `"user_1"`, `"user_zoë"`, 1), "msg_1", 200},
		{"invalid byte in the user id", strings.Replace(userCreated, `"user_1"`, "\"user_\xff1\"", 1), "msg_1", 400},
		{"lone surrogate escape in the user id", strings.Replace(userCreated, `"user_1"`, `"user_\ud8001"`, 1), "msg_1", 400},
		{"invalid byte in webhook-id", userCreated, "msg_\xfe1", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, q := newHandler(t)
			var logs bytes.Buffer
			h.Log = slog.New(slog.NewJSONHandler(&logs, nil))
			resp, err := h.Handle(context.Background(), signedWithID(tt.body, tt.id))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Fatalf("got %d %s, want %d; log: %s", resp.StatusCode, resp.Body, tt.status, logs.String())
			}
			if tt.status != 200 {
				if resp.Body != `{"error":"malformed body"}` || q.Len() != 0 {
					t.Fatalf("body %s, %d enqueued", resp.Body, q.Len())
				}
				if strings.Contains(logs.String(), "user_") {
					t.Fatalf("log quotes the id: %s", logs.String())
				}
			}
		})
	}
}

// signedWithID is signed with the webhook-id id, signed over too.
func signedWithID(body, id string) events.APIGatewayV2HTTPRequest {
	req := signed(body)
	ts := req.Headers["webhook-timestamp"]
	mac := hmac.New(sha256.New, clerkKey)
	mac.Write([]byte(id + "." + ts + "." + body))
	req.Headers["webhook-id"] = id
	req.Headers["webhook-signature"] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return req
}
