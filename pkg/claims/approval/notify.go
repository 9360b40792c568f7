package approval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Notice asks an approver for a decision. It carries no personal data:
// no name, no e-mail address, no evidence value. The approver sees the
// evidence on the page behind the signed links.
type Notice struct {
	ID    string `json:"id"`    // the approval id
	Claim string `json:"claim"` // the rule's claim name
	Value string `json:"value"` // the declared value, e.g. "health_care_professional"
	Rule  string `json:"rule"`
	// Approve and Reject are the signed links (Links.New).
	Approve string    `json:"approve"`
	Reject  string    `json:"reject"`
	Expires time.Time `json:"expires"` // when the links expire
	// Reminder is true for every notice after the first.
	Reminder bool `json:"reminder"`
}

// Notifier sends a notice to the approvers.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// Multi notifies every notifier in turn, even after one fails, and
// returns their errors joined.
type Multi []Notifier

var _ Notifier = Multi(nil)

func (m Multi) Notify(ctx context.Context, n Notice) error {
	var errs []error
	for i, nt := range m {
		if err := nt.Notify(ctx, n); err != nil {
			errs = append(errs, fmt.Errorf("notifier %d of %d: %w", i+1, len(m), err))
		}
	}
	return errors.Join(errs...)
}

// Recorder is the in-memory Notifier: it keeps every notice, for tests
// and the local stack.
type Recorder struct {
	mu      sync.Mutex
	notices []Notice
}

var _ Notifier = (*Recorder)(nil)

func (r *Recorder) Notify(_ context.Context, n Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notices = append(r.notices, n)
	return nil
}

// Notices returns a copy of the notices so far, oldest first.
func (r *Recorder) Notices() []Notice {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Notice(nil), r.notices...)
}

// Publisher is the SNS Publish call (awsadapter.SNSPublisher).
type Publisher interface {
	Publish(ctx context.Context, topicARN, subject, message string) (messageID string, err error)
}

// SNS publishes notices to an SNS topic: as plain text (Format "" or
// "text", readable in an e-mail subscription) or as the Notice's JSON
// (Format "json", for a Lambda or queue subscriber).
type SNS struct {
	Publisher Publisher
	TopicARN  string
	Format    string
}

var _ Notifier = SNS{}

func (s SNS) Notify(ctx context.Context, n Notice) error {
	var msg string
	switch s.Format {
	case "", "text":
		msg = plainText(n)
	case "json":
		b, err := marshal(n)
		if err != nil {
			return fmt.Errorf("sns notice: %w", err)
		}
		msg = string(b)
	default:
		return fmt.Errorf("sns notice: format %q: want text or json", s.Format)
	}
	if _, err := s.Publisher.Publish(ctx, s.TopicARN, subject(n), msg); err != nil {
		return fmt.Errorf("sns notice: %w", err)
	}
	return nil
}

// marshal is json.Marshal without HTML escaping: the notices go to chat
// and queues, not into HTML, and "&" stays readable in a link.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// subject is an SNS subject: printable ASCII, at most 100 characters.
func subject(n Notice) string {
	s := "Approval requested: " + n.Claim
	if n.Reminder {
		s = "Reminder: approval requested: " + n.Claim
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 100; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b = append(b, c)
		}
	}
	return string(b)
}

// plainText is the notice for people reading plain text (an e-mail).
func plainText(n Notice) string {
	var b strings.Builder
	if n.Reminder {
		b.WriteString("Reminder: ")
	}
	fmt.Fprintf(&b, "a claim is waiting for your decision.\n\nClaim: %s\nValue: %s\nRule: %s\nApproval: %s\n\n", n.Claim, n.Value, n.Rule, n.ID)
	fmt.Fprintf(&b, "Approve: %s\nReject: %s\n\nThe links expire %s. Each opens a page that shows the evidence and asks you to confirm.\n",
		n.Approve, n.Reject, n.Expires.UTC().Format("2006-01-02 15:04 UTC"))
	return b.String()
}
