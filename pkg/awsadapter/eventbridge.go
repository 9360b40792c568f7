package awsadapter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/profilesync/profilesync/pkg/delivery"
)

// NoticeSource is the EventBridge source of every notice; customers' rules
// match on it.
const NoticeSource = "profilesync"

// timeEntryBytes is what EventBridge counts for an entry's Time against the
// request size limit ("Calculating PutEvents event entry size").
const timeEntryBytes = 14

// EventBridgeAPI is the part of *eventbridge.Client that Notices uses.
type EventBridgeAPI interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Notices is the delivery.Notifier over EventBridge: one event per notice
// on one bus, source "profilesync", detail-type the notice's Type, detail
// the notice as JSON (ids only, no profile data).
type Notices struct {
	client EventBridgeAPI
	bus    string
}

var _ delivery.Notifier = (*Notices)(nil)

// NewNotices returns Notices publishing on the bus named bus (the EVENT_BUS
// environment variable of the sync functions).
func NewNotices(client EventBridgeAPI, bus string) *Notices {
	return &Notices{client: client, bus: bus}
}

// Notify publishes ns in PutEvents calls of at most 10 entries and 256 KiB
// (the limits SQS batches share, so chunk serves both). Entries EventBridge
// refuses are sent once more; what still fails, and calls that fail
// outright, are reported together after every call was tried. Errors carry
// counts and EventBridge error codes, never notice contents.
func (n *Notices) Notify(ctx context.Context, ns []delivery.Notice) error {
	entries := make([]types.PutEventsRequestEntry, len(ns))
	sizes := make([]int, len(ns))
	for i, nt := range ns {
		e, size, err := n.entry(nt)
		if err != nil {
			return fmt.Errorf("eventbridge notices: notice %d of %d: %w", i+1, len(ns), err)
		}
		entries[i], sizes[i] = e, size
	}
	var (
		failed  = map[string]int{} // error code → entries
		callErr []error
	)
	for _, c := range chunk(sizes) {
		if err := n.put(ctx, entries[c.from:c.to], failed); err != nil {
			callErr = append(callErr, fmt.Errorf("notices %d-%d: %w", c.from+1, c.to, err))
		}
	}
	if len(failed) == 0 && len(callErr) == 0 {
		return nil
	}
	return &NoticeError{Total: len(ns), Failed: failed, Calls: callErr}
}

// put sends one batch, then its refused entries once more, and counts what
// is still refused in failed. A call that fails outright counts all of its
// entries under the code "call failed".
func (n *Notices) put(ctx context.Context, batch []types.PutEventsRequestEntry, failed map[string]int) error {
	refused, _, err := n.send(ctx, batch)
	if err != nil {
		failed[codeCallFailed] += len(batch)
		return err
	}
	if len(refused) == 0 {
		return nil
	}
	retry := make([]types.PutEventsRequestEntry, len(refused))
	for i, idx := range refused {
		retry[i] = batch[idx]
	}
	refused, codes, err := n.send(ctx, retry)
	if err != nil {
		failed[codeCallFailed] += len(retry)
		return fmt.Errorf("retry of %d refused entries: %w", len(retry), err)
	}
	for i := range refused {
		failed[codes[i]]++
	}
	return nil
}

const codeCallFailed = "call failed"

// send makes one PutEvents call and returns the indexes (in batch) of the
// entries EventBridge refused, with their error codes.
func (n *Notices) send(ctx context.Context, batch []types.PutEventsRequestEntry) ([]int, []string, error) {
	out, err := n.client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: batch})
	if err != nil {
		return nil, nil, err
	}
	if out.FailedEntryCount == 0 {
		return nil, nil, nil
	}
	var idx []int
	var codes []string
	if len(out.Entries) == len(batch) {
		for i, r := range out.Entries {
			if r.ErrorCode != nil {
				idx = append(idx, i)
				codes = append(codes, awssdk.ToString(r.ErrorCode))
			}
		}
	}
	if len(idx) == 0 {
		// FailedEntryCount without entries saying which: count the whole
		// batch as refused rather than guess which got through.
		for i := range batch {
			idx = append(idx, i)
			codes = append(codes, "unreported")
		}
	}
	return idx, codes, nil
}

// entry converts a notice and returns the bytes EventBridge counts for it.
func (n *Notices) entry(nt delivery.Notice) (types.PutEventsRequestEntry, int, error) {
	if nt.Type == "" {
		return types.PutEventsRequestEntry{}, 0, errors.New("no Type (detail-type)")
	}
	detail, err := json.Marshal(nt)
	if err != nil {
		return types.PutEventsRequestEntry{}, 0, err
	}
	e := types.PutEventsRequestEntry{
		EventBusName: awssdk.String(n.bus),
		Source:       awssdk.String(NoticeSource),
		DetailType:   awssdk.String(nt.Type),
		Detail:       awssdk.String(string(detail)),
	}
	size := len(NoticeSource) + len(nt.Type) + len(detail)
	if !nt.At.IsZero() {
		at := nt.At
		e.Time = &at
		size += timeEntryBytes
	}
	return e, size, nil
}

// NoticeError reports notices EventBridge did not take.
type NoticeError struct {
	Total  int
	Failed map[string]int // EventBridge error code → notices
	Calls  []error        // PutEvents calls that failed outright
}

func (e *NoticeError) Error() string {
	n := 0
	parts := make([]string, 0, len(e.Failed))
	for code, c := range e.Failed {
		n += c
		parts = append(parts, fmt.Sprintf("%d× %s", c, code))
	}
	sort.Strings(parts)
	msg := fmt.Sprintf("eventbridge notices: %d of %d not published: %s", n, e.Total, strings.Join(parts, ", "))
	if err := errors.Join(e.Calls...); err != nil {
		msg += "; " + strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return msg
}

// Unwrap exposes the failed calls' errors (context cancellation, say).
func (e *NoticeError) Unwrap() []error { return e.Calls }
