package samgen

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// The blocks, each rendered once per target at indentation 0; splice
// indents them like their END marker. Every policy names a resource or
// parameter of the template (internal/samtemplate's invariants refuse
// anything else).
var blockTemplates = map[string]string{
	BlockParameters: `
{{.ID}}SecretArn:
  Type: String
  AllowedPattern: "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$"
  Description: Secrets Manager ARN of the {{.Name}} target's credentials.
`,
	BlockQueueURLs: `
- !Sub '"{{.Name}}":"${ {{- .ID}}Queue}"'
`,
	BlockIngressPolicies: `
- SQSSendMessagePolicy:
    QueueName: !GetAtt {{.ID}}Queue.QueueName
`,
	BlockTargets: `
# --- target: {{.Name}} (mappings/{{.Name}}.yaml) ---
{{.ID}}DeadLetterQueue:
  Type: AWS::SQS::Queue
  Properties:
    MessageRetentionPeriod: 1209600 # 14 days
    SqsManagedSseEnabled: true

{{.ID}}Queue:
  Type: AWS::SQS::Queue
  Properties:
    VisibilityTimeout: {{.Visibility}} # 6 x the function Timeout ({{.Timeout}}){{if .BatchingWindow}} + the batching window ({{.BatchingWindow}}){{end}}, as AWS advises
    MessageRetentionPeriod: {{.Retention}} # the outage budget ({{.Budget}}) + 1 day
    SqsManagedSseEnabled: true
    RedrivePolicy:
      deadLetterTargetArn: !GetAtt {{.ID}}DeadLetterQueue.Arn
      maxReceiveCount: {{.MaxReceiveCount}} # the retries of a {{.Budget}} outage budget + 2 spare (delivery.Policy.Receives)

{{.ID}}SyncFunction:
  Type: AWS::Serverless::Function
  Metadata:
    BuildMethod: makefile
  Properties:
    Description: Pushes profile changes to {{.Name}}.
    CodeUri: .
    Environment:
      Variables:
        TARGET: {{yaml .Name}}
        QUEUE_URL: !Ref {{.ID}}Queue
        DLQ_URL: !Ref {{.ID}}DeadLetterQueue
        STATE_TABLE: !Ref StateTable
        EVENT_BUS: !Ref EventBusName
        SYNC_LOG_TABLE: !Ref SyncLogTable
        SYNC_LOG_RETENTION_DAYS: !Ref SyncLogRetentionDays
        SECRET_ARNS: !Sub '{{secretARNs .}}'
    Policies:
      # Receive, delete and change visibility on its own queue.
      - SQSPollerPolicy:
          QueueName: !GetAtt {{.ID}}Queue.QueueName
      # Send: re-enqueue with a delay (retries) and abandon to the DLQ.
      - SQSSendMessagePolicy:
          QueueName: !GetAtt {{.ID}}Queue.QueueName
      - SQSSendMessagePolicy:
          QueueName: !GetAtt {{.ID}}DeadLetterQueue.QueueName
      - DynamoDBCrudPolicy:
          TableName: !Ref StateTable
      - EventBridgePutEventsPolicy:
          EventBusName: !Ref ProfileSyncBus
      # Read its own target's stored envelopes; listing its prefix makes a
      # missing one a 404 rather than a 403.
      - Statement:
          - Effect: Allow
            Action: s3:GetObject
            Resource: !Sub "${BodyBucket.Arn}/{{.Name}}/*"
          - Effect: Allow
            Action: s3:ListBucket
            Resource: !GetAtt BodyBucket.Arn
            Condition:
              StringLike:
                s3:prefix: "{{.Name}}/*"
      # Write its decisions to the sync log, with the log's key; reading
      # the log (Query) is the operator's.
      - Statement:
          - Effect: Allow
            Action: [dynamodb:BatchWriteItem, dynamodb:PutItem]
            Resource: !GetAtt SyncLogTable.Arn
      - AWSSecretsManagerGetSecretValuePolicy:
          SecretArn: !Ref SyncLogKeySecret
      - AWSSecretsManagerGetSecretValuePolicy:
          SecretArn: !Ref {{.ID}}SecretArn
{{- range .Sources}}
      - AWSSecretsManagerGetSecretValuePolicy:
          SecretArn: !Ref {{.ID}}SecretArn
{{- end}}
    Events:
      Queue:
        Type: SQS
        Properties:
          Queue: !GetAtt {{.ID}}Queue.Arn
{{- if .MaxBatch}}
          # The {{.Connector}} connector takes up to {{.MaxBatch}} records per API call:
          # batches of up to {{maxBatchSize}} messages, which Lambda gathers for up to
          # MaximumBatchingWindowInSeconds (a generator default, not a mapping
          # setting; Lambda requires a window for a BatchSize above 10).
{{- end}}
          BatchSize: {{.BatchSize}}
{{- if .BatchingWindow}}
          MaximumBatchingWindowInSeconds: {{.BatchingWindow}}
{{- end}}
          FunctionResponseTypes: [ReportBatchItemFailures]
          ScalingConfig:
            MaximumConcurrency: {{.MaxConcurrency}} # delivery.max_concurrency

{{.ID}}DLQAlarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: Messages for {{.Name}} were abandoned to its dead-letter queue.
    Namespace: AWS/SQS
    MetricName: ApproximateNumberOfMessagesVisible
    Dimensions:
      - Name: QueueName
        Value: !GetAtt {{.ID}}DeadLetterQueue.QueueName
    Statistic: Maximum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 0
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]

{{.ID}}OldestMessageAlarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: Changes for {{.Name}} have waited over {{.OldestAgeAlarm}} s; {{.Name}} is down or throttling, and after {{.Budget}} they go to its dead-letter queue.
    Namespace: AWS/SQS
    MetricName: ApproximateAgeOfOldestMessage
    Dimensions:
      - Name: QueueName
        Value: !GetAtt {{.ID}}Queue.QueueName
    Statistic: Maximum
    Period: 300
    EvaluationPeriods: 1
    Threshold: {{.OldestAgeAlarm}}
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]

{{.ID}}SyncFunctionErrorsAlarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: The {{.Name}} sync function failed whole invocations (crash, timeout, init error).
    Namespace: AWS/Lambda
    MetricName: Errors
    Dimensions:
      - Name: FunctionName
        Value: !Ref {{.ID}}SyncFunction
    Statistic: Sum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 0
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
`,
	BlockOutputs: `
{{.ID}}DeadLetterQueueConsoleUrl:
  Description: The {{.Name}} dead-letter queue in the SQS console (inspect, redrive).
  Value: !Sub 'https://${AWS::Region}.console.aws.amazon.com/sqs/v3/home?region=${AWS::Region}#/queues/https%3A%2F%2Fsqs.${AWS::Region}.amazonaws.com%2F${AWS::AccountId}%2F${ {{- .ID}}DeadLetterQueue.QueueName}'
`,
}

var parsed = func() map[string]*template.Template {
	funcs := template.FuncMap{"yaml": yamlScalar, "secretARNs": secretARNs, "maxBatchSize": func() int { return MaxBatchSize }}
	out := map[string]*template.Template{}
	for name, text := range blockTemplates {
		out[name] = template.Must(template.New(name).Funcs(funcs).Parse(strings.TrimPrefix(text, "\n")))
	}
	return out
}()

// render returns the lines of one block for every target; targets of the
// TARGETS block are separated by a blank line.
func render(block string, targets []target) ([]string, error) {
	tmpl, ok := parsed[block]
	if !ok {
		return nil, fmt.Errorf("no renderer for block %s", block)
	}
	var lines []string
	for i, t := range targets {
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, t); err != nil {
			return nil, fmt.Errorf("render %s for %s: %w", block, t.Name, err)
		}
		if block == BlockTargets && i > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")...)
	}
	return lines, nil
}

// secretARNs is the sync function's SECRET_ARNS (an Fn::Sub string inside
// single quotes): its target's secret, every source's, then the sync
// log's key.
func secretARNs(t target) string {
	parts := []string{fmt.Sprintf(`"%s":"${%sSecretArn}"`, t.Secret, t.ID)}
	for _, s := range t.Sources {
		parts = append(parts, fmt.Sprintf(`"%s":"${%sSecretArn}"`, s.Name, s.ID))
	}
	parts = append(parts, fmt.Sprintf(`"%s":"${SyncLogKeySecret}"`, SyncLogSecret))
	return "{" + strings.Join(parts, ",") + "}"
}
