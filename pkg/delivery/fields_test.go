package delivery

import (
	"strings"
	"testing"

	"github.com/profilesync/profilesync/pkg/mapping"
)

func TestMask(t *testing.T) {
	for in, want := range map[any]string{
		"jane.doe@example.com": "j***@e***.com",
		"jane@localhost":       "j***@l***",
		"+4915112345612":       "+49***12",
		"+49 151 1234-5612":    "+49***12",
		"030 1234567":          "03***67",
		"Berlin":               "B***",
		"Ärzte":                "Ä***",
		"":                     "",
		true:                   "***",
		42.0:                   "***",
		nil:                    "null",
	} {
		if got := mask(in); got != want {
			t.Errorf("mask(%v) = %q, want %q", in, got, want)
		}
	}
}

// A fingerprint depends on the key: without it a guessed value's hash
// cannot be computed and looked up.
func TestPrintIsKeyed(t *testing.T) {
	a := printOf([]byte("key-a"), mapping.LogHash, "jane@example.com")
	b := printOf([]byte("key-b"), mapping.LogHash, "jane@example.com")
	if len(a) != fingerprintLen || a == b {
		t.Errorf("prints %q and %q: want %d hex each, differing by key", a, b, fingerprintLen)
	}
	if a != printOf([]byte("key-a"), mapping.LogHash, "jane@example.com") {
		t.Error("print not stable")
	}
	if sameValue(a, printOf([]byte("key-a"), mapping.LogHash, "john@example.com")) {
		t.Error("two e-mails print alike")
	}
}

func TestShownFollowsTheMappingNow(t *testing.T) {
	key := []byte("k")
	plain := printOf(key, mapping.LogPlain, "jane@example.com")
	masked := printOf(key, mapping.LogMask, "jane@example.com")
	hashed := printOf(key, mapping.LogHash, "jane@example.com")
	fp := "h:" + hashed
	for _, tt := range []struct {
		print string
		mode  mapping.LogValues
		want  string
	}{
		{plain, mapping.LogPlain, "jane@example.com"},
		{plain, mapping.LogMask, "j***@e***.com"}, // logged plain once, masked now: no raw value
		{plain, mapping.LogHash, fp},
		{plain, mapping.LogOmit, ""},
		{masked, mapping.LogMask, "j***@e***.com"},
		{masked, mapping.LogPlain, "j***@e***.com"}, // the raw value was never kept
		{hashed, mapping.LogPlain, fp},
		{hashed, mapping.LogMask, fp},
		{"", mapping.LogHash, ""},
	} {
		if got := shown(tt.print, tt.mode); got != tt.want {
			t.Errorf("shown(%q, %s) = %q, want %q", tt.print, tt.mode, got, tt.want)
		}
	}
}

func TestDiffFields(t *testing.T) {
	key := []byte("k")
	log := mapping.LogSettings{Fields: map[string]mapping.LogValues{"Opt": mapping.LogPlain}}
	p := func(f string, v any) string { return printOf(key, log.For(f), v) }
	old := map[string]string{"Email": p("Email", "a@x.io"), "Opt": p("Opt", false), "City": p("City", "Berlin")}
	upd := map[string]string{"Email": p("Email", "b@x.io"), "Opt": p("Opt", true), "City": p("City", "Berlin"), "Tier": p("Tier", "gold")}
	got := diffFields(old, upd, log)
	want := []Change{
		{Field: "Email", Old: "h:" + old["Email"], New: "h:" + upd["Email"]},
		{Field: "Opt", Old: "false", New: "true"},
		{Field: "Tier", New: "h:" + upd["Tier"]},
	}
	if len(got) != len(want) {
		t.Fatalf("diff %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if del := diffFields(old, nil, log); len(del) != 3 || del[0].Field != "City" || del[0].New != "" || del[0].Old == "" {
		t.Errorf("delete diff %+v: want every old field, no new values", del)
	}
	if merged := mergePrints(old, map[string]string{"Email": upd["Email"]}); merged["City"] != old["City"] || merged["Email"] != upd["Email"] {
		t.Errorf("merge %v", merged)
	}
}

// The prints of a record hold no raw value but where the mapping says
// plain, and stay short (the DynamoDB item limit).
func TestFieldPrintsHoldNoRawValue(t *testing.T) {
	m, err := withPhone.Parse("crm.yaml", []byte("version: 1\nconnector: generic\nevents: [created]\n"+
		"fields: {contact.email: email, contact.phone: phone_number, name: given_name, opt: consents.newsletter.granted}\n"+
		"log: {fields: {contact.email: mask, opt: plain}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Mapping: m, LogKey: []byte("0123456789abcdef")}
	prints := h.fieldPrints(map[string]any{"contact": map[string]any{"email": "jane@example.com", "phone": "+4915112345612"},
		"name": "Jane", "opt": true})
	all := ""
	for f, p := range prints {
		all += f + "=" + p + ";"
		if len(p) > fingerprintLen+1+plainMax*4 {
			t.Errorf("%s: print of %d bytes", f, len(p))
		}
	}
	for _, raw := range []string{"jane@example.com", "4915112345612", "Jane"} {
		if strings.Contains(all, raw) {
			t.Errorf("prints %s hold %q", all, raw)
		}
	}
	if len(prints) != 4 || !strings.HasSuffix(prints["opt"], "ptrue") || !strings.HasSuffix(prints["contact.email"], "mj***@e***.com") {
		t.Errorf("prints %v", prints)
	}
}
