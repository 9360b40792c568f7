package npi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// maxAnswer bounds what is read of an answer: one record is a few KiB.
const maxAnswer = 1 << 20

// answer is the registry's reply to a lookup by number: results, or an
// Errors list when the request itself was refused (a missing version, a
// malformed number).
type answer struct {
	ResultCount *int       `json:"result_count"`
	Results     []Record   `json:"results"`
	Errors      []APIError `json:"Errors"`
}

// Record is one provider as the registry describes it; only the fields
// this authority reads.
type Record struct {
	Number          json.RawMessage `json:"number"` // a string in 2.1, a number in older answers
	EnumerationType string          `json:"enumeration_type"`
	Basic           Basic           `json:"basic"`
	Taxonomies      []Taxonomy      `json:"taxonomies"`
}

// Basic is a record's "basic" block.
type Basic struct {
	Status     string `json:"status"`
	FirstName  string `json:"first_name"`
	LastName   string `json:"last_name"`
	Credential string `json:"credential"`
}

// Taxonomy is one of a record's specialities and its licence.
type Taxonomy struct {
	Code    string `json:"code"`
	Desc    string `json:"desc"`
	Primary bool   `json:"primary"`
	State   string `json:"state"`
	License string `json:"license"`
}

// APIError is one entry of the registry's Errors answer.
type APIError struct {
	Description string `json:"description"`
	Field       string `json:"field"`
	Number      string `json:"number"`
}

// lookup asks the registry for number and returns its decoded answer and
// the call for a dry run. Errors wrap claims.ErrUnavailable or
// claims.ErrMisconfigured, or are the registry's Errors answer about the
// number (errInvalidInput).
func (a *Authority) lookup(ctx context.Context, number string) (answer, claims.Call, error) {
	u, err := url.Parse(a.settings.BaseURL)
	if err != nil {
		return answer{}, claims.Call{}, fmt.Errorf("npi: base_url: %w", claims.ErrMisconfigured)
	}
	q := u.Query()
	q.Set("version", APIVersion)
	q.Set("number", number)
	u.RawQuery = q.Encode()
	call := claims.Call{Method: http.MethodGet, URL: u.String()}

	r, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return answer{}, call, fmt.Errorf("npi: %w: build request", claims.ErrMisconfigured)
	}
	r.Header.Set("Accept", "application/json")
	resp, err := a.hc.Do(r)
	if err != nil {
		return answer{}, call, transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	call.Status = resp.StatusCode
	call.Answer = shorten(body)
	if err != nil {
		return answer{}, call, transportError(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return answer{}, call, statusError(resp)
	}
	var ans answer
	if err := json.Unmarshal(body, &ans); err != nil {
		return answer{}, call, fmt.Errorf("npi: %w: the answer is not JSON", claims.ErrMisconfigured)
	}
	if len(ans.Errors) > 0 {
		return ans, call, errorsAnswer(ans.Errors)
	}
	if ans.ResultCount == nil {
		return answer{}, call, fmt.Errorf("npi: %w: the answer has no result_count", claims.ErrMisconfigured)
	}
	return ans, call, nil
}

// errorsAnswer reads the registry's Errors answer. One about the number
// field is about the evidence: nil, and judge rejects. Any other (a
// missing version, an unknown parameter) means this authority asked
// wrongly. The descriptions may quote what was sent, so only the fields
// are kept.
func errorsAnswer(errs []APIError) error {
	var fields []string
	for _, e := range errs {
		if strings.EqualFold(e.Field, "number") {
			return nil
		}
		fields = append(fields, e.Field)
	}
	return fmt.Errorf("npi: %w: the registry refused the request (fields %v)", claims.ErrMisconfigured, fields)
}

// transportError classifies a failed call: an egress refusal is a
// configuration problem, anything else (a timeout, a refused connection)
// an outage. The *url.Error's text, which holds the URL and so the NPI,
// is dropped.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if egress.IsRefused(err) {
		return fmt.Errorf("npi: %w: %w", claims.ErrMisconfigured, err)
	}
	return fmt.Errorf("npi: %w: %w", claims.ErrUnavailable, err)
}

// statusError classifies a non-2xx answer by the one status table: 408,
// 429 and 5xx are outages, any other status means the URL or the
// registry's contract changed.
func statusError(resp *http.Response) error {
	fe := fault.FromHTTP(resp.StatusCode, resp.Header, "", "")
	switch fe.Class {
	case fault.Transient, fault.Throttled:
		return fmt.Errorf("npi: %w: %w", claims.ErrUnavailable, fe)
	}
	return fmt.Errorf("npi: %w: %w", claims.ErrMisconfigured, fe)
}

// shorten keeps the start of an answer for a dry run's display.
func shorten(body []byte) string {
	const max = 512
	s := string(bytes.TrimSpace(body))
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}
