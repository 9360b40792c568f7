package claims

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/profilesync/profilesync/pkg/profile"
)

// The answers for CIAM hooks that store the verdict in their own flow:
// Okta's registration inline hook (?format=okta) and an Ory Kratos web
// hook with response parsing (?format=kratos).

// oktaRequest is the part of an Okta registration inline hook request we
// read (developer.okta.com: registration inline hook reference). The
// request type is at the top level ("self.service.registration" or
// "progressive.profile"); a progressive profile request carries the
// user's current profile in data.context.user.profile and the submitted
// fields in data.userProfileUpdate.
type oktaRequest struct {
	EventType   string `json:"eventType"`
	RequestType string `json:"requestType"`
	Data        struct {
		Context struct {
			User *struct {
				ID      string         `json:"id"`
				Profile map[string]any `json:"profile"`
			} `json:"user"`
		} `json:"context"`
		UserProfile       map[string]any `json:"userProfile"`
		UserProfileUpdate map[string]any `json:"userProfileUpdate"`
		RequestType       string         `json:"requestType"` // where an earlier reading of the docs had it
	} `json:"data"`
}

// oktaRegistrationPrefix starts the stand-in subject of a self-service
// registration: no Okta user has it, so nothing can continue its check
// later (Okta's user.lifecycle.create event brings the real id).
const oktaRegistrationPrefix = "okta-registration:"

// decodeOkta reads an Okta registration (or progressive profile) inline
// hook request into a verify request. Self-service registration has no
// user id yet: the subject is a hash of the login, prefixed so it never
// collides with an Okta id.
func decodeOkta(body []byte) (req VerifyRequest, progressive bool, err error) {
	var r oktaRequest
	if err := json.Unmarshal(body, &r); err != nil {
		return VerifyRequest{}, false, errors.New("malformed okta hook request: " + jsonProblem(err))
	}
	if r.EventType != "com.okta.user.pre-registration" {
		return VerifyRequest{}, false, errors.New("malformed okta hook request: eventType must be com.okta.user.pre-registration")
	}
	attrs := map[string]any{}
	if u := r.Data.Context.User; u != nil {
		for k, v := range u.Profile {
			attrs[k] = v
		}
	}
	for k, v := range r.Data.UserProfile {
		attrs[k] = v
	}
	for k, v := range r.Data.UserProfileUpdate {
		attrs[k] = v
	}
	p := &profile.Profile{Custom: map[string]any{}}
	for k, v := range attrs {
		s, _ := v.(string)
		switch k {
		case "email":
			p.Email = s
		case "firstName":
			p.GivenName = s
		case "lastName":
			p.FamilyName = s
		case "login":
			p.PreferredUsername = s
		default:
			p.Custom[k] = v
		}
	}
	if u := r.Data.Context.User; u != nil && u.ID != "" {
		p.Sub = u.ID
	} else {
		login := p.PreferredUsername
		if login == "" {
			login = p.Email
		}
		if login == "" {
			return VerifyRequest{}, false, errors.New("malformed okta hook request: userProfile has no login or email")
		}
		h := sha256.Sum256([]byte(strings.ToLower(login)))
		p.Sub = oktaRegistrationPrefix + hex.EncodeToString(h[:12])
	}
	// Okta has verified nothing at registration; a rule that requires a
	// verified e-mail keeps the claim pending until it has.
	progressive = r.RequestType == "progressive.profile" || r.RequestType == "" && r.Data.RequestType == "progressive.profile"
	return VerifyRequest{Source: "okta", Profile: p}, progressive, nil
}

type oktaCommand struct {
	Type  string         `json:"type"`
	Value map[string]any `json:"value"`
}

type oktaResponse struct {
	Commands []oktaCommand `json:"commands"`
}

// oktaAnswer tells Okta to store the verdicts on the new profile and to
// let the registration go on: a claim's verdict never blocks a sign-up.
// Progressive profiling (Identity Engine) takes its own command type.
func oktaAnswer(res VerifyResponse, progressive bool) oktaResponse {
	update := map[string]any{}
	for _, r := range res.Results {
		for k, v := range r.WriteBack {
			if v != nil {
				update[k] = v
			}
		}
	}
	out := oktaResponse{}
	if len(update) > 0 {
		t := "com.okta.user.profile.update"
		if progressive {
			t = "com.okta.user.progressive.profile.update"
		}
		out.Commands = append(out.Commands, oktaCommand{Type: t, Value: update})
	}
	out.Commands = append(out.Commands, oktaCommand{Type: "com.okta.action.update", Value: map[string]any{"registration": "ALLOW"}})
	return out
}

// kratosRequest is what the web hook's Jsonnet sends: the identity
// (function(ctx) { identity: ctx.identity }).
type kratosRequest struct {
	Identity *struct {
		ID                  string         `json:"id"`
		Traits              map[string]any `json:"traits"`
		MetadataPublic      map[string]any `json:"metadata_public"`
		VerifiableAddresses []struct {
			Value    string `json:"value"`
			Via      string `json:"via"`
			Verified bool   `json:"verified"`
		} `json:"verifiable_addresses"`
	} `json:"identity"`
}

// decodeKratos reads a Kratos web hook body into a verify request:
// traits become the profile (email, name.first/last, the rest custom),
// metadata_public holds earlier verdicts.
func decodeKratos(body []byte) (VerifyRequest, error) {
	var r kratosRequest
	if err := json.Unmarshal(body, &r); err != nil {
		return VerifyRequest{}, errors.New("malformed kratos hook request: " + jsonProblem(err))
	}
	if r.Identity == nil || r.Identity.ID == "" {
		return VerifyRequest{}, errors.New("malformed kratos hook request: identity.id is required (Jsonnet: function(ctx) { identity: ctx.identity })")
	}
	p := &profile.Profile{Sub: r.Identity.ID, Custom: map[string]any{}}
	for k, v := range r.Identity.MetadataPublic {
		p.Custom[k] = v
	}
	for k, v := range r.Identity.Traits {
		switch k {
		case "email":
			p.Email, _ = v.(string)
		case "name":
			if n, ok := v.(map[string]any); ok {
				p.GivenName, _ = n["first"].(string)
				p.FamilyName, _ = n["last"].(string)
			} else {
				p.Name, _ = v.(string)
			}
		default:
			p.Custom[k] = v
		}
	}
	for _, a := range r.Identity.VerifiableAddresses {
		if a.Via == "email" && strings.EqualFold(a.Value, p.Email) && a.Verified {
			p.EmailVerified = true
		}
	}
	return VerifyRequest{Source: "kratos", Profile: p}, nil
}

// kratosAnswer is the identity patch Kratos applies with response
// parsing: metadata_public (which users cannot edit, unlike traits) with
// the verdicts merged into what it held.
func kratosAnswer(body []byte, res VerifyResponse) map[string]any {
	var r kratosRequest
	_ = json.Unmarshal(body, &r) // decoded before; cannot fail now
	meta := map[string]any{}
	if r.Identity != nil {
		for k, v := range r.Identity.MetadataPublic {
			meta[k] = v
		}
	}
	for _, x := range res.Results {
		keys := make([]string, 0, len(x.WriteBack))
		for k := range x.WriteBack {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if v := x.WriteBack[k]; v == nil {
				delete(meta, k)
			} else {
				meta[k] = v
			}
		}
	}
	return map[string]any{"identity": map[string]any{"metadata_public": meta}}
}
