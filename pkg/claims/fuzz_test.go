package claims

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// jsonStrings returns the object keys and the string values of body, as
// far as it is valid JSON.
func jsonStrings(body []byte) (keys, values []string) {
	type frame struct{ obj, wantKey bool }
	var st []frame
	valueDone := func() {
		if n := len(st); n > 0 && st[n-1].obj {
			st[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return keys, values
		}
		isKey := len(st) > 0 && st[len(st)-1].obj && st[len(st)-1].wantKey
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				st = append(st, frame{obj: true, wantKey: true})
			case '[':
				st = append(st, frame{})
			default:
				if len(st) > 0 {
					st = st[:len(st)-1]
				}
				valueDone()
			}
		case string:
			if isKey {
				keys = append(keys, v)
				st[len(st)-1].wantKey = false
			} else {
				values = append(values, v)
				valueDone()
			}
		default:
			valueDone()
		}
	}
}

// quotesAValue reports a string value of body that msg contains: a value
// of four characters or more that is not a number and appears in none of
// the keys (an unknown field is named) nor in fixed, the message's own
// words.
func quotesAValue(body []byte, msg, fixed string) (string, bool) {
	keys, values := jsonStrings(body)
	keyText := strings.Join(keys, ".")
	for _, v := range values {
		if len([]rune(v)) < 4 || strings.IndexFunc(v, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
			continue
		}
		if strings.Contains(keyText, v) || strings.Contains(fixed, v) {
			continue
		}
		if strings.Contains(msg, v) {
			return v, true
		}
	}
	return "", false
}

var verifyRequestError = regexp.MustCompile(`^malformed request: (invalid JSON at byte \d+|invalid JSON|empty body|field ".*" has the wrong type|unknown field ".*"|one JSON object expected|profile\.sub is required|a field is too long)$`)

const verifyRequestWords = "malformed request: invalid JSON at byte empty body field has the wrong type unknown field one JSON object expected profile.sub is required a field is too long"

func FuzzDecodeVerifyRequest(f *testing.F) {
	for _, s := range []string{
		`{"profile": {"sub": "SECRET-123"}}`,
		`{"source": "cidaas", "profile": {"sub": "s1", "email": "SECRET-123@example.org", "custom": {"npi": "SECRET-123"}}, "write_back": false, "rules": ["hcp"]}`,
		`{"profile": {"sub": "s1", "updated_at": "SECRET-123"}}`,
		`{"profile": {"sub": "s1", "email": ["SECRET-123"]}}`,
		`{"profile": {"email": "SECRET-123"}}`,
		`{"profile": {"sub": "SECRET-123"}, "bogus": "SECRET-123"}`,
		`{"profile": {"sub": "SECRET-123"}} {"x": "SECRET-123"}`,
		`{"profile": {"sub": "SECRET-123"`,
		`{"profile": {"sub": ""}, "environment": "SECRET-123"}`,
		`{"profile": {"sub": "s1", "consents": {"SECRET-123": {"granted": "SECRET-123"}}}}`,
		`{"profile": {"sub": "s1", "address": {"region": 5}}, "client_id": "SECRET-123"}`,
		`["SECRET-123"]`,
		`"SECRET-123"`,
		``,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeVerifyRequest(body)
		if err == nil {
			if req.Profile == nil || req.Profile.Sub == "" {
				t.Fatalf("accepted without profile.sub: %q", body)
			}
			return
		}
		msg := err.Error()
		if !verifyRequestError.MatchString(msg) {
			t.Fatalf("unexpected error %q for %q", msg, body)
		}
		if v, ok := quotesAValue(body, msg, verifyRequestWords); ok {
			t.Fatalf("error %q quotes the value %q", msg, v)
		}
		if strings.Contains(msg, "SECRET-123") && !strings.Contains(strings.Join(keysOf(body), "."), "SECRET-123") {
			t.Fatalf("error %q quotes the seed's secret", msg)
		}
	})
}

func keysOf(body []byte) []string {
	k, _ := jsonStrings(body)
	return k
}

const hookWords = "malformed okta hook request: malformed kratos hook request: invalid JSON at byte empty body field has the wrong type " +
	"eventType must be com.okta.user.pre-registration userProfile has no login or email " +
	"identity.id is required (Jsonnet: function(ctx) { identity: ctx.identity })"

func FuzzOktaDecode(f *testing.F) {
	f.Add([]byte(compactJSON([]byte(oktaRegistration)))) // compact: the indented seed stalled the fuzzer
	f.Add([]byte(compactJSON([]byte(oktaProgressive))))  // compact: the indented seed stalled the fuzzer
	for _, s := range []string{
		`{"eventType": "com.okta.user.pre-registration", "data": {"userProfile": {"email": "SECRET-123@example.org"}}}`,
		`{"eventType": "com.okta.user.pre-registration", "data": {"userProfile": {"firstName": "SECRET-123"}}}`,
		`{"eventType": "com.okta.user.pre-registration", "data": {"userProfile": ["SECRET-123"]}}`,
		`{"eventType": "SECRET-123", "data": {}}`,
		`{"eventType": "com.okta.user.pre-registration", "requestType": "progressive.profile", "data": {"context": {"user": {"id": "SECRET-123", "profile": {"login": 5}}}, "userProfileUpdate": {"npi": "SECRET-123"}}}`,
		`{"eventType": "com.okta.user.pre-registration", "data": {"context": {"user": null}, "userProfile": {"login": "SECRET-123"}}}`,
		`{"eventType": "com.okta.user.pre-registration", "data": {"userProfile": {"email": "SECRET-123`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, progressive, err := decodeOkta(body)
		if err == nil {
			if req.Profile == nil || req.Profile.Sub == "" || req.Source != "okta" {
				t.Fatalf("accepted without a subject: %+v for %q", req, body)
			}
			ans := oktaAnswer(VerifyResponse{Subject: req.Profile.Sub, Results: []ClaimResult{{WriteBack: map[string]any{"a": "b", "c": nil}}}}, progressive)
			if n := len(ans.Commands); n != 2 || ans.Commands[n-1].Type != "com.okta.action.update" {
				t.Fatalf("answer %+v", ans)
			}
			return
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "malformed okta hook request: ") {
			t.Fatalf("unexpected error %q", msg)
		}
		if v, ok := quotesAValue(body, msg, hookWords); ok {
			t.Fatalf("error %q quotes the value %q", msg, v)
		}
	})
}

func FuzzKratosDecode(f *testing.F) {
	f.Add([]byte(compactJSON([]byte(kratosSettings)))) // compact: the indented seed stalled the fuzzer
	for _, s := range []string{
		`{"identity": {"id": "SECRET-123", "traits": {"email": "SECRET-123@example.org", "name": "SECRET-123"}}}`,
		`{"identity": {"traits": {"email": "SECRET-123@example.org"}}}`,
		`{"identity": {"id": "x", "traits": ["SECRET-123"]}}`,
		`{"identity": {"id": "x", "metadata_public": null, "verifiable_addresses": [{"value": "SECRET-123", "via": "email", "verified": "yes"}]}}`,
		`{"identity": {"id": "x", "traits": {"name": {"first": 5, "last": ["SECRET-123"]}}}}`,
		`{"identity": null}`,
		`{"identity": {"id": "SECRET-123`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeKratos(body)
		if err == nil {
			if req.Profile == nil || req.Profile.Sub == "" || req.Source != "kratos" {
				t.Fatalf("accepted without a subject: %+v for %q", req, body)
			}
			ans := kratosAnswer(body, VerifyResponse{Subject: req.Profile.Sub, Results: []ClaimResult{{WriteBack: map[string]any{"a": "b", "c": nil}}}})
			id, _ := ans["identity"].(map[string]any)
			meta, ok := id["metadata_public"].(map[string]any)
			if !ok || meta["a"] != "b" {
				t.Fatalf("answer %v", ans)
			}
			if _, ok := meta["c"]; ok {
				t.Fatalf("a nil survived: %v", meta)
			}
			if _, err := json.Marshal(ans); err != nil {
				t.Fatalf("answer not JSON: %v", err)
			}
			return
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "malformed kratos hook request: ") {
			t.Fatalf("unexpected error %q", msg)
		}
		if v, ok := quotesAValue(body, msg, hookWords); ok {
			t.Fatalf("error %q quotes the value %q", msg, v)
		}
	})
}
