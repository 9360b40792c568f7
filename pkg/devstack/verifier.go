package devstack

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/profilesync/profilesync/pkg/apigw"
	"github.com/profilesync/profilesync/pkg/claims"
	authorities "github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/wiring"
)

// ReminderInterval is how often the local stack reminds approvers, as the
// template's hourly schedule does on AWS.
const ReminderInterval = time.Hour

// VerifierPorts are the claim verifier's local ports: the SQLite store,
// the "claims" queue and its DLQ, the notices table, the approvals
// secret's links; the same constructor as the Lambda's.
func (s *Stack) VerifierPorts(ctx context.Context, o Options) (wiring.VerifierPorts, error) {
	p := wiring.VerifierPorts{Function: s.Function, Rules: s.Rules, Authorities: authorities.Build, Store: s.Claims,
		Queue: local.RetryQueue{Queues: s.Queues, Target: claims.QueueName}, Continue: s.Queues,
		Notifier: s.Notices, Retries: s.Notices, Policy: o.Policy, Bodies: bodies(o.DataDir)}
	if raw, err := s.Function.Secrets.Secret(ctx, wiring.ClaimsApprovalsSecret); err == nil {
		a, err := wiring.ApprovalsConfig(raw, s.Function.HTTP, nil, nil, o.Log)
		if err != nil {
			return p, err
		}
		p.Approvals = a
	}
	return p, nil
}

// startVerifier builds the claim verifier, serves its routes through the
// local API Gateway (ANY /claims/{proxy+}, as the template routes them),
// polls its queue and reminds approvers hourly.
func (s *Stack) startVerifier(ctx, runCtx context.Context, o Options, mux *http.ServeMux) error {
	ports, err := s.VerifierPorts(ctx, o)
	if err != nil {
		return err
	}
	v, err := wiring.NewVerifier(ctx, ports)
	if err != nil {
		return fmt.Errorf("claim verifier: %w", err)
	}
	s.Verifier = v
	mux.Handle("/claims/", local.APIGatewayHandler("ANY /claims/{proxy+}", apigw.Handler(v.HTTP)))
	p := &local.Poller{Queues: s.Queues, Target: claims.QueueName, Handler: v.Queue.Handle, Workers: 2, BatchSize: 10, Logger: o.Log}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := p.Run(runCtx); err != nil {
			o.Log.Error("poller stopped", "target", claims.QueueName, "error", err.Error())
		}
	}()
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(ReminderInterval)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if ports.Approvals != nil {
					if _, _, err := v.Verifier.Remind(runCtx, ports.Approvals.Notifier); err != nil {
						o.Log.Warn("claims: reminders", "error", err.Error())
					}
				}
			}
		}
	}()
	// What real cidaas does after an admin update through its users API
	// (the verifier's write-back): an ACCOUNT_MODIFIED webhook, so the
	// verdict flows to the targets and its echo reaches the verifier.
	s.Sandbox.Cidaas.OnAdminUpdate(func(sub string) { s.announceCidaasChange(runCtx, o, sub) })
	s.Sandbox.Salesforce.SeedDemoAccounts()
	s.Sandbox.HubSpot.SeedDemoCompany()
	return nil
}

// announceCidaasChange sends the sandbox cidaas's ACCOUNT_MODIFIED for sub
// to the stack's own webhook URL, signed with the cidaas source's secret.
func (s *Stack) announceCidaasChange(ctx context.Context, o Options, sub string) {
	if !containsName(s.Function.Sources, "cidaas") {
		return
	}
	body := fmt.Sprintf(`{"eventtype":"ACCOUNT_MODIFIED","id":%q,"sub":%q,"createdTime":%q,"data":{"sub":%q,"provider":"self"}}`,
		claims.NewID(), sub, time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), sub)
	secret, err := s.Function.Secrets.Secret(ctx, "cidaas")
	if err != nil {
		o.Log.Warn("sandbox cidaas: no webhook for an admin update", "error", err.Error())
		return
	}
	w, err := Sign(secret, []byte(body), time.Now(), nil)
	if err != nil {
		o.Log.Warn("sandbox cidaas: no webhook for an admin update", "error", err.Error())
		return
	}
	u := s.URL + "/webhooks/cidaas"
	if len(w.Query) > 0 {
		u += "?" + w.Query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(w.Body))
	if err != nil {
		return
	}
	req.Header = w.Header
	resp, err := s.Function.HTTP.Do(req)
	if err != nil {
		o.Log.Warn("sandbox cidaas: webhook not delivered", "error", redactURL(err))
		return
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		o.Log.Warn("sandbox cidaas: webhook refused", "status", resp.StatusCode)
	}
}

func containsName(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func redactURL(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}
