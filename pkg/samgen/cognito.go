package samgen

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	"github.com/profilesync/profilesync/pkg/source/cognito"
)

// BlockCognito is the optional Amazon Cognito trigger: a function Cognito
// invokes (Post confirmation) and the permission that lets it. Both carry
// the condition HasCognitoUserPool (the hand-written parameter
// CognitoUserPoolId is set), so a stack without Cognito creates neither.
// The function enqueues as the ingress does, so it takes the ingress's
// QUEUE_URLS and send policies, rendered here from the same targets and
// claim queue.
const BlockCognito = "COGNITO TRIGGER"

// cognitoTimeout is the trigger function's Timeout: Cognito gives a
// trigger 5 s and then fails the user's call, so the function gets no
// more (the handler stops enqueueing at cognito.Budget, 4 s).
const cognitoTimeout = 5

// cognitoView is the Cognito block's data.
type cognitoView struct {
	Targets       []target
	Claims        bool
	Timeout       int
	FilterPattern string
}

// cognitoFilterPattern matches the trigger's JSON log lines of an event
// it did not enqueue (cognito.Log*).
var cognitoFilterPattern = fmt.Sprintf(`{ $.msg = %q || $.msg = %q || $.msg = %q }`,
	cognito.LogNotEnqueued, cognito.LogNotDecoded, cognito.LogOtherPool)

var cognitoTemplate = template.Must(template.New(BlockCognito).Parse(strings.TrimPrefix(`
# --- Amazon Cognito trigger (optional: set CognitoUserPoolId, then pick
# CognitoTriggerFunction as the pool's Post confirmation trigger) ---
CognitoTriggerLogs:
  Type: AWS::Logs::LogGroup
  Condition: HasCognitoUserPool
  Properties:
    RetentionInDays: 30

CognitoTriggerFunction:
  Type: AWS::Serverless::Function
  Condition: HasCognitoUserPool
  Metadata:
    BuildMethod: makefile
  Properties:
    Description: Amazon Cognito Post confirmation trigger; enqueues the confirmed user's profile for every target.
    CodeUri: .
    Timeout: {{.Timeout}} # Cognito waits 5 s for a trigger
    LoggingConfig:
      LogFormat: JSON
      LogGroup: !Ref CognitoTriggerLogs
    Environment:
      Variables:
        COGNITO_USER_POOL_ID: !Ref CognitoUserPoolId
        COGNITO_ENVIRONMENT: !Ref Stage
        # The ingress's queues: the trigger routes as the ingress does.
        QUEUE_URLS: !Join
          - ""
          - - "{"
            - !Join
              - ","
{{- if or .Targets .Claims}}
              -{{range $i, $t := .Targets}}{{if $i}}
               {{end}} - !Sub '"{{$t.Name}}":"${ {{- $t.ID}}Queue}"'{{end}}
{{- if .Claims}}{{if .Targets}}
               {{end}} - !Sub '"claims":"${ClaimsQueue}"'
{{- end}}
{{- else}}
              - []
{{- end}}
            - "}"
    Policies:
      # Store envelopes over SQS's 256 KiB in the body bucket, as the
      # ingress does.
      - Statement:
          - Effect: Allow
            Action: s3:PutObject
            Resource: !Sub "${BodyBucket.Arn}/*"
{{- range .Targets}}
      - SQSSendMessagePolicy:
          QueueName: !GetAtt {{.ID}}Queue.QueueName
{{- end}}
{{- if .Claims}}
      - SQSSendMessagePolicy:
          QueueName: !GetAtt ClaimsQueue.QueueName
{{- end}}

# Cognito may invoke the trigger, for this pool only.
CognitoTriggerPermission:
  Type: AWS::Lambda::Permission
  Condition: HasCognitoUserPool
  Properties:
    Action: lambda:InvokeFunction
    FunctionName: !GetAtt CognitoTriggerFunction.Arn
    Principal: cognito-idp.amazonaws.com
    SourceAccount: !Ref AWS::AccountId
    SourceArn: !Sub arn:${AWS::Partition}:cognito-idp:${AWS::Region}:${AWS::AccountId}:userpool/${CognitoUserPoolId}

# The trigger never fails Cognito's call (the user is already confirmed):
# an event it could not enqueue is an ERROR line, counted here.
CognitoNotEnqueuedMetric:
  Type: AWS::Logs::MetricFilter
  Condition: HasCognitoUserPool
  Properties:
    LogGroupName: !Ref CognitoTriggerLogs
    FilterPattern: '{{.FilterPattern}}'
    MetricTransformations:
      - MetricNamespace: ProfileSync
        MetricName: CognitoEventsNotEnqueued
        MetricValue: "1"

CognitoNotEnqueuedAlarm:
  Type: AWS::CloudWatch::Alarm
  Condition: HasCognitoUserPool
  Properties:
    AlarmDescription: Confirmed Cognito users' profiles were not enqueued (queues down, or the trigger is attached to another pool); a reconciliation reading the pool repairs them.
    Namespace: ProfileSync
    MetricName: CognitoEventsNotEnqueued
    Statistic: Sum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 0
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]

CognitoTriggerFunctionErrorsAlarm:
  Type: AWS::CloudWatch::Alarm
  Condition: HasCognitoUserPool
  Properties:
    AlarmDescription: The Cognito trigger failed whole invocations (crash, timeout, init error); confirmed users saw an error and their profiles were not enqueued.
    Namespace: AWS/Lambda
    MetricName: Errors
    Dimensions:
      - Name: FunctionName
        Value: !Ref CognitoTriggerFunction
    Statistic: Sum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 0
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
`, "\n")))

// renderCognito returns the Cognito block's lines.
func renderCognito(targets []target, cv *claimsView) ([]string, error) {
	var buf bytes.Buffer
	if err := cognitoTemplate.Execute(&buf, cognitoView{Targets: targets, Claims: cv != nil, Timeout: cognitoTimeout, FilterPattern: cognitoFilterPattern}); err != nil {
		return nil, fmt.Errorf("render %s: %w", BlockCognito, err)
	}
	return strings.Split(strings.Trim(buf.String(), "\n"), "\n"), nil
}
