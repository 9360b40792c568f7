-- ProfileSync's own tables beside goqite's. Times are unix milliseconds
-- (queue) or nanoseconds (state) so they round-trip exactly.

-- What SQS keeps per message and goqite does not: string message
-- attributes, the sent and first-receive times, and why and from where a
-- message was dead-lettered. Deleted with its goqite row.
create table if not exists queue_message (
  id text primary key references goqite (id) on delete cascade,
  attributes text not null default '{}',
  sent_at integer not null,
  first_received_at integer,
  dead_reason text,
  dead_source text,
  moved_at integer
) strict;

-- The per (target, subject) record the sync handler keeps for idempotency
-- and ordering: last applied event, back-end record id, hash of the last
-- pushed record, tombstone.
create table if not exists sync_state (
  target text not null,
  subject text not null,
  last_event_at integer,
  last_event_id text not null default '',
  record_id text not null default '',
  hash text not null default '',
  deleted integer not null default 0,
  updated_at integer not null,
  -- The prints of the last pushed record's fields (delivery.State.Fields)
  -- as JSON: keyed fingerprints, masked or plain forms only where the
  -- mapping says so (since version 7; migrate adds it to older files).
  fields text not null default '',
  primary key (target, subject)
) strict, without rowid;

-- One row per abandoned (target, subject, event): the sync handler's record
-- of what it dead-lettered and why (since version 2).
create table if not exists abandoned (
  target text not null,
  subject text not null,
  event_id text not null,
  event_type text not null default '',
  source text not null default '',
  message_id text not null default '',
  reason text not null,
  attributes text not null default '{}',
  abandoned_at integer not null,
  primary key (target, subject, event_id)
) strict, without rowid;

-- The sync handler's notices (ProfileSynced, SyncAbandoned): the local twin
-- of the EventBridge bus they go to on AWS. Ids only, never profile data
-- (since version 3).
create table if not exists notice (
  seq integer primary key autoincrement,
  type text not null,
  target text not null,
  subject text not null default '',
  event_id text not null default '',
  detail text not null,
  at integer not null
) strict;

-- The claim verifier's audit: every decision on a subject's claim, the
-- local twin of its DynamoDB table (since version 4). The evidence itself
-- is not kept, only its hash.
create table if not exists claim_decision (
  seq integer primary key autoincrement,
  id text not null unique,
  subject text not null,
  rule text not null,
  decided_at integer not null,
  detail text not null
) strict;
create index if not exists claim_decision_subject on claim_decision (subject, rule, seq);

-- Manual approvals: pending until one approver decides, once (since
-- version 4). The evidence is shown to approvers behind a signed link.
create table if not exists claim_approval (
  id text primary key,
  subject text not null,
  rule text not null,
  evidence_hash text not null,
  status text not null,
  requested_at integer not null,
  detail text not null
) strict, without rowid;
create index if not exists claim_approval_open on claim_approval (subject, rule, evidence_hash, requested_at);

-- Scheduled jobs' checkpoints: the current run of each job (where it
-- stands) and its last complete run (whose watermark an incremental run
-- starts from), since version 5.
create table if not exists job_run (
  job text not null,
  slot text not null, -- 'current', 'last' or 'lease' (who runs the job now)
  detail text not null,
  updated_at integer not null,
  primary key (job, slot)
) strict, without rowid;

-- Messages a handler gave back for a retry (ChangeVisibility, which only
-- failures call), with how often: what `profilesync status` counts as
-- retrying (since version 6). Deleted with its goqite row.
create table if not exists queue_retry (
  id text primary key references goqite (id) on delete cascade,
  retries integer not null,
  last_at integer not null
) strict;

-- The archive of accepted events, the local twin of the S3 archive: one
-- row per event the ingress accepted, as the queue got it, with the
-- targets it was routed to, for `profilesync replay` (since version 8).
-- It holds profiles: kept for the archive's retention, then expired.
create table if not exists event_archive (
  seq integer primary key autoincrement,
  received_at integer not null, -- unix nanoseconds
  event_id text not null,
  source text not null,
  subject text not null,
  type text not null,
  body text not null -- ingress.ArchivedEvent as JSON
) strict;
create index if not exists event_archive_received on event_archive (received_at);
-- The per-record sync log: every delivery decision with its field diff
-- (delivery.Entry as JSON: ids, outcome, reason, and the changed fields'
-- values hashed or masked as the mapping says), the local twin of the
-- DynamoDB SyncLogTable (since version 7). Rows go when expires_at passes.
create table if not exists sync_log (
  seq integer primary key autoincrement,
  subject text not null,
  target text not null,
  at integer not null,
  expires_at integer not null,
  entry text not null
) strict;
create index if not exists sync_log_subject on sync_log (subject, target, at);
create index if not exists sync_log_expiry on sync_log (expires_at);
-- The export reads the log by time window (since version 9).
create index if not exists sync_log_time on sync_log (at, seq);

-- The erasure ledger: per (subject, target, delete event) pending, then
-- confirmed, failed or skipped (delivery.Erasure), from the sync log's
-- entries and `profilesync erase`; kept past the log's retention, as the
-- proof of a data-subject request (since version 7). Ids only.
create table if not exists erasure (
  subject text not null,
  target text not null,
  event_id text not null,
  status text not null,
  requested_at integer not null,
  settled_at integer,
  outcome text not null default '',
  reason text not null default '',
  attempts integer not null default 0,
  primary key (subject, target, event_id)
) strict, without rowid;

-- Version 9: the local stack receives with its own statements (receive.go)
-- and nothing reads goqite's updated column: its trigger, one more update
-- of every message received, goes.
drop trigger if exists goqite_updated_timestamp;
