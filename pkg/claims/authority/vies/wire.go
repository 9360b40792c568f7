package vies

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
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

const maxAnswer = 1 << 20

// request is check-vat-number's body.
type request struct {
	CountryCode              string `json:"countryCode"`
	VATNumber                string `json:"vatNumber"`
	RequesterMemberStateCode string `json:"requesterMemberStateCode,omitempty"`
	RequesterNumber          string `json:"requesterNumber,omitempty"`
}

// answer is check-vat-number's reply, or its error shape.
type answer struct {
	Valid             *bool          `json:"valid"`
	Name              string         `json:"name"`
	Address           string         `json:"address"`
	RequestDate       string         `json:"requestDate"`
	RequestIdentifier string         `json:"requestIdentifier"`
	UserError         string         `json:"userError"`
	ActionSucceed     *bool          `json:"actionSucceed"`
	ErrorWrappers     []errorWrapper `json:"errorWrappers"`

	rejectedInput bool // VIES refused the input (INVALID_INPUT): a rejection
}

type errorWrapper struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// unavailable are the codes that mean VIES or a member state is down or
// busy: ask again later.
var unavailable = map[string]bool{
	"MS_UNAVAILABLE": true, "TIMEOUT": true, "SERVICE_UNAVAILABLE": true,
	"MS_MAX_CONCURRENT_REQ": true, "MS_MAX_CONCURRENT_REQ_TIME": true,
	"GLOBAL_MAX_CONCURRENT_REQ": true, "GLOBAL_MAX_CONCURRENT_REQ_TIME": true,
	"SERVER_BUSY": true,
}

// checkVAT posts the consultation and returns its answer and the call.
// Errors wrap claims.ErrUnavailable or claims.ErrMisconfigured.
func (a *Authority) checkVAT(ctx context.Context, cc, number string) (answer, claims.Call, error) {
	u := a.settings.BaseURL + "/check-vat-number"
	body, _ := json.Marshal(request{CountryCode: cc, VATNumber: number,
		RequesterMemberStateCode: a.settings.RequesterCountry, RequesterNumber: a.settings.RequesterVAT})
	call := claims.Call{Method: http.MethodPost, URL: u}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return answer{}, call, fmt.Errorf("vies: %w: build request", claims.ErrMisconfigured)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	resp, err := a.hc.Do(r)
	if err != nil {
		return answer{}, call, transportError(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	call.Status = resp.StatusCode
	call.Answer = shorten(raw)
	if err != nil {
		return answer{}, call, transportError(err)
	}
	var ans answer
	jsonErr := json.Unmarshal(raw, &ans)
	// An error code decides whatever the status: VIES sends them with
	// 200, 400 and 5xx alike.
	if jsonErr == nil {
		if code := errorCode(ans); code != "" {
			if code == "INVALID_INPUT" {
				ans.rejectedInput = true
				return ans, call, nil
			}
			return answer{}, call, codeError(code)
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		fe := fault.FromHTTP(resp.StatusCode, resp.Header, "", "")
		if fe.Class == fault.Transient || fe.Class == fault.Throttled {
			return answer{}, call, fmt.Errorf("vies: %w: %w", claims.ErrUnavailable, fe)
		}
		return answer{}, call, fmt.Errorf("vies: %w: %w", claims.ErrMisconfigured, fe)
	}
	if jsonErr != nil {
		return answer{}, call, fmt.Errorf("vies: %w: the answer is not JSON", claims.ErrMisconfigured)
	}
	if ans.Valid == nil {
		return answer{}, call, fmt.Errorf("vies: %w: the answer has no valid flag", claims.ErrMisconfigured)
	}
	return ans, call, nil
}

// errorCode is the answer's error: the first errorWrapper's, or a
// userError other than VALID and INVALID (which only restate "valid").
// An answer that says actionSucceed false without a code is SERVICE_UNAVAILABLE.
func errorCode(ans answer) string {
	for _, w := range ans.ErrorWrappers {
		if w.Error != "" {
			return strings.ToUpper(w.Error)
		}
	}
	switch ue := strings.ToUpper(strings.TrimSpace(ans.UserError)); ue {
	case "", "VALID", "INVALID":
	default:
		return ue
	}
	if ans.ActionSucceed != nil && !*ans.ActionSucceed {
		return "SERVICE_UNAVAILABLE"
	}
	return ""
}

// codeError classifies a VIES error code other than INVALID_INPUT:
// outages are unavailable; the rest (INVALID_REQUESTER_INFO, IP_BLOCKED,
// VAT_BLOCKED, codes this package does not know) need an operator, not a
// retry and not a rejection: VAT_BLOCKED says the number may not be
// consulted, not that it is invalid.
func codeError(code string) error {
	if unavailable[code] {
		return fmt.Errorf("vies: %w: %s", claims.ErrUnavailable, code)
	}
	return fmt.Errorf("vies: %w: %s", claims.ErrMisconfigured, code)
}

// transportError classifies a failed call (see npi's): an egress refusal
// is misconfigured, anything else unavailable.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if egress.IsRefused(err) {
		return fmt.Errorf("vies: %w: %w", claims.ErrMisconfigured, err)
	}
	return fmt.Errorf("vies: %w: %w", claims.ErrUnavailable, err)
}

func shorten(body []byte) string {
	const max = 512
	s := string(bytes.TrimSpace(body))
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}

// fold makes company names comparable: accents dropped, upper case, dots
// and apostrophes dropped (B.V. is BV), other runs of punctuation and
// spaces one space.
func fold(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '.', r == '\'', r == '’':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if gap && b.Len() > 0 {
				b.WriteByte(' ')
			}
			gap = false
			b.WriteString(strings.ToUpper(string(r)))
		default:
			gap = true
		}
	}
	return b.String()
}
