package entra

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/sandbox/fakekit"
)

// MaxSubscription is the longest a subscription on users may live
// (41,760 minutes, 29 days).
const MaxSubscription = 41760 * time.Minute

// ValidationTimeout is how long Graph waits for the validation answer.
const ValidationTimeout = 10 * time.Second

// subscription is one subscription to changes of users.
type subscription struct {
	ID              string    `json:"id"`
	Resource        string    `json:"resource"`
	ChangeType      string    `json:"changeType"`
	NotificationURL string    `json:"notificationUrl"`
	LifecycleURL    string    `json:"lifecycleNotificationUrl,omitempty"`
	ClientState     string    `json:"clientState,omitempty"`
	Expiration      time.Time `json:"expirationDateTime"`
}

// notifier posts validation requests and notifications.
type notifier struct{ hc *http.Client }

func newNotifier() notifier { return notifier{hc: egress.Client(egress.Local, ValidationTimeout)} }

// SetNotifyClient sets the client the fake calls notification URLs with
// (default: egress.Local with a 10 s timeout).
func (f *Fake) SetNotifyClient(hc *http.Client) { f.notifier.hc = hc }

// subscribe is "Create subscription" for resource users: the
// notificationUrl (and lifecycleNotificationUrl) must answer the
// validation request — a POST of ?validationToken=<token> with an empty
// text/plain body — within 10 s with 200 and the token as the body, or
// the subscription is refused (400). Plain http is accepted here, for the
// local stack; Graph requires https.
func (f *Fake) subscribe(w http.ResponseWriter, r *http.Request) {
	var req struct {
		subscription
		ExpirationDateTime  string `json:"expirationDateTime"`
		IncludeResourceData bool   `json:"includeResourceData"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "The request body is not a subscription.")
		return
	}
	s := req.subscription
	exp, err := time.Parse(time.RFC3339Nano, req.ExpirationDateTime)
	switch {
	case strings.TrimPrefix(strings.ToLower(s.Resource), "/") != "users":
		writeError(w, http.StatusBadRequest, "InvalidRequest", "The fake subscribes to users only.")
		return
	case !validChangeTypes(s.ChangeType):
		writeError(w, http.StatusBadRequest, "InvalidRequest", "changeType must be created, updated, deleted or a comma-separated list of them.")
		return
	case req.IncludeResourceData:
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Rich notifications are not supported for this resource. Please set includeResourceData field to false.")
		return
	case err != nil || !exp.After(f.now()) || exp.After(f.now().Add(MaxSubscription)):
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Subscription expiration can only be 41760 minutes in the future.")
		return
	case len(s.ClientState) > 128:
		writeError(w, http.StatusBadRequest, "InvalidRequest", "clientState is longer than 128 characters.")
		return
	}
	s.Expiration = exp.UTC()
	if err := f.add(r.Context(), &s); err != nil {
		writeError(w, http.StatusBadRequest, "ValidationError", "Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.")
		return
	}
	fakekit.WriteJSON(w, "application/json", http.StatusCreated, map[string]any{
		"@odata.context": baseURL(r) + "/v1.0/$metadata#subscriptions/$entity",
		"id":             s.ID, "resource": s.Resource, "changeType": s.ChangeType, "clientState": s.ClientState,
		"notificationUrl": s.NotificationURL, "lifecycleNotificationUrl": nilIfEmpty(s.LifecycleURL),
		"expirationDateTime": s.Expiration.Format("2006-01-02T15:04:05.0000000Z"), "applicationId": f.clientID,
		"includeResourceData": false, "latestSupportedTlsVersion": "v1_2", "notificationContentType": "application/json",
	})
}

// add validates the subscription's URLs and keeps it under a new id.
func (f *Fake) add(ctx context.Context, s *subscription) error {
	for i, u := range []string{s.NotificationURL, s.LifecycleURL} {
		if i == 1 && u == "" {
			continue // no lifecycle URL
		}
		if err := f.validate(ctx, u); err != nil {
			return err
		}
	}
	s.ID = newID()
	f.mu.Lock()
	f.subs[s.ID] = s
	f.mu.Unlock()
	return nil
}

// Subscribe subscribes notificationURL, which must answer the validation
// request, to every change of users for the longest time Graph allows, as
// POST /v1.0/subscriptions would: the local stack subscribes its own
// webhook URL on start, so a change through the fake's Graph API notifies
// it. It returns the subscription's id.
func (f *Fake) Subscribe(ctx context.Context, notificationURL, clientState string) (string, error) {
	s := &subscription{Resource: "users", ChangeType: "created,updated,deleted", NotificationURL: notificationURL,
		ClientState: clientState, Expiration: f.now().Add(MaxSubscription).UTC()}
	if err := f.add(ctx, s); err != nil {
		return "", fmt.Errorf("subscribe %s: %w", notificationURL, err)
	}
	return s.ID, nil
}

func (f *Fake) unsubscribe(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	_, ok := f.subs[r.PathValue("id")]
	delete(f.subs, r.PathValue("id"))
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The object was not found.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func validChangeTypes(s string) bool {
	for _, c := range strings.Split(s, ",") {
		if !slices.Contains([]string{"created", "updated", "deleted"}, c) {
			return false
		}
	}
	return s != ""
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// validate sends the validation request to u and checks the answer.
func (f *Fake) validate(ctx context.Context, u string) error {
	token := "Validation: Testing client application reachability for subscription Request-Id: " + newID()
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	ctx, cancel := context.WithTimeout(ctx, ValidationTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u+sep+"validationToken="+url.QueryEscape(token), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := f.notifier.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || string(body) != token || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		return fmt.Errorf("validation answered %d", resp.StatusCode)
	}
	return nil
}

// Notify posts a change notification for user id to every live
// subscription whose changeType includes changeType, one collection per
// subscription, as Graph does, and returns the statuses answered (in no
// particular order). The local stack and tests call it when they change
// a user through the fake's Go API; PATCH through Graph notifies by
// itself.
func (f *Fake) Notify(ctx context.Context, changeType, id string) ([]int, error) {
	var out []int
	var errs []error
	for _, s := range f.live(changeType) {
		n := map[string]any{
			"subscriptionId": s.ID, "subscriptionExpirationDateTime": s.Expiration.Format("2006-01-02T15:04:05.0000000Z"),
			"changeType": changeType, "resource": "Users/" + id, "clientState": s.ClientState, "tenantId": f.tenant,
			"resourceData": map[string]any{"@odata.type": "#Microsoft.Graph.User", "@odata.id": "Users/" + id, "id": id, "organizationId": f.tenant},
		}
		st, err := f.post(ctx, s.NotificationURL, n)
		out = append(out, st)
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// NotifyLifecycle posts a lifecycle notification (reauthorizationRequired,
// subscriptionRemoved, missed) for every subscription to its
// lifecycleNotificationUrl, or its notificationUrl when it has none.
func (f *Fake) NotifyLifecycle(ctx context.Context, event string) ([]int, error) {
	var out []int
	var errs []error
	for _, s := range f.live("") {
		u := s.LifecycleURL
		if u == "" {
			u = s.NotificationURL
		}
		st, err := f.post(ctx, u, map[string]any{"subscriptionId": s.ID, "lifecycleEvent": event, "clientState": s.ClientState,
			"subscriptionExpirationDateTime": s.Expiration.Format("2006-01-02T15:04:05.0000000Z"), "tenantId": f.tenant})
		out = append(out, st)
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// live copies the unexpired subscriptions for changeType ("" for all).
func (f *Fake) live(changeType string) []subscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []subscription
	for _, s := range f.subs {
		if s.Expiration.After(f.now()) && (changeType == "" || slices.Contains(strings.Split(s.ChangeType, ","), changeType)) {
			out = append(out, *s)
		}
	}
	return out
}

func (f *Fake) post(ctx context.Context, u string, n map[string]any) (int, error) {
	body, _ := json.Marshal(map[string]any{"value": []any{n}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := f.notifier.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, nil
}
