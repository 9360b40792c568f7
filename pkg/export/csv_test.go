package export_test

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/export"
)

// One field per case, CSV without a header, so the line is the field.
func TestCSVField(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delim rune
		v     any
		want  string
	}{
		{"plain", ',', "abc", "abc"},
		{"empty", ',', "", ""},
		{"nil", ',', nil, ""},
		{"comma", ',', "a,b", `"a,b"`},
		{"semicolon under comma", ',', "a;b", "a;b"},
		{"semicolon under semicolon", ';', "a;b", `"a;b"`},
		{"tab under tab", '\t', "a\tb", "\"a\tb\""},
		{"multibyte delimiter", '¦', "a¦b", `"a¦b"`},
		{"quote", ',', `say "hi"`, `"say ""hi"""`},
		{"only quotes", ',', `""`, `""""""`},
		{"CR", ',', "a\rb", "\"a\rb\""},
		{"LF", ',', "a\nb", "\"a\nb\""},
		{"CRLF", ',', "a\r\nb", "\"a\r\nb\""},
		{"leading space", ',', " a", `" a"`},
		{"leading tab", ',', "\ta", "'\ta"},
		{"leading space then formula", ',', " =1", `" =1"`},
		{"formula", ',', "=HYPERLINK(\"http://x\")", `"'=HYPERLINK(""http://x"")"`},
		{"formula with comma", ',', "=1+2,3", `"'=1+2,3"`},
		{"plus", ',', "+4915112345678", "'+4915112345678"},
		{"minus text", ',', "-2+3", "'-2+3"},
		{"at", ',', "@SUM(A1)", "'@SUM(A1)"},
		{"leading CR", ',', "\rx", "\"'\rx\""},
		{"formula pointer", ',', ptr("=1"), "'=1"},
		{"equals inside", ',', "a=b", "a=b"},
		{"negative int stays", ',', -7, "-7"},
		{"negative float stays", ',', -0.5, "-0.5"},
		{"trailing space", ',', "a ", "a "},
		{"unicode", ',', "Zoë 名前 🙂", "Zoë 名前 🙂"},
		{"true", ',', true, "true"},
		{"int", ',', -42, "-42"},
		{"uint64 max", ',', uint64(18446744073709551615), "18446744073709551615"},
		{"integral float", ',', float64(3000000), "3000000"},
		{"large integral float", ',', 1e20, "100000000000000000000"},
		{"float", ',', 0.1, "0.1"},
		{"tiny float", ',', 1e-7, "1e-07"},
		{"float32", ',', float32(0.1), "0.1"},
		{"time", ',', time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05Z"},
		{"time with zone", ',', time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.FixedZone("", -3600)), "2026-01-02T03:04:05.006-01:00"},
		{"pointer", ',', ptr("x,y"), `"x,y"`},
		{"nil pointer", ',', (*string)(nil), ""},
		{"list", ',', []string{"a", "b"}, `"[""a"",""b""]"`},
		{"list under semicolon", ';', []string{"a", "b"}, `"[""a"",""b""]"`},
		{"map", ';', map[string]int{"b": 2, "a": 1}, `"{""a"":1,""b"":2}"`},
		{"html stays", ';', map[string]string{"a": "<b>&"}, `"{""a"":""<b>&""}"`},
		{"bytes", ',', []byte("hi"), "aGk="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := export.Format{Type: export.CSV, Delimiter: tc.delim, Header: export.WithHeader(false)}
			b, _ := encode(t, f, []string{"c"}, [][]any{{tc.v}})
			if got, want := string(b), tc.want+"\r\n"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// KeepFormulas writes formula-like text as it is, for machine consumers.
func TestCSVKeepFormulas(t *testing.T) {
	f := export.Format{Type: export.CSV, Header: export.WithHeader(false), KeepFormulas: true}
	b, _ := encode(t, f, []string{"a", "b"}, [][]any{{"=1+2", "+49 151"}})
	if got, want := string(b), "=1+2,+49 151\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := (export.Format{Type: export.NDJSON, KeepFormulas: true}).Validate(); err == nil {
		t.Error("formulas is a CSV setting; ndjson accepted it")
	}
}

// Whatever the values, encoding/csv reads back the fields we meant.
func TestCSVReadBack(t *testing.T) {
	for _, delim := range []rune{',', ';', '\t', '|'} {
		f := export.Format{Type: export.CSV, Delimiter: delim}
		rows := sampleRows()
		b, _ := encode(t, f, sampleColumns, rows)
		r := csv.NewReader(strings.NewReader(string(b)))
		r.Comma = delim
		got, err := r.ReadAll()
		if err != nil {
			t.Fatalf("delimiter %q: %v", delim, err)
		}
		if len(got) != len(rows)+1 || strings.Join(got[0], "|") != strings.Join(sampleColumns, "|") {
			t.Fatalf("delimiter %q: header or row count wrong: %q", delim, got)
		}
		if got[2][1] != `O'Brien, "Bo"` || got[2][7] != "two\nlines" || got[3][1] != " leading" || got[3][7] != "tab\there" {
			// encoding/csv turns a quoted CRLF into LF.
			t.Errorf("delimiter %q: fields read back as %q", delim, got[2:4])
		}
	}
}

func TestCSVRowErrors(t *testing.T) {
	ctx := t.Context()
	dest := export.NewMemory()
	s, err := export.NewSegment(ctx, dest, "x.csv", export.Format{Type: export.CSV}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write([]any{"only one"}); err == nil {
		t.Error("a short row was accepted")
	}
	err = s.Write([]any{"ok", func() {}})
	if err == nil || !strings.Contains(err.Error(), "column b") {
		t.Errorf("an unencodable value: %v, want an error naming column b", err)
	}
	if _, err := s.Close(ctx); err == nil {
		t.Error("a broken segment closed without error")
	}
	if len(dest.Names()) != 0 || dest.Open() != 0 {
		t.Errorf("a broken segment left %v, %d open", dest.Names(), dest.Open())
	}
}

func ptr[T any](v T) *T { return &v }
