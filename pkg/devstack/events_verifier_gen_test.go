package devstack

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/sandbox/npi"
)

// hcpProfile is a customer who declares the hcp rule's claim with the
// sandbox NPI registry's active demo provider.
func hcpProfile() *profile.Profile {
	return &profile.Profile{Sub: janeSub, GivenName: npi.DemoFirstName, FamilyName: npi.DemoLastName,
		Email: "ada.lovelace@example.com", EmailVerified: true,
		Address: &profile.Address{Region: npi.DemoState, Country: "US"},
		Custom:  map[string]any{"declared_role": "health_care_professional", "npi": npi.DemoActiveNPI}}
}

// writeVerifierSamples writes the claim verifier's samples: the API, its
// queue and its reminder schedule.
func writeVerifierSamples(t *testing.T, write func(string, any)) {
	body, err := json.Marshal(map[string]any{"source": "cidaas", "profile": hcpProfile(), "rules": []string{"hcp"}})
	if err != nil {
		t.Fatal(err)
	}
	req := apiRequest("claims", map[string]string{"content-type": "application/json", "x-api-key": sandbox.DevClaimsAPIKey,
		"user-agent": "profilesync-claims-example/1.0"}, string(body))
	route := "ANY /claims/{proxy+}"
	req["routeKey"], req["rawPath"], req["pathParameters"] = route, "/claims/verify", map[string]string{"proxy": "verify"}
	rc := req["requestContext"].(map[string]any)
	rc["routeKey"] = route
	rc["http"].(map[string]string)["path"] = "/claims/verify"
	rc["http"].(map[string]string)["userAgent"] = "profilesync-claims-example/1.0"
	write("verifier-claims-verify.json", req)

	updated := profile.Event{ID: "0b5e2c1a-0006-4000-8000-000000000006", Source: "cidaas", Type: profile.Updated, Subject: janeSub,
		OccurredAt: fixtureTime, ReceivedAt: fixtureTime.Add(time.Second), SourceType: "ACCOUNT_MODIFIED", Profile: hcpProfile()}
	write("verifier-sqs.json", sqsEvent("claims", envelopeBody(t, "claims", updated)))

	write("verifier-reminders.json", map[string]any{
		"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event", "source": "aws.events",
		"account": "123456789012", "time": fixtureTime.Format(time.RFC3339), "region": "eu-central-1",
		"resources": []string{"arn:aws:events:eu-central-1:123456789012:rule/profilesync-dev-VerifierFunctionReminders-1A2B3C4D5E6F"},
		"detail":    map[string]any{},
	})
}
