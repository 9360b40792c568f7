package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	targetreg "github.com/profilesync/profilesync/pkg/connector/registry"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
)

const mappingHelp = `
Usage: profilesync mapping test TARGET --profile FILE [flags]

Provision on demand, as a dry run: decide what TARGET does with one event
for the profile in FILE (canonical profile JSON), print the decision, the
record the target would receive, and the exact HTTP requests its connector
sends. The connector runs for real, with the sandbox's development secret,
against an in-process copy of the sandbox fakes: nothing leaves this
machine. Authorization headers and secrets in bodies are redacted.
Mappings come from ./mappings when it exists, else the built-in ones.`

func runMapping(ctx context.Context, c *cli, args []string) error {
	f := newFlags("mapping", mappingHelp)
	profileFile := f.String("profile", "", "`FILE` with the canonical profile (JSON)")
	eventType := f.String("event", "updated", "event `TYPE`: created, updated, deleted, consent_granted, consent_revoked")
	env := f.String("env", "", "the event's `ENVIRONMENT` (selects environments.<E> overrides)")
	client := f.String("client", "", "the event's client `ID` (selects clients.<C> overrides)")
	source := f.String("source", "", "the event's `SOURCE` (default: the first the mapping lists, else cidaas)")
	purpose := f.String("purpose", "", "consent `PURPOSE` of a consent event (default: the target's required one)")
	dir := f.String("mappings", "", "mapping files `dir`ectory (default ./mappings, else built in)")
	f.StringVar(dir, "dir", "", "the same as --mappings (older name)")
	pos, err := f.parse(c, args, 2, 2)
	if err != nil {
		return err
	}
	if pos[0] != "test" {
		return f.usageErr("unknown subcommand %q (want test)", pos[0])
	}
	if *profileFile == "" {
		return f.usageErr("--profile is required")
	}
	typ := profile.EventType(*eventType)
	if !typ.Valid() {
		return f.usageErr("--event %q: want one of %v", *eventType, profile.EventTypes)
	}
	var dirs []string
	if *dir != "" {
		dirs = []string{*dir}
	}
	fsys, _, _, err := mappingDir(dirs)
	if err != nil {
		return f.usageErr("%v", err)
	}
	set, err := plugins.All.LoadMappings(fsys, ".")
	if err != nil {
		return err
	}
	m := set.Get(pos[1])
	if m == nil {
		var names []string
		for _, x := range set.All() {
			names = append(names, x.Name)
		}
		return f.usageErr("no mapping for target %q; have %s", pos[1], strings.Join(names, ", "))
	}
	p, err := readProfile(*profileFile)
	if err != nil {
		return err
	}
	e := testEvent(m, p, typ, *env, *client, *source, *purpose)
	d, err := m.Decide(e, e.Profile)
	if err != nil {
		return fmt.Errorf("decide: %w", err)
	}
	printDecision(c, m, e, d)
	return dryRun(ctx, c, m, e, d)
}

func readProfile(file string) (*profile.Profile, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var p profile.Profile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: not a canonical profile: %w", file, err)
	}
	if p.Sub == "" {
		return nil, fmt.Errorf("%s: profile has no sub", file)
	}
	return &p, nil
}

func testEvent(m *mapping.Mapping, p *profile.Profile, typ profile.EventType, env, client, source, purpose string) profile.Event {
	r := m.Resolve(env, client)
	if source == "" {
		source = "cidaas"
		if len(r.Sources) > 0 {
			source = r.Sources[0]
		}
	}
	if purpose == "" && (typ == profile.ConsentGranted || typ == profile.ConsentRevoked) {
		purpose = "newsletter"
		if r.Consent != nil {
			purpose = r.Consent.Purpose
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	e := profile.Event{ID: "mapping-test-" + now.Format("20060102T150405Z"), Source: source, Type: typ,
		Subject: p.Sub, OccurredAt: now, ReceivedAt: now, Environment: env, ClientID: client, Purpose: purpose, Profile: p}
	if typ == profile.Deleted {
		e.Profile = nil
	}
	return e
}

func printDecision(c *cli, m *mapping.Mapping, e profile.Event, d mapping.Decision) {
	fmt.Fprintf(c.stdout, "Target:   %s (%s connector, %s)\n", m.Name, m.Connector, m.File)
	fmt.Fprintf(c.stdout, "Event:    %s from %s, environment %q, client %q", e.Type, e.Source, e.Environment, e.ClientID)
	if e.Purpose != "" {
		fmt.Fprintf(c.stdout, ", purpose %q", e.Purpose)
	}
	fmt.Fprintf(c.stdout, "\nDecision: %s (%s): %s\n", d.Action, d.Cause, d.Reason)
	if d.IfPresent {
		fmt.Fprintln(c.stdout, "          only if the target already holds a live record of this subject; else nothing is sent")
	}
	if d.Action == mapping.Skip {
		return
	}
	fmt.Fprintf(c.stdout, "Key:      %s\n", d.Key)
	if d.Action == mapping.Upsert {
		b, _ := json.MarshalIndent(d.Fields, "", "  ")
		fmt.Fprintf(c.stdout, "Record:\n%s\n", b)
	}
}

// dryRun runs the target's real connector against the sandbox fakes in
// this process and prints the requests it sent.
func dryRun(ctx context.Context, c *cli, m *mapping.Mapping, e profile.Event, d mapping.Decision) error {
	if d.Action == mapping.Skip {
		fmt.Fprintln(c.stdout, "\nNo HTTP request: nothing to send.")
		return nil
	}
	sb, err := sandbox.New()
	if err != nil {
		return err
	}
	rec := &requestLog{next: sb}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	secret, ok := sandbox.DevSecrets(srv.URL)[m.Secret]
	if !ok {
		fmt.Fprintf(c.stdout, "\nNo HTTP request shown: the sandbox has no development secret %q.\n", m.Secret)
		return nil
	}
	kind, ok := targetreg.Lookup(m.Connector)
	if !ok {
		return fmt.Errorf("unknown connector %q", m.Connector)
	}
	conn, err := kind.New(m.Name, m.Settings, secret, egress.Client(egress.Local, 10*time.Second)) // the sandbox is on loopback
	if err != nil {
		return err
	}
	r := connector.Record{Key: d.Key, Fields: d.Fields, Event: e}
	if d.Action == mapping.Delete {
		err = conn.Delete(ctx, r)
	} else {
		_, err = conn.Upsert(ctx, r)
	}
	for i, x := range rec.all() {
		fmt.Fprintf(c.stdout, "\nHTTP request %d (dry run: sent to an in-process sandbox, not to %s):\n", i+1, m.Connector)
		x.print(c.stdout)
	}
	if err != nil {
		fmt.Fprintf(c.stdout, "\nThe sandbox refused it: %v\n", err)
		return errReported
	}
	return nil
}

// requestLog records every request before the sandbox answers it.
type requestLog struct {
	next http.Handler
	mu   sync.Mutex
	reqs []*sentRequest
}

type sentRequest struct {
	method, url string
	header      http.Header
	body        []byte
	status      int
}

func (l *requestLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	sr := &sentRequest{method: r.Method, url: u.String(), header: r.Header.Clone(), body: body}
	l.mu.Lock()
	l.reqs = append(l.reqs, sr)
	l.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	l.next.ServeHTTP(sw, r)
	l.mu.Lock()
	sr.status = sw.status
	l.mu.Unlock()
}

func (l *requestLog) all() []*sentRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*sentRequest(nil), l.reqs...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// secretForm are form fields whose values never get printed.
var secretForm = []string{"client_secret", "password", "client_assertion", "refresh_token", "assertion"}

func (r *sentRequest) print(w io.Writer) {
	fmt.Fprintf(w, "%s %s\n", r.method, r.url)
	names := make([]string, 0, len(r.header))
	for k := range r.header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := strings.Join(r.header[k], ", ")
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Cookie", "Proxy-Authorization":
			v = "[redacted]"
		}
		fmt.Fprintf(w, "%s: %s\n", k, v)
	}
	body := r.body
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil {
			for _, k := range secretForm {
				if form.Has(k) {
					form.Set(k, "[redacted]")
				}
			}
			body = []byte(strings.ReplaceAll(form.Encode(), "%5Bredacted%5D", "[redacted]"))
		}
	}
	if len(body) > 0 {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
		fmt.Fprintf(w, "\n%s\n", body)
	}
	fmt.Fprintf(w, "→ sandbox answered %d %s\n", r.status, http.StatusText(r.status))
}
