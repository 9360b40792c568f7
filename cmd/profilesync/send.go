package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/ingress"
)

const sendHelp = `
Usage: profilesync send SOURCE FILE [flags]

Sign the payload in FILE the way SOURCE's CIAM signs its webhooks, with the
secret in <data>/secrets/SOURCE.json, and POST it to <url>/webhooks/SOURCE.
Prints the answer's status and body; exits 1 unless it is 2xx.

When FILE has a companion <FILE minus .json>.sandbox.json, its change to
the sandbox cidaas user is made first (PUT /users-srv/user/{sub}), as an
admin editing the profile would before cidaas sends ACCOUNT_MODIFIED.

Then, like stripe trigger, it waits (up to --timeout; --no-wait skips it)
for the stack to settle each event it accepted at each target it was routed
to, and prints what happened there: delivered/deleted with the record id,
skipped with the reason, retrying (failed attempts, class, next attempt),
or dead-lettered with the reason. It asks the stack at
<url>/_local/events/{id}. Exits 1 when an event was dead-lettered or had
not settled by the timeout.

  cidaas            the API key (or TOTP code) in the configured header or
                    query parameter
  standardwebhooks  webhook-id, webhook-timestamp (now) and a v1 HMAC-SHA256
                    webhook-signature with the first whsec_ secret
  akamai            FILE holds SET claims (or {"claims": {...}}); iss and aud
                    come from the secret, iat/toe are now, jti is fresh; the
                    sandbox signs it and the compact SET is posted

Samples: events/webhooks/*.json, e.g.
  profilesync send cidaas events/webhooks/cidaas-account-created.json`

func runSend(ctx context.Context, c *cli, args []string) error {
	f := newFlags("send", sendHelp)
	url := f.String("url", defaultURL, "`URL` of the running stack (profilesync dev)")
	data := f.String("data", defaultData, "data `dir`ectory of that stack (for secrets/)")
	noWait := f.Bool("no-wait", false, "print the answer and return, without waiting for the delivery")
	timeout := f.Duration("timeout", 15*time.Second, "how long to wait for the delivery")
	pos, err := f.parse(c, args, 2, 2)
	if err != nil {
		return err
	}
	src, file := pos[0], pos[1]
	body, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	secret := filepath.Join(*data, "secrets", src+".json")
	if _, err := os.Stat(secret); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("source %q: no secret %s (is there such a source? `profilesync dev --data %s` writes the development secrets on start)", src, secret, *data)
	}
	if err := applyCompanion(ctx, c, *url, file); err != nil {
		return withStackHint(err, *url)
	}
	sent := time.Now().Add(-time.Millisecond) // notices are stamped in milliseconds
	res, err := devstack.Send(ctx, devstack.SendOptions{URL: *url, DataDir: *data, Source: src, Body: body})
	if err != nil {
		return withStackHint(err, *url)
	}
	fmt.Fprintf(c.stdout, "%d %s\n%s\n", res.Status, http.StatusText(res.Status), strings.TrimSpace(string(res.Body)))
	if res.Status < 200 || res.Status > 299 {
		return errReported
	}
	var acc ingress.Accepted
	if *noWait || json.Unmarshal(res.Body, &acc) != nil || len(acc.Routed) == 0 {
		return nil
	}
	fmt.Fprintln(c.stdout)
	wctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	reps, settled, err := devstack.Follow(wctx, &http.Client{Timeout: 5 * time.Second}, *url, acc, sent)
	if err != nil {
		return withStackHint(err, *url)
	}
	printReports(c.stdout, reps)
	if !settled {
		fmt.Fprintf(c.stdout, "\nnot settled within %s: the stack keeps trying (profilesync dlq list TARGET shows what it gave up on)\n", *timeout)
		return errReported
	}
	for _, r := range reps {
		for _, t := range r.Targets {
			if t.State == devstack.StateDeadLettered {
				return errReported
			}
		}
	}
	return nil
}

// applyCompanion makes the sandbox change of FILE's companion
// (<FILE>.sandbox.json), if it has one, and says so.
func applyCompanion(ctx context.Context, c *cli, url, file string) error {
	path := devstack.CompanionFile(file)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var ch devstack.SandboxChange
	if err := json.Unmarshal(b, &ch); err != nil || ch.CidaasUser.Sub == "" {
		return fmt.Errorf("%s: want {\"cidaas_user\": {\"sub\": …, \"fields\": {…}}}", path)
	}
	if err := devstack.ApplySandboxChange(ctx, &http.Client{Timeout: 10 * time.Second}, url, ch); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(c.stdout, "changed the sandbox cidaas user %s as %s says\n", ch.CidaasUser.Sub, path)
	return nil
}

// withStackHint says what to do when nothing answers at url.
func withStackHint(err error, url string) error {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%w\n(is `profilesync dev` running at %s? --url names another address)", err, url)
	}
	return err
}
