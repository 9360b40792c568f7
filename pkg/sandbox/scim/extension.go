package scim

import (
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// ProfileSyncExtension is the URN of the User schema extension that holds
// the attributes ProfileSync writes back to a SCIM CIAM (claim verdicts,
// enrichment), the default of the scim source's "extension" field.
const ProfileSyncExtension = "urn:ietf:params:scim:schemas:extension:profilesync:2.0:User"

// profileSyncSchema declares ProfileSyncExtension's attributes. The
// library drops undeclared attributes on POST and PUT and refuses them in
// PATCH, as a strict service provider does, so the write-back attributes
// the demo and the tests use are declared here: strings for verdicts,
// references and times, a boolean and an integer for the other shapes.
func profileSyncSchema() schema.Schema {
	str := func(name string) schema.CoreAttribute {
		return schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{Name: name}))
	}
	attrs := []schema.CoreAttribute{
		schema.SimpleCoreAttribute(schema.SimpleBooleanParams(schema.BooleanParams{Name: "verified"})),
		schema.SimpleCoreAttribute(schema.SimpleNumberParams(schema.NumberParams{Name: "verification_attempts_remaining", Type: schema.AttributeTypeInteger()})),
		schema.SimpleCoreAttribute(schema.SimpleNumberParams(schema.NumberParams{Name: "score", Type: schema.AttributeTypeDecimal()})),
	}
	for _, name := range []string{"hcp", "hcp_status", "hcp_reference", "hcp_role", "hcp_taxonomy", "hcp_verified_at",
		"verified_at", "claim_status", "tier", "company_domain"} {
		attrs = append(attrs, str(name))
	}
	return schema.Schema{
		ID:          ProfileSyncExtension,
		Name:        optional.NewString("ProfileSync User"),
		Description: optional.NewString("Attributes ProfileSync writes back: claim verdicts and enrichment."),
		Attributes:  attrs,
	}
}
