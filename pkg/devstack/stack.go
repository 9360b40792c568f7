// Package devstack runs the whole of ProfileSync on one machine, with no AWS
// and no Docker (`profilesync dev`, `invoke`, `send`): it builds the local
// ports — the embedded adapters of pkg/local (a durable SQLite queue per
// target with a DLQ, SQLite state, notices), secret files, the sandbox's
// fakes of the CIAM and back-end APIs — and hands them to the same
// pkg/wiring constructors the Lambdas use, then drives the handlers with
// the same Lambda event types. It is the local counterpart of
// pkg/lambdaenv.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/jobs"
	"github.com/profilesync/profilesync/pkg/local"
	"github.com/profilesync/profilesync/pkg/samgen"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/jobsfn"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
	"github.com/profilesync/profilesync/pkg/wiring/verifier"
)

// DefaultSources are the webhook sources the shipped configuration has.
var DefaultSources = []string{"cidaas", "akamai", "clerk", "okta", "auth0", "keycloak", "zitadel", "logto", "generic", "fusionauth", "entra", "gigya", "ssf", "cognito"}

// Options configure a local stack.
type Options struct {
	Addr     string // listen address; default 127.0.0.1:3000
	DataDir  string // default ./.profilesync
	Mappings fs.FS  // mapping files at the root; default the embedded ones
	Sources  []string
	// Secrets overrides the secret files in DataDir/secrets (tests).
	Secrets wiring.Secrets
	// VisibilityTimeout of every queue (default 30 s).
	VisibilityTimeout time.Duration
	// Policy tunes every target's retries as wiring.SyncPorts.Policy does
	// (zero: the Lambda's policy).
	Policy delivery.Policy
	// Guard returns a target's rate limit and down-detection; nil gives
	// each target a default Guard (no rate limit).
	Guard func(target string) *delivery.Guard
	// Timeouts of the HTTP server; zero fields take DefaultServerTimeouts.
	Timeouts ServerTimeouts
	Log      *slog.Logger
}

// Stack is a running local stack.
type Stack struct {
	URL     string // http://host:port
	DB      *local.DB
	Queues  *local.Queues
	Sandbox *sandbox.Sandbox
	Notices local.Notices
	// Function is what every handler of the stack was built from.
	Function wiring.Function
	// Rules are the claim rules; Claims the verifier's store; Verifier
	// the claim verifier (nil without rules).
	Rules    *claims.RuleSet
	Claims   local.ClaimStore
	Verifier *verifier.Verifier
	// Jobs are the scheduled jobs the stack runs on their schedules, with
	// JobRunner (nil without jobs).
	Jobs      *jobs.Set
	JobRunner *jobsfn.Runner

	sync   map[string]*delivery.Handler
	logKey []byte // the sync log's key (local.LogKey)
	srv    *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start opens the data directory, builds every handler and starts serving:
// POST and GET /webhooks/{source} (the API Gateway routes), /sandbox/ (the fakes)
// and one poller per target.
func Start(ctx context.Context, o Options) (*Stack, error) {
	o = o.withDefaults()
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", o.Addr, err)
	}
	s, err := build(ctx, o, "http://"+ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Log.Error("http server stopped", "error", err.Error())
		}
	}()
	s.subscribeEntra(ctx, o)
	return s, nil
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:3000"
	}
	if o.DataDir == "" {
		o.DataDir = ".profilesync"
	}
	if o.Sources == nil {
		o.Sources = DefaultSources
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

func build(ctx context.Context, o Options, url string) (*Stack, error) {
	ms, err := loadMappings(o.Mappings)
	if err != nil {
		return nil, err
	}
	secrets := o.Secrets
	if secrets == nil {
		dir := filepath.Join(o.DataDir, "secrets")
		wrote, err := WriteDevSecrets(dir)
		if err != nil {
			return nil, fmt.Errorf("write development secrets: %w", err)
		}
		if len(wrote) > 0 {
			o.Log.Info("wrote sandbox development secrets", "dir", dir, "names", wrote)
		}
		secrets = FileSecrets{Dir: dir, BaseURL: url}
	}
	sb, err := sandbox.Open(SandboxDir(o.DataDir))
	if err != nil {
		return nil, err
	}
	rules, err := LoadRules(o.Mappings)
	if err != nil {
		return nil, err
	}
	js, err := LoadJobs(o.Mappings)
	if err != nil {
		return nil, err
	}
	db, queues, err := OpenQueues(o.DataDir, ms, rules, o.VisibilityTimeout)
	if err != nil {
		return nil, err
	}
	queues.SetLogger(o.Log)
	logKey, err := local.LogKey(o.DataDir)
	if err != nil {
		db.Close()
		return nil, err
	}
	fn := wiring.Function{Mappings: ms, Sources: o.Sources, Secrets: secrets, HTTP: egress.Client(egress.Local, wiring.HTTPTimeout), Log: o.Log}
	s := &Stack{URL: url, DB: db, Queues: queues, Sandbox: sb, Notices: local.NewNotices(db), Function: fn,
		Rules: rules, Claims: local.NewClaimStore(db), Jobs: js, sync: map[string]*delivery.Handler{}, logKey: logKey}
	if err := s.startRuntime(ctx, o); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// startRuntime builds the handlers, the HTTP routes and the pollers.
func (s *Stack) startRuntime(ctx context.Context, o Options) error {
	in, err := wiring.Ingress(ctx, wiring.IngressPorts{Function: s.Function, Queue: s.Queues, Bodies: bodies(o.DataDir), Rules: s.Rules,
		Archive: local.NewArchive(s.DB), Erasures: local.NewSyncLog(s.DB, 0)})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	// One commit per webhook: its archive rows and messages together.
	mux.Handle("/webhooks/", local.APIGatewayHandler("POST /webhooks/{source}", local.OneCommit(s.DB, in.Handle)))
	// The template's second route: URL verification (Okta's GET challenge).
	mux.Handle("GET /webhooks/", local.APIGatewayHandler("GET /webhooks/{source}", in.Handle))
	mux.Handle(sandbox.Prefix+"/", s.Sandbox)
	mux.HandleFunc("GET "+EventsPath+"{id}", s.serveEvent)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	s.srv = newServer(mux, o.Timeouts)

	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if len(s.Rules.All()) > 0 {
		if err := s.startVerifier(ctx, runCtx, o, mux); err != nil {
			cancel()
			return err
		}
	}
	if err := s.startJobs(ctx, runCtx, o); err != nil {
		cancel()
		return err
	}
	for _, m := range s.Function.Mappings.All() {
		h, err := wiring.Sync(ctx, s.syncPorts(o, m.Name))
		if err != nil {
			cancel()
			return err
		}
		s.sync[m.Name] = h
		p := &local.Poller{Queues: s.Queues, Target: m.Name, Handler: h.Handle, Workers: m.Delivery.Concurrency(),
			BatchSize: samgen.BatchSize(m), Ready: h.Guard.Ready, Logger: o.Log}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := p.Run(runCtx); err != nil {
				o.Log.Error("poller stopped", "target", m.Name, "error", err.Error())
			}
		}()
	}
	return nil
}

// syncPorts are target's local ports: the embedded queue for retries and
// the DLQ, SQLite for state, the abandoned log and notices.
func (s *Stack) syncPorts(o Options, target string) wiring.SyncPorts {
	state := local.NewState(s.DB)
	p := wiring.SyncPorts{Function: s.Function, Plugins: plugins.All, Target: target,
		State: state, Queue: local.RetryQueue{Queues: s.Queues, Target: target}, Abandoned: state,
		Notifier: s.Notices, Retries: s.Notices, Policy: o.Policy, Bodies: bodies(o.DataDir),
		SyncLog: local.NewSyncLog(s.DB, 0), LogKey: s.logKey}
	if o.Guard != nil {
		p.Guard = o.Guard(target)
	}
	return p
}

// bodies keeps the envelopes too large for a queue message, beside the
// queues' database.
func bodies(dataDir string) local.Bodies { return local.Bodies{Dir: filepath.Join(dataDir, "bodies")} }

// SyncHandler is the handler the stack built for target (nil if none).
func (s *Stack) SyncHandler(target string) *delivery.Handler { return s.sync[target] }

// Close stops serving, lets the batches in hand finish, and closes the
// database. Undelivered messages stay queued for the next start.
func (s *Stack) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	s.cancel()
	s.wg.Wait()
	return errors.Join(err, s.DB.Close(), s.Sandbox.Close())
}
