package devstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/sandbox"
)

// SandboxChange is what a sample's companion file (<sample>.sandbox.json)
// asks of the sandbox before the sample is sent: the change an admin made
// to the cidaas user, which a thin ACCOUNT_MODIFIED only announces. Only
// the sandbox's development client can make it.
type SandboxChange struct {
	CidaasUser struct {
		Sub    string         `json:"sub"`
		Fields map[string]any `json:"fields"`
	} `json:"cidaas_user"`
}

// CompanionFile is the sandbox change that goes with the sample at path.
func CompanionFile(path string) string { return strings.TrimSuffix(path, ".json") + ".sandbox.json" }

// ApplySandboxChange makes c in the sandbox cidaas of the stack at base,
// through the users API (PUT /users-srv/user/{sub}).
func ApplySandboxChange(ctx context.Context, hc *http.Client, base string, c SandboxChange) error {
	root := strings.TrimRight(base, "/") + sandbox.Prefix + "/cidaas"
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {sandbox.DevClientID}, "client_secret": {sandbox.DevClientSecret}}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := call(ctx, hc, http.MethodPost, root+"/token-srv/token", "application/x-www-form-urlencoded", []byte(form.Encode()), &tok); err != nil {
		return err
	}
	body, err := json.Marshal(c.CidaasUser.Fields)
	if err != nil {
		return err
	}
	req := root + "/users-srv/user/" + url.PathEscape(c.CidaasUser.Sub)
	return call(ctx, hc, http.MethodPut, req, "application/json", body, nil, "Bearer "+tok.AccessToken)
}

func call(ctx context.Context, hc *http.Client, method, u, ctype string, body []byte, out any, auth ...string) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ctype)
	if len(auth) > 0 {
		req.Header.Set("Authorization", auth[0])
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, u, resp.Status)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
