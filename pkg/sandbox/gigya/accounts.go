package gigya

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
)

// Update is one setAccountInfo the fake applied: the UID and the data
// object as sent.
type Update struct {
	UID  string
	Data map[string]any
}

// PutAccount seeds an account as raw Gigya JSON; account["UID"] is set to uid.
func (f *Fake) PutAccount(uid string, account map[string]any) {
	a := deepCopy(account)
	if a == nil {
		a = map[string]any{}
	}
	a["UID"] = uid
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts[uid] = a
}

// Put seeds an account from a canonical profile, in Gigya's field names.
func (f *Fake) Put(p *profile.Profile) { f.PutAccount(p.Sub, AccountJSON(p)) }

// Delete removes an account, as accounts.deleteAccount does.
func (f *Fake) Delete(uid string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.accounts, uid)
}

// Account returns a copy of the account the fake holds for uid.
func (f *Fake) Account(uid string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.accounts[uid]
	if !ok {
		return nil, false
	}
	return deepCopy(a), true
}

// Updates returns the setAccountInfo calls applied so far, oldest first.
func (f *Fake) Updates() []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Update, len(f.updates))
	for i, u := range f.updates {
		out[i] = Update{UID: u.UID, Data: deepCopy(u.Data)}
	}
	return out
}

var genders = map[string]string{"male": "m", "female": "f"}

// AccountJSON renders p as a Gigya account (getAccountInfo with
// include=profile,data,preferences,emails,loginIDs).
func AccountJSON(p *profile.Profile) map[string]any {
	prof := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			prof[k] = v
		}
	}
	set("firstName", p.GivenName)
	set("lastName", p.FamilyName)
	set("nickname", p.Nickname)
	set("username", p.PreferredUsername)
	set("photoURL", p.Picture)
	set("email", p.Email)
	set("gender", genders[p.Gender])
	set("locale", p.Locale)
	if parts := strings.Split(p.Birthdate, "-"); p.Birthdate != "" {
		for i, k := range []string{"birthYear", "birthMonth", "birthDay"} {
			if i < len(parts) {
				if n, err := strconv.Atoi(parts[i]); err == nil {
					prof[k] = n
				}
			}
		}
	}
	if p.PhoneNumber != "" {
		prof["phones"] = []any{map[string]any{"type": "mobile", "number": p.PhoneNumber}}
	}
	if a := p.Address; a != nil {
		set("address", a.StreetAddress)
		set("city", a.Locality)
		set("state", a.Region)
		set("zip", a.PostalCode)
		set("country", a.Country)
	}
	updated := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	if p.UpdatedAt != nil {
		updated = p.UpdatedAt.UTC()
	}
	stamp := updated.Format("2006-01-02T15:04:05.000Z")
	a := map[string]any{
		"UID": p.Sub, "isActive": true, "isRegistered": true, "isVerified": p.EmailVerified,
		"created": stamp, "createdTimestamp": updated.UnixMilli(), "lastUpdated": stamp, "lastUpdatedTimestamp": updated.UnixMilli(),
		"profile": prof, "data": map[string]any{}, "preferences": map[string]any{},
	}
	for k, v := range p.Custom {
		a["data"].(map[string]any)[k] = v
	}
	for id, c := range p.Consents {
		node := a["preferences"].(map[string]any)
		path := strings.Split(id, ".")
		for _, seg := range path[:len(path)-1] {
			next, ok := node[seg].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[seg] = next
			}
			node = next
		}
		st := map[string]any{"isConsentGranted": c.Granted}
		if c.At != nil {
			st["lastConsentModified"] = c.At.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		if c.Version != "" {
			st["docVersion"] = c.Version
		}
		node[path[len(path)-1]] = st
	}
	if p.Email != "" {
		emails := map[string]any{"verified": []any{}, "unverified": []any{}}
		if p.EmailVerified {
			emails["verified"] = []any{p.Email}
		} else {
			emails["unverified"] = []any{p.Email}
		}
		a["emails"] = emails
		a["loginIDs"] = map[string]any{"emails": []any{p.Email}, "unverifiedEmails": []any{}}
	}
	return deepCopy(a)
}

// setAccountInfo merges the data parameter (a JSON object) into the
// account's data: objects deeply, a null removes a field; profile is
// merged the same way. Other parameters are not served.
func (f *Fake) setAccountInfo(w http.ResponseWriter, r *http.Request) {
	uid := r.Form.Get("UID")
	if uid == "" {
		f.fail(w, CodeMissingParameter, "Missing required parameter: UID")
		return
	}
	objs := map[string]map[string]any{}
	for _, name := range []string{"data", "profile"} {
		s := r.Form.Get(name)
		if s == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil || m == nil {
			f.fail(w, CodeInvalidParameter, "Invalid parameter value: "+name+" is not a JSON object")
			return
		}
		objs[name] = m
	}
	f.mu.Lock()
	a, ok := f.accounts[uid]
	if !ok {
		f.mu.Unlock()
		f.fail(w, CodeUnauthorizedUser, "UID not found")
		return
	}
	for name, m := range objs {
		cur, _ := a[name].(map[string]any)
		if cur == nil {
			cur = map[string]any{}
		}
		merge(cur, m)
		a[name] = cur
	}
	now := f.now().UTC()
	a["lastUpdated"], a["lastUpdatedTimestamp"] = now.Format("2006-01-02T15:04:05.000Z"), now.UnixMilli()
	f.updates = append(f.updates, Update{UID: uid, Data: deepCopy(objs["data"])})
	notify := f.onUpdate
	f.mu.Unlock()
	f.ok(w, nil)
	if notify != nil && len(objs) > 0 {
		go notify(uid)
	}
}

// merge sets src's fields on dst: objects merge deeply, null deletes.
func merge(dst, src map[string]any) {
	for k, v := range src {
		switch x := v.(type) {
		case nil:
			delete(dst, k)
		case map[string]any:
			d, ok := dst[k].(map[string]any)
			if !ok {
				d = map[string]any{}
			}
			merge(d, x)
			dst[k] = d
		default:
			dst[k] = v
		}
	}
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
