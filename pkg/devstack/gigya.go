package devstack

import (
	"context"
	"slices"
	"time"

	"github.com/profilesync/profilesync/pkg/redact"
)

// announceGigyaChange sends the sandbox Gigya's accountUpdated for uid to
// the stack's own webhook URL, signed with the gigya source's secret: what
// SAP CDC does after accounts.setAccountInfo (the claim write-back).
func (s *Stack) announceGigyaChange(ctx context.Context, o Options, uid string) {
	if !slices.Contains(s.Function.Sources, "gigya") {
		return
	}
	secret, err := s.Function.Secrets.Secret(ctx, "gigya")
	if err != nil {
		o.Log.Warn("sandbox gigya: no webhook for an account update", "error", err.Error())
		return
	}
	w, err := Sign(secret, s.Sandbox.Gigya.Notification("accountUpdated", uid), time.Now(), nil)
	if err != nil {
		o.Log.Warn("sandbox gigya: no webhook for an account update", "error", err.Error())
		return
	}
	res, err := postWebhook(ctx, s.Function.HTTP, s.URL, "gigya", w)
	if err != nil {
		o.Log.Warn("sandbox gigya: webhook not delivered", "error", redact.URLError(err).Error())
		return
	}
	if res.Status/100 != 2 {
		o.Log.Warn("sandbox gigya: webhook refused", "status", res.Status)
	}
}
