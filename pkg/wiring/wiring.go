// Package wiring assembles each function from its ports, one constructor
// per function: Ingress and Sync. The Lambda composition roots
// (functions/*, with the AWS adapters pkg/lambdaenv builds from the
// environment) and the local stack (pkg/devstack, with the SQLite adapters
// of pkg/local and secret files) call these same constructors and differ
// only in the ports they pass; nothing sets a handler's fields after it is
// built.
//
// What is not here: reading the environment (pkg/lambdaenv, pkg/devstack),
// the adapters themselves (pkg/awsadapter, pkg/local), and the connector
// registry and phone normaliser, which a delivering function passes in as
// Plugins (pkg/wiring/plugins) so that the ingress function, which only
// routes, links neither.
package wiring

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/profilesync/profilesync/pkg/connector"
	"github.com/profilesync/profilesync/pkg/egress"
	"github.com/profilesync/profilesync/pkg/mapping"
	"github.com/profilesync/profilesync/pkg/metrics"
)

// HTTPTimeout bounds every call a function makes to a CIAM or a back-end.
const HTTPTimeout = 20 * time.Second

// Secrets returns a named secret's JSON: Secrets Manager on AWS (cached,
// with Invalidate), files locally.
type Secrets = connector.Secrets

// ConnectorBuilder builds the connector of kind (a mapping's connector:)
// for target name from its settings and secret: the connector registry's
// Build.
type ConnectorBuilder func(kind, name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error)

// Plugins are what a function that evaluates fields and delivers links
// and the ingress function does without (pkg/wiring/plugins.All).
type Plugins struct {
	Connectors    ConnectorBuilder
	CheckSettings mapping.SettingsChecker
	Phone         mapping.PhoneFunc
}

// Loader loads mappings with what p has: a zero Plugins gives the routing
// loader of the ingress function.
func (p Plugins) Loader() mapping.Loader {
	return mapping.Loader{CheckSettings: p.CheckSettings, Phone: p.Phone}
}

// LoadMappings loads the mapping files in dir of fsys with p's Loader.
func (p Plugins) LoadMappings(fsys fs.FS, dir string) (*mapping.Set, error) {
	return p.Loader().LoadFS(fsys, dir)
}

// Function is what every function is built from.
type Function struct {
	Mappings *mapping.Set
	Sources  []string // source names: POST /webhooks/{name}, one secret each
	Secrets  Secrets
	HTTP     *http.Client     // nil: egress.Production's client with HTTPTimeout
	Log      *slog.Logger     // nil: slog.Default()
	Now      func() time.Time // nil: time.Now
	// Metrics takes the CloudWatch EMF lines (pkg/metrics): stdout on AWS,
	// where Lambda ships them to CloudWatch Logs. Nil: no metrics (the
	// local stack, whose `profilesync status` counts from its database).
	Metrics io.Writer
}

func (f Function) httpClient() *http.Client {
	if f.HTTP != nil {
		return f.HTTP
	}
	return egress.Client(egress.Production, HTTPTimeout)
}

func (f Function) log() *slog.Logger {
	if f.Log != nil {
		return f.Log
	}
	return slog.Default()
}

// emitter is the EMF writer of f.Metrics, nil without one.
func (f Function) emitter() *metrics.Emitter {
	if f.Metrics == nil {
		return nil
	}
	return &metrics.Emitter{W: f.Metrics, Now: f.now()}
}

func (f Function) now() func() time.Time {
	if f.Now != nil {
		return f.Now
	}
	return time.Now
}

// HTTPClient is the client every call to a CIAM, back-end or authority
// goes through (for constructors outside this package).
func (f Function) HTTPClient() *http.Client { return f.httpClient() }

// Logger is the function's logger.
func (f Function) Logger() *slog.Logger { return f.log() }

// NowFunc is the function's clock.
func (f Function) NowFunc() func() time.Time { return f.now() }
