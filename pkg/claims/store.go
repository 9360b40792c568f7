package claims

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sort"
	"sync"
	"time"
)

// Decision is one verdict on one claim of one subject: the audit record,
// kept in DynamoDB on AWS and SQLite locally, and the body of the
// ClaimDecided event.
type Decision struct {
	ID      string  `json:"id"`
	Subject string  `json:"subject"`
	Source  string  `json:"source"` // the CIAM source the verdict is written back to
	Rule    string  `json:"rule"`
	Claim   string  `json:"claim"`
	Value   string  `json:"value"`
	Verdict Verdict `json:"verdict"`
	Reason  string  `json:"reason,omitempty"`
	// Authority decided (for a manual approval: "manual"); Reference is
	// its record of the check.
	Authority string `json:"authority,omitempty"`
	Reference string `json:"reference,omitempty"`
	// EvidenceHash identifies the declared value and evidence the verdict
	// is about (a SHA-256, not the values): a profile with the same hash
	// inside the validity is not checked again. It is how the echo of our
	// own write-back is recognised.
	EvidenceHash string         `json:"evidence_hash"`
	Attributes   map[string]any `json:"attributes,omitempty"`
	DecidedAt    time.Time      `json:"decided_at"`
	// DecidedBy is "rule:<name>" for an automatic verdict or
	// "approver:<id>" for a manual one.
	DecidedBy   string    `json:"decided_by"`
	ExpiresAt   time.Time `json:"expires_at,omitempty"`
	Environment string    `json:"environment,omitempty"`
	ClientID    string    `json:"client_id,omitempty"`
}

// Holds says whether d still decides a claim with hash at now: same
// evidence, a final verdict, not expired.
func (d *Decision) Holds(hash string, now time.Time) bool {
	return d != nil && d.EvidenceHash == hash && d.Verdict != Pending && (d.ExpiresAt.IsZero() || now.Before(d.ExpiresAt))
}

// EvidenceHash is the hash of a declared value and its evidence.
func EvidenceHash(rule, value string, evidence map[string]string) string {
	keys := make([]string, 0, len(evidence))
	for k := range evidence {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write([]byte(rule + "\x00" + value + "\x00"))
	for _, k := range keys {
		h.Write([]byte(k + "\x00" + evidence[k] + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ApprovalStatus is where a manual approval stands.
type ApprovalStatus string

const (
	ApprovalPending  ApprovalStatus = "pending"
	ApprovalApproved ApprovalStatus = "approved"
	ApprovalRejected ApprovalStatus = "rejected"
	ApprovalExpired  ApprovalStatus = "expired"
)

// Approval is one request for a person's decision on a claim.
type Approval struct {
	ID           string            `json:"id"`
	Subject      string            `json:"subject"`
	Source       string            `json:"source"`
	Rule         string            `json:"rule"`
	Claim        string            `json:"claim"`
	Value        string            `json:"value"`
	EvidenceHash string            `json:"evidence_hash"`
	Evidence     map[string]string `json:"evidence,omitempty"` // shown to approvers behind the signed link only
	Status       ApprovalStatus    `json:"status"`
	RequestedAt  time.Time         `json:"requested_at"`
	ExpiresAt    time.Time         `json:"expires_at"`
	RemindedAt   time.Time         `json:"reminded_at,omitempty"`
	DecidedAt    time.Time         `json:"decided_at,omitempty"`
	Approver     string            `json:"approver,omitempty"`
	Environment  string            `json:"environment,omitempty"`
	ClientID     string            `json:"client_id,omitempty"`
}

// ErrAlreadyDecided is what deciding an approval that is no longer
// pending wraps: approval links are single-use.
var ErrAlreadyDecided = errors.New("approval already decided")

// ErrNoApproval is what an unknown approval id wraps.
var ErrNoApproval = errors.New("no such approval")

// Store keeps decisions and approvals.
type Store interface {
	// Latest is the subject's newest decision under rule, or nil.
	Latest(ctx context.Context, subject, rule string) (*Decision, error)
	// Record appends d to the subject's history and makes it the latest.
	Record(ctx context.Context, d Decision) error
	// History is every decision about subject, oldest first.
	History(ctx context.Context, subject string) ([]Decision, error)

	// OpenApproval returns the newest approval for a's subject, rule and
	// evidence hash that is pending or decided, creating a when there is
	// none or only expired ones (created true).
	OpenApproval(ctx context.Context, a Approval) (Approval, bool, error)
	// Approval returns an approval by id (ErrNoApproval).
	Approval(ctx context.Context, id string) (Approval, error)
	// DecideApproval moves a pending approval to status once; any other
	// state wraps ErrAlreadyDecided.
	DecideApproval(ctx context.Context, id string, status ApprovalStatus, approver string, at time.Time) (Approval, error)
	// Reminded records a reminder.
	Reminded(ctx context.Context, id string, at time.Time) error
	// PendingApprovals lists every pending approval, oldest first.
	PendingApprovals(ctx context.Context) ([]Approval, error)
}

// MemoryStore is a Store in memory, for tests.
type MemoryStore struct {
	mu        sync.Mutex
	history   map[string][]Decision
	approvals map[string]*Approval
	order     []string
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{history: map[string][]Decision{}, approvals: map[string]*Approval{}}
}

func (m *MemoryStore) Latest(_ context.Context, subject, rule string) (*Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.history[subject]
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Rule == rule {
			d := h[i]
			return &d, nil
		}
	}
	return nil, nil
}

func (m *MemoryStore) Record(_ context.Context, d Decision) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.history[d.Subject] = append(m.history[d.Subject], d)
	return nil
}

// All is every decision, by subject then time (invoke prints them).
func (m *MemoryStore) All() []Decision {
	m.mu.Lock()
	defer m.mu.Unlock()
	subjects := make([]string, 0, len(m.history))
	for s := range m.history {
		subjects = append(subjects, s)
	}
	sort.Strings(subjects)
	out := []Decision{}
	for _, s := range subjects {
		out = append(out, m.history[s]...)
	}
	return out
}

func (m *MemoryStore) History(_ context.Context, subject string) ([]Decision, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Decision(nil), m.history[subject]...), nil
}

func (m *MemoryStore) OpenApproval(_ context.Context, a Approval) (Approval, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.order) - 1; i >= 0; i-- {
		x := m.approvals[m.order[i]]
		if x.Status != ApprovalExpired && x.Subject == a.Subject && x.Rule == a.Rule && x.EvidenceHash == a.EvidenceHash {
			return *x, false, nil
		}
	}
	c := a
	m.approvals[a.ID] = &c
	m.order = append(m.order, a.ID)
	return a, true, nil
}

func (m *MemoryStore) Approval(_ context.Context, id string) (Approval, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.approvals[id]
	if !ok {
		return Approval{}, ErrNoApproval
	}
	return *a, nil
}

func (m *MemoryStore) DecideApproval(_ context.Context, id string, status ApprovalStatus, approver string, at time.Time) (Approval, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.approvals[id]
	if !ok {
		return Approval{}, ErrNoApproval
	}
	if a.Status != ApprovalPending {
		return *a, ErrAlreadyDecided
	}
	a.Status, a.Approver, a.DecidedAt = status, approver, at
	return *a, nil
}

func (m *MemoryStore) Reminded(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if a, ok := m.approvals[id]; ok {
		a.RemindedAt = at
	}
	return nil
}

func (m *MemoryStore) PendingApprovals(_ context.Context) ([]Approval, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Approval
	for _, id := range m.order {
		if a := m.approvals[id]; a.Status == ApprovalPending {
			out = append(out, *a)
		}
	}
	return out, nil
}
