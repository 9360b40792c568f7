package ldap

import (
	"errors"
	"github.com/profilesync/profilesync/pkg/redact"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/profilesync/profilesync/pkg/fault"
)

// maxMessage bounds the directory message kept in an error.
const maxMessage = 300

// transientCodes may succeed later: the directory is busy or going away,
// or (80 other) could not say why. 81/85/91 and ErrorNetwork are go-ldap's
// own codes for a lost or refused connection.
var transientCodes = map[uint16]bool{
	ldap.LDAPResultTimeLimitExceeded:  true,
	ldap.LDAPResultAdminLimitExceeded: true,
	ldap.LDAPResultBusy:               true,
	ldap.LDAPResultUnavailable:        true,
	ldap.LDAPResultOther:              true,
	ldap.LDAPResultServerDown:         true,
	ldap.LDAPResultTimeout:            true,
	ldap.LDAPResultConnectError:       true,
	ldap.ErrorNetwork:                 true,
}

// reconnectCodes are worth a fresh connection and bind before giving up:
// the connection dropped, the server restarted, or a bind that used to
// work no longer counts (AD ends idle sessions).
var reconnectCodes = []uint16{
	ldap.LDAPResultUnavailable, ldap.LDAPResultServerDown, ldap.LDAPResultConnectError,
	ldap.ErrorNetwork, ldap.LDAPResultInvalidCredentials,
}

// classify turns a go-ldap error into a fault.Error: Status is the result
// code, Code its name, Message the directory's diagnostic with the values
// we sent removed (AD quotes DNs; syntax errors may quote values). Result
// codes not listed as transient are permanent: they name a schema,
// permission or configuration problem no retry fixes (17, 19, 21, 34, 50,
// 53, 64, 65, 66, 10 referral, …). bind marks a failed bind, where 49
// means the secret's credentials are wrong.
func classify(err error, bind bool, sent []string) *fault.Error {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe
	}
	var le *ldap.Error
	if !errors.As(err, &le) {
		return fault.Wrap(fault.Transient, err)
	}
	code := le.ResultCode
	msg := ""
	if le.Err != nil {
		msg = redact.Message(strings.TrimSpace(le.Err.Error()), sent, maxMessage)
	}
	e := fault.New(fault.Permanent, int(code), codeName(code), msg)
	switch {
	case transientCodes[code]:
		e.Class = fault.Transient
	case code == ldap.LDAPResultInvalidCredentials:
		e.Class = fault.Auth
		if bind {
			e.Message = "bind refused (check bind_dn and bind_password in the secret)"
			if msg != "" {
				e.Message += ": " + msg
			}
		}
	}
	return e
}

// codeName is the result code's name in camel case, e.g.
// "undefinedAttributeType", as RFC 4511 spells them.
func codeName(code uint16) string {
	name, ok := ldap.LDAPResultCodeMap[code]
	if !ok {
		return ""
	}
	words := strings.Fields(name)
	for i, w := range words {
		if i == 0 {
			words[i] = strings.ToLower(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, "")
}

// isCode reports whether err is an LDAP result with one of codes.
func isCode(err error, codes ...uint16) bool { return ldap.IsErrorAnyOf(err, codes...) }
