package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/pkg/claims"
	"github.com/profilesync/profilesync/pkg/claims/authority/internal/lookup"
)

// searcher is the one operation judging needs of a connection.
type searcher interface {
	Search(*ldap.SearchRequest) (*ldap.SearchResult, error)
}

// Check searches with req's evidence and judges the entry found.
func (a *Authority) Check(ctx context.Context, req claims.Request) (claims.Answer, error) {
	filter, _, ok := lookup.Expand(a.settings.Filter, req.Evidence, ldap.EscapeFilter)
	if !ok {
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonMissing}, nil
	}
	var ans claims.Answer
	err := a.with(ctx, func(c *ldap.Conn) error {
		var err error
		ans, err = a.judge(ctx, c, filter)
		return err
	})
	switch {
	case errors.Is(err, claims.ErrUnavailable), errors.Is(err, claims.ErrMisconfigured):
		return claims.Answer{}, err
	case err != nil:
		return claims.Answer{}, a.classify("search", err)
	}
	ans.Calls = []claims.Call{{Method: "SEARCH", URL: "ldap:///" + a.settings.BaseDN + "??sub?" + filter, Answer: ans.Reason}}
	return ans, nil
}

// judge finds the one entry filter names and applies the requirements.
// Its error is the directory's, unclassified.
func (a *Authority) judge(ctx context.Context, c searcher, filter string) (claims.Answer, error) {
	secs := int(timeout(ctx).Seconds())
	res, err := c.Search(ldap.NewSearchRequest(a.settings.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases,
		2, secs, false, filter, a.requested(), nil))
	switch {
	case ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded):
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonAmbiguous}, nil
	case err != nil:
		return claims.Answer{}, err
	case len(res.Entries) == 0:
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonNoEntry}, nil
	case len(res.Entries) > 1:
		return claims.Answer{Verdict: claims.Rejected, Reason: ReasonAmbiguous}, nil
	}
	e := res.Entries[0]
	for attr, want := range a.settings.RequireAttribute {
		if !holds(e.GetEqualFoldAttributeValues(attr), want) {
			return claims.Answer{Verdict: claims.Rejected, Reason: ReasonAttribute, Reference: e.DN}, nil
		}
	}
	if a.settings.RequireGroup != "" {
		in, err := a.member(c, e, secs)
		if err != nil {
			return claims.Answer{}, err
		}
		if !in {
			return claims.Answer{Verdict: claims.Rejected, Reason: ReasonNotInGrp, Reference: e.DN}, nil
		}
	}
	ans := claims.Answer{Verdict: claims.Verified, Reason: ReasonVerified, Reference: e.DN}
	for name, attr := range a.settings.Attributes {
		switch vs := e.GetEqualFoldAttributeValues(attr); len(vs) {
		case 0:
		case 1:
			ans.Attributes = put(ans.Attributes, name, vs[0])
		default:
			ans.Attributes = put(ans.Attributes, name, vs)
		}
	}
	return ans, nil
}

func put(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}

func holds(values []string, want string) bool {
	for _, v := range values {
		if strings.EqualFold(v, want) {
			return true
		}
	}
	return false
}

// member reports whether e belongs to require_group: by its memberOf
// values when it has any (AD, OpenLDAP's memberof overlay), else by
// asking the group for a member or uniqueMember equal to e's DN.
func (a *Authority) member(c searcher, e *ldap.Entry, secs int) (bool, error) {
	group, err := ldap.ParseDN(a.settings.RequireGroup)
	if err != nil {
		return false, fmt.Errorf("require_group: not a DN") // checked when the settings loaded
	}
	if of := e.GetEqualFoldAttributeValues("memberOf"); len(of) > 0 {
		for _, v := range of {
			if dn, err := ldap.ParseDN(v); err == nil && dn.EqualFold(group) {
				return true, nil
			}
		}
		return false, nil
	}
	dn := ldap.EscapeFilter(e.DN)
	res, err := c.Search(ldap.NewSearchRequest(a.settings.RequireGroup, ldap.ScopeBaseObject, ldap.NeverDerefAliases,
		1, secs, false, "(|(member="+dn+")(uniqueMember="+dn+"))", []string{"1.1"}, nil))
	if err != nil {
		return false, err
	}
	return len(res.Entries) > 0, nil
}
