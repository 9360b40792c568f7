package jobsfn

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/export"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/wiring"
)

// secretMap is a deployment's source secrets by name.
type secretMap map[string]string

func (m secretMap) Secret(_ context.Context, name string) ([]byte, error) {
	return []byte(m[name]), nil
}

const (
	cidaasSecret = `{"kind":"cidaas","environment":"prod","auth":"apikey","apikey":"k","base_url":"https://a.cidaas.de","client_id":"c","client_secret":"s"}`
	oktaSecret   = `{"kind":"okta","secrets":["0123456789abcdef"],"org_url":"https://a.okta.com","api_token":"t"}`
)

// New builds the sources that can list and leaves the others alone; a
// job whose source cannot list is refused when the runner is built.
func TestNewBuildsTheSourcesThatList(t *testing.T) {
	j, err := jobs.Loader{}.Parse("retention.yaml", []byte(retentionJob)) // source: cidaas
	if err != nil {
		t.Fatal(err)
	}
	set, err := jobsSet(t, j)
	if err != nil {
		t.Fatal(err)
	}
	ports := func(secrets secretMap) Ports {
		return Ports{Function: wiring.Function{Mappings: cleanupMappings(t), Sources: []string{"cidaas", "okta"}, Secrets: secrets,
			Log: slog.New(slog.DiscardHandler)}, Jobs: set, Checkpoints: jobs.NewMemoryCheckpoints(), Destinations: func(context.Context, *jobs.Job) (export.Destination, error) { return nil, nil }}
	}
	r, err := New(t.Context(), ports(secretMap{"cidaas": cidaasSecret, "okta": oktaSecret}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.names(), ",") != "cidaas" || r.envs["cidaas"] != "prod" {
		t.Errorf("listers %v, environments %v: want cidaas (prod) only", r.names(), r.envs)
	}
	_, err = New(t.Context(), ports(secretMap{"cidaas": oktaSecret, "okta": oktaSecret}))
	if err == nil || !strings.Contains(err.Error(), `source "cidaas" cannot list its profiles`) {
		t.Errorf("a job's source of a kind that cannot list: %v", err)
	}
}
