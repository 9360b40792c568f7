package samtemplate_test

import (
	"strings"
	"testing"
)

// The archive of accepted events: encrypted, never public, TLS only,
// expired after the ArchiveRetentionDays parameter (default 30); the
// ingress gets its name and may only write under archive/.
func TestArchiveBucket(t *testing.T) {
	tpl := load(t)
	props := at(t, tpl, "Resources", "ArchiveBucket", "Properties")
	if got := asJSON(at(t, props, "BucketEncryption")); !strings.Contains(got, `"SSEAlgorithm":"AES256"`) {
		t.Errorf("encryption %s", got)
	}
	block := asJSON(at(t, props, "PublicAccessBlockConfiguration"))
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if !strings.Contains(block, `"`+k+`":true`) {
			t.Errorf("public access block lacks %s: %s", k, block)
		}
	}
	rule := at(t, props, "LifecycleConfiguration", "Rules").([]any)[0]
	if got := asJSON(at(t, rule, "ExpirationInDays")); got != `{"Ref":"ArchiveRetentionDays"}` {
		t.Errorf("archive expires after %s, want the ArchiveRetentionDays parameter", got)
	}
	if d := asJSON(at(t, tpl, "Parameters", "ArchiveRetentionDays", "Default")); d != "30" {
		t.Errorf("ArchiveRetentionDays default %s, want 30", d)
	}
	policy := asJSON(at(t, tpl, "Resources", "ArchiveBucketPolicy", "Properties"))
	if !strings.Contains(policy, `"aws:SecureTransport":"false"`) || !strings.Contains(policy, `"Effect":"Deny"`) {
		t.Errorf("archive bucket policy does not deny plain HTTP: %s", policy)
	}
	ingress := at(t, tpl, "Resources", "IngressFunction", "Properties")
	if env := asJSON(at(t, ingress, "Environment", "Variables", "ARCHIVE_BUCKET")); env != `{"Ref":"ArchiveBucket"}` {
		t.Errorf("ingress ARCHIVE_BUCKET = %s", env)
	}
	var writes []string
	for _, p := range at(t, ingress, "Policies").([]any) {
		if s := asJSON(p); strings.Contains(s, "ArchiveBucket") {
			writes = append(writes, s)
		}
	}
	if len(writes) != 1 || !strings.Contains(writes[0], `"Action":"s3:PutObject"`) || !strings.Contains(writes[0], `${ArchiveBucket.Arn}/archive/*`) {
		t.Errorf("ingress archive policies %v, want PutObject on archive/* only", writes)
	}
}
