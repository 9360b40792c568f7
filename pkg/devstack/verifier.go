package devstack

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"time"

	"github.com/profilesync/profilesync/pkg/apigw"
	"github.com/profilesync/profilesync/pkg/claims"
	authorities "github.com/profilesync/profilesync/pkg/claims/authority/registry"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/redact"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/verifier"
)

// ReminderInterval is how often the local stack reminds approvers, as the
// template's hourly schedule does on AWS.
const ReminderInterval = time.Hour

// VerifierPorts are the claim verifier's local ports: the SQLite store,
// the "claims" queue and its DLQ, the notices table, the approvals
// secret's links; the same constructor as the Lambda's.
func (s *Stack) VerifierPorts(ctx context.Context, o Options) (verifier.Ports, error) {
	return verifierPorts(ctx, s.Function, s.Rules, s.DB, s.Queues, o)
}

func verifierPorts(ctx context.Context, fn wiring.Function, rules *claims.RuleSet, db *local.DB, queues *local.Queues, o Options) (verifier.Ports, error) {
	notices := local.NewNotices(db)
	p := verifier.Ports{Function: fn, Rules: rules, Authorities: authorities.Build, Store: local.NewClaimStore(db),
		Queue: local.RetryQueue{Queues: queues, Target: claims.QueueName}, Continue: queues,
		Events: notices, Notifier: notices, Retries: notices, Policy: o.Policy, Bodies: bodies(o.DataDir)}
	if raw, err := fn.Secrets.Secret(ctx, verifier.ClaimsApprovalsSecret); err == nil {
		a, err := verifier.ApprovalsConfig(raw, fn.HTTP, nil, nil, o.Log)
		if err != nil {
			return p, err
		}
		p.Approvals = a
	}
	return p, nil
}

// LocalVerifier is the claim verifier of the local stack whose data is in
// o.DataDir and which serves at url, built for the CLI (`profilesync
// claims`): the same constructor and ports, on the same database; its
// fetches and authorities reach the running stack's sandbox.
type LocalVerifier struct {
	*verifier.Verifier
	Rules *claims.RuleSet
	Store claims.Store
	// Links signs approval links as the stack does (nil: no approvals
	// secret).
	Approvals *verifier.Approvals
	db        *local.DB
}

// OpenVerifier builds the LocalVerifier. Close it.
func OpenVerifier(ctx context.Context, o Options, url string) (*LocalVerifier, error) {
	o = o.withDefaults()
	ms, err := loadMappings(o.Mappings)
	if err != nil {
		return nil, err
	}
	rules, err := LoadRules(o.Mappings)
	if err != nil {
		return nil, err
	}
	if len(rules.All()) == 0 {
		return nil, fmt.Errorf("no claim rules (%s/*.yaml)", claims.RulesDir)
	}
	db, queues, err := OpenQueues(o.DataDir, ms, rules, 0)
	if err != nil {
		return nil, err
	}
	fn := wiring.Function{Mappings: ms, Sources: o.Sources, Secrets: FileSecrets{Dir: filepath.Join(o.DataDir, "secrets"), BaseURL: url},
		HTTP: egress.Client(egress.Local, wiring.HTTPTimeout), Log: o.Log}
	ports, err := verifierPorts(ctx, fn, rules, db, queues, o)
	if err != nil {
		db.Close()
		return nil, err
	}
	v, err := verifier.New(ctx, ports)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &LocalVerifier{Verifier: v, Rules: rules, Store: ports.Store, Approvals: ports.Approvals, db: db}, nil
}

// Close closes the database.
func (v *LocalVerifier) Close() error { return v.db.Close() }

// startVerifier builds the claim verifier, serves its routes through the
// local API Gateway (ANY /claims/{proxy+}, as the template routes them),
// polls its queue and reminds approvers hourly.
func (s *Stack) startVerifier(ctx, runCtx context.Context, o Options, mux *http.ServeMux) error {
	ports, err := s.VerifierPorts(ctx, o)
	if err != nil {
		return err
	}
	v, err := verifier.New(ctx, ports)
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
	s.Sandbox.Gigya.OnUpdate(func(uid string) { s.announceGigyaChange(runCtx, o, uid) })
	s.Sandbox.Salesforce.SeedDemoAccounts()
	s.Sandbox.HubSpot.SeedDemoCompany()
	return nil
}

// announceCidaasChange sends the sandbox cidaas's ACCOUNT_MODIFIED for sub
// to the stack's own webhook URL, signed with the cidaas source's secret.
func (s *Stack) announceCidaasChange(ctx context.Context, o Options, sub string) {
	if !slices.Contains(s.Function.Sources, "cidaas") {
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
	res, err := postWebhook(ctx, s.Function.HTTP, s.URL, "cidaas", w)
	if err != nil {
		o.Log.Warn("sandbox cidaas: webhook not delivered", "error", redact.URLError(err).Error())
		return
	}
	if res.Status/100 != 2 {
		o.Log.Warn("sandbox cidaas: webhook refused", "status", res.Status)
	}
}
