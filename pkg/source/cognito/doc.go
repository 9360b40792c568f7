// Package cognito is the source adapter for Amazon Cognito user pools.
// Cognito sends no webhooks: it invokes a Lambda function synchronously
// with a trigger event, and the Lambda resource policy (the
// AWS::Lambda::Permission of the template's CognitoTriggerFunction) is the
// authentication. So the Parser refuses every HTTP request
// (ErrUnauthenticated: nothing posted to /webhooks/cognito is believed)
// and Decode reads a trigger event instead; Trigger is the Lambda handler
// that decodes one and enqueues its events through the ingress's own
// routing (an Enqueuer), then hands the event back unchanged, as Cognito
// requires.
//
// Triggers (research note §13): PostConfirmation_ConfirmSignUp →
// created; PostConfirmation_ConfirmForgotPassword → updated (the event
// carries every attribute, so a user who existed before the sync is
// brought over at their next password reset). Every other trigger
// (PostAuthentication is a login, CustomMessage_UpdateUserAttribute only
// a message hook, PreSignUp precedes the user) yields no events: Cognito
// has no trigger for attribute updates or deletions (capturing them
// through CloudTrail and EventBridge is UNCONFIRMED and not built). Events
// carry the full profile: userAttributes, all strings, as OIDC claims;
// custom:<name> → Custom[<name>]. The subject is the sub attribute (the
// userName may be an alias or e-mail and can change in some pools). The
// event has no id: the dedupe key is the SHA-256 of (userPoolId,
// userName, triggerSource) as the note advises, and of the attributes (sub
// among them), so Cognito's own retries of one invocation collapse into
// one event while a later password reset of a changed profile does not.
//
// The Fetcher (also Lister and Updater) calls the Cognito Identity
// Provider JSON 1.1 API (X-Amz-Target AWSCognitoIdentityProviderService.*)
// signed with SigV4 by the SDK's signer, without the SDK's service client:
// that client keeps all of Cognito's ~120 operations in every binary that
// links the source registry (see internal/lambdatest/build_test.go for the
// same choice for S3 and SNS). Fetch finds the user by sub (ListUsers with
// Filter sub = "…"), List pages with ListUsers (at most 60 a page), Update
// writes custom: attributes with AdminUpdateUserAttributes and removes
// them with AdminDeleteUserAttributes.
package cognito
