package samgen

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// jobTemplates render the job blocks once, from a jobsView; with no jobs
// they render nothing.
var jobTemplates = map[string]string{
	BlockJobParameters: `
ExportRetentionDays:
  Type: Number
  Default: 90
  MinValue: 1
  Description: Days an export file stays in the export bucket before its lifecycle rule deletes it.
ExportKmsKeyArn:
  Type: String
  Default: ""
  AllowedPattern: "^(arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+)?$"
  Description: KMS key the export bucket encrypts with (SSE-KMS); empty for SSE-S3.
{{- range .Secrets}}{{if .New}}
{{.ID}}SecretArn:
  Type: String
  AllowedPattern: "^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$"
  Description: Secrets Manager ARN of {{.What}}.
{{- end}}{{end}}
`,
	BlockJobConditions: `
HasExportKmsKey: !Not [!Equals [!Ref ExportKmsKeyArn, ""]]
{{- range .StageConditions}}
{{.ID}}: !Equals [!Ref Stage, {{printf "%q" .Stage}}]
{{- end}}
`,
	BlockJobs: `
# --- scheduled jobs (mappings/jobs/*.yaml) ---
# Scheduled runs that failed after Lambda's retries (their invocation
# records), schedules that could not invoke the function, and
# continuations whose run kept failing.
JobsDeadLetterQueue:
  Type: AWS::SQS::Queue
  Properties:
    MessageRetentionPeriod: 1209600 # 14 days
    SqsManagedSseEnabled: true

# Continuations: a run that nears the function's time limit checkpoints
# and sends {"job": "<name>"} here to go on in a new invocation.
JobsQueue:
  Type: AWS::SQS::Queue
  Properties:
    VisibilityTimeout: {{.Visibility}} # 6 x the function Timeout ({{.Timeout}}), as AWS advises
    MessageRetentionPeriod: 345600 # 4 days
    SqsManagedSseEnabled: true
    RedrivePolicy:
      deadLetterTargetArn: !GetAtt JobsDeadLetterQueue.Arn
      maxReceiveCount: {{.MaxReceiveCount}}

# Each job's current run (its cursor and committed files) and its last
# complete run (the watermark of incremental exports).
JobsTable:
  Type: AWS::DynamoDB::Table
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
    PointInTimeRecoverySpecification:
      PointInTimeRecoveryEnabled: true
    SSESpecification:
      SSEEnabled: true

# The exports of jobs whose S3 destination names no bucket. Exports are
# personal data: the bucket outlives the stack, and old ones expire.
ExportBucket:
  Type: AWS::S3::Bucket
  DeletionPolicy: Retain
  UpdateReplacePolicy: Retain
  Properties:
    BucketEncryption:
      ServerSideEncryptionConfiguration:
        - ServerSideEncryptionByDefault:
            SSEAlgorithm: !If [HasExportKmsKey, "aws:kms", AES256]
            KMSMasterKeyID: !If [HasExportKmsKey, !Ref ExportKmsKeyArn, !Ref AWS::NoValue]
          BucketKeyEnabled: true
    PublicAccessBlockConfiguration:
      BlockPublicAcls: true
      BlockPublicPolicy: true
      IgnorePublicAcls: true
      RestrictPublicBuckets: true
    OwnershipControls:
      Rules:
        - ObjectOwnership: BucketOwnerEnforced
    VersioningConfiguration:
      Status: Enabled
    LifecycleConfiguration:
      Rules:
        - Id: ExpireOldExports
          Status: Enabled
          ExpirationInDays: !Ref ExportRetentionDays
          NoncurrentVersionExpiration:
            NoncurrentDays: 7
          AbortIncompleteMultipartUpload:
            DaysAfterInitiation: 1

# Only TLS to the export bucket.
ExportBucketPolicy:
  Type: AWS::S3::BucketPolicy
  Properties:
    Bucket: !Ref ExportBucket
    PolicyDocument:
      Statement:
        - Sid: DenyInsecureTransport
          Effect: Deny
          Principal: "*"
          Action: s3:*
          Resource:
            - !GetAtt ExportBucket.Arn
            - !Sub "${ExportBucket.Arn}/*"
          Condition:
            Bool:
              aws:SecureTransport: "false"

JobsFunction:
  Type: AWS::Serverless::Function
  Metadata:
    BuildMethod: makefile
  Properties:
    Description: Runs the scheduled jobs of mappings/jobs/*.yaml (exports of the CIAM's profiles).
    CodeUri: .
    Timeout: {{.Timeout}} # a run checkpoints and continues on JobsQueue before it
    MemorySize: {{.Memory}}
    Environment:
      Variables:
        JOBS_TABLE: !Ref JobsTable
        JOBS_QUEUE_URL: !Ref JobsQueue
        EXPORT_BUCKET: !Ref ExportBucket
        EXPORT_KMS_KEY: !Ref ExportKmsKeyArn
        ENVIRONMENT: !Ref Stage
        SECRET_ARNS: !Sub '{{jobSecretARNs .}}'
{{- if .Queues}}
        # Cleanup jobs send their events through the targets' queues.
        QUEUE_URLS: !Sub '{ {{- range $i, $q := .Queues}}{{if $i}},{{end}}"{{$q.Name}}":"${ {{- $q.ID}}Queue}"{{end -}} }'
{{- end}}
{{- if .SyncLog}}
        # A synclog job exports the sync log hour by hour.
        SYNC_LOG_TABLE: !Ref SyncLogTable
{{- end}}
    # A scheduled run that fails is retried (it continues from its
    # checkpoint), then recorded in the dead-letter queue.
    EventInvokeConfig:
      MaximumRetryAttempts: {{.AsyncRetries}}
      MaximumEventAgeInSeconds: 21600
      DestinationConfig:
        OnFailure:
          Type: SQS
          Destination: !GetAtt JobsDeadLetterQueue.Arn
    Policies:
      # Receive and delete continuations; send them, and failures.
      - SQSPollerPolicy:
          QueueName: !GetAtt JobsQueue.QueueName
      - SQSSendMessagePolicy:
          QueueName: !GetAtt JobsQueue.QueueName
      - SQSSendMessagePolicy:
          QueueName: !GetAtt JobsDeadLetterQueue.QueueName
{{- range .Queues}}
      - SQSSendMessagePolicy:
          QueueName: !GetAtt {{.ID}}Queue.QueueName
{{- end}}
      - Statement:
          # Checkpoints: finishing a run is a TransactWriteItems of a put
          # and a delete.
          - Effect: Allow
            Action: [dynamodb:GetItem, dynamodb:PutItem, dynamodb:DeleteItem]
            Resource: !GetAtt JobsTable.Arn
{{- if .SyncLog}}
          # A synclog job reads an hour through the time index only.
          - Effect: Allow
            Action: dynamodb:Query
            Resource: !Sub "${SyncLogTable.Arn}/index/by-hour"
{{- end}}
{{- if .Objects}}
          # Multipart uploads of the export files; stale uploads of the
          # same key are listed and aborted.
          - Effect: Allow
            Action: [s3:PutObject, s3:AbortMultipartUpload]
            Resource:
{{- range .Objects}}
              - !Sub "{{.}}"
{{- end}}
          - Effect: Allow
            Action: s3:ListBucketMultipartUploads
            Resource:
{{- range .Buckets}}
              - !Sub "{{.}}"
{{- end}}
{{- end}}
          - !If
            - HasExportKmsKey
            - Effect: Allow
              Action: [kms:GenerateDataKey, kms:Decrypt]
              Resource: !Ref ExportKmsKeyArn
            - !Ref AWS::NoValue
{{- if .KMSKeys}}
          - Effect: Allow
            Action: [kms:GenerateDataKey, kms:Decrypt]
            Resource:
{{- range .KMSKeys}}
              - {{.}}
{{- end}}
{{- end}}
{{- range .Secrets}}
      - AWSSecretsManagerGetSecretValuePolicy:
          SecretArn: !Ref {{.ID}}SecretArn
{{- end}}
    Events:
      Queue:
        Type: SQS
        Properties:
          Queue: !GetAtt JobsQueue.Arn
          BatchSize: 1 # one run per invocation: it may take the whole Timeout
          FunctionResponseTypes: [ReportBatchItemFailures]
          ScalingConfig:
            MaximumConcurrency: 2 # the least Lambda allows

# EventBridge Scheduler assumes this role to start the jobs.
JobsSchedulerRole:
  Type: AWS::IAM::Role
  Properties:
    AssumeRolePolicyDocument:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Principal:
            Service: scheduler.amazonaws.com
          Action: sts:AssumeRole
          Condition:
            StringEquals:
              aws:SourceAccount: !Ref AWS::AccountId
    Policies:
      - PolicyName: StartJobs
        PolicyDocument:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Action: lambda:InvokeFunction
              Resource: !GetAtt JobsFunction.Arn
            # Invocations it could not make go to the dead-letter queue.
            - Effect: Allow
              Action: sqs:SendMessage
              Resource: !GetAtt JobsDeadLetterQueue.Arn
{{- range .Jobs}}

# job {{.Name}} ({{.File}})
{{.ID}}JobSchedule:
  Type: AWS::Scheduler::Schedule
  Properties:
    Description: Starts the {{.Name}} job ({{.File}}).
    ScheduleExpression: {{.YAML.Expression}}
    ScheduleExpressionTimezone: {{.YAML.TimeZone}}
    FlexibleTimeWindow:
      Mode: {{.YAML.Mode}}
{{- if .YAML.Window}}
      MaximumWindowInMinutes: {{.YAML.Window}}
{{- end}}
    State: ENABLED
    Target:
      Arn: !GetAtt JobsFunction.Arn
      RoleArn: !GetAtt JobsSchedulerRole.Arn
      Input: '{{.Input}}'
      RetryPolicy:
        MaximumRetryAttempts: {{$.Retries}}
        MaximumEventAgeInSeconds: {{$.MaxAge}}
      DeadLetterConfig:
        Arn: !GetAtt JobsDeadLetterQueue.Arn
{{- end}}

JobsDLQAlarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: A scheduled job failed (its run, its start or its continuation); see the jobs dead-letter queue and the function's log.
    Namespace: AWS/SQS
    MetricName: ApproximateNumberOfMessagesVisible
    Dimensions:
      - Name: QueueName
        Value: !GetAtt JobsDeadLetterQueue.QueueName
    Statistic: Maximum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 0
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]

JobsFunctionErrorsAlarm:
  Type: AWS::CloudWatch::Alarm
  Properties:
    AlarmDescription: The jobs function failed whole invocations (a run failed, timed out or could not start).
    Namespace: AWS/Lambda
    MetricName: Errors
    Dimensions:
      - Name: FunctionName
        Value: !Ref JobsFunction
    Statistic: Sum
    Period: 300
    EvaluationPeriods: 1
    Threshold: 0
    ComparisonOperator: GreaterThanThreshold
    TreatMissingData: notBreaching
    AlarmActions: !If [HasAlarmTopic, [!Ref AlarmTopicArn], !Ref AWS::NoValue]
`,
	BlockJobOutputs: `
ExportBucketName:
  Description: S3 bucket with the exports of jobs whose destination names no bucket (<prefix><run>/part-*, manifest.json last).
  Value: !Ref ExportBucket
JobsTableName:
  Description: DynamoDB table with the jobs' checkpoints (pk job#<name>, sk current or last).
  Value: !Ref JobsTable
JobsDeadLetterQueueConsoleUrl:
  Description: The jobs dead-letter queue in the SQS console.
  Value: !Sub 'https://${AWS::Region}.console.aws.amazon.com/sqs/v3/home?region=${AWS::Region}#/queues/https%3A%2F%2Fsqs.${AWS::Region}.amazonaws.com%2F${AWS::AccountId}%2F${JobsDeadLetterQueue.QueueName}'
`,
}

var parsedJobs = func() map[string]*template.Template {
	funcs := template.FuncMap{"jobSecretARNs": jobSecretARNs}
	out := map[string]*template.Template{}
	for name, text := range jobTemplates {
		out[name] = template.Must(template.New(name).Funcs(funcs).Parse(strings.TrimPrefix(text, "\n")))
	}
	return out
}()

// renderJobs returns the lines of one job block; none without jobs.
func renderJobs(block string, v *jobsView) ([]string, error) {
	if v == nil {
		return nil, nil
	}
	tmpl, ok := parsedJobs[block]
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
