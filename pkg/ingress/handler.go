package ingress

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// MaxBody is the largest webhook body accepted: SQS's message size limit.
// An envelope can outgrow its body (JSON escaping, the added fields):
// see oversized.go for what becomes of it.
const MaxBody = 256 << 10

// Router names the targets an event goes to (*mapping.Set satisfies it).
type Router interface {
	Route(e profile.Event) []string
}

// Handler serves POST /webhooks/{source}, and GET for the sources whose
// platform verifies the URL first (challenge.go).
type Handler struct {
	Sources map[string]source.Parser
	Router  Router
	Queue   Queue
	// Fetchable names the sources whose profiles the sync function can
	// fetch: an envelope of theirs too large for the queue goes thin.
	Fetchable map[string]bool
	// Bodies keeps the other envelopes too large for the queue (optional:
	// without it such an event is answered 503 and logged as an error).
	Bodies BodyStore
	// Archive keeps every accepted event for `profilesync replay`
	// (optional; archive.go).
	Archive Archive
	// Erasures is the erasure ledger: every delete is recorded pending
	// there for each of its targets before it is queued, and a failed
	// write is a 503 (optional; erasure.go).
	Erasures delivery.ErasureLedger
	Now      func() time.Time // defaults to time.Now
	Log      *slog.Logger     // defaults to slog.Default()

	// Meter hears of every POST's verdict: the per-source metrics
	// (optional).
	Meter Meter

	// Counts is read by tests and the local stack (see Counters).
	Counts Counters
}

// Handle is the Lambda handler.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	resp, v := h.handle(ctx, req)
	if h.Meter != nil && v.Source != "" {
		h.Meter.Webhook(ctx, v)
	}
	return resp, nil
}

func (h *Handler) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, Verdict) {
	log := h.log().With("request_id", req.RequestContext.RequestID)
	switch m := req.RequestContext.HTTP.Method; {
	case m == http.MethodGet:
		return h.challenge(ctx, req, log), Verdict{}
	case m != "" && m != http.MethodPost:
		return reply(http.StatusMethodNotAllowed, "method not allowed"), Verdict{}
	}
	name := req.PathParameters["source"]
	parser, ok := h.Sources[name]
	if !ok {
		// The path is the sender's: metered under one name, not its own.
		return reply(http.StatusNotFound, "unknown source"), rejectedAs(UnknownSource, ReasonUnknownSource)
	}
	log = log.With("source", name)
	if resp, ok := h.handshake(ctx, parser, req, log); ok {
		// A URL handshake, like Okta's GET, is no webhook: not metered.
		return resp, Verdict{}
	}
	body, status, msg, reason := decodeBody(req)
	if status != 0 {
		log.Info("webhook rejected", "status", status, "reason", msg)
		return reply(status, msg), rejectedAs(name, reason)
	}
	now := h.now()
	evs, err := parser.Parse(ctx, source.Request{Header: header(req.Headers), Query: query(req), Body: body, Now: now})
	switch {
	case errors.Is(err, source.ErrUnauthenticated):
		log.Warn("webhook rejected", "status", 401, "reason", err.Error())
		return rejected(parser, err, http.StatusUnauthorized, "missing or invalid signature"), rejectedAs(name, ReasonBadSignature)
	case errors.Is(err, source.ErrMalformed):
		log.Info("webhook rejected", "status", 400, "reason", err.Error())
		return rejected(parser, err, http.StatusBadRequest, "malformed body"), rejectedAs(name, ReasonMalformed)
	case err != nil:
		// A key server or similar dependency failed: ask for a resend.
		log.Error("webhook not verified", "error", err.Error())
		return reply(http.StatusServiceUnavailable, "temporarily unavailable"), unavailable(name, ReasonVerifierDown)
	}
	acc, reason, err := h.enqueue(ctx, log, evs, now)
	switch {
	case reason == ReasonInvalidEvent:
		log.Info("webhook rejected", "status", 400, "reason", err.Error())
		return rejected(parser, err, http.StatusBadRequest, "malformed body"), rejectedAs(name, reason)
	case err != nil:
		log.Error("webhook not enqueued", "error", err.Error())
		return reply(http.StatusServiceUnavailable, "temporarily unavailable, retry"), unavailable(name, reason)
	}
	return acceptedReply(acceptedStatus(parser), acc), Verdict{Source: name, Accepted: true, Events: len(evs), Enqueued: acc.Enqueued}
}

// Accepted is the body of a 200: how many events the webhook carried, how
// many messages were enqueued, and where each event went. Only ids and
// target names: a sender may log it (`profilesync send` follows the events
// with it).
type Accepted struct {
	Enqueued int      `json:"enqueued"`
	Events   int      `json:"events"`
	Routed   []Routed `json:"routed,omitempty"`
}

// Routed names the targets one event was enqueued for.
type Routed struct {
	EventID string   `json:"event_id"`
	Targets []string `json:"targets"`
}

// route builds one batch per target. An invalid event fails the whole
// request before anything is sent. Every source's events pass here, so
// this is where a sender's clock is held to ours.
func (h *Handler) route(ctx context.Context, log *slog.Logger, evs []profile.Event, now time.Time) (map[string][]Message, []Routed, []ArchivedEvent, int, error) {
	batches := map[string][]Message{}
	routed := make([]Routed, 0, len(evs))
	archived := make([]ArchivedEvent, 0, len(evs))
	n := 0
	for i := range evs {
		e := &evs[i]
		if e.ReceivedAt.IsZero() {
			e.ReceivedAt = now
		}
		if sent := e.OccurredAt; e.ClampFuture() {
			// A sender clock far ahead would make this event outrank every
			// later one of its subject, its erasure included.
			h.Counts.ClockClamped.Add(1)
			log.Warn("event time ahead of receipt; queued at the receipt time", "event_id", e.ID,
				"occurred_at", sent, "received_at", e.ReceivedAt)
		}
		if err := e.Validate(); err != nil {
			return nil, nil, nil, 0, fmt.Errorf("event %d: %w", i, err)
		}
		r := Routed{EventID: e.ID, Targets: []string{}}
		a := ArchivedEvent{Event: *e}
		targets := h.Router.Route(*e)
		bodies, err := profile.MarshalFor(*e, targets)
		if err != nil {
			return nil, nil, nil, 0, fmt.Errorf("event %d: %w", i, err)
		}
		for j, target := range targets {
			m, bare, err := h.message(ctx, log, profile.NewEnvelope(target, *e), bodies[j])
			if err != nil {
				return nil, nil, nil, 0, fmt.Errorf("event %d for %s: %w", i, target, err)
			}
			a.Thinned = a.Thinned || bare
			r.Targets = append(r.Targets, target)
			batch, ok := batches[target]
			if !ok { // most events of a batch go to the same targets: one allocation each
				batch = make([]Message, 0, len(evs)-i)
			}
			m.ID = "m" + strconv.Itoa(len(batch))
			batches[target] = append(batch, m)
			n++
		}
		if a.Thinned {
			a.Event.Profile = nil
		}
		a.Targets = r.Targets
		routed = append(routed, r)
		archived = append(archived, a)
	}
	return batches, routed, archived, n, nil
}

func decodeBody(req events.APIGatewayV2HTTPRequest) ([]byte, int, string, string) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		if len(req.Body) > base64.StdEncoding.EncodedLen(MaxBody)+4 {
			return nil, http.StatusRequestEntityTooLarge, "body too large", ReasonTooLarge
		}
		b, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return nil, http.StatusBadRequest, "malformed body", ReasonMalformed
		}
		body = b
	}
	if len(body) > MaxBody {
		return nil, http.StatusRequestEntityTooLarge, "body too large", ReasonTooLarge
	}
	if len(body) == 0 {
		return nil, http.StatusBadRequest, "empty body", ReasonEmptyBody
	}
	return body, 0, "", ""
}

func header(h map[string]string) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		out.Set(k, v)
	}
	return out
}

func query(req events.APIGatewayV2HTTPRequest) url.Values {
	if req.RawQueryString != "" {
		if q, err := url.ParseQuery(req.RawQueryString); err == nil {
			return q
		}
	}
	q := url.Values{}
	for k, v := range req.QueryStringParameters {
		for _, s := range strings.Split(v, ",") {
			q.Add(k, s)
		}
	}
	return q
}

func reply(status int, msg string) events.APIGatewayV2HTTPResponse {
	return jsonReply(status, map[string]string{"error": msg})
}

func jsonReply(status int, v any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(v)
	return jsonBody(status, b)
}

func jsonBody(status int, b []byte) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(b),
	}
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
