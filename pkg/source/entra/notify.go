package entra

import (
	"encoding/json"
	"fmt"
)

// WithClientState returns body, a change notification collection
// ({"value":[…]}), with every notification's clientState set to state, as
// Graph sets the subscription's on each: `profilesync send` and the
// events/ samples make deliveries with it. The other members stay.
func WithClientState(body []byte, state string) ([]byte, error) {
	var c map[string]json.RawMessage
	if err := json.Unmarshal(body, &c); err != nil {
		return nil, fmt.Errorf("entra notification: not a JSON object: %w", err)
	}
	var ns []map[string]json.RawMessage
	if err := json.Unmarshal(c["value"], &ns); err != nil || len(ns) == 0 {
		return nil, fmt.Errorf("entra notification: want {\"value\":[…]} with at least one notification")
	}
	s, _ := json.Marshal(state)
	for _, n := range ns {
		if n == nil {
			return nil, fmt.Errorf("entra notification: a notification is not an object")
		}
		n["clientState"] = s
	}
	v, _ := json.Marshal(ns)
	c["value"] = v
	return json.Marshal(c)
}
