package mapping

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/profilesync/profilesync/pkg/profile"
)

// PolicyKind is what a target does with a subject it should no longer hold
// as a live record: a deleted subject, one leaving scope, or (for the
// consent's on_revoke) one that opted out.
type PolicyKind string

const (
	DeletePolicy     PolicyKind = "delete"     // delete the record
	DeactivatePolicy PolicyKind = "deactivate" // upsert Fields (e.g. Active__c: false)
	AnonymisePolicy  PolicyKind = "anonymise"  // upsert Fields over the personal fields
	IgnorePolicy     PolicyKind = "ignore"     // send nothing
	// OptOutPolicy (consent.on_revoke only) calls the connector's own
	// opt-out (unsubscribe, list removal) with the mapped record.
	OptOutPolicy PolicyKind = "opt_out"
)

// Policy is a delete or opt-out policy.
type Policy struct {
	Kind PolicyKind
	// Fields are the target paths and values deactivate and anonymise
	// write (nil values are sent as null).
	Fields map[string]any
	node   *yaml.Node
}

func (d *diags) parsePolicy(n *yaml.Node, field string, optOut bool) Policy {
	want := "delete, ignore, {deactivate: {FIELD: VALUE, ...}} or {anonymise: {FIELD: VALUE, ...}}"
	if optOut {
		want = "opt_out, " + want
	}
	if n.Kind == yaml.ScalarNode {
		switch k := PolicyKind(n.Value); {
		case k == DeletePolicy, k == IgnorePolicy, k == OptOutPolicy && optOut:
			return Policy{Kind: k, node: n}
		}
		d.at(n, field, "want %s, got %q", want, n.Value)
		return Policy{Kind: DeletePolicy}
	}
	if n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		d.at(n, field, "want %s", want)
		return Policy{Kind: DeletePolicy}
	}
	k, v := n.Content[0], n.Content[1]
	kind := PolicyKind(k.Value)
	if kind == "anonymize" {
		kind = AnonymisePolicy
	}
	if kind != DeactivatePolicy && kind != AnonymisePolicy {
		d.at(k, field, "want %s, got %q", want, k.Value)
		return Policy{Kind: DeletePolicy}
	}
	p := Policy{Kind: kind, Fields: map[string]any{}, node: v}
	kv, keys := d.mapNode(v, field+"."+string(kind))
	for _, key := range keys {
		if err := checkPath(key.Value); err != nil {
			d.at(key, field+"."+string(kind)+"."+key.Value, "target path: %v", err)
			continue
		}
		var val any
		if err := kv[key.Value].Decode(&val); err != nil {
			d.at(kv[key.Value], field+"."+string(kind)+"."+key.Value, "%v", err)
		}
		p.Fields[key.Value] = val
	}
	if len(keys) == 0 {
		d.at(v, field+"."+string(kind), "name at least one field to set")
	}
	return p
}

func (d *diags) parseConsent(n *yaml.Node, field string) *ConsentRule {
	m, _ := d.mapNode(n, field, "purpose", "on_revoke")
	if m == nil {
		return nil
	}
	c := &ConsentRule{OnRevoke: Policy{Kind: DeactivatePolicy}}
	if p := m["purpose"]; p != nil {
		c.Purpose, _ = d.str(p, field+".purpose", "a consent purpose such as newsletter")
	} else {
		d.at(n, field+".purpose", "is required: the consent purpose the target needs, e.g. newsletter")
	}
	if r := m["on_revoke"]; r != nil {
		c.OnRevoke = d.parsePolicy(r, field+".on_revoke", true)
	} else {
		d.at(n, field+".on_revoke", "is required: the opt-out action, e.g. {deactivate: {HasOptedOutOfEmail: true}}")
	}
	return c
}

// Action is the connector call a decision asks for.
type Action string

const (
	Upsert Action = "upsert"  // Connector.Upsert(Record{Key, Fields})
	Delete Action = "delete"  // Connector.Delete(Record{Key})
	Skip   Action = "skip"    // no call
	OptOut Action = "opt_out" // connector.OptOuter.OptOut(Record{Key, Fields})
)

// Cause says why a decision was taken.
type Cause string

const (
	CauseSync          Cause = "sync"           // the profile as mapped
	CauseNotSubscribed Cause = "not_subscribed" // event type or source not routed here
	CauseDeleted       Cause = "deleted"        // deleted at the source: on_delete
	CauseOutOfScope    Cause = "out_of_scope"   // scope is false: on_delete
	CauseOptOut        Cause = "opt_out"        // required consent not granted: consent.on_revoke
)

// Decision is what a target does with one event.
type Decision struct {
	Action Action         `json:"action"`
	Cause  Cause          `json:"cause"`
	Policy PolicyKind     `json:"policy,omitempty"` // the policy applied, for every cause but sync and not_subscribed
	Reason string         `json:"reason"`           // for logs; never personal data
	Key    string         `json:"key,omitempty"`
	Fields map[string]any `json:"fields,omitempty"` // Upsert only
	// Dropped are the fields a transform could not convert under
	// on_invalid: drop (upserts and opt-outs); the caller reports them.
	Dropped []Dropped `json:"dropped,omitempty"`
	// IfPresent: apply only when the target holds a live record for the
	// subject (delivery state found and not deleted); else skip. Set for
	// opt-outs and scope exits, so a subject never synced is not created
	// just to be deactivated or deleted.
	IfPresent bool `json:"if_present,omitempty"`
	// Ends: afterwards the target holds no live record of the subject;
	// write a tombstone (State.Deleted) on success.
	Ends bool `json:"ends,omitempty"`
}

// Decide says what the target does with e. p is the subject's profile
// (e.Profile or fetched); it may be nil for a deleted event only.
func (m *Mapping) Decide(e profile.Event, p *profile.Profile) (Decision, error) {
	if err := m.canEvaluate(); err != nil {
		return Decision{}, err
	}
	r := m.RulesFor(e)
	if !r.Subscribes(e) {
		return Decision{Action: Skip, Cause: CauseNotSubscribed,
			Reason: fmt.Sprintf("%s events from %s are not routed to %s", e.Type, e.Source, m.Name)}, nil
	}
	if e.Type == profile.Deleted {
		key, err := m.KeyOf(e)
		if err != nil {
			return Decision{}, err
		}
		d := policyDecision(r.OnDelete, CauseDeleted, key, "deleted at the source")
		d.IfPresent = d.Action == Upsert
		return d, nil
	}
	if p == nil {
		return Decision{}, fmt.Errorf("decide %s for %s: no profile", e.Type, m.Name)
	}
	v := borrowEnv(p, &e)
	defer v.release()
	if c := r.Consent; c != nil && !consentGranted(e, v, c.Purpose) {
		if c.OnRevoke.Kind == OptOutPolicy {
			// The connector's own opt-out needs the mapped record (an
			// email to unsubscribe); the record stays live.
			key, fields, dropped, err := m.record(r, v)
			if err != nil {
				return Decision{}, err
			}
			return Decision{Action: OptOut, Cause: CauseOptOut, Policy: OptOutPolicy, Key: key, Fields: fields, Dropped: dropped,
				IfPresent: true, Reason: fmt.Sprintf("consent %q not granted: opt_out", c.Purpose)}, nil
		}
		return m.exit(c.OnRevoke, CauseOptOut, v, fmt.Sprintf("consent %q not granted", c.Purpose))
	}
	if r.scope != nil {
		in, err := r.scope.run(v)
		if err != nil {
			return Decision{}, fmt.Errorf("scope of %s: %w", m.Name, err)
		}
		if in != true {
			return m.exit(r.OnDelete, CauseOutOfScope, v, "scope is false")
		}
	}
	key, fields, dropped, err := m.record(r, v)
	if err != nil {
		return Decision{}, err
	}
	return Decision{Action: Upsert, Cause: CauseSync, Reason: "profile mapped", Key: key, Fields: fields, Dropped: dropped}, nil
}

// consentGranted reads the purpose's state; the event itself wins over a
// profile snapshot that may predate it.
func consentGranted(e profile.Event, v *env, purpose string) bool {
	if e.Purpose == purpose {
		switch e.Type {
		case profile.ConsentRevoked:
			return false
		case profile.ConsentGranted:
			return true
		}
	}
	return v.Consents[purpose].Granted
}

func (m *Mapping) exit(p Policy, cause Cause, v *env, why string) (Decision, error) {
	key, err := m.key(v)
	if err != nil {
		return Decision{}, err
	}
	d := policyDecision(p, cause, key, why)
	d.IfPresent = true
	return d, nil
}

func policyDecision(p Policy, cause Cause, key, why string) Decision {
	d := Decision{Cause: cause, Policy: p.Kind, Key: key, Ends: p.Kind != IgnorePolicy,
		Reason: fmt.Sprintf("%s: %s", why, p.Kind)}
	switch p.Kind {
	case IgnorePolicy:
		d.Action = Skip
	case DeactivatePolicy, AnonymisePolicy:
		d.Action = Upsert
		d.Fields = map[string]any{}
		for k, v := range p.Fields {
			setPath(d.Fields, k, v)
		}
	default:
		d.Action = Delete
	}
	return d
}
