package devstack

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/profilesync/profilesync/pkg/profile"
	"github.com/profilesync/profilesync/pkg/sandbox"
	"github.com/profilesync/profilesync/pkg/source/fusionauth"
	"github.com/profilesync/profilesync/pkg/source/gigya"
	"github.com/profilesync/profilesync/pkg/source/keycloak"
	"github.com/profilesync/profilesync/pkg/source/logto"
	"github.com/profilesync/profilesync/pkg/source/zitadel"
)

// writeSamples regenerates events/ (go test -run TestEventSamples -update).
func writeSamples(t *testing.T) {
	sb, err := sandbox.New()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, v any) {
		if err := os.WriteFile(filepath.Join(eventsDir, name), mustJSON(t, v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	at := fixtureTime.Format("2006-01-02T15:04:05.000Z")
	cidaas := func(eventtype, id, extra string) string {
		return fmt.Sprintf(`{"eventtype":%q,"id":%q,"sub":%q,"tenant_key":"acme-shop","createdTime":%q%s}`, eventtype, id, janeSub, at, extra)
	}
	key := map[string]string{"apikey": sandbox.DevCidaasAPIKey, "content-type": "application/json"}
	write("ingress-cidaas-account-created.json", apiRequest("cidaas", key, cidaas("ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY", "0b5e2c1a-0001-4000-8000-000000000001", "")))
	write("ingress-cidaas-account-deleted.json", apiRequest("cidaas", key, cidaas("ACCOUNT_DELETED", "0b5e2c1a-0002-4000-8000-000000000002", "")))
	write("ingress-cidaas-consent-revoked.json", apiRequest("cidaas", key, cidaas("CONSENT_REVOKED", "0b5e2c1a-0003-4000-8000-000000000003", `,"consent_name":"newsletter"`)))
	write("ingress-cidaas-bad-api-key.json", apiRequest("cidaas", map[string]string{"apikey": "not-the-key"}, cidaas("ACCOUNT_MODIFIED", "0b5e2c1a-0004-4000-8000-000000000004", "")))
	write("ingress-cidaas-malformed.json", apiRequest("cidaas", key, `{"eventtype":"ACCOUNT_MODIFIED","sub":`))
	write("ingress-unknown-source.json", apiRequest("nosuchciam", key, cidaas("ACCOUNT_MODIFIED", "0b5e2c1a-0005-4000-8000-000000000005", "")))

	set, err := sb.Akamai.Sign(map[string]any{
		"iss": sandbox.AkamaiIssuer, "aud": []string{devURL + "/webhooks/akamai"}, "iat": fixtureTime.Unix(), "toe": fixtureTime.Unix() - 1,
		"jti": "6d1f0c3e-8a2b-4c7d-9e10-2f3a4b5c6d7e", "txn": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
		"events": map[string]any{"entityUpdated": map[string]any{
			"attributes": []string{"givenName", "primaryAddress.city"}, "captureApplicationId": "abcd1234efgh5678ijkl9012mn",
			"captureClientId": "zyxw9876vuts5432rqpo1098nmlk7654", "entityType": "user", "sub": maxSub,
			"globalSub": "capture-v1://us.janraincapture.com/abcd1234efgh5678ijkl9012mn/user/" + maxSub,
			"id":        "c4d5e6f7-a8b9-4c0d-8e1f-2a3b4c5d6e7f"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	write("ingress-akamai-entity-updated.json", apiRequest("akamai", map[string]string{"content-type": "application/secevent+jwt"}, string(set)))

	clerk := strings.ReplaceAll(strings.ReplaceAll(clerkUserUpdated, "\n", ""), "1735725900123", fmt.Sprint(fixtureTime.UnixMilli()))
	write("ingress-clerk-user-updated.json", apiRequest("clerk", signClerk("msg_2rXAbCdEfGhIjKlMnOpQrStUv", clerk), clerk))
	bad := signClerk("msg_2rXAbCdEfGhIjKlMnOpQrStUw", clerk)
	write("ingress-clerk-bad-signature.json", apiRequest("clerk", bad, strings.Replace(clerk, "Erika", "Eve", 1)))

	oktaHook := map[string]string{"authorization": sandbox.DevOktaHookSecret, "content-type": "application/json", "accept": "application/json"}
	write("ingress-okta-user-updated.json", apiRequest("okta", oktaHook, oktaUpdateProfile))
	write("ingress-okta-verification.json", apiGet("okta", map[string]string{"authorization": sandbox.DevOktaHookSecret,
		"x-okta-verification-challenge": "X6PCxyz7fk9ivZ5Uo1CpXwmqkrZN3fQvAhm3Lh81"}))

	auth0Stream := map[string]string{"authorization": sandbox.DevAuth0Authorization, "content-type": "application/json"}
	write("ingress-auth0-log-stream.json", apiRequest("auth0", auth0Stream, auth0LogStream))

	kc := fmt.Sprintf(`{"time":%d,"realmId":"profilesync","uid":"6e7f8a9b-0c1d-4e2f-8a3b-4c5d6e7f8a9b","type":"access.UPDATE_PROFILE",`+
		`"authDetails":{"realmId":"profilesync","clientId":"account-console","userId":%q,"username":"max.mustermann"},"details":{"context":"ACCOUNT"}}`,
		fixtureTime.UnixMilli(), maxSub)
	write("ingress-keycloak-update-profile.json", apiRequest("keycloak", map[string]string{"content-type": "application/json",
		"x-keycloak-signature": keycloak.Signature(sandbox.DevKeycloakSecret, "", []byte(kc))}, kc))

	zt := fmt.Sprintf(`{"aggregateID":%q,"aggregateType":"user","resourceOwner":"336392597046099971","instanceID":"336392597046034435",`+
		`"version":"v2","sequence":4,"event_type":"user.human.profile.changed","created_at":%q,"userID":"336392597046755331",`+
		`"event_payload":{"firstName":"Max"}}`, maxSub, fixtureTime.Format(time.RFC3339Nano))
	write("ingress-zitadel-profile-changed.json", apiRequest("zitadel", map[string]string{"content-type": "application/json",
		"zitadel-signature": zitadel.Signature(sandbox.DevZitadelKey, fixtureTime, []byte(zt))}, zt))

	lg := fmt.Sprintf(`{"hookId":"hk_7f3a9c2e1b","event":"User.Data.Updated","createdAt":%q,"path":"/users/%s","method":"PATCH","status":200,`+
		`"params":{"userId":%q},"data":{"id":%q,"username":"maxmustermann","primaryEmail":"max.mustermann@example.com","primaryPhone":null,`+
		`"name":"Max Mustermann","avatar":null,"customData":{},"identities":{},"profile":{"givenName":"Max","familyName":"Mustermann"},`+
		`"isSuspended":false,"createdAt":1735725600000,"updatedAt":%d}}`, at, maxSub, maxSub, maxSub, fixtureTime.UnixMilli())
	write("ingress-logto-user-data-updated.json", apiRequest("logto", map[string]string{"content-type": "application/json",
		"logto-signature-sha-256": logto.Signature(sandbox.DevLogtoKey, []byte(lg))}, lg))

	// A Kratos settings.after web hook, rendered by the README's Jsonnet
	// template and sent with its api_key auth.
	kr := fmt.Sprintf(`{"event":"settings.after","flow_id":"4d3c2b1a-9f8e-4d7c-8b6a-5f4e3d2c1b0a","identity_id":%q,"schema_id":"customer",`+
		`"state":"active","traits":{"email":"max.mustermann@example.com","name":{"first":"Max","last":"Mustermann"},"consents":{"newsletter":true}},`+
		`"verified_email":true,"updated_at":%q}`, maxSub, at)
	write("ingress-generic-kratos-settings-after.json", apiRequest("generic", map[string]string{"content-type": "application/json",
		"x-webhook-secret": sandbox.DevGenericAPIKey, "user-agent": "Ory Kratos"}, kr))
	write("ingress-generic-wrong-api-key.json", apiRequest("generic", map[string]string{"content-type": "application/json",
		"x-webhook-secret": "guess-guess-guess-guess"}, kr))

	fa := fmt.Sprintf(`{"event":{"createInstant":%d,"id":"3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f","tenantId":"5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d",`+
		`"type":"user.update.complete","user":{"active":true,"email":"max.mustermann@example.com","firstName":"Max","lastName":"Mustermann",`+
		`"id":%q,"insertInstant":1735725600000,"lastUpdateInstant":%d,"verified":true,"data":{"newsletter":true}}}}`,
		fixtureTime.UnixMilli(), maxSub, fixtureTime.UnixMilli())
	write("ingress-fusionauth-user-update.json", apiRequest("fusionauth", map[string]string{"content-type": "application/json",
		"x-fusionauth-signature-jwt": fusionauth.SignHS256(sandbox.DevFusionAuthKey, sandbox.DevFusionAuthKID, []byte(fa))}, fa))

	// A Graph change notification for Jane, and the subscription's
	// validation request (POST, token in the query, no body).
	en := fmt.Sprintf(`{"value":[{"subscriptionId":"7f105c7d-2dc5-4530-97cd-4e7ae6534c07","subscriptionExpirationDateTime":"2025-01-20T10:00:00.0000000Z",`+
		`"changeType":"updated","resource":"Users/%s","resourceData":{"@odata.type":"#Microsoft.Graph.User","@odata.id":"Users/%s","id":%q,`+
		`"organizationId":%q},"clientState":%q,"tenantId":%q}]}`, janeSub, janeSub, janeSub, sandbox.DevEntraTenant, sandbox.DevEntraClientState, sandbox.DevEntraTenant)
	write("ingress-entra-user-updated.json", apiRequest("entra", map[string]string{"content-type": "application/json; charset=utf-8"}, en))
	validation := apiRequest("entra", map[string]string{"content-type": "text/plain; charset=utf-8"}, "")
	token := "Validation: Testing client application reachability for subscription Request-Id: 3b1d0e2a-5c4f-4e6d-8a9b-0c1d2e3f4a5b"
	validation["rawQueryString"] = "validationToken=" + url.QueryEscape(token)
	validation["queryStringParameters"] = map[string]string{"validationToken": token}
	write("ingress-entra-validation.json", validation)
	gg := fmt.Sprintf(`{"events":[{"type":"accountUpdated","id":"b3e95b42-5788-49a7-842a-90c0f183d653","timestamp":%d,`+
		`"callId":"f1e2d3c4b5a6978899aabbccddeeff00","version":"2.0","apiKey":%q,"data":{"uid":%q}}],`+
		`"nonce":"8693aa10-9c75-48c9-a959-6ef1ae2b6b54","timestamp":%d}`, fixtureTime.Unix(), sandbox.DevGigyaAPIKey, maxSub, fixtureTime.Unix())
	ggKey, _ := base64.StdEncoding.DecodeString(sandbox.DevGigyaSecret)
	write("ingress-gigya-account-updated.json", apiRequest("gigya", map[string]string{"content-type": "application/json",
		"x-gigya-sig-hmac-sha1": gigya.Signature(ggKey, []byte(gg))}, gg))
	write("ingress-gigya-bad-signature.json", apiRequest("gigya", map[string]string{"content-type": "application/json",
		"x-gigya-sig-hmac-sha1": gigya.Signature(ggKey, []byte(gg))}, strings.Replace(gg, "accountUpdated", "accountDeleted", 1)))

	// An SSF transmitter's RISC account-purged SET (the research sample's
	// shape), signed with the sandbox's transmitter key; and the same SET
	// with its payload changed after signing.
	purged, err := sb.Akamai.Sign(map[string]any{
		"iss": sandbox.SSFIssuer, "aud": devURL + "/webhooks/ssf", "iat": fixtureTime.Unix(), "jti": "9f0e1d2c3b4a5968",
		"sub_id": map[string]any{"format": "iss_sub", "iss": sandbox.SSFIssuer, "sub": maxSub},
		"events": map[string]any{"https://schemas.openid.net/secevent/risc/event-type/account-purged": map[string]any{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ssfHeaders := map[string]string{"content-type": "application/secevent+jwt", "accept": "application/json", "authorization": sandbox.DevSSFAuthorization}
	write("ingress-ssf-account-purged.json", apiRequest("ssf", ssfHeaders, string(purged)))
	write("ingress-ssf-bad-signature.json", apiRequest("ssf", ssfHeaders, tamperedSET(t, string(purged))))

	// Cognito's Post confirmation trigger event is the research sample
	// itself: the trigger function takes it as Cognito sends it.
	cog, err := os.ReadFile("../source/cognito/testdata/cognito-PostConfirmation_ConfirmSignUp.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(eventsDir, "cognito-post-confirmation.json"), cog, 0o644); err != nil {
		t.Fatal(err)
	}

	snap := &profile.Profile{Sub: "user_2rX8kLmN4pQ6rS8uV0wX1yZ3aB5", GivenName: "Erika", FamilyName: "Musterfrau",
		Email: "erika@example.com", EmailVerified: true, Locale: "de-DE"}
	created := profile.Event{ID: "msg_2rXAbCdEfGhIjKlMnOpQrStUv", Source: "clerk", Type: profile.Created, Subject: snap.Sub,
		OccurredAt: fixtureTime, ReceivedAt: fixtureTime.Add(time.Second), SourceType: "user.created", Profile: snap}
	thin := profile.Event{ID: "0b5e2c1a-0001-4000-8000-000000000001", Source: "cidaas", Type: profile.Created, Subject: janeSub,
		OccurredAt: fixtureTime, ReceivedAt: fixtureTime.Add(time.Second), SourceType: "ACCOUNT_CREATED_WITH_CIDAAS_IDENTITY"}
	write("sync-salesforce.json", sqsEvent("salesforce", envelopeBody(t, "salesforce", thin)))
	write("sync-salesforce-partial-failure.json", sqsEvent("salesforce", envelopeBody(t, "salesforce", created), `{"v":1,"target":"salesforce","event":{"id":"truncated`))
	write("sync-webhook.json", sqsEvent("webhook", envelopeBody(t, "webhook", created), envelopeBody(t, "webhook", thin)))

	writeVerifierSamples(t, write)

	arns := `{"cidaas":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/cidaas","akamai":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/akamai","clerk":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/clerk","okta":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/okta","auth0":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/auth0","keycloak":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/keycloak","zitadel":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/zitadel","logto":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/logto","generic":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/generic","fusionauth":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/fusionauth","gigya":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/gigya","ssf":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/ssf","entra":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/entra"`
	queue := "https://sqs.eu-central-1.amazonaws.com/123456789012/profilesync-dev-"
	env := map[string]map[string]string{
		"IngressFunction": {"STAGE": "dev", "SOURCES": "cidaas,akamai,clerk,okta,auth0,keycloak,zitadel,logto,generic,fusionauth,gigya,ssf,entra", "SECRET_ARNS": arns + "}",
			"BODY_BUCKET": "profilesync-dev-bodies", "ARCHIVE_BUCKET": "profilesync-dev-archive",
			"QUEUE_URLS": `{"salesforce":"` + queue + `salesforce","webhook":"` + queue + `webhook"}`},
	}
	for _, target := range []string{"salesforce", "webhook"} {
		env[SyncFunctionID(target)] = map[string]string{"STAGE": "dev", "SOURCES": "cidaas,akamai,clerk,okta,auth0,keycloak,zitadel,logto,generic,fusionauth,gigya,ssf,entra", "TARGET": target,
			"SECRET_ARNS": arns + `,"` + target + `":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/` + target + `"}`,
			"STATE_TABLE": "profilesync-dev-state", "QUEUE_URL": queue + target, "DLQ_URL": queue + target + "-dlq",
			"EVENT_BUS": "profilesync-dev", "BODY_BUCKET": "profilesync-dev-bodies"}
	}
	env["VerifierFunction"] = map[string]string{"STAGE": "dev", "SOURCES": "cidaas,akamai,clerk,okta,auth0,keycloak,zitadel,logto,generic,fusionauth,gigya,ssf,entra",
		"SECRET_ARNS": arns + `,"claims-api":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/claims-api",` +
			`"npi-registry":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/npi-registry",` +
			`"salesforce":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/salesforce",` +
			`"vies-registry":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/vies-registry"}`,
		"CLAIMS_TABLE": "profilesync-dev-claims", "QUEUE_URL": queue + "claims", "DLQ_URL": queue + "claims-dlq",
		"EVENT_BUS": "profilesync-dev", "BODY_BUCKET": "profilesync-dev-bodies"}
	env["IngressFunction"]["QUEUE_URLS"] = `{"salesforce":"` + queue + `salesforce","webhook":"` + queue + `webhook","claims":"` + queue + `claims"}`
	env[JobsFunctionID] = map[string]string{"STAGE": "dev", "SOURCES": "cidaas,akamai,clerk,okta,auth0,keycloak,zitadel,logto,generic,fusionauth,gigya,ssf,entra",
		"SECRET_ARNS": arns + `,"salesforce":"arn:aws:secretsmanager:eu-central-1:123456789012:secret:profilesync/salesforce"}`,
		"JOBS_TABLE":  "profilesync-dev-jobs", "JOBS_QUEUE_URL": queue + "jobs", "EXPORT_BUCKET": "profilesync-dev-exports",
		"ENVIRONMENT": "dev", "QUEUE_URLS": `{"salesforce":"` + queue + `salesforce","webhook":"` + queue + `webhook"}`}
	env["CognitoTriggerFunction"] = map[string]string{"STAGE": "dev", "COGNITO_USER_POOL_ID": sandbox.DevCognitoUserPoolID,
		"COGNITO_ENVIRONMENT": "dev", "BODY_BUCKET": "profilesync-dev-bodies", "QUEUE_URLS": env["IngressFunction"]["QUEUE_URLS"]}
	write("env.json", env)
}

// tamperedSET changes a signed SET's payload (its jti) after signing.
func tamperedSET(t *testing.T, set string) string {
	t.Helper()
	parts := strings.Split(set, ".")
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(parts) != 3 {
		t.Fatalf("not a compact JWS: %v", err)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(claims), "9f0e1d2c3b4a5968", "9f0e1d2c3b4a5969", 1)))
	return strings.Join(parts, ".")
}

func apiRequest(src string, header map[string]string, body string) map[string]any {
	h := map[string]string{"host": "abc123.execute-api.eu-central-1.amazonaws.com", "user-agent": src + "-webhooks/1.0",
		"x-forwarded-for": "203.0.113.10", "x-forwarded-proto": "https", "content-length": fmt.Sprint(len(body))}
	for k, v := range header {
		h[k] = v
	}
	return map[string]any{
		"version": "2.0", "routeKey": "POST /webhooks/{source}", "rawPath": "/webhooks/" + src, "rawQueryString": "",
		"headers": h, "pathParameters": map[string]string{"source": src},
		"requestContext": map[string]any{
			"accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.eu-central-1.amazonaws.com",
			"domainPrefix": "abc123", "requestId": "Ab1Cd2Ef3Gh4=", "routeKey": "POST /webhooks/{source}", "stage": "$default",
			"time": fixtureTime.Format("02/Jan/2006:15:04:05 -0700"), "timeEpoch": fixtureTime.UnixMilli(),
			"http": map[string]string{"method": "POST", "path": "/webhooks/" + src, "protocol": "HTTP/1.1",
				"sourceIp": "203.0.113.10", "userAgent": src + "-webhooks/1.0"},
		},
		"body": body, "isBase64Encoded": false,
	}
}

// apiGet is apiRequest for the GET route (URL verification): no body.
func apiGet(src string, header map[string]string) map[string]any {
	r := apiRequest(src, header, "")
	h := r["headers"].(map[string]string)
	delete(h, "content-length")
	route := "GET /webhooks/{source}"
	r["routeKey"] = route
	rc := r["requestContext"].(map[string]any)
	rc["routeKey"] = route
	rc["http"].(map[string]string)["method"] = "GET"
	delete(r, "body")
	return r
}

// oktaUpdateProfile is events/webhooks/okta-user-account-update-profile.json
// as Okta sends it: compact, one user.account.update_profile for Jane.
const oktaUpdateProfile = `{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1",` +
	`"source":"https://acme.okta.example.com/api/v1/eventHooks/who8vt36qfNpCGz9H1e6","eventId":"b5a188b9-5ece-4636-b041-482ffc2a1c93",` +
	`"eventTime":"2025-01-01T10:05:01.000Z","contentType":"application/json","data":{"events":[{"uuid":"2f1e3d4c-5b6a-11ef-9a8b-7c6d5e4f3a2b",` +
	`"published":"2025-01-01T10:05:00.700Z","eventType":"user.account.update_profile","version":"0","displayMessage":"Update user profile for Okta",` +
	`"severity":"INFO","actor":{"id":"00u1abcdEFGH2345ijk6","type":"User","alternateId":"admin@example.com","displayName":"Admin Example"},` +
	`"client":{"id":null,"ipAddress":"198.51.100.7"},"outcome":{"result":"SUCCESS","reason":null},` +
	`"target":[{"id":"` + janeSub + `","type":"User","alternateId":"jane.doe@example.com","displayName":"Jane Doe"}],` +
	`"transaction":{"type":"WEB","id":"Z3Y4X5W6V7U8","detail":{}}}]}}`

// auth0LogStream is events/webhooks/auth0-log-stream.json as Auth0 sends
// it (JSONARRAY): Jane's signup and a Management API update.
const auth0LogStream = `[{"log_id":"90020250101100000123456789012345678901234567890123456789","data":{"date":"2025-01-01T10:00:00.123Z","type":"ss","description":"","connection":"Username-Password-Authentication","connection_id":"con_AbCdEf0123456789","client_id":"AbCdEfGhIjKlMnOpQrStUvWxYz012345","client_name":"ProfileSync Demo Web","ip":"203.0.113.10","user_agent":"Chrome 131.0.0 / Mac OS X 10.15.7","details":{"body":{"email":"jane.doe@example.com","tenant":"acme-dev","connection":"Username-Password-Authentication"}},"user_id":"7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b","user_name":"jane.doe@example.com","strategy":"auth0","strategy_type":"database","log_id":"90020250101100000123456789012345678901234567890123456789"}},{"log_id":"90020250101100500123456789012345678901234567890123456790","data":{"date":"2025-01-01T10:05:00.456Z","type":"sapi","description":"Update a user","client_id":"ZyXwVuTsRqPoNmLkJiHgFeDcBa987654","client_name":"","ip":"198.51.100.7","details":{"request":{"method":"patch","path":"/api/v2/users/7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b","query":{},"body":{"given_name":"Jane","family_name":"Doe"},"channel":"api"},"response":{"statusCode":200,"body":{}}},"user_id":"7e8f9a0b-1c2d-4e3f-8a4b-5c6d7e8f9a0b","log_id":"90020250101100500123456789012345678901234567890123456790"}}]`

func signClerk(id, body string) map[string]string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(sandbox.DevClerkSecret, "whsec_"))
	ts := fmt.Sprint(fixtureTime.Unix())
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + body))
	return map[string]string{"webhook-id": id, "webhook-timestamp": ts, "content-type": "application/json",
		"webhook-signature": "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))}
}

func sqsEvent(target string, bodies ...string) map[string]any {
	var recs []map[string]any
	for i, b := range bodies {
		sum := md5.Sum([]byte(b))
		recs = append(recs, map[string]any{
			"messageId":     fmt.Sprintf("5f0b6c1e-0000-4000-8000-%012d", i+1),
			"receiptHandle": "AQEB" + base64.StdEncoding.EncodeToString(sum[:]),
			"body":          b,
			"attributes": map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": fmt.Sprint(fixtureTime.UnixMilli()),
				"SenderId": "AROAEXAMPLE:profilesync-ingress", "ApproximateFirstReceiveTimestamp": fmt.Sprint(fixtureTime.UnixMilli() + 50)},
			"messageAttributes": map[string]any{},
			"md5OfBody":         fmt.Sprintf("%x", sum),
			"eventSource":       "aws:sqs",
			"eventSourceARN":    "arn:aws:sqs:eu-central-1:123456789012:profilesync-dev-" + target,
			"awsRegion":         "eu-central-1",
		})
	}
	return map[string]any{"Records": recs}
}
