package approval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/fault"
)

// webhookTimeout bounds a call with the default client.
const webhookTimeout = 10 * time.Second

// Webhook posts notices to a chat or an HTTP endpoint. The URL of a Slack
// incoming webhook is itself the credential: keep it in a secret, and
// errors never show it.
type Webhook struct {
	URL string
	// Format "slack" posts {"text": ...} with the two links (Slack and
	// the chat apps that accept Slack's incoming-webhook format); "json"
	// posts the Notice as JSON.
	Format string
	// Client calls the webhook; nil is egress.Client(egress.Production,
	// 10s).
	Client *http.Client
}

var _ Notifier = Webhook{}

// Check reports a webhook that cannot work: a URL that is not absolute
// http(s), an unknown format.
func (w Webhook) Check() error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("approval webhook: url: want an absolute https URL") // no URL: it is a secret
	}
	switch w.Format {
	case "slack", "json":
		return nil
	}
	return fmt.Errorf("approval webhook: format %q: want slack or json", w.Format)
}

// Notify posts n. A non-2xx answer is classified with fault.FromHTTP (429
// throttled, 408 and 5xx transient, other 4xx permanent); a network error
// is transient; an egress refusal stays permanent.
func (w Webhook) Notify(ctx context.Context, n Notice) error {
	if err := w.Check(); err != nil {
		return fault.Wrap(fault.Permanent, err)
	}
	body, err := w.body(n)
	if err != nil {
		return fault.Wrap(fault.Permanent, fmt.Errorf("approval webhook: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fault.Wrap(fault.Permanent, errors.New("approval webhook: cannot build the request"))
	}
	req.Header.Set("Content-Type", "application/json")
	hc := w.Client
	if hc == nil {
		hc = egress.Client(egress.Production, webhookTimeout)
	}
	resp, err := hc.Do(req)
	if err != nil {
		err = fmt.Errorf("approval webhook: %w", redactURL(err))
		var fe *fault.Error
		if errors.As(err, &fe) {
			return err
		}
		return fault.Wrap(fault.Transient, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return fmt.Errorf("approval webhook: %w", fault.FromHTTP(resp.StatusCode, resp.Header, errorCode(b), ""))
}

func (w Webhook) body(n Notice) ([]byte, error) {
	if w.Format == "json" {
		return marshal(n)
	}
	return marshal(struct {
		Text string `json:"text"`
	}{slackText(n)})
}

// slackText is the notice in Slack's mrkdwn, with &, < and > escaped as
// Slack asks, so a declared value cannot forge a link.
func slackText(n Notice) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
	prefix := ""
	if n.Reminder {
		prefix = "Reminder: "
	}
	return fmt.Sprintf("%sa claim is waiting for your decision: *%s* = `%s` (rule %s, approval %s).\n<%s|Approve> · <%s|Reject>\nThe links expire %s.",
		prefix, esc(n.Claim), esc(n.Value), esc(n.Rule), esc(n.ID), n.Approve, n.Reject, n.Expires.UTC().Format("2006-01-02 15:04 UTC"))
}

// errorCode keeps a short error code from the answer (Slack answers
// "invalid_payload", "no_service", ...) and drops anything else.
func errorCode(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" || len(s) > 64 {
		return ""
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return s
}

// redactURL drops the URL, which is the webhook's credential, from a
// transport error.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
