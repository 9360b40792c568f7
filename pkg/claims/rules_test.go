package claims

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

func TestRuleOverridesResolve(t *testing.T) {
	r := loadRule(t, "testdata/hcp.yaml")
	if r.Name != "hcp" || r.Claim != "hcp" {
		t.Fatalf("name %q claim %q", r.Name, r.Claim)
	}
	tests := []struct {
		env, client string
		combine     Combine
		valid       time.Duration
	}{
		{"", "", All, 30 * 24 * time.Hour},
		{"staging", "", Any, 30 * 24 * time.Hour},
		{"", "shop", All, 24 * time.Hour},
		{"staging", "shop", Any, 24 * time.Hour},
		{"production", "web", All, 30 * 24 * time.Hour},
	}
	for _, tt := range tests {
		p := r.Resolve(tt.env, tt.client)
		if p.Combine != tt.combine || p.ValidFor != tt.valid {
			t.Errorf("%s/%s: combine %s valid %s, want %s %s", tt.env, tt.client, p.Combine, p.ValidFor, tt.combine, tt.valid)
		}
		if len(p.Authorities) != 2 || p.WriteBack.Status != "hcp_status" {
			t.Errorf("%s/%s: the base keys were lost: %+v", tt.env, tt.client, p)
		}
	}
	if got := len(r.Policies()); got != 4 {
		t.Errorf("policies = %d, want 4 (default, staging, shop, staging+shop)", got)
	}
}

func TestRuleApplies(t *testing.T) {
	p := loadRule(t, "testdata/hcp.yaml").Resolve("", "")
	yes := hcpProfile("s1", "1234567893")
	if v, ok, err := p.Applies(yes, nil); !ok || err != nil || v != "health_care_professional" {
		t.Errorf("declared profile: %q %v %v", v, ok, err)
	}
	other := hcpProfile("s2", "1")
	other.Custom["declared_role"] = "dealer"
	if _, ok, _ := p.Applies(other, nil); ok {
		t.Error("a profile declaring another value applies")
	}
	if _, ok, _ := p.Applies(&profile.Profile{Sub: "s3"}, nil); ok {
		t.Error("a profile declaring nothing applies")
	}
	ev := p.EvidenceOf(yes)
	if ev["npi"] != "1234567893" || ev["last_name"] != "Example" || len(ev) != 2 {
		t.Errorf("evidence = %v", ev)
	}
	if !p.Subscribes(profile.Event{Type: profile.Created}) || p.Subscribes(profile.Event{Type: profile.Deleted}) {
		t.Error("a rule starts on created and updated only")
	}
}

// Every problem is reported at its file:line:col, all of them in one run.
func TestRuleErrorsAtLineAndColumn(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities: [{kind: stub}]\nwrite_back: {status: s}\nexpiry: 1d\n",
			[]string{"rule.yaml:6:1: expiry: unknown key"}},
		{"bad combine", "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities: [{kind: stub}]\ncombine: most\nwrite_back: {status: s}\n",
			[]string{"rule.yaml:5:10: combine: unknown \"most\""}},
		{"missing parts", "version: 1\nclaim: hcp\n",
			[]string{"declared: required", "authorities: required", "write_back: required"}},
		{"bad path", "version: 1\nclaim: hcp\ndeclared: custom..role\nauthorities: [{kind: stub}]\nwrite_back: {status: s}\n",
			[]string{"rule.yaml:3:11: declared: bad path"}},
		{"duplicate authority", "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities:\n  - {kind: stub}\n  - {kind: stub}\nwrite_back: {status: s}\n",
			[]string{"rule.yaml:6:5: authorities[1].name: authority \"stub\" named twice"}},
		{"bad duration", "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities: [{kind: stub}]\nvalid_for: forever\nwrite_back: {status: s}\n",
			[]string{"rule.yaml:5:12: valid_for: must be a duration"}},
		{"same attribute twice", "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities: [{kind: stub}]\nwrite_back: {status: s, reference: s}\n",
			[]string{"rule.yaml:5:13: write_back: status and reference write the same attribute \"s\""}},
		{"bad override", "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities: [{kind: stub}]\nwrite_back: {status: s}\nenvironments:\n  staging:\n    claim: other\n",
			[]string{"rule.yaml:8:5: environments.staging.claim: unknown key"}},
		{"manual approvers", "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities:\n  - kind: manual\n    settings: {approvers: []}\nwrite_back: {status: s}\n",
			[]string{"rule.yaml:6:16: authorities[0].settings.approvers: required"}},
		{"manual duration", "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities:\n  - kind: manual\n    settings: {approvers: [a], remind_every: soon}\nwrite_back: {status: s}\n",
			[]string{"rule.yaml:6:46: authorities[0].settings.remind_every: must be a duration"}},
		{"yaml syntax", "version: 1\nclaim: [\n", []string{"rule.yaml:"}},
		{"bad evidence expr", "version: 1\nclaim: hcp\ndeclared: custom.role\nevidence:\n  d: {expr: 'split(email'}\nauthorities: [{kind: stub}]\nwrite_back: {status: s}\n",
			[]string{"rule.yaml:5:13: evidence.d.expr: expression"}},
		{"no status, nothing written", "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities: [{kind: stub}]\nwrite_back: {verified_at: at}\n",
			[]string{"rule.yaml:5:13: write_back.status: required (unless the rule only enriches"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Loader{}.Parse("rule.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks %q", err, w)
				}
			}
		})
	}
}

// A settings error of a registered kind points at the offending key.
func TestRuleSettingsErrorsPointAtTheKey(t *testing.T) {
	check := func(kind string, s map[string]any) error { return CheckManualSettings(s) }
	src := "version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities:\n  - kind: manual\n    settings:\n      approvers: [a]\n      colour: red\nwrite_back: {status: s}\n"
	_, err := Loader{CheckSettings: check}.Parse("rule.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "rule.yaml:8:7: authorities[0].settings.colour") {
		t.Fatalf("err = %v", err)
	}
}

func TestRuleSetLoadsADirectory(t *testing.T) {
	fsys := fstest.MapFS{
		"claims/hcp.yaml":    {Data: []byte("version: 1\nclaim: hcp\ndeclared: custom.role\nauthorities: [{kind: stub}]\nwrite_back: {status: s}\n")},
		"claims/dealer.yaml": {Data: []byte("version: 1\nclaim: dealer\ndeclared: custom.dealer\nevents: [created]\nauthorities: [{kind: stub}]\nwrite_back: {status: d}\n")},
	}
	set, err := Loader{}.LoadFS(fsys, "claims")
	if err != nil {
		t.Fatal(err)
	}
	if len(set.All()) != 2 || set.Get("dealer") == nil || set.All()[0].Name != "dealer" {
		t.Fatalf("set = %+v", set.All())
	}
	if !set.Subscribes(profile.Event{Type: profile.Updated}) || set.Subscribes(profile.Event{Type: profile.Deleted}) {
		t.Error("the set routes updated (hcp) and not deleted")
	}
	empty, err := Loader{}.LoadFS(fstest.MapFS{}, "claims")
	if err != nil || len(empty.All()) != 0 || empty.Subscribes(profile.Event{Type: profile.Updated}) {
		t.Errorf("no rules: %v %v", empty, err)
	}
}

// An enrichment rule: no status, evidence computed by an expression.
func TestEnrichmentRule(t *testing.T) {
	r := parseRule(t, "version: 1\nclaim: company\ndeclared: {from: email}\nevidence:\n  domain: {expr: 'lower(split(email, \"@\")[1])'}\n"+
		"authorities: [{kind: stub}]\nwrite_back: {attributes: {company_name: company}}\n")
	p := r.Resolve("", "")
	if got := p.EvidenceOf(&profile.Profile{Email: "Buyer@Example.TEST"}); got["domain"] != "example.test" {
		t.Errorf("evidence = %v", got)
	}
	if got := p.EvidenceOf(&profile.Profile{}); len(got) != 0 {
		t.Errorf("no e-mail: evidence = %v", got)
	}
	w := WriteBackOf(p.WriteBack, Decision{Verdict: Verified, Attributes: map[string]any{"company": "ACME"}})
	if len(w) != 1 || w["company_name"] != "ACME" {
		t.Errorf("write-back = %v", w)
	}
}
