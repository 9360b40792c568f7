package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"
	"net/http"
	"strconv"
	"strings"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// MaxBatch is the most records one sObject Collections upsert takes.
const MaxBatch = 200

// collectionsSince is the first API version with the Collections upsert.
const collectionsSince = 46

// codeRolledBack marks a record that was valid but undone because another
// record of an allOrNone call failed.
const codeRolledBack = "ALL_OR_NONE_OPERATION_ROLLED_BACK"

var _ connector.Batcher = (*Client)(nil)

// MaxBatch is the most records one UpsertBatch call sends at once.
func (c *Client) MaxBatch() int { return MaxBatch }

// UpsertBatch upserts rs with sObject Collections upserts of up to
// MaxBatch records (allOrNone false, so one bad record does not hold back
// the others), and maps each record's UpsertResult back to results[i] and
// errs[i]. A call that fails as a whole (401 after one refresh, 403
// REQUEST_LIMIT_EXCEEDED, 5xx, 400) fails each of its records with the
// same class. After a throttle or refused credentials the remaining calls
// are not sent: they would fail alike and burn quota.
//
// Records sharing a key go to different calls, in their order: Salesforce
// refuses a call that names one External ID twice. Before API v46.0,
// which has no Collections, each record is upserted on its own.
func (c *Client) UpsertBatch(ctx context.Context, rs []connector.Record) ([]connector.Result, []error) {
	results := make([]connector.Result, len(rs))
	errs := make([]error, len(rs))
	if !c.hasCollections() {
		for i, r := range rs {
			results[i], errs[i] = c.Upsert(ctx, r)
		}
		return results, errs
	}
	var stop error
	for _, idx := range c.plan(rs, errs) {
		if stop != nil {
			for _, i := range idx {
				errs[i] = c.recordError(rs[i], stop)
			}
			continue
		}
		if err := c.upsertCall(ctx, rs, idx, results, errs); err != nil {
			if cl := fault.ClassOf(err); cl == fault.Throttled || cl == fault.Auth || ctx.Err() != nil {
				stop = err
			}
		}
	}
	return results, errs
}

func (c *Client) hasCollections() bool {
	v, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(c.settings.APIVersion, ".", 2)[0], "v"))
	return v >= collectionsSince
}

// plan groups the indexes of rs into calls of at most MaxBatch records, in
// order, no call holding one key twice (External IDs match
// case-insensitively unless the field is marked case-sensitive, so keys are
// compared that way). Records without a key get their error in errs and
// join no call.
func (c *Client) plan(rs []connector.Record, errs []error) [][]int {
	var calls [][]int
	last := map[string]int{} // key -> the call its latest record joined
	for i, r := range rs {
		if r.Key == "" {
			errs[i] = fault.New(fault.Permanent, 0, "", "an empty record key cannot name a Salesforce record")
			continue
		}
		k := strings.ToLower(r.Key)
		j := 0
		if prev, ok := last[k]; ok {
			j = prev + 1
		}
		for j < len(calls) && len(calls[j]) >= MaxBatch {
			j++
		}
		if j == len(calls) {
			calls = append(calls, nil)
		}
		calls[j] = append(calls[j], i)
		last[k] = j
	}
	return calls
}

// collectionResult is one UpsertResult of a Collections upsert.
type collectionResult struct {
	ID      string            `json:"id"`
	Success bool              `json:"success"`
	Created bool              `json:"created"`
	Errors  []collectionError `json:"errors"`
}

// collectionError is a per-record error; Collections name the code
// statusCode where the other endpoints say errorCode.
type collectionError struct {
	StatusCode string   `json:"statusCode"`
	Message    string   `json:"message"`
	Fields     []string `json:"fields"`
}

// upsertCall sends rs[idx] in one Collections upsert and fills results and
// errs at those indexes. It returns the error of a call that failed as a
// whole, after recording it for each record.
func (c *Client) upsertCall(ctx context.Context, rs []connector.Record, idx []int, results []connector.Result, errs []error) error {
	records := make([]map[string]any, len(idx))
	var sent []string
	for n, i := range idx {
		m := c.body(rs[i].Fields)
		m["attributes"] = map[string]string{"type": c.settings.Object}
		m[c.settings.ExternalIDField] = rs[i].Key
		records[n] = m
		sent = append(sent, redact.SentValues(rs[i].Fields, rs[i].Key)...)
	}
	body, err := json.Marshal(map[string]any{"allOrNone": false, "records": records})
	if err != nil {
		return c.failAll(rs, idx, errs, fault.Wrap(fault.Permanent, fmt.Errorf("encode fields: %w", err)))
	}
	path := "/services/data/" + c.settings.APIVersion + "/composite/sobjects/" +
		c.settings.Object + "/" + c.settings.ExternalIDField // both API names, nothing to escape
	status, h, resp, err := c.call(ctx, http.MethodPatch, path, body)
	if err != nil {
		return c.failAll(rs, idx, errs, err)
	}
	if status != http.StatusOK {
		return c.failAll(rs, idx, errs, classify(status, h, resp, sortLongestFirst(sent)))
	}
	var out []collectionResult
	if err := json.Unmarshal(resp, &out); err != nil {
		// The call went through, but we cannot tell which records did;
		// upserts are idempotent, so sending them again is safe.
		return c.failAll(rs, idx, errs, fault.New(fault.Transient, status, "", "Collections upsert answered 200 without a result array"))
	}
	for n, i := range idx {
		switch {
		case n >= len(out):
			errs[i] = c.recordError(rs[i], fault.New(fault.Transient, status, "", "Collections upsert returned no result for this record"))
		case out[n].Success:
			results[i] = connector.Result{ID: out[n].ID, Created: out[n].Created}
		default:
			errs[i] = c.recordError(rs[i], classifyRecord(out[n].Errors, redact.SentValues(rs[i].Fields, rs[i].Key)))
		}
	}
	return nil
}

// failAll gives every record in idx err and returns it.
func (c *Client) failAll(rs []connector.Record, idx []int, errs []error, err error) error {
	for _, i := range idx {
		errs[i] = c.recordError(rs[i], err)
	}
	return err
}

func (c *Client) recordError(r connector.Record, err error) error {
	return fmt.Errorf("upsert %s: %w", c.settings.Object, err)
}

// classifyRecord classifies one record's errors in a Collections result.
// Row-lock contention and a rollback caused by another record are worth
// retrying; everything else (validation rules, required or unknown fields,
// duplicates) needs the data or the org fixed.
func classifyRecord(errs []collectionError, sent []string) *fault.Error {
	api := make([]apiError, len(errs))
	for i, e := range errs {
		api[i] = apiError{Message: e.Message, ErrorCode: e.StatusCode, Fields: e.Fields}
	}
	code, msg := summarize(api)
	e := fault.New(fault.Permanent, 0, code, redact.Message(msg, sent, maxMessage))
	switch {
	case len(api) == 0:
		e.Class, e.Message = fault.Transient, "Collections upsert reported a failure without errors"
	case isLockContention(api):
		e.Class, e.Code = fault.Transient, codeLockRow
	case allCodes(api, codeRolledBack):
		e.Class = fault.Transient
	case hasCode(api, codeLimitExceeded):
		e.Class, e.RetryAfter = fault.Throttled, LimitRetryAfter
	}
	return e
}

func allCodes(errs []apiError, code string) bool {
	for _, e := range errs {
		if e.ErrorCode != code {
			return false
		}
	}
	return len(errs) > 0
}

// sortLongestFirst orders sent values for connector.Redact, which needs the
// longest first; concatenating several records' SentValues breaks that.
func sortLongestFirst(vs []string) []string {
	return redact.SentValues(nil, vs...)
}
