package apigw_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/apigw"
	"github.com/profilesync/profilesync/pkg/local"
)

// A request through the local API Gateway and this adapter reaches the
// handler as it was sent, and the answer comes back whole.
func TestRoundTripThroughTheLocalGateway(t *testing.T) {
	h := http.NewServeMux()
	h.HandleFunc("POST /claims/verify", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("Set-Cookie", "a=1")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"got":`+string(b)+`,"q":"`+r.URL.Query().Get("format")+`","k":"`+r.Header.Get("X-API-Key")+`"}`)
	})
	h.HandleFunc("GET /claims/approvals/{token}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte{0xff, 0xfe, r.PathValue("token")[0]})
	})
	srv := httptest.NewServer(local.APIGatewayHandler("ANY /claims/{proxy+}", apigw.Handler(h)))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/claims/verify?format=okta", strings.NewReader(`{"x":1}`))
	req.Header.Set("X-API-Key", "k1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || string(b) != `{"got":{"x":1},"q":"okta","k":"k1"}` || resp.Header.Get("Set-Cookie") != "a=1" {
		t.Errorf("answer %d %s %v", resp.StatusCode, b, resp.Header)
	}
	resp, err = http.Get(srv.URL + "/claims/approvals/Zt")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "\xff\xfeZ" {
		t.Errorf("binary answer = %q", b)
	}
}

func TestMalformedBase64(t *testing.T) {
	resp, _ := apigw.Handler(http.NotFoundHandler())(context.Background(), events.APIGatewayV2HTTPRequest{Body: "!!", IsBase64Encoded: true})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d", resp.StatusCode)
	}
	big := base64.StdEncoding.EncodeToString(make([]byte, apigw.MaxBody+1))
	resp, _ = apigw.Handler(http.NotFoundHandler())(context.Background(), events.APIGatewayV2HTTPRequest{Body: big, IsBase64Encoded: true})
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d", resp.StatusCode)
	}
}
