package devstack

import (
	"context"
	"slices"

	"github.com/profilesync/profilesync/pkg/redact"
	"github.com/profilesync/profilesync/pkg/source/entra"
)

// subscribeEntra does what an integrator does once against Microsoft
// Graph: it subscribes the stack's own /webhooks/entra to changes of
// users in the sandbox's Graph fake, with the entra source's clientState,
// so a change through the fake's Graph API (an admin's PATCH, the claim
// write-back) comes back as a change notification. The fake's validation
// request goes through the stack's HTTP server like Graph's would. A
// failure is logged; the stack runs without the subscription.
func (s *Stack) subscribeEntra(ctx context.Context, o Options) {
	if !slices.Contains(s.Function.Sources, "entra") {
		return
	}
	secret, err := s.Function.Secrets.Secret(ctx, "entra")
	if err != nil {
		o.Log.Warn("sandbox entra: no Graph subscription", "error", err.Error())
		return
	}
	cfg, err := entra.ParseConfig(secret)
	if err != nil {
		o.Log.Warn("sandbox entra: no Graph subscription", "error", err.Error())
		return
	}
	if _, err := s.Sandbox.Entra.Subscribe(ctx, s.URL+"/webhooks/entra", cfg.ClientStates[0]); err != nil {
		o.Log.Warn("sandbox entra: no Graph subscription", "error", redact.URLError(err).Error())
	}
}
