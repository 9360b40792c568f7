package claims

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/spec"
)

// VerifyPath is the synchronous way in.
const VerifyPath = "/claims/verify"

// DefaultBudget is how long POST /claims/verify lets its authorities
// take: a CIAM hook waits about 3 s (Okta's inline hooks exactly 3 s),
// and the answer needs the rest.
const DefaultBudget = 2500 * time.Millisecond

// MaxRequest bounds a request body.
const MaxRequest = 256 << 10

// CallersSpec is the secret that lists who may call the API.
var CallersSpec = spec.Component{
	Kind:    "claims-api",
	Summary: "Who may call POST /claims/verify, and how fast.",
	Secret: []spec.Field{
		{Name: "callers", Type: spec.ObjectMap, Required: true, Description: "Caller name → how it authenticates: api_key (sent as Authorization: Bearer, or X-API-Key) or hmac_secret (X-ProfileSync-Signature: t=<unix>,v1=<hex HMAC-SHA256 of t.body>).",
			Fields: []spec.Field{
				{Name: "api_key", Type: spec.String, Description: "A key of at least 16 characters."},
				{Name: "hmac_secret", Type: spec.String, Description: "A secret of at least 16 characters."},
				{Name: "source", Type: spec.String, Description: "The CIAM source this caller speaks for (write-backs go there); the request may name it instead."},
			}},
		{Name: "rate_per_second", Type: spec.Int, Default: 10, Description: "Requests per second each caller may make (per function instance); a burst of twice that is allowed."},
	},
}

// Caller is one API client.
type Caller struct {
	APIKey     string `json:"api_key"`
	HMACSecret string `json:"hmac_secret"`
	Source     string `json:"source"`
}

// Callers is the decoded secret.
type Callers struct {
	Callers       map[string]Caller `json:"callers"`
	RatePerSecond int               `json:"rate_per_second"`
}

// ParseCallers decodes and checks the callers secret.
func ParseCallers(raw []byte) (Callers, error) {
	var c Callers
	if err := spec.DecodeJSON(CallersSpec.Secret, raw, &c); err != nil {
		return c, err
	}
	var errs []error
	for name, cl := range c.Callers {
		if (cl.APIKey == "") == (cl.HMACSecret == "") {
			errs = append(errs, spec.Errorf(spec.At("callers", name), "needs exactly one of api_key and hmac_secret"))
		}
		if cl.APIKey != "" && len(cl.APIKey) < 16 || cl.HMACSecret != "" && len(cl.HMACSecret) < 16 {
			errs = append(errs, spec.Errorf(spec.At("callers", name), "the key or secret must be at least 16 characters"))
		}
	}
	if c.RatePerSecond < 1 {
		errs = append(errs, spec.Errorf(spec.At("rate_per_second"), "must be at least 1"))
	}
	return c, errors.Join(errs...)
}

// API serves POST /claims/verify.
type API struct {
	Verifier *Verifier
	Callers  Callers
	// Queue continues a check whose authority was too slow or down
	// (nil: the answer stays pending and nothing continues it).
	Queue  ingress.Queue
	Budget time.Duration // DefaultBudget when zero

	mu      sync.Mutex
	buckets map[string]*bucket
}

// VerifyRequest is the JSON contract of POST /claims/verify.
type VerifyRequest struct {
	// Source is the CIAM source the profile lives in (the caller's own
	// when its secret entry names one).
	Source string `json:"source,omitempty"`
	// Profile is the canonical profile (at least sub and what the rules
	// read); Environment and ClientID pick overrides.
	Profile     *profile.Profile `json:"profile"`
	Environment string           `json:"environment,omitempty"`
	ClientID    string           `json:"client_id,omitempty"`
	// Rules limits the check to these rules.
	Rules []string `json:"rules,omitempty"`
	// WriteBack, when false, leaves the CIAM alone: the caller stores the
	// verdict (default true).
	WriteBack *bool `json:"write_back,omitempty"`
}

// VerifyResponse answers it.
type VerifyResponse struct {
	Subject string        `json:"subject"`
	Results []ClaimResult `json:"results"`
}

// ClaimResult is one rule's verdict in an answer.
type ClaimResult struct {
	Rule      string         `json:"rule"`
	Claim     string         `json:"claim"`
	Value     string         `json:"value"`
	Verdict   Verdict        `json:"verdict"`
	Reason    string         `json:"reason,omitempty"`
	Authority string         `json:"authority,omitempty"`
	Reference string         `json:"reference,omitempty"`
	DecidedAt time.Time      `json:"decided_at"`
	ExpiresAt *time.Time     `json:"expires_at,omitempty"`
	Cached    bool           `json:"cached"`
	Continues bool           `json:"continues,omitempty"` // pending, and checked again asynchronously
	WriteBack map[string]any `json:"write_back"`
}

func resultJSON(r Result, continues bool) ClaimResult {
	d := r.Decision
	out := ClaimResult{Rule: r.Rule, Claim: d.Claim, Value: d.Value, Verdict: d.Verdict, Reason: d.Reason,
		Authority: d.Authority, Reference: d.Reference, DecidedAt: d.DecidedAt, Cached: r.Cached,
		Continues: continues, WriteBack: r.WriteBack}
	if !d.ExpiresAt.IsZero() {
		t := d.ExpiresAt
		out.ExpiresAt = &t
	}
	return out
}

// apiError is the JSON error body.
type apiError struct {
	Error string `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// ServeHTTP implements POST /claims/verify[?format=json|okta|kratos].
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, apiError{"POST only"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequest+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{"could not read the body"})
		return
	}
	if len(body) > MaxRequest {
		writeJSON(w, http.StatusRequestEntityTooLarge, apiError{"body over 256 KiB"})
		return
	}
	name, caller, ok := a.authenticate(r.Header, body, a.Verifier.now())
	if !ok {
		writeJSON(w, http.StatusUnauthorized, apiError{"unauthenticated"})
		return
	}
	if wait, ok := a.allow(name, a.Verifier.now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeJSON(w, http.StatusTooManyRequests, apiError{"rate limited"})
		return
	}
	format := r.URL.Query().Get("format")
	var req VerifyRequest
	progressive := false
	switch format {
	case "", "json":
		req, err = DecodeVerifyRequest(body)
	case "okta":
		req, progressive, err = decodeOkta(body)
	case "kratos":
		req, err = decodeKratos(body)
	default:
		writeJSON(w, http.StatusBadRequest, apiError{"unknown format; want json, okta or kratos"})
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{err.Error()})
		return
	}
	if caller.Source != "" {
		if req.Source != "" && req.Source != caller.Source {
			writeJSON(w, http.StatusForbidden, apiError{"this caller speaks for another source"})
			return
		}
		req.Source = caller.Source
	}
	if req.Source == "" {
		writeJSON(w, http.StatusBadRequest, apiError{"malformed request: source is required (the caller's secret names none)"})
		return
	}
	if format == "okta" || format == "kratos" {
		f := false
		req.WriteBack = &f // the answer carries the verdict into the CIAM's own flow
	}
	res, status, err := a.verify(r.Context(), req)
	if err != nil {
		a.Verifier.log().LogAttrs(r.Context(), slog.LevelError, "claims api: verification failed", slog.String("caller", name), slog.String("error", err.Error()))
		writeJSON(w, status, apiError{"verification failed; try again"})
		return
	}
	switch format {
	case "okta":
		writeJSON(w, http.StatusOK, oktaAnswer(res, progressive))
	case "kratos":
		writeJSON(w, http.StatusOK, kratosAnswer(body, res))
	default:
		writeJSON(w, http.StatusOK, res)
	}
}

// DecodeVerifyRequest decodes and checks a JSON request.
func DecodeVerifyRequest(body []byte) (VerifyRequest, error) {
	var req VerifyRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("malformed request: %s", jsonProblem(err))
	}
	if dec.More() {
		return req, errors.New("malformed request: one JSON object expected")
	}
	if req.Profile == nil || req.Profile.Sub == "" {
		return req, errors.New("malformed request: profile.sub is required")
	}
	if len(req.Profile.Sub) > 255 || len(req.Source) > 64 || len(req.Environment) > 100 || len(req.ClientID) > 100 {
		return req, errors.New("malformed request: a field is too long")
	}
	return req, nil
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.EOF):
		return "empty body"
	}
	return "invalid JSON"
}

func (a *API) verify(ctx context.Context, req VerifyRequest) (VerifyResponse, int, error) {
	if req.Source == "" {
		return VerifyResponse{}, http.StatusBadRequest, errors.New("no source")
	}
	budget := a.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	vctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	opts := Options{Rules: req.Rules, NoWriteBack: req.WriteBack != nil && !*req.WriteBack}
	in := Input{Source: req.Source, Profile: req.Profile, Environment: req.Environment, ClientID: req.ClientID}
	results, err := a.Verifier.Verify(vctx, in, opts)
	if err != nil && len(results) == 0 {
		return VerifyResponse{}, http.StatusServiceUnavailable, err
	}
	out := VerifyResponse{Subject: req.Profile.Sub, Results: []ClaimResult{}}
	continues := false
	standIn := strings.HasPrefix(req.Profile.Sub, oktaRegistrationPrefix) // no such user to write back to
	for _, r := range results {
		if r.Retry && a.Queue != nil && !standIn {
			continues = true
		}
	}
	if continues {
		if qerr := a.continueLater(ctx, req); qerr != nil {
			a.Verifier.log().LogAttrs(ctx, slog.LevelError, "claims api: could not continue a pending check", slog.String("error", qerr.Error()))
			continues = false
		}
	}
	for _, r := range results {
		out.Results = append(out.Results, resultJSON(r, r.Retry && continues))
	}
	if err != nil { // a write-back failed after the verdicts: they stand, say so
		a.Verifier.log().LogAttrs(ctx, slog.LevelWarn, "claims api: write-back failed", slog.String("error", err.Error()))
	}
	return out, http.StatusOK, nil
}

// continueLater puts the request on the verifier's queue as an update
// event, so the queue consumer retries the authorities.
func (a *API) continueLater(ctx context.Context, req VerifyRequest) error {
	now := a.Verifier.now().UTC()
	e := profile.Event{ID: "claims-" + NewID(), Type: profile.Updated, Source: req.Source, Subject: req.Profile.Sub,
		OccurredAt: now, ReceivedAt: now, Environment: req.Environment, ClientID: req.ClientID, Profile: req.Profile}
	body, err := profile.NewEnvelope(QueueName, e).Marshal()
	if err != nil {
		return err
	}
	return a.Queue.SendBatch(ctx, QueueName, []ingress.Message{{ID: "c0", Body: body,
		Attributes: map[string]string{"event_type": string(e.Type), "source": e.Source, "event_id": e.ID}}})
}

// authenticate finds the caller whose key or signature the request
// carries, comparing in constant time.
func (a *API) authenticate(h http.Header, body []byte, now time.Time) (string, Caller, bool) {
	key := h.Get("X-API-Key")
	if auth := h.Get("Authorization"); key == "" && len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		key = strings.TrimSpace(auth[7:])
	}
	sig := h.Get("X-ProfileSync-Signature")
	var ts, mac string
	if sig != "" {
		for _, part := range strings.Split(sig, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "t":
				ts = v
			case "v1":
				mac = v
			}
		}
	}
	found, foundName := Caller{}, ""
	matched := 0
	for name, c := range a.Callers.Callers {
		switch {
		case c.APIKey != "" && key != "":
			if subtle.ConstantTimeCompare([]byte(c.APIKey), []byte(key)) == 1 {
				found, foundName = c, name
				matched++
			}
		case c.HMACSecret != "" && mac != "":
			if SignatureValid(c.HMACSecret, ts, mac, body, now) {
				found, foundName = c, name
				matched++
			}
		}
	}
	return foundName, found, matched == 1
}

// SignatureTolerance is how far a signature's timestamp may be from now.
const SignatureTolerance = 5 * time.Minute

// Sign returns the X-ProfileSync-Signature value for body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// SignatureValid checks a signature's timestamp and MAC.
func SignatureValid(secret, ts, mac string, body []byte, now time.Time) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > SignatureTolerance || d < -SignatureTolerance {
		return false
	}
	want, err := hex.DecodeString(mac)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return hmac.Equal(m.Sum(nil), want)
}

// bucket is a token bucket.
type bucket struct {
	tokens float64
	at     time.Time
}

// allow takes a token from caller's bucket, or says how long to wait.
func (a *API) allow(caller string, now time.Time) (time.Duration, bool) {
	rate := float64(a.Callers.RatePerSecond)
	if rate <= 0 {
		rate = 10
	}
	burst := 2 * rate
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.buckets == nil {
		a.buckets = map[string]*bucket{}
	}
	b, ok := a.buckets[caller]
	if !ok {
		b = &bucket{tokens: burst, at: now}
		a.buckets[caller] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) / rate * float64(time.Second)), false
	}
	b.tokens--
	return 0, true
}
