package ldap

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/url"
	"strconv"
	"unicode/utf16"

	"github.com/go-ldap/ldap/v3"
)

// Active Directory's account flags (userAccountControl): a normal account
// (512) and the ACCOUNTDISABLE bit (2); 514 is a disabled normal account.
const (
	uacAttr     = "userAccountControl"
	uacNormal   = 512
	uacDisabled = 2
)

// InitialPassword values: AD refuses to enable an account without a
// password under the default domain policy, so by default a new account
// gets a random one nobody knows (users sign in through the CIAM's SSO or
// a reset). "none" leaves it unset, for domains whose policy allows it.
const (
	InitialPasswordRandom = "random"
	InitialPasswordNone   = "none"
)

// createAD follows the sequence AD requires: add the entry disabled (514,
// no password), set unicodePwd, then enable it (512). A failure after the
// add leaves a disabled entry that the next upsert finds and enables.
func (c *Client) createAD(d directory, add *ldap.AddRequest) error {
	add.Attribute(uacAttr, []string{strconv.Itoa(uacNormal | uacDisabled)})
	if err := d.Add(add); err != nil {
		return err
	}
	if c.settings.InitialPassword == InitialPasswordRandom {
		pw, err := randomPassword()
		if err != nil {
			return err
		}
		setPw := ldap.NewModifyRequest(add.DN, nil)
		setPw.Replace("unicodePwd", []string{unicodePwd(pw)})
		if err := d.Modify(setPw); err != nil {
			return err
		}
	}
	enable := ldap.NewModifyRequest(add.DN, nil)
	enable.Replace(uacAttr, []string{strconv.Itoa(uacNormal)})
	return d.Modify(enable)
}

// readUAC parses the entry's userAccountControl.
func readUAC(e *ldap.Entry) (int64, bool) {
	v, err := strconv.ParseInt(e.GetEqualFoldAttributeValue(uacAttr), 10, 64)
	return v, err == nil
}

// unicodePwd encodes a password as AD wants it written: the password in
// double quotes, UTF-16LE, sent as raw bytes (go-ldap sends the string's
// bytes as they are; no base64).
func unicodePwd(pw string) string {
	u := utf16.Encode([]rune(`"` + pw + `"`))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(b[2*i:], r)
	}
	return string(b)
}

// randomPassword has 192 random bits plus one character of each class AD's
// complexity rule counts.
func randomPassword() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b) + "aZ7!", nil
}

// checkTransport refuses a configuration AD would refuse at the first
// create: it accepts unicodePwd only over an encrypted connection.
func (s Settings) checkTransport(c Credentials) error {
	if s.Flavor != AD || s.InitialPassword != InitialPasswordRandom {
		return nil
	}
	if u, err := url.Parse(c.URL); err == nil && u.Scheme == "ldap" && !c.StartTLS {
		return errors.New(`flavor "ad" sets an initial password, which AD accepts only over TLS: ` +
			`use an ldaps:// url or start_tls in the secret, or initial_password "none"`)
	}
	return nil
}
