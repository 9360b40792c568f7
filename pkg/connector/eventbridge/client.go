// Package eventbridge is the EventBridge bus connector: instead of writing
// to a back-end it publishes one normalized event per change to an event
// bus, for the customer's own consumers (rules to SQS, Lambda, Step
// Functions, API destinations). An upsert publishes detail-type
// ProfileChanged with the mapped record, a delete ProfileDeleted with the
// key only; both carry the change's id, so consumers can de-duplicate.
//
// Files: config.go (settings and the optional secret), client.go (Upsert,
// Delete, UpsertBatch over PutEvents and the SDK client), errors.go
// (classification of whole-call and per-entry failures). There is no
// sandbox fake: tests run against moto_server, and the local stack has no
// bus to show.
package eventbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/profilesync/profilesync/pkg/awsadapter"
	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
	"github.com/profilesync/profilesync/pkg/profile"
)

// PutEvents limits: at most 10 entries per call, and entries of at most
// 256 KiB together, counted as EventBridge counts them (see entrySize).
const (
	MaxBatch        = 10
	maxRequestBytes = 256 << 10
)

// PutEventsAPI is the part of *eventbridge.Client that Client uses.
type PutEventsAPI interface {
	PutEvents(ctx context.Context, in *awseb.PutEventsInput, optFns ...func(*awseb.Options)) (*awseb.PutEventsOutput, error)
}

// Client publishes records as events on one bus. It is safe for
// concurrent use.
type Client struct {
	settings Settings
	api      PutEventsAPI
}

var _ connector.Batcher = (*Client)(nil)

// New returns a Client for the target called name with its own SDK client
// (see NewAPI), like every connector's New.
func New(name string, s Settings, c Credentials, hc *http.Client) (*Client, error) {
	api, err := NewAPI(context.Background(), c, hc)
	if err != nil {
		return nil, fmt.Errorf("eventbridge target %s: %w", name, err)
	}
	return NewWithAPI(name, s, putEvents(api.PutEvents))
}

// NewWithAPI returns a Client publishing through api: a fake, or an SDK
// client built elsewhere.
func NewWithAPI(name string, s Settings, api PutEventsAPI) (*Client, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("eventbridge target %s: %w", name, err)
	}
	return &Client{settings: s, api: api}, nil
}

// Build decodes a mapping's settings and the secret and returns a Client
// with its own SDK client; it is the registry's constructor. A nil hc gets
// the SDK's default HTTP client.
func Build(name string, settings map[string]any, secret []byte, hc *http.Client) (*Client, error) {
	s, err := DecodeSettings(settings)
	if err != nil {
		return nil, fmt.Errorf("eventbridge target %s settings: %w", name, err)
	}
	c, err := ParseCredentials(secret)
	if err != nil {
		return nil, fmt.Errorf("eventbridge target %s: %w", name, err)
	}
	return New(name, s, c, hc)
}

// NewAPI builds an SDK client from the function's environment (the Lambda
// role; AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_EVENTBRIDGE are honoured; see
// awsadapter.ConfigFromEnv), with c's region and endpoint over those when set.
//
// hc is used as given when it has a Transport of its own (a test's, a
// proxy's). A plain client (the stack hands every connector one with just
// a timeout) becomes the SDK's own client with that timeout instead: it
// honours AWS_CA_BUNDLE, which the SDK refuses to add to a plain client.
func NewAPI(_ context.Context, c Credentials, hc *http.Client) (*awseb.Client, error) {
	cfg, err := awsadapter.ConfigFromEnv(c.Region)
	if errors.Is(err, awsadapter.ErrNoRegion) {
		return nil, fmt.Errorf("%w, or the secret's region", err)
	}
	if err != nil {
		return nil, err
	}
	var own *http.Client
	switch {
	case hc == nil:
	case hc.Transport == nil || hc.Transport == http.DefaultTransport:
		if b, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
			cfg.HTTPClient = b.WithTimeout(hc.Timeout)
		}
	default:
		own = hc
	}
	return awseb.NewFromConfig(cfg, func(o *awseb.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = awssdk.String(c.Endpoint)
		}
		if own != nil {
			o.HTTPClient = own
		}
	}), nil
}

// putEvents hands New the client's one operation as a method value, not
// the client: see pkg/awsadapter/methods.go for why that keeps the rest of the
// EventBridge API out of the binary.
type putEvents func(context.Context, *awseb.PutEventsInput, ...func(*awseb.Options)) (*awseb.PutEventsOutput, error)

func (f putEvents) PutEvents(ctx context.Context, in *awseb.PutEventsInput, optFns ...func(*awseb.Options)) (*awseb.PutEventsOutput, error) {
	return f(ctx, in, optFns...)
}

// Detail is the detail of an upsert's event (ProfileChanged).
type Detail struct {
	Key    string         `json:"key"`
	Event  EventRef       `json:"event"`
	Record map[string]any `json:"record"`
}

// DeletedDetail is the detail of a delete's event (ProfileDeleted).
type DeletedDetail struct {
	Key   string   `json:"key"`
	Event EventRef `json:"event"`
}

// EventRef identifies the change an event reports.
type EventRef struct {
	ID         string            `json:"id"`
	Type       profile.EventType `json:"type"`
	Source     string            `json:"source"`
	OccurredAt time.Time         `json:"occurred_at"`
}

func eventRef(e profile.Event) EventRef {
	return EventRef{ID: e.ID, Type: e.Type, Source: e.Source, OccurredAt: e.OccurredAt}
}

// MaxBatch is the most records one PutEvents call takes.
func (c *Client) MaxBatch() int { return MaxBatch }

// Upsert publishes r as a ProfileChanged event. Result.ID is the event id
// EventBridge assigned.
func (c *Client) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	results, errs := c.UpsertBatch(ctx, []connector.Record{r})
	return results[0], errs[0]
}

// Delete publishes a ProfileDeleted event for r.Key. Publishing it again
// is harmless: consumers de-duplicate on the change's id.
func (c *Client) Delete(ctx context.Context, r connector.Record) error {
	e, err := c.entry(r, c.settings.DeleteDetailType, DeletedDetail{Key: r.Key, Event: eventRef(r.Event)})
	if err == nil {
		_, errs := c.publish(ctx, []connector.Record{r}, []types.PutEventsRequestEntry{e})
		err = errs[0]
	}
	if err != nil {
		return fmt.Errorf("publish delete: %w", err)
	}
	return nil
}

// UpsertBatch publishes one ProfileChanged event per record in PutEvents
// calls of at most 10 entries and 256 KiB, and maps each entry's result
// back to its record: a failed entry fails only its record. A call that
// fails as a whole fails each of its records; after a throttle or refused
// credentials the remaining calls are not sent.
func (c *Client) UpsertBatch(ctx context.Context, rs []connector.Record) ([]connector.Result, []error) {
	entries := make([]types.PutEventsRequestEntry, len(rs))
	results := make([]connector.Result, len(rs))
	errs := make([]error, len(rs))
	for i, r := range rs {
		fields := r.Fields
		if fields == nil {
			fields = map[string]any{}
		}
		entries[i], errs[i] = c.entry(r, c.settings.DetailType, Detail{Key: r.Key, Event: eventRef(r.Event), Record: fields})
	}
	res, perr := c.publish(ctx, rs, entries, errs...)
	for i := range rs {
		results[i] = res[i]
		if perr[i] != nil {
			errs[i] = fmt.Errorf("publish: %w", perr[i])
		}
	}
	return results, errs
}

// entry builds the PutEvents entry for r, or a Permanent error when its
// detail cannot be encoded or is over the size limit on its own.
func (c *Client) entry(r connector.Record, detailType string, detail any) (types.PutEventsRequestEntry, error) {
	b, err := json.Marshal(detail)
	if err != nil {
		return types.PutEventsRequestEntry{}, fault.Wrap(fault.Permanent, fmt.Errorf("encode detail: %w", err))
	}
	e := types.PutEventsRequestEntry{
		EventBusName: awssdk.String(c.settings.BusName),
		Source:       awssdk.String(c.settings.Source),
		DetailType:   awssdk.String(detailType),
		Detail:       awssdk.String(string(b)),
	}
	if !r.Event.OccurredAt.IsZero() {
		e.Time = awssdk.Time(r.Event.OccurredAt)
	}
	if n := entrySize(e); n > maxRequestBytes {
		return types.PutEventsRequestEntry{}, fault.New(fault.Permanent, 0, "EntryTooLarge",
			fmt.Sprintf("event of %d bytes is over EventBridge's %d-byte limit; map fewer fields", n, maxRequestBytes))
	}
	return e, nil
}

// entrySize is an entry's size as EventBridge counts it against the limit:
// 14 bytes for Time, then the UTF-8 bytes of Source, DetailType, Detail and
// each resource.
func entrySize(e types.PutEventsRequestEntry) int {
	n := len(awssdk.ToString(e.Source)) + len(awssdk.ToString(e.DetailType)) + len(awssdk.ToString(e.Detail))
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// publish sends entries (skipping those whose pre-set error is not nil)
// in as few PutEvents calls as the limits allow, and returns a result and
// an error per entry.
func (c *Client) publish(ctx context.Context, rs []connector.Record, entries []types.PutEventsRequestEntry, preset ...error) ([]connector.Result, []error) {
	results := make([]connector.Result, len(entries))
	errs := make([]error, len(entries))
	copy(errs, preset)
	var stop error
	for _, idx := range chunk(entries, errs) {
		if stop != nil {
			for _, i := range idx {
				errs[i] = stop
			}
			continue
		}
		if err := c.call(ctx, rs, entries, idx, results, errs); err != nil {
			if cl := fault.ClassOf(err); cl == fault.Throttled || cl == fault.Auth || ctx.Err() != nil {
				stop = err
			}
		}
	}
	return results, errs
}

// chunk groups the indexes of the entries without an error into calls
// within the entry and byte limits, in order.
func chunk(entries []types.PutEventsRequestEntry, errs []error) [][]int {
	var calls [][]int
	var cur []int
	total := 0
	for i, e := range entries {
		if errs[i] != nil {
			continue
		}
		n := entrySize(e)
		if len(cur) == MaxBatch || (len(cur) > 0 && total+n > maxRequestBytes) {
			calls = append(calls, cur)
			cur, total = nil, 0
		}
		cur = append(cur, i)
		total += n
	}
	if len(cur) > 0 {
		calls = append(calls, cur)
	}
	return calls
}

// call sends entries[idx] in one PutEvents call and fills results and errs
// at those indexes; it returns the error of a call that failed as a whole.
func (c *Client) call(ctx context.Context, rs []connector.Record, entries []types.PutEventsRequestEntry, idx []int, results []connector.Result, errs []error) error {
	in := &awseb.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(idx))}
	var sent []string
	for n, i := range idx {
		in.Entries[n] = entries[i]
		sent = append(sent, redact.SentValues(rs[i].Fields, rs[i].Key)...)
	}
	out, err := c.api.PutEvents(ctx, in)
	if err != nil {
		fe := classifyCall(err, redact.SentValues(nil, sent...))
		for _, i := range idx {
			errs[i] = fe
		}
		return fe
	}
	for n, i := range idx {
		if n >= len(out.Entries) {
			errs[i] = fault.New(fault.Transient, 0, "", "PutEvents returned no result for this entry")
			continue
		}
		res := out.Entries[n]
		if res.ErrorCode == nil && res.EventId != nil {
			results[i] = connector.Result{ID: *res.EventId}
			continue
		}
		errs[i] = classifyEntry(awssdk.ToString(res.ErrorCode), awssdk.ToString(res.ErrorMessage),
			redact.SentValues(rs[i].Fields, rs[i].Key))
	}
	return nil
}
