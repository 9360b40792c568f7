package wiring

import (
	"context"
	"errors"

	"github.com/profilesync/profilesync/pkg/ingress"
	sourcereg "github.com/profilesync/profilesync/pkg/source/registry"
)

// IngressPorts are the ingress function's ports.
type IngressPorts struct {
	Function
	Queue ingress.Queue // SQS queues by target on AWS, SQLite locally
}

// Ingress builds the webhook handler: every source from its secret, routing
// by the mappings, enqueueing on p.Queue.
func Ingress(ctx context.Context, p IngressPorts) (*ingress.Handler, error) {
	if p.Mappings == nil || p.Secrets == nil || p.Queue == nil {
		return nil, errors.New("ingress: mappings, secrets and a queue are required")
	}
	hc := p.httpClient()
	parsers, _, err := sourcereg.BuildAll(ctx, p.Sources, p.Secrets, hc)
	if err != nil {
		return nil, err
	}
	return &ingress.Handler{Sources: parsers, Router: p.Mappings, Queue: p.Queue, Now: p.now(), Log: p.log()}, nil
}
