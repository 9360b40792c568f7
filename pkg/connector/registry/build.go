package registry

import (
	"fmt"
	"net/http"

	"github.com/profilesync/profilesync/pkg/connector"
)

// Build builds the connector of kind (a mapping's connector:) for the
// target called name from its settings and secret. Errors do not repeat
// the target's name: the caller (connector.NewRefreshingConnector) adds it.
func Build(kind, name string, settings map[string]any, secret []byte, hc *http.Client) (connector.Connector, error) {
	k, ok := Lookup(kind)
	if !ok {
		return nil, fmt.Errorf("unknown connector %q; known: %v", kind, Names())
	}
	return k.New(name, settings, secret, hc)
}

// CheckSettings validates a mapping's settings for kind when the mapping
// loads (a mapping.SettingsChecker).
func CheckSettings(kind string, settings map[string]any) error {
	k, ok := Lookup(kind)
	if !ok {
		return fmt.Errorf("unknown connector %q; known: %v", kind, Names())
	}
	return k.CheckSettings(settings)
}
