package lambdatest

import (
	"net/http"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/awsadapter"
)

// TestIngressArchivesToS3: the ingress binary, given the template's
// ARCHIVE_BUCKET, archives the event it accepted (and not the one it
// refused) where `profilesync replay` reads it back.
func TestIngressArchivesToS3(t *testing.T) {
	bins := hostBootstraps(t)
	s := newStack(t)
	ingress := startFunction(t, s, bins["ingress"], "IngressFunction", nil)
	start := time.Now().Add(-time.Second)

	refused := newRequestID()
	if resp := postWebhook(t, ingress, "cidaas", "not-the-key", cidaasBody(refused)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
	eventID := newRequestID()
	enqueueCreated(t, s, ingress, eventID)

	store, err := awsadapter.NewObjectStore(s.aws)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := awsadapter.NewS3Archive(store, s.refs["ArchiveBucket"]).Read(t.Context(), start, time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Event.ID != eventID || evs[0].Event.Subject != demoSubject || len(evs[0].Targets) == 0 {
		t.Fatalf("archive holds %+v, want the accepted event only\n%s", evs, ingress.logs())
	}
}
