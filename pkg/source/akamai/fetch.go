package akamai

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
	"github.com/profilesync/profilesync/pkg/source/internal/sourcekit"
)

// codeRecordNotFound is Capture's "record_not_found".
const codeRecordNotFound = 310

// Fetcher reads user records from the Capture Entity API.
type Fetcher struct {
	cfg Config
	hc  *http.Client
}

var _ source.Fetcher = (*Fetcher)(nil)

// NewFetcher returns a Fetcher; hc nil means a client with a 10 s timeout.
func NewFetcher(cfg Config, hc *http.Client) (*Fetcher, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	if err := sourcekit.CheckEgress(hc, "capture_url", cfg.CaptureURL); err != nil {
		return nil, err
	}
	return &Fetcher{cfg: cfg, hc: sourcekit.Client(hc)}, nil
}

// captureResponse is every Capture answer: stat "ok" with a result, or stat
// "error" with a numeric and a string code (usually with HTTP 200).
type captureResponse struct {
	Stat             string          `json:"stat"`
	Result           json.RawMessage `json:"result"`
	Code             int             `json:"code"`
	Error            string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

// Fetch implements source.Fetcher.
func (f *Fetcher) Fetch(ctx context.Context, subject string) (*profile.Profile, error) {
	if subject == "" {
		return nil, fault.New(fault.Permanent, 0, "", "akamai fetch: empty subject")
	}
	form := url.Values{"type_name": {f.cfg.TypeName}, "uuid": {subject}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.cfg.CaptureURL+"/entity", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fault.Wrap(fault.Permanent, err)
	}
	req.SetBasicAuth(f.cfg.ClientID, f.cfg.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := f.hc.Do(req)
	if err != nil {
		return nil, sourcekit.TransportError("capture entity", err)
	}
	body, err := sourcekit.ReadBody(resp)
	if err != nil {
		return nil, fault.Wrap(fault.Transient, fmt.Errorf("capture entity: %w", err))
	}
	var cr captureResponse
	jsonErr := json.Unmarshal(body, &cr)
	if resp.StatusCode != http.StatusOK {
		return nil, fault.FromHTTP(resp.StatusCode, resp.Header, cr.Error, cr.ErrorDescription)
	}
	if jsonErr != nil {
		return nil, fault.New(fault.Transient, resp.StatusCode, "", "capture entity: response is not JSON")
	}
	switch cr.Stat {
	case "ok":
		p, err := mapRecord(cr.Result)
		if err != nil {
			return nil, fault.Wrap(fault.Permanent, fmt.Errorf("capture user %s: %w", subject, err))
		}
		if p.Sub == "" {
			p.Sub = subject
		}
		return p, nil
	case "error":
		if cr.Code == codeRecordNotFound {
			return nil, fmt.Errorf("capture user %s: %w", subject, source.ErrNotFound)
		}
		return nil, &fault.Error{Class: captureClass(cr.Code), Status: resp.StatusCode,
			Code: cr.Error, Message: fmt.Sprintf("capture code %d: %s", cr.Code, cr.ErrorDescription)}
	}
	return nil, fault.New(fault.Transient, resp.StatusCode, "", fmt.Sprintf("capture entity: unexpected stat %q", cr.Stat))
}

// captureClass follows the ranges Capture documents for its error codes:
// 100–399 the request or record is wrong, 400–499 credentials or
// permissions, 500 and up internal errors.
func captureClass(code int) fault.Class {
	switch {
	case code >= 500:
		return fault.Transient
	case code >= 400:
		return fault.Auth
	}
	return fault.Permanent
}
