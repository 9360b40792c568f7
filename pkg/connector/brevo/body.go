package brevo

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/profilesync/profilesync/internal/lazyregexp"
	"github.com/profilesync/profilesync/pkg/fault"
)

// Reserved field names (matched case-insensitively); every other field is
// a contact attribute.
const (
	fieldEmail            = "email"            // the contact's email
	fieldSubscribed       = "subscribed"       // bool: in list_ids or not
	fieldEmailBlacklisted = "emailblacklisted" // bool
	fieldSMSBlacklisted   = "smsblacklisted"   // bool
	fieldExtID            = "ext_id"           // dropped: the key is the ext_id
)

// attributeRE is an attribute name once upper-cased.
var attributeRE = lazyregexp.New(`^[A-Z][A-Z0-9_]{0,99}$`)

// contact is a record's fields sorted into what Brevo takes.
type contact struct {
	email      string
	attributes map[string]any
	emailBL    *bool
	smsBL      *bool
	subscribed *bool
}

// updateBody is the PUT /v3/contacts/{identifier} body.
type updateBody struct {
	Attributes       map[string]any `json:"attributes,omitempty"`
	EmailBlacklisted *bool          `json:"emailBlacklisted,omitempty"`
	SMSBlacklisted   *bool          `json:"smsBlacklisted,omitempty"`
	ListIDs          []int64        `json:"listIds,omitempty"`
	UnlinkListIDs    []int64        `json:"unlinkListIds,omitempty"`
}

// createBody is the POST /v3/contacts body.
type createBody struct {
	Email            string         `json:"email,omitempty"`
	ExtID            string         `json:"ext_id,omitempty"`
	Attributes       map[string]any `json:"attributes,omitempty"`
	EmailBlacklisted *bool          `json:"emailBlacklisted,omitempty"`
	SMSBlacklisted   *bool          `json:"smsBlacklisted,omitempty"`
	ListIDs          []int64        `json:"listIds,omitempty"`
	UpdateEnabled    bool           `json:"updateEnabled"`
}

// parseFields sorts mapped fields into a contact. Attribute names are
// upper-cased, as Brevo wants them.
func parseFields(fields map[string]any) (contact, error) {
	c := contact{attributes: map[string]any{}}
	for name, v := range fields {
		var err error
		switch strings.ToLower(name) {
		case fieldEmail:
			if v != nil {
				s, ok := v.(string)
				if !ok {
					err = fmt.Errorf("want a string")
				}
				c.email = s
			}
		case fieldSubscribed:
			c.subscribed, err = optBool(v)
		case fieldEmailBlacklisted:
			c.emailBL, err = optBool(v)
		case fieldSMSBlacklisted:
			c.smsBL, err = optBool(v)
		case fieldExtID:
		default:
			attr := strings.ToUpper(name)
			if !attributeRE.MatchString(attr) {
				err = fmt.Errorf("not a Brevo attribute name (letters, digits, underscores)")
				break
			}
			c.attributes[attr], err = attributeValue(v)
		}
		if err != nil {
			return contact{}, fault.New(fault.Permanent, 0, "", fmt.Sprintf("field %q: %v", name, err))
		}
	}
	return c, nil
}

func optBool(v any) (*bool, error) {
	switch b := v.(type) {
	case nil:
		return nil, nil
	case bool:
		return &b, nil
	}
	return nil, fmt.Errorf("want true or false")
}

// attributeValue keeps what Brevo's attribute types take: text, numbers,
// booleans, dates (YYYY-MM-DD) and lists of text (multiple choice). Nil
// clears the attribute.
func attributeValue(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string, bool, float64, float32, int, int64, int32, uint, uint64, uint32, json.Number:
		return x, nil
	case time.Time:
		return x.Format(time.DateOnly), nil
	case []string:
		return x, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			switch s := e.(type) {
			case string:
				out = append(out, s)
			case float64:
				out = append(out, strconv.FormatFloat(s, 'f', -1, 64))
			default:
				return nil, fmt.Errorf("a list attribute takes text values only")
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("a nested value cannot be an attribute")
}

// update is the PUT body for c. In ext_id mode the email travels as the
// EMAIL attribute, which is how Brevo changes a contact's email.
func (cl *Client) update(c contact) updateBody {
	b := updateBody{Attributes: copyAttrs(c.attributes), EmailBlacklisted: c.emailBL, SMSBlacklisted: c.smsBL}
	if cl.settings.Identifier == ByExtID && c.email != "" {
		b.Attributes["EMAIL"] = c.email
	}
	if c.subscribed != nil && len(cl.settings.ListIDs) > 0 {
		if *c.subscribed {
			b.ListIDs = cl.settings.ListIDs
		} else {
			b.UnlinkListIDs = cl.settings.ListIDs
		}
	}
	if len(b.Attributes) == 0 {
		b.Attributes = nil
	}
	return b
}

// create is the POST body for the contact keyed key: updateEnabled, so a
// contact that already exists (by email) is updated, not refused.
func (cl *Client) create(key string, c contact) createBody {
	b := createBody{Attributes: copyAttrs(c.attributes), EmailBlacklisted: c.emailBL, SMSBlacklisted: c.smsBL, UpdateEnabled: true}
	if cl.settings.Identifier == ByEmail {
		b.Email = key
	} else {
		b.Email, b.ExtID = c.email, key
	}
	if c.subscribed != nil && *c.subscribed {
		b.ListIDs = cl.settings.ListIDs
	}
	if len(b.Attributes) == 0 {
		b.Attributes = nil
	}
	return b
}

func copyAttrs(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
