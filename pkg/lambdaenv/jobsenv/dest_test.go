package jobsenv_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/export/httpsdest"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/lambdaenv/jobsenv"
)

type secretMap map[string]string

func (m secretMap) Secret(_ context.Context, name string) ([]byte, error) {
	v, ok := m[name]
	if !ok {
		return nil, errors.New("no such secret")
	}
	return []byte(v), nil
}

// An https or sftp destination is built from the secret the job names;
// a missing or malformed secret is an error naming it, not a value.
func TestDestinationsFromSecrets(t *testing.T) {
	secrets := secretMap{
		"erp-upload": `{"url": "https://upload.example.com/in/{name}", "headers": {"Authorization": "Bearer t0ken"}}`,
		"erp-sftp":   `{"host": "sftp.example.com", "user": "u"}`,
	}
	d := jobsenv.Destinations(nil, "", "", secrets, egress.Client(egress.Production, time.Second))
	dest, err := d(context.Background(), &jobs.Job{Name: "erp", Dest: jobs.Destination{Kind: "https", Secret: "erp-upload"}})
	if _, ok := dest.(*httpsdest.Destination); err != nil || !ok {
		t.Errorf("https: %T %v", dest, err)
	}
	_, err = d(context.Background(), &jobs.Job{Name: "erp", Dest: jobs.Destination{Kind: "sftp", Secret: "erp-sftp"}})
	if err == nil || !strings.Contains(err.Error(), "secret erp-sftp") || strings.Contains(err.Error(), "sftp.example.com") {
		t.Errorf("sftp without keys: %v", err)
	}
	_, err = d(context.Background(), &jobs.Job{Name: "erp", Dest: jobs.Destination{Kind: "https", Secret: "nosuch"}})
	if err == nil || !strings.Contains(err.Error(), "read secret nosuch") {
		t.Errorf("a missing secret: %v", err)
	}
}
