package lambdatest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/delivery"
	"github.com/profilesync/profilesync/pkg/devstack"
	"github.com/profilesync/profilesync/pkg/lambdaenv"
	"github.com/profilesync/profilesync/pkg/wiring"
	"github.com/profilesync/profilesync/pkg/wiring/plugins"
)

// The local stack runs what the Lambda runs: for every target, the sync
// handler `profilesync dev` builds has the credentials-refreshing
// connector, a notifier, a guard, the retry and dead-letter ports and the
// same retry policy as the handler the sync function builds from the
// template's environment (here against moto, in-process).
func TestLocalSyncHandlerMatchesTheLambdas(t *testing.T) {
	s := newStack(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	local, err := devstack.Start(context.Background(), devstack.Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = local.Close() })

	for _, m := range local.Function.Mappings.All() {
		t.Run(m.Name, func(t *testing.T) {
			for _, kv := range s.moto.Env() {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			for k, v := range s.functionEnv(t, devstack.SyncFunctionID(m.Name)) {
				t.Setenv(k, v)
			}
			ports, err := lambdaenv.Sync(quiet, plugins.All)
			if err != nil {
				t.Fatal(err)
			}
			lambda, err := wiring.Sync(t.Context(), ports)
			if err != nil {
				t.Fatal(err)
			}
			dev := local.SyncHandler(m.Name)
			if dev == nil {
				t.Fatal("the local stack built no handler")
			}
			for name, h := range map[string]*delivery.Handler{"lambda": lambda, "local": dev} {
				if typ := fmt.Sprintf("%T", h.Connector); !strings.Contains(strings.ToLower(typ), "refreshing") {
					t.Errorf("%s: connector %s is not the credentials-refreshing wrapper", name, typ)
				}
				if h.Notifier == nil || h.Guard == nil || h.Visibility == nil || h.DeadLetters == nil || h.Abandoned == nil {
					t.Errorf("%s: notifier %v, guard %v, visibility %v, dead letters %v, abandoned %v: want all set",
						name, h.Notifier != nil, h.Guard != nil, h.Visibility != nil, h.DeadLetters != nil, h.Abandoned != nil)
				}
			}
			if a, b := fmt.Sprintf("%T", lambda.Connector), fmt.Sprintf("%T", dev.Connector); a != b {
				t.Errorf("connector types differ: lambda %s, local %s", a, b)
			}
			lp, dp := lambda.Policy, dev.Policy
			lp.Rand, dp.Rand = nil, nil
			if !reflect.DeepEqual(lp, dp) {
				t.Errorf("retry policies differ:\nlambda %+v\nlocal  %+v", lp, dp)
			}
			if want := (delivery.Policy{}).ForTarget(m.Delivery); lp.Budget != want.Budget || lp.Budget != m.Delivery.Budget() {
				t.Errorf("lambda policy %+v, want the mapping's %+v", lp, want)
			}
		})
	}
}
