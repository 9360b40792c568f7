package cognito

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/profilesync/profilesync/pkg/awsadapter/awsenv"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// Fetcher reads and writes one user pool's users with the function's
// own AWS credentials (IAM cognito-idp:ListUsers,
// AdminUpdateUserAttributes, AdminDeleteUserAttributes on the pool).
type Fetcher struct {
	cfg Config
	api *api
}

var (
	_ source.Fetcher = (*Fetcher)(nil)
	_ source.Lister  = (*Fetcher)(nil)
	_ source.Updater = (*Fetcher)(nil)
)

// NewFetcher returns a Fetcher. Credentials come from the environment as
// every function reads them (awsenv.Config: the execution
// role's); missing ones are the first call's error. hc nil means a client
// with a 10 s timeout; the endpoint is checked against hc's egress policy.
func NewFetcher(cfg Config, hc *http.Client) (*Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	aws, err := awsenv.Config(cfg.Region)
	if err != nil {
		return nil, err
	}
	hc = sourcekit.Client(hc)
	ep := endpointOf(cfg)
	if err := sourcekit.CheckEgress(hc, "endpoint", ep); err != nil {
		return nil, err
	}
	return &Fetcher{cfg: cfg, api: &api{endpoint: ep, region: cfg.Region, creds: aws.Credentials, hc: hc,
		signer: v4.NewSigner(), now: time.Now}}, nil
}

// New returns the Parser and Fetcher of the source instance name.
func New(name string, cfg Config, hc *http.Client) (*Parser, *Fetcher, error) {
	p, err := NewParser(name, cfg)
	if err != nil {
		return nil, nil, err
	}
	f, err := NewFetcher(cfg, hc)
	if err != nil {
		return nil, nil, err
	}
	return p, f, nil
}

// Fetch implements source.Fetcher: the user whose sub is subject (ListUsers
// with a sub filter; AdminGetUser wants the username, which events carry
// but the subject is not).
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	u, err := f.bySub(ctx, subject)
	if err != nil {
		return nil, err
	}
	return u.profile(), nil
}

// bySub finds the user whose sub is subject.
func (f *Fetcher) bySub(ctx context.Context, subject string) (*user, error) {
	switch {
	case subject == "":
		return nil, fault.New(fault.Permanent, 0, "", "cognito fetch: empty subject")
	case strings.ContainsAny(subject, "\"\\"):
		// A sub is a UUID: one with a quote or backslash cannot exist,
		// and must not reach the filter expression.
		return nil, fmt.Errorf("cognito user: subject is not a sub: %w", source.ErrNotFound)
	}
	var out struct {
		Users []user `json:"Users"`
	}
	in := map[string]any{"UserPoolId": f.cfg.UserPoolID, "Filter": `sub = "` + subject + `"`, "Limit": 1}
	if err := f.api.call(ctx, "ListUsers", in, &out); err != nil {
		return nil, err
	}
	if len(out.Users) == 0 {
		return nil, fmt.Errorf("cognito user %s: %w", subject, source.ErrNotFound)
	}
	return &out.Users[0], nil
}
