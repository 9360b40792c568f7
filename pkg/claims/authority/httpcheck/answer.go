package httpcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

const maxAnswer = 1 << 20

// result is an answer worth judging: a 2xx or a 4xx a rule may explain,
// decoded, or a 404.
type result struct {
	status   int
	answer   any
	notFound bool
}

// do sends the request. Errors wrap claims.ErrUnavailable or
// claims.ErrMisconfigured; neither quotes the URL (it holds evidence).
func (a *Authority) do(ctx context.Context, u, body string) (result, claims.Call, error) {
	call := claims.Call{Method: a.settings.Method, URL: u}
	var rd io.Reader
	if a.c.body != nil {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequestWithContext(ctx, a.settings.Method, u, rd)
	if err != nil {
		return result{}, call, fmt.Errorf("http: %w: build request", claims.ErrMisconfigured)
	}
	r.Header.Set("Accept", "application/json")
	if a.c.body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, t := range a.c.headers {
		v, _ := t.fill(func(name string) (string, bool) {
			v, ok := a.secret[strings.TrimPrefix(name, secretPrefix)]
			return v, ok
		})
		r.Header.Set(k, v)
	}
	resp, err := a.hc.Do(r)
	if err != nil {
		return result{}, call, transportError(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	call.Status = resp.StatusCode
	call.Answer = shorten(raw)
	if err != nil {
		return result{}, call, transportError(err)
	}
	st := resp.StatusCode
	switch {
	case st == http.StatusNotFound:
		return result{status: st, notFound: true}, call, nil
	case st >= 200 && st <= 299, st >= 400 && st <= 499 && fault.HTTPClass(st) == fault.Permanent && st != http.StatusForbidden:
		// 2xx, and 4xx other than 401, 403, 408, 429: the rule decides.
	default:
		fe := fault.FromHTTP(st, resp.Header, "", "")
		if fe.Class == fault.Transient || fe.Class == fault.Throttled {
			return result{}, call, fmt.Errorf("http: %w: %w", claims.ErrUnavailable, fe)
		}
		return result{}, call, fmt.Errorf("http: %w: %w", claims.ErrMisconfigured, fe)
	}
	var ans any
	if err := json.Unmarshal(raw, &ans); err != nil {
		return result{}, call, fmt.Errorf("http: %w: the answer (status %d) is not JSON", claims.ErrMisconfigured, st)
	}
	return result{status: st, answer: ans}, call, nil
}

// judge applies the rule's expressions to a result.
func (a *Authority) judge(res result) (claims.Answer, error) {
	if res.notFound {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonNotFound}, nil
	}
	e := env{Answer: res.answer, Status: res.status}
	ok2xx := res.status >= 200 && res.status <= 299
	if ok2xx {
		verified, err := run(a.c.verified, e, "verified_when")
		if err != nil {
			return claims.Answer{}, err
		}
		if verified {
			return claims.Answer{Verdict: claims.Verified, Reason: ReasonVerified,
				Reference: a.reference(res.answer), Attributes: a.attributes(res.answer)}, nil
		}
	}
	if a.c.rejected != nil {
		rejected, err := run(a.c.rejected, e, "rejected_when")
		if err != nil {
			return claims.Answer{}, err
		}
		if rejected {
			return claims.Answer{Verdict: claims.Rejected, Reason: ReasonRejected, Reference: a.reference(res.answer)}, nil
		}
	}
	if !ok2xx {
		return claims.Answer{}, fmt.Errorf("http: %w: status %d and rejected_when does not hold", claims.ErrMisconfigured, res.status)
	}
	return claims.Answer{Verdict: claims.Rejected, Reason: ReasonNoMatch}, nil
}

// run evaluates an expression. Its runtime error (a field missing
// without ?., a type mismatch) is the rule's: misconfigured. expr's
// message is dropped, as it may quote the answer.
func run(p *vm.Program, e env, field string) (bool, error) {
	out, err := expr.Run(p, e)
	if err != nil {
		return false, fmt.Errorf("http: %w: %s failed on the answer", claims.ErrMisconfigured, field)
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("http: %w: %s is not true or false on the answer", claims.ErrMisconfigured, field)
	}
	return b, nil
}

func (a *Authority) reference(ans any) string {
	if a.settings.Reference == "" {
		return ""
	}
	v, ok := lookup(ans, a.settings.Reference)
	if !ok {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return "" // an object or a list is no reference
}

func (a *Authority) attributes(ans any) map[string]any {
	if len(a.settings.Attributes) == 0 {
		return nil
	}
	out := map[string]any{}
	for name, path := range a.settings.Attributes {
		if v, ok := lookup(ans, path); ok && v != nil {
			out[name] = v
		}
	}
	return out
}

// lookup follows a dotted path: object keys, and list indexes as numbers.
func lookup(v any, path string) (any, bool) {
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[seg]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// transportError classifies a failed call: an egress refusal is
// misconfigured, anything else unavailable; the URL is dropped.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if egress.IsRefused(err) {
		return fmt.Errorf("http: %w: %w", claims.ErrMisconfigured, err)
	}
	return fmt.Errorf("http: %w: %w", claims.ErrUnavailable, err)
}

func shorten(body []byte) string {
	const max = 512
	s := string(bytes.TrimSpace(body))
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "…"
	}
	return s
}
