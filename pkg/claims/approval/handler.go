package approval

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// The statuses a Summary reports. The store owns them; Handler shows the
// confirmation form only for StatusPending.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
	StatusExpired  = "expired"
)

var (
	// ErrNotFound: no approval has that id. Handler answers 404.
	ErrNotFound = errors.New("approval not found")
	// ErrAlreadyDecided: the approval was decided before; the first
	// decision stands. Handler answers 409.
	ErrAlreadyDecided = errors.New("approval already decided")
	// ErrApprovalExpired: the approval expired before anyone decided.
	// Handler answers 410.
	ErrApprovalExpired = errors.New("approval expired")
)

// Summary is what the confirmation page shows about one approval.
type Summary struct {
	Claim, Value, Rule string
	// Evidence is what the rule's evidence paths found, by name, for the
	// approver to judge. It is shown behind the signed link only, never
	// sent in a notice.
	Evidence    map[string]string
	RequestedAt time.Time
	Expires     time.Time
	Status      string // StatusPending, StatusApproved, ...
}

// Decider is the approval store as the handler needs it.
type Decider interface {
	// Show returns the approval id, or an error wrapping ErrNotFound.
	Show(ctx context.Context, id string) (Summary, error)
	// Decide records the decision on approval id once. A second decision
	// fails with an error wrapping ErrAlreadyDecided; a decision after the
	// approval's expiry with ErrApprovalExpired. ctx carries the opened
	// link (LinkFromContext), for a store that also refuses reused nonces.
	Decide(ctx context.Context, id string, approved bool, approver string) error
}

type linkKey struct{}

// LinkFromContext returns the link Handler opened for the request whose
// context ctx is.
func LinkFromContext(ctx context.Context) (Link, bool) {
	l, ok := ctx.Value(linkKey{}).(Link)
	return l, ok
}

// Handler serves the approval links at LinkPath+"{token}": GET and HEAD
// show a confirmation page and change nothing, POST records the decision
// the link carries. It answers 404 for an invalid token or an unknown
// approval, 410 for an expired link or approval, 409 for an approval
// already decided, 405 for other methods. Logs carry the approval id and
// the action, never the token or the approver.
func Handler(l Links, d Decider, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &handler{links: l, decider: d, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc(LinkPath+"{token}", h.serve)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { h.page(w, http.StatusNotFound, notFoundPage) })
	return securityHeaders(mux)
}

// securityHeaders sets the headers every answer carries: nothing cached
// (the page shows evidence), no framing, no scripts, no Referer (the token
// is in the URL).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

type handler struct {
	links   Links
	decider Decider
	log     *slog.Logger
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.page(w, http.StatusMethodNotAllowed, methodPage)
		return
	}
	link, err := h.links.Open(r.PathValue("token"))
	switch {
	case errors.Is(err, ErrLinkExpired):
		h.page(w, http.StatusGone, linkExpiredPage)
		return
	case errors.Is(err, ErrLinkInvalid):
		h.page(w, http.StatusNotFound, notFoundPage)
		return
	case err != nil:
		h.log.ErrorContext(r.Context(), "approval link", "error", err.Error())
		h.page(w, http.StatusInternalServerError, failedPage)
		return
	}
	ctx := context.WithValue(r.Context(), linkKey{}, link)
	if r.Method == http.MethodPost {
		h.decide(ctx, w, link)
		return
	}
	h.show(ctx, w, link)
}

// show renders the confirmation page; it changes nothing.
func (h *handler) show(ctx context.Context, w http.ResponseWriter, link Link) {
	s, err := h.decider.Show(ctx, link.ID)
	if err != nil {
		h.failed(ctx, w, link, "show", err)
		return
	}
	switch {
	case s.Status == StatusExpired || (s.Status == StatusPending && !s.Expires.IsZero() && !h.links.now().Before(s.Expires)):
		h.page(w, http.StatusGone, approvalExpiredPage)
	case s.Status != StatusPending:
		h.render(w, http.StatusConflict, view{page: decidedPage, Status: s.Status})
	default:
		h.render(w, http.StatusOK, confirmView(link, s))
	}
}

// decide records the link's decision.
func (h *handler) decide(ctx context.Context, w http.ResponseWriter, link Link) {
	if err := h.decider.Decide(ctx, link.ID, link.Approved(), link.Approver); err != nil {
		h.failed(ctx, w, link, "decide", err)
		return
	}
	h.log.InfoContext(ctx, "approval decided", "approval", link.ID, "action", link.Action)
	h.render(w, http.StatusOK, view{page: recordedPage, Action: link.Action})
}

// failed answers a Decider error with its status and a page that says no
// more than the status does.
func (h *handler) failed(ctx context.Context, w http.ResponseWriter, link Link, op string, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		h.page(w, http.StatusNotFound, notFoundPage)
	case errors.Is(err, ErrAlreadyDecided):
		h.render(w, http.StatusConflict, view{page: decidedPage})
	case errors.Is(err, ErrApprovalExpired):
		h.page(w, http.StatusGone, approvalExpiredPage)
	default:
		h.log.ErrorContext(ctx, "approval "+op, "approval", link.ID, "action", link.Action, "error", err.Error())
		h.page(w, http.StatusInternalServerError, failedPage)
	}
}

func (h *handler) page(w http.ResponseWriter, status int, p page) {
	h.render(w, status, view{page: p})
}

func (h *handler) render(w http.ResponseWriter, status int, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages().Execute(w, v); err != nil {
		h.log.Error("approval page", "error", err.Error())
	}
}
