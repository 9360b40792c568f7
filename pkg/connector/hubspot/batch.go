package hubspot

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/profilesync/profilesync/pkg/redact"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/fault"
)

// MaxBatch is the most inputs HubSpot's batch upsert takes in one call.
const MaxBatch = 100

// MaxBatch is the most records one UpsertBatch call sends at once.
func (c *Client) MaxBatch() int { return MaxBatch }

// Upsert creates or updates the contact whose id_property is r.Key: a
// batch of one.
func (c *Client) Upsert(ctx context.Context, r connector.Record) (connector.Result, error) {
	res, errs := c.UpsertBatch(ctx, []connector.Record{r})
	return res[0], errs[0]
}

// input is one contact of a batch call and the records it stands for.
type input struct {
	key   string
	props map[string]string
	idx   []int    // positions in the caller's records
	sent  []string // the values sent, for redaction
}

// upsertRequest is the batch/upsert body.
type upsertRequest struct {
	Inputs []upsertInput `json:"inputs"`
}

type upsertInput struct {
	ID                 string            `json:"id"`
	IDProperty         string            `json:"idProperty"`
	Properties         map[string]string `json:"properties"`
	ObjectWriteTraceID string            `json:"objectWriteTraceId"`
}

// UpsertBatch upserts rs in calls of at most MaxBatch contacts. Records with
// the same key are merged in order (later values win, as sequential
// upserts would leave them) because HubSpot refuses a batch with duplicate
// ids; they share one result. A 207 answer's per-input errors fail only
// their records. A whole call refused with 400 or 409 (HubSpot refuses a
// batch for one input's invalid value without naming the input) is resent
// one contact per call, so only the bad record fails.
func (c *Client) UpsertBatch(ctx context.Context, rs []connector.Record) ([]connector.Result, []error) {
	results := make([]connector.Result, len(rs))
	errs := make([]error, len(rs))
	inputs := c.group(rs, errs)
	for start := 0; start < len(inputs); start += MaxBatch {
		c.upsertChunk(ctx, inputs[start:min(start+MaxBatch, len(inputs))], results, errs, true)
	}
	return results, errs
}

// group validates rs and merges records by key; invalid records get their
// error in errs and no input.
func (c *Client) group(rs []connector.Record, errs []error) []*input {
	byKey := map[string]*input{}
	var out []*input
	for i, r := range rs {
		if err := checkKey(r.Key); err != nil {
			errs[i] = err
			continue
		}
		props, err := c.properties(r.Fields)
		if err != nil {
			errs[i] = fmt.Errorf("upsert contact: %w", err)
			continue
		}
		in := byKey[r.Key]
		if in == nil {
			in = &input{key: r.Key, props: map[string]string{}}
			byKey[r.Key] = in
			out = append(out, in)
		}
		maps.Copy(in.props, props)
		in.idx = append(in.idx, i)
		in.sent = append(in.sent, redact.SentValues(r.Fields, r.Key)...)
	}
	return out
}

// properties turns mapped fields into HubSpot property values, which are
// strings ("" clears a property). The id property and hs_object_id are
// dropped: the contact is addressed by the input's id.
func (c *Client) properties(fields map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(fields))
	for name, v := range fields {
		if name == c.settings.IDProperty || name == "hs_object_id" {
			continue
		}
		if !propertyRE.MatchString(name) {
			return nil, fault.New(fault.Permanent, 0, "", fmt.Sprintf("field %q is not a HubSpot property internal name (lower case, digits, underscores)", name))
		}
		s, ok := propertyValue(v)
		if !ok {
			return nil, fault.New(fault.Permanent, 0, "", fmt.Sprintf("field %q: HubSpot properties are flat; a nested value cannot be sent", name))
		}
		out[name] = s
	}
	return out, nil
}

// propertyValue formats v as HubSpot expects: booleans "true"/"false",
// numbers without exponent, times in ISO 8601, lists ";"-joined (multiple
// checkboxes).
func propertyValue(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, json.Number:
		return fmt.Sprint(x), true
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano), true
	case []string:
		return strings.Join(x, ";"), true
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := propertyValue(e)
			if !ok {
				return "", false
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ";"), true
	}
	return "", false
}

func traceID(i int) string { return "ps-" + strconv.Itoa(i) }

// upsertChunk sends one batch call for chunk and records each input's
// outcome in results and errs; split allows resending one by one.
func (c *Client) upsertChunk(ctx context.Context, chunk []*input, results []connector.Result, errs []error, split bool) {
	req := upsertRequest{Inputs: make([]upsertInput, len(chunk))}
	var sent []string
	for i, in := range chunk {
		req.Inputs[i] = upsertInput{ID: in.key, IDProperty: c.settings.IDProperty, Properties: in.props, ObjectWriteTraceID: traceID(i)}
		sent = append(sent, in.sent...)
	}
	status, h, resp, err := c.call(ctx, http.MethodPost, upsertPath, nil, req)
	if err == nil && (status == http.StatusOK || status == http.StatusCreated || status == http.StatusMultiStatus) {
		c.mapResults(chunk, resp, results, errs)
		return
	}
	if err == nil {
		fe := classify(status, h, resp, sent)
		if split && len(chunk) > 1 && (status == http.StatusBadRequest || status == http.StatusConflict) {
			for _, in := range chunk {
				c.upsertChunk(ctx, []*input{in}, results, errs, false)
			}
			return
		}
		err = fe
	}
	for _, in := range chunk {
		fail(in, errs, err)
	}
}

func fail(in *input, errs []error, err error) {
	for _, i := range in.idx {
		errs[i] = fmt.Errorf("upsert contact: %w", err)
	}
}

// batchResponse is a 200/207 batch/upsert answer.
type batchResponse struct {
	Results []struct {
		ID                 string         `json:"id"`
		New                bool           `json:"new"`
		Properties         map[string]any `json:"properties"`
		ObjectWriteTraceID string         `json:"objectWriteTraceId"`
	} `json:"results"`
	Errors []apiError `json:"errors"`
}

// mapResults matches results to inputs by objectWriteTraceId, else by the
// id property's value; errors by the ids in their context (or a trace id).
// An input with neither gets a Transient error, so it is retried alone.
func (c *Client) mapResults(chunk []*input, body []byte, results []connector.Result, errs []error) {
	var br batchResponse
	if err := json.Unmarshal(body, &br); err != nil {
		for _, in := range chunk {
			fail(in, errs, fault.New(fault.Transient, http.StatusOK, "", "unreadable batch answer"))
		}
		return
	}
	byTrace := make(map[string]*input, len(chunk))
	byKey := make(map[string]*input, len(chunk))
	for i, in := range chunk {
		byTrace[traceID(i)] = in
		byKey[in.key] = in
	}
	done := map[*input]bool{}
	for _, res := range br.Results {
		in := byTrace[res.ObjectWriteTraceID]
		if in == nil {
			key, _ := res.Properties[c.settings.IDProperty].(string)
			in = byKey[key]
		}
		if in == nil || done[in] {
			continue
		}
		done[in] = true
		for _, i := range in.idx {
			results[i] = connector.Result{ID: res.ID, Created: res.New}
		}
	}
	for _, e := range br.Errors {
		for _, in := range itemInputs(e, byKey, byTrace) {
			if !done[in] {
				done[in] = true
				fail(in, errs, classifyItem(e, in.sent))
			}
		}
	}
	for _, in := range chunk {
		if !done[in] {
			fail(in, errs, fault.New(fault.Transient, http.StatusMultiStatus, "", "HubSpot answered neither a result nor an error for this input"))
		}
	}
}

// itemInputs finds the inputs an error item is about.
func itemInputs(e apiError, byKey, byTrace map[string]*input) []*input {
	var out []*input
	for _, id := range e.contextStrings("ids") {
		if in := byKey[id]; in != nil {
			out = append(out, in)
		}
	}
	traces := append(e.contextStrings("objectWriteTraceId"), e.ObjectWriteTraceID)
	for _, t := range traces {
		if in := byTrace[t]; in != nil {
			out = append(out, in)
		}
	}
	return out
}
