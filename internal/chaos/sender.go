package chaos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/devstack"
)

// sender posts webhooks to the runtime as a CIAM does: signed with the
// source's secret, and retried until the runtime acknowledges (2xx), so a
// runtime that is down or dies mid-request gets the event later. That is
// the at-least-once contract the stack is built on.
type sender struct {
	secret []byte // the cidaas source secret
	hook   func() string
	hc     *http.Client

	mu       sync.Mutex
	accepted map[string]bool // event ids acknowledged at least once
	sends    int             // acknowledged sends, duplicates included
	retries  int             // sends repeated because the runtime was down or failed
	rejected map[string]int  // 4xx answers by status line
}

func newSender(secret []byte, hook func() string) *sender {
	return &sender{secret: secret, hook: hook, hc: &http.Client{Timeout: 10 * time.Second},
		accepted: map[string]bool{}, rejected: map[string]int{}}
}

// maxSendTime bounds how long one webhook is retried.
const maxSendTime = 3 * time.Minute

// send delivers one change's webhook until it is acknowledged.
func (s *sender) send(ctx context.Context, c *change) error {
	w, err := devstack.Sign(s.secret, c.body(), time.Now(), nil)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(maxSendTime)
	backoff := 20 * time.Millisecond
	for {
		status, err := s.post(ctx, w)
		switch {
		case err == nil && status/100 == 2:
			s.mu.Lock()
			s.accepted[c.id], s.sends = true, s.sends+1
			s.mu.Unlock()
			return nil
		case err == nil && status/100 == 4 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
			s.mu.Lock()
			s.rejected[http.StatusText(status)]++
			s.mu.Unlock()
			return nil // a CIAM does not retry a rejection; the report shows it
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Now().After(deadline):
			return fmt.Errorf("event %s not acknowledged within %s (last: %d %v)", c.id, maxSendTime, status, err)
		}
		s.mu.Lock()
		s.retries++
		s.mu.Unlock()
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
}

func (s *sender) post(ctx context.Context, w *devstack.Webhook) (int, error) {
	u := s.hook() + "/webhooks/cidaas"
	if len(w.Query) > 0 {
		u += "?" + url.Values(w.Query).Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(w.Body))
	if err != nil {
		return 0, err
	}
	req.Header = w.Header.Clone()
	resp, err := s.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
