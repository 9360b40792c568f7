package auth0

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source"
)

// logTypes maps tenant log event codes to profile events; sapi is decided
// by its request (sapiType). Other codes yield no events.
var logTypes = map[string]profile.EventType{
	"ss":   profile.Created,
	"sce":  profile.Updated,
	"scu":  profile.Updated,
	"scpn": profile.Updated,
	"sv":   profile.Updated,
	"sdu":  profile.Deleted,
	"du":   profile.Deleted,
}

// streamTypes maps Event Streams types, in both spellings Auth0 documents.
var streamTypes = map[string]profile.EventType{
	"user.created": profile.Created, "com.auth0.user.created": profile.Created,
	"user.updated": profile.Updated, "com.auth0.user.updated": profile.Updated,
	"user.deleted": profile.Deleted, "com.auth0.user.deleted": profile.Deleted,
}

const usersPath = "/api/v2/users"

// Parser verifies and decodes one source's deliveries. It is safe for
// concurrent use.
type Parser struct {
	name string
	cfg  Config
}

var _ source.Parser = (*Parser)(nil)

// NewParser returns a Parser for the source instance name.
func NewParser(name string, cfg Config) (*Parser, error) {
	if err := cfg.normalize(); err != nil {
		return nil, err
	}
	return &Parser{name: name, cfg: cfg}, nil
}

// record is one log stream record ({"log_id","data"}) or one CloudEvent
// ({"specversion","id","type","time","data":{"object"}}), read in one pass.
type record struct {
	LogID       string `json:"log_id"`
	SpecVersion string `json:"specversion"`
	ID          string `json:"id"`
	Type        string `json:"type"`
	Time        string `json:"time"`
	Data        struct {
		Date     string     `json:"date"`
		Type     string     `json:"type"`
		ClientID string     `json:"client_id"`
		UserID   string     `json:"user_id"`
		LogID    string     `json:"log_id"`
		Details  apiCall    `json:"details"`
		Object   *auth0User `json:"object"`
	} `json:"data"`
}

// Parse implements source.Parser.
func (p *Parser) Parse(_ context.Context, req source.Request) ([]profile.Event, error) {
	if err := p.authenticate(req.Header); err != nil {
		return nil, err
	}
	buf := recordBufs.Get().(*[]record)
	defer putRecords(buf)
	recs, err := decodeRecords((*buf)[:0], req.Body)
	if cap(recs) > cap(*buf) {
		*buf = recs[:0]
	}
	if err != nil {
		return nil, p.malformed("decode body: %v", err)
	}
	out := make([]profile.Event, 0, len(recs))
	for i := range recs {
		e, ok, err := p.event(&recs[i], req.Now)
		if err != nil {
			return nil, p.malformed("record %d: %v", i, err)
		}
		if !ok {
			continue
		}
		// An id or subject that is no key (a sapi path's %80, a user_id
		// of invalid UTF-8) is the sender's fault, known here: say so as
		// ErrMalformed rather than hand the ingress an event it refuses.
		// Validate names the field, never its value.
		if err := e.Validate(); err != nil {
			return nil, p.malformed("record %d: %v", i, err)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, nil // a batch of logins and the like changes no profile
	}
	return out, nil
}

// recordBufs keeps the record slices of finished deliveries for the
// next: decoded into a fresh slice, a log batch grew (and copied) it at
// every power of two, a sixth of what the ingress allocated for it. The
// events copy what they keep, so a record is dead once Parse returns.
var recordBufs = sync.Pool{New: func() any { return new([]record) }}

// maxPooled bounds the slices kept: one outsized delivery's is left to
// the garbage collector rather than pinned.
const maxPooled = 256

func putRecords(buf *[]record) {
	if cap(*buf) > maxPooled {
		return
	}
	// encoding/json decodes into the elements it finds: they must be zero.
	clear((*buf)[:cap(*buf)])
	recordBufs.Put(buf)
}

// decodeRecords reads a JSON array (JSONARRAY), or one or more objects
// (JSONOBJECT, JSONLINES), into recs, an empty slice of zero records.
func decodeRecords(recs []record, body []byte) ([]record, error) {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) > 0 && b[0] == '[' {
		return recs, detailsTolerated(json.Unmarshal(b, &recs))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var r record
		err := detailsTolerated(dec.Decode(&r))
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return recs, errors.New("no records")
	}
	return recs, nil
}

// detailsTolerated drops a type error inside a record's details: only a
// Management API call's details are read (apiCall), and another log
// type's details may hold anything. encoding/json decodes everything else
// before it reports such an error.
func detailsTolerated(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && (te.Field == "data.details" || strings.HasPrefix(te.Field, "data.details.")) {
		return nil
	}
	return err
}

// apiCall is what a Management API call's log record (sapi) says of
// the call: decoded with the record, in the one pass over the body.
type apiCall struct {
	Request struct { // a value: a missing request has no path, so no user either
		Method string `json:"method"`
		Path   string `json:"path"`
	} `json:"request"`
	Response *struct {
		StatusCode int `json:"statusCode"`
		Body       struct {
			UserID string `json:"user_id"`
		} `json:"body"`
	} `json:"response"`
}

// event turns one record into an event; ok is false for a record that
// changes no profile.
func (p *Parser) event(r *record, now time.Time) (profile.Event, bool, error) {
	e := profile.Event{Source: p.name, ReceivedAt: now, Environment: p.cfg.Environment}
	if r.SpecVersion != "" { // Event Streams
		typ, ok := streamTypes[r.Type]
		if !ok {
			return e, false, nil
		}
		if r.ID == "" || r.Data.Object == nil || r.Data.Object.UserID == "" {
			return e, false, fmt.Errorf("%s without id or data.object.user_id", r.Type)
		}
		e.ID, e.Type, e.Subject, e.SourceType = r.ID, typ, r.Data.Object.UserID, r.Type
		e.OccurredAt = parseTime(r.Time, now)
		if typ != profile.Deleted {
			e.Profile = r.Data.Object.profile()
		}
		return e, true, nil
	}
	d := &r.Data
	e.ID = r.LogID
	if e.ID == "" {
		e.ID = d.LogID
	}
	e.SourceType, e.ClientID, e.Subject = d.Type, d.ClientID, d.UserID
	e.OccurredAt = parseTime(d.Date, now)
	typ, ok := logTypes[d.Type]
	if d.Type == "sapi" {
		var sub string
		if typ, sub, ok = sapi(&d.Details); !ok {
			return e, false, nil
		}
		if sub != "" {
			e.Subject = sub
		}
		if e.Subject == "" || e.ID == "" {
			return e, false, nil // a Management API call we cannot attribute
		}
	}
	if !ok {
		return e, false, nil
	}
	if e.ID == "" || e.Subject == "" {
		return e, false, fmt.Errorf("%s without log_id or user_id", d.Type)
	}
	e.Type = typ
	return e, true, nil
}

// sapi decides a Management API log: which user operation it was, and
// on whom (from the path, or the created user in the response).
func sapi(d *apiCall) (profile.EventType, string, bool) {
	if d.Response != nil && d.Response.StatusCode >= 300 {
		return "", "", false
	}
	path, _, _ := strings.Cut(d.Request.Path, "?")
	method := strings.ToUpper(d.Request.Method)
	if strings.TrimSuffix(path, "/") == usersPath {
		if method == "POST" && d.Response != nil {
			return profile.Created, d.Response.Body.UserID, true
		}
		return "", "", false
	}
	rest, ok := strings.CutPrefix(path, usersPath+"/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", "", false // another resource, or a user's sub-resource (roles, …)
	}
	id, err := url.PathUnescape(rest)
	if err != nil {
		return "", "", false
	}
	switch method {
	case "PATCH", "PUT":
		return profile.Updated, id, true
	case "DELETE":
		return profile.Deleted, id, true
	}
	return "", "", false
}

func parseTime(s string, fallback time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	return fallback
}

func (p *Parser) malformed(format string, args ...any) error {
	return fmt.Errorf("auth0 %s: %s: %w", p.name, fmt.Sprintf(format, args...), source.ErrMalformed)
}
