package connector

import "context"

// Reader lists the records a target holds, for reconciliation
// (pkg/reconcile): the read side of a Connector.
type Reader interface {
	// Records returns one page of at most size records (a hint: some APIs
	// choose their own page size) starting at cursor ("" is the first
	// page), and the cursor of the next page ("" after the last). Each
	// Record's Key is the value of the target's key field (the field
	// upserts match on) and Fields hold the fields the Reader was asked
	// for, keyed by target path as the mapping names them; a field the
	// record has no value for is nil. A record without the key field is
	// returned with an empty Key and no Fields: one ProfileSync does not
	// manage, counted and left alone. Errors are fault.Errors.
	Records(ctx context.Context, cursor string, size int) (recs []Record, next string, err error)
}

// Readable is a Connector whose target can be listed: Salesforce (SOQL
// on the External ID field), SCIM (the Users list), HubSpot (the contacts
// list), LDAP (a paged search below the DN template's base), Brevo (the
// contacts list) and Mailchimp (the list's members). Braze, Zuora, the
// generic HTTPS target and EventBridge have no read side.
type Readable interface {
	// Reader returns a Reader that reads the given target paths (the
	// mapping's fields and constants) and the paths it will return: a
	// path the target cannot read back is left out, and so is never
	// reported as a difference.
	Reader(paths []string) (r Reader, read []string, err error)
}

// TextValued is a Reader whose target keeps every value as text (HubSpot
// properties, LDAP attributes): reconciliation compares a mapped number
// or boolean with the text it is written as.
type TextValued interface {
	TextValues() bool
}

// Finder is a Reader that reads one record by its key, as Records would
// return it: provision on demand (`profilesync sync`) shows what the
// target holds against what it would send. found is false when the
// target has no record with that key.
type Finder interface {
	Find(ctx context.Context, key string) (rec Record, found bool, err error)
}
