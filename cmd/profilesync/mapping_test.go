package main

import (
	"strings"
	"testing"
)

func TestMappingTest(t *testing.T) {
	const prof = "../../pkg/mapping/testdata/profile.json"
	tests := []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"salesforce upsert", []string{"salesforce", "--profile", prof}, []string{
			"Decision: upsert (sync): profile mapped",
			`"MobilePhone": "+4915112345678"`,
			"POST http://127.0.0.1:", "/services/oauth2/token",
			"client_secret=[redacted]",
			"PATCH http://127.0.0.1:", "/sobjects/Contact/ProfileSync_Id__c/7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b",
			"Authorization: [redacted]", "→ sandbox answered 201 Created",
		}, []string{"profilesync-dev-client-secret", "Bearer "}},
		{"salesforce delete", []string{"salesforce", "--profile", prof, "--event", "deleted"}, []string{
			"Decision: delete (deleted): deleted at the source: delete",
			"DELETE http://127.0.0.1:",
		}, []string{"Record:"}},
		{"pos-terminal client drops the phone", []string{"salesforce", "--profile", prof, "--client", "pos-terminal"}, []string{
			"PATCH http://127.0.0.1:",
		}, []string{"MobilePhone"}},
		{"webhook signs the body", []string{"webhook", "--profile", prof, "--event", "created"}, []string{
			"POST http://127.0.0.1:", "/sandbox/webhook/contacts", "X-Profilesync-Signature: ", `"key": "7e8f9a0b`,
		}, nil},
		{"not subscribed", []string{"salesforce", "--profile", prof, "--event", "consent_revoked"}, []string{
			"Decision: skip (not_subscribed)", "No HTTP request: nothing to send.",
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := mustRun(t, append([]string{"mapping", "test"}, tt.args...)...)
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q:\n%s", n, out)
				}
			}
		})
	}
}

func TestMappingTestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"mapping", "test", "salesforce"},
		{"mapping", "test", "nope", "--profile", "x.json"},
		{"mapping", "run", "salesforce", "--profile", "x.json"},
		{"mapping", "test", "salesforce", "--profile", "x.json", "--event", "upserted"},
	} {
		if r := runCLI(t, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
}
