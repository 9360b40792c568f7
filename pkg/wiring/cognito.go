package wiring

import (
	"context"
	"fmt"

	"github.com/profilesync/profilesync/pkg/ingress"
	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/source/cognito"
)

// CognitoTrigger builds the Cognito trigger function's handler: the
// decoder of the user pool cfg names, in front of the ingress's own
// routing (Ingress built from p, so the events go to the same queues, by
// the same mappings and claim rules, as a webhook's). The trigger needs no
// webhook source: p.Sources may be empty, which spares a cold start the
// reading of every source's secret inside Cognito's 5 s.
func CognitoTrigger(ctx context.Context, p IngressPorts, cfg cognito.Config) (*cognito.Trigger, error) {
	parser, err := cognito.NewParser(cognito.Kind, cfg)
	if err != nil {
		return nil, fmt.Errorf("cognito trigger: %w", err)
	}
	h, err := Ingress(ctx, p)
	if err != nil {
		return nil, err
	}
	return &cognito.Trigger{Parser: parser, Queue: enqueuer{h}, Now: p.now(), Log: p.log()}, nil
}

// enqueuer adapts the ingress handler to cognito.Enqueuer.
type enqueuer struct{ h *ingress.Handler }

func (e enqueuer) Enqueue(ctx context.Context, evs []profile.Event) error {
	_, err := e.h.Enqueue(ctx, evs)
	return err
}
