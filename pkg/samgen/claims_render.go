package samgen

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// claimTemplates render the claim blocks once, from a claimsView; with no
// rules they render nothing.
var claimTemplates = map[string]string{
	BlockClaimParameters: `
{{- range .Secrets}}{{if .New}}
{{.ID}}SecretArn:
  Type: String
  AllowedPattern: "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$"
  Description: Secrets Manager ARN of {{.What}}.
{{- end}}{{end}}
`,
	BlockClaimQueueURL: `
- !Sub '"claims":"${ClaimsQueue}"'
`,
	BlockClaimIngressPolicy: `
- SQSSendMessagePolicy:
    QueueName: !GetAtt ClaimsQueue.QueueName
`,
	BlockClaims: `
# --- claim verifier (mappings/claims/*.yaml) ---
ClaimsDeadLetterQueue:
  Type: AWS::SQS::Queue
  Properties:
    MessageRetentionPeriod: 1209600 # 14 days
    SqsManagedSseEnabled: true

# Profile events a claim rule may apply to (the ingress routes them as
# target "claims"), and checks POST /claims/verify could not finish in
# its budget.
ClaimsQueue:
  Type: AWS::SQS::Queue
  Properties:
    VisibilityTimeout: {{.Visibility}} # 6 x the function Timeout ({{.Timeout}}), as AWS advises
    MessageRetentionPeriod: {{.Retention}} # the longest retry_for ({{.RetryFor}}) + 1 day
    SqsManagedSseEnabled: true
    RedrivePolicy:
      deadLetterTargetArn: !GetAtt ClaimsDeadLetterQueue.Arn
      maxReceiveCount: {{.MaxReceiveCount}} # the retries of a {{.RetryFor}} retry_for + 2 spare (delivery.Policy.Receives)

# Decisions, their audit trail and manual approvals; expired items go by
# TTL. Losing them would re-verify every customer, so the table outlives
# the stack.
ClaimsTable:
  Type: AWS::DynamoDB::Table
  DeletionPolicy: Retain
  UpdateReplacePolicy: Retain
  Properties:
    BillingMode: PAY_PER_REQUEST
    AttributeDefinitions:
      - AttributeName: pk
        AttributeType: S
      - AttributeName: sk
        AttributeType: S
    KeySchema:
      - AttributeName: pk
        KeyType: HASH
      - AttributeName: sk
        KeyType: RANGE
    TimeToLiveSpecification:
      AttributeName: expires_at_epoch
      Enabled: true
    PointInTimeRecoverySpecification:
      PointInTimeRecoveryEnabled: true
    SSESpecification:
      SSEEnabled: true
{{- if .Manual}}

# Approvers' notices of manual approval requests (signed links): subscribe
# an address or a chat integration. Encrypted with the AWS managed key.
ApprovalTopic:
  Type: AWS::SNS::Topic
  Properties:
    KmsMasterKeyId: alias/aws/sns
{{- end}}

VerifierFunction:
  Type: AWS::Serverless::Function
  Metadata:
    BuildMethod: makefile
  Properties:
    Description: Verifies declared claims with their authorities and writes the verdict back to the CIAM profile.
    CodeUri: .
    Environment:
      Variables:
        QUEUE_URL: !Ref ClaimsQueue
        DLQ_URL: !Ref ClaimsDeadLetterQueue
        CLAIMS_TABLE: !Ref ClaimsTable
        EVENT_BUS: !Ref EventBusName
{{- if .Manual}}
        APPROVAL_TOPIC_ARN: !Ref ApprovalTopic
{{- end}}
        SECRET_ARNS: !Sub '{{claimSecretARNs .}}'
    Policies:
      # Receive, delete and change visibility on its own queue.
      - SQSPollerPolicy:
          QueueName: !GetAtt ClaimsQueue.QueueName
      # Send: continue a check the API could not finish, and give up to
      # the DLQ with the reason.
      - SQSSendMessagePolicy:
          QueueName: !GetAtt ClaimsQueue.QueueName
      - SQSSendMessagePolicy:
          QueueName: !GetAtt ClaimsDeadLetterQueue.QueueName
      - DynamoDBCrudPolicy:
          TableName: !Ref ClaimsTable
      - EventBridgePutEventsPolicy:
          EventBusName: !Ref ProfileSyncBus
{{- if .Manual}}
      - SNSPublishMessagePolicy:
          TopicName: !GetAtt ApprovalTopic.TopicName
{{- end}}
      # Read the envelopes the ingress stored aside for it.
      - Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: !Sub "${BodyBucket.Arn}/claims/*"
          - Effect: Allow
            Action: s3:ListBucket
            Resource: !GetAtt BodyBucket.Arn
            Condition:
              StringLike:
                s3:prefix: "claims/*"
{{- range .Secrets}}
      - AWSSecretsManagerGetSecretValuePolicy:
          SecretArn: !Ref {{.ID}}SecretArn
{{- end}}
    Events:
      Queue:
        Type: SQS
        Properties:
          Queue: !GetAtt ClaimsQueue.Arn
          # Messages are handled one after the other, each waiting on its
          # authorities (2 s each by default): {{.BatchSize}} fit the function Timeout.
          BatchSize: {{.BatchSize}}
          FunctionResponseTypes: [ReportBatchItemFailures]
          ScalingConfig:
            MaximumConcurrency: {{.MaxConcurrency}} # public registries throttle
      # POST /claims/verify and the approval links
      # (GET/POST /claims/approvals/{token}).
      Api:
        Type: HttpApi
        Properties:
          ApiId: !Ref HttpApi
          Method: ANY
          Path: /claims/{proxy+}
{{- if .Manual}}
      # Reminds approvers of requests still pending.
      Reminders:
        Type: Schedule
        Properties:
          Schedule: rate(1 hour)
          Description: Reminders of pending manual approvals of claims.
{{- end}}

ClaimsDLQAlarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: Claim checks were given up to the claims dead-letter queue; their claims stay pending.
    Namespace: AWS/SQS
    MetricName: ApproximateNumberOfMessagesVisible
    Dimensions:
      - Name: QueueName
        Value: !GetAtt ClaimsDeadLetterQueue.QueueName
    Statistic: Maximum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 0
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]

ClaimsOldestMessageAlarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: Claim checks have waited over {{.OldestAgeAlarm}} s; an authority is down or throttling, and after {{.RetryFor}} they go to the claims dead-letter queue.
    Namespace: AWS/SQS
    MetricName: ApproximateAgeOfOldestMessage
    Dimensions:
      - Name: QueueName
        Value: !GetAtt ClaimsQueue.QueueName
    Statistic: Maximum
    Period: 300
    EvaluationPeriods: 1
    Threshold: {{.OldestAgeAlarm}}
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]

VerifierFunctionErrorsAlarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: The claim verifier function failed whole invocations (crash, timeout, init error).
    Namespace: AWS/Lambda
    MetricName: Errors
    Dimensions:
      - Name: FunctionName
        Value: !Ref VerifierFunction
    Statistic: Sum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 0
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
`,
	BlockClaimOutputs: `
ClaimsVerifyUrl:
  Description: POST /claims/verify (a CIAM's registration hook; ?format=okta or ?format=kratos).
  Value: !Sub https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/claims/verify
ClaimsTableName:
  Description: DynamoDB table with the claim decisions, their audit trail and the manual approvals.
  Value: !Ref ClaimsTable
ClaimsDeadLetterQueueConsoleUrl:
  Description: The claims dead-letter queue in the SQS console (inspect, redrive).
  Value: !Sub 'https://${AWS::Region}.console.aws.amazon.com/sqs/v3/home?region=${AWS::Region}#/queues/https%3A%2F%2Fsqs.${AWS::Region}.amazonaws.com%2F${AWS::AccountId}%2F${ClaimsDeadLetterQueue.QueueName}'
`,
}

var parsedClaims = func() map[string]*template.Template {
	funcs := template.FuncMap{"claimSecretARNs": claimSecretARNs}
	out := map[string]*template.Template{}
	for name, text := range claimTemplates {
		out[name] = template.Must(template.New(name).Funcs(funcs).Parse(strings.TrimPrefix(text, "\n")))
	}
	return out
}()

// renderClaims returns the lines of one claim block; none without rules.
func renderClaims(block string, v *claimsView) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	tmpl, ok := parsedClaims[block]
	if !ok {
		return nil, fmt.Errorf("no renderer for block %s", block)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("render %s: %w", block, err)
	}
	s := strings.Trim(buf.String(), "\n")
	if s == "" {
		return nil, nil
	}
	return strings.Split(s, "\n"), nil
}

// claimSecretARNs is the verifier's SECRET_ARNS (an Fn::Sub string inside
// single quotes).
func claimSecretARNs(v *claimsView) string {
	parts := make([]string, 0, len(v.Secrets))
	for _, s := range v.Secrets {
		parts = append(parts, fmt.Sprintf(`"%s":"${%sSecretArn}"`, s.Name, s.ID))
	}
	return "{" + strings.Join(parts, ",") + "}"
}
