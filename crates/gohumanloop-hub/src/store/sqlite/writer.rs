//! The single writer: every change goes through one connection, and the changes that arrive
//! together are committed together (group commit), so one fsync acknowledges many of them.
//! Nothing is acknowledged before its transaction has committed.

use gohumanloop::model::wire::TaskSync;
use gohumanloop::model::Status;
use serde_json::{json, Value};
use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::rows::{self, request_columns};
use crate::audit::{entry_hash, sha256_hex, AuditFields, GENESIS};
use crate::record::{
    ms_to_rfc3339, now_ms, CreateOutcome, NewRequest, RequestRecord, TenantId, Transition,
    TransitionOutcome,
};
use crate::store::{StoreError, StoreResult};
use crate::tasks::merge_snapshot;

/// How many changes one transaction takes at most.
const MAX_BATCH: usize = 512;

/// A change waiting for the writer, with where to send its outcome.
pub enum Command {
    /// Store a request.
    Create(NewRequest, oneshot::Sender<StoreResult<CreateOutcome>>),
    /// Change a request's status.
    Transition(Transition, oneshot::Sender<StoreResult<TransitionOutcome>>),
    /// Merge a task snapshot.
    SyncTask(TenantId, Box<TaskSync>, oneshot::Sender<StoreResult<bool>>),
}

enum Done {
    Create(CreateOutcome),
    Transition(TransitionOutcome),
    SyncTask(bool),
}

/// The end of the audit chain the next entry links to.
#[derive(Clone)]
struct ChainHead {
    seq: i64,
    hash: String,
}

impl ChainHead {
    async fn load(conn: &mut SqliteConnection) -> StoreResult<Self> {
        let last: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *conn)
                .await?;
        Ok(match last {
            Some((seq, hash)) => Self { seq, hash },
            None => Self {
                seq: 0,
                hash: GENESIS.to_owned(),
            },
        })
    }
}

/// Runs the writer until every sender is gone.
pub async fn run(mut conn: SqliteConnection, mut inbox: mpsc::Receiver<Command>) {
    let mut head = match ChainHead::load(&mut conn).await {
        Ok(head) => head,
        Err(e) => {
            tracing::error!("the store writer cannot read the audit log: {e}");
            return;
        }
    };
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while inbox.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let before = head.clone();
        match apply(&mut conn, &mut head, &batch).await {
            Ok(done) => {
                for (command, done) in batch.drain(..).zip(done) {
                    reply(command, done);
                }
            }
            Err(e) => {
                head = before;
                tracing::error!("a write batch of {} failed: {e}", batch.len());
                let message = e.to_string();
                for command in batch.drain(..) {
                    fail(command, &message);
                }
            }
        }
    }
}

fn reply(command: Command, done: Done) {
    // A caller that went away no longer needs its outcome; the change is committed anyway.
    match (command, done) {
        (Command::Create(_, tx), Done::Create(o)) => drop(tx.send(Ok(o))),
        (Command::Transition(_, tx), Done::Transition(o)) => drop(tx.send(Ok(o))),
        (Command::SyncTask(_, _, tx), Done::SyncTask(o)) => drop(tx.send(Ok(o))),
        (command, _) => fail(command, "internal error: outcome of the wrong kind"),
    }
}

fn fail(command: Command, message: &str) {
    let error = || StoreError::Corrupt(format!("write failed: {message}"));
    match command {
        Command::Create(_, tx) => drop(tx.send(Err(error()))),
        Command::Transition(_, tx) => drop(tx.send(Err(error()))),
        Command::SyncTask(_, _, tx) => drop(tx.send(Err(error()))),
    }
}

async fn apply(
    conn: &mut SqliteConnection,
    head: &mut ChainHead,
    batch: &[Command],
) -> StoreResult<Vec<Done>> {
    let mut tx = conn.begin().await?;
    let mut done = Vec::with_capacity(batch.len());
    for command in batch {
        done.push(match command {
            Command::Create(request, _) => Done::Create(create(&mut tx, head, request).await?),
            Command::Transition(change, _) => {
                Done::Transition(transition(&mut tx, head, change).await?)
            }
            Command::SyncTask(tenant, snapshot, _) => {
                Done::SyncTask(sync_task(&mut tx, *tenant, snapshot).await?)
            }
        });
    }
    tx.commit().await?;
    Ok(done)
}

async fn create(
    conn: &mut SqliteConnection,
    head: &mut ChainHead,
    r: &NewRequest,
) -> StoreResult<CreateOutcome> {
    if r.continues_conversation {
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM requests WHERE tenant_id = ? AND conversation_id = ? LIMIT 1",
        )
        .bind(r.key.tenant)
        .bind(&r.key.conversation_id)
        .fetch_optional(&mut *conn)
        .await?;
        if known.is_none() {
            return Ok(CreateOutcome::UnknownConversation);
        }
    }
    let context = Value::Object(r.context.clone());
    let metadata = Value::Object(r.metadata.clone());
    let context_text = context.to_string();
    let inserted = sqlx::query(
        "INSERT INTO requests (id, tenant_id, task_id, conversation_id, request_id, platform, \
         loop_type, context, metadata, status, created_at, updated_at, deadline_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) \
         ON CONFLICT (tenant_id, conversation_id, request_id, platform) DO NOTHING",
    )
    .bind(&r.id)
    .bind(r.key.tenant)
    .bind(&r.task_id)
    .bind(&r.key.conversation_id)
    .bind(&r.key.request_id)
    .bind(&r.key.platform)
    .bind(r.loop_type.as_str())
    .bind(&context_text)
    .bind(metadata.to_string())
    .bind(r.created_at)
    .bind(r.created_at)
    .bind(r.deadline_at)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        let existing = sqlx::query(concat!(
            "SELECT ",
            request_columns!(),
            " FROM requests WHERE tenant_id = ? AND conversation_id = ? AND request_id = ? \
             AND platform = ?"
        ))
        .bind(r.key.tenant)
        .bind(&r.key.conversation_id)
        .bind(&r.key.request_id)
        .bind(&r.key.platform)
        .fetch_one(&mut *conn)
        .await?;
        let existing = Box::new(rows::request(&existing)?);
        let same = existing.task_id == r.task_id
            && existing.loop_type == r.loop_type
            && existing.context == context
            && existing.metadata == metadata;
        return Ok(if same {
            CreateOutcome::AlreadyExists(existing)
        } else {
            CreateOutcome::Conflict(existing)
        });
    }
    let detail = json!({
        "task_id": r.task_id,
        "conversation_id": r.key.conversation_id,
        "request_id": r.key.request_id,
        "platform": r.key.platform,
        "loop_type": r.loop_type,
        "context_sha256": sha256_hex(context_text.as_bytes()),
    });
    let entry = Entry {
        tenant: r.key.tenant,
        request: &r.id,
        actor: &r.actor,
        channel: &r.channel,
        old: None,
        new: Status::Pending,
        detail: &detail,
    };
    append_audit(conn, head, entry).await?;
    let created = ms_to_rfc3339(r.created_at);
    Ok(CreateOutcome::Created(Box::new(RequestRecord {
        id: r.id.clone(),
        tenant: r.key.tenant,
        task_id: r.task_id.clone(),
        conversation_id: r.key.conversation_id.clone(),
        request_id: r.key.request_id.clone(),
        platform: r.key.platform.clone(),
        loop_type: r.loop_type,
        context,
        metadata,
        status: Status::Pending,
        response: None,
        feedback: None,
        responded_by: None,
        responded_at: None,
        error: None,
        created_at: created.clone(),
        updated_at: created,
        deadline_at: r.deadline_at.map(ms_to_rfc3339),
    })))
}

async fn transition(
    conn: &mut SqliteConnection,
    head: &mut ChainHead,
    change: &Transition,
) -> StoreResult<TransitionOutcome> {
    let row = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM requests WHERE id = ? AND tenant_id = ?"
    ))
    .bind(&change.id)
    .bind(change.tenant)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(TransitionOutcome::NotFound);
    };
    let mut record = rows::request(&row)?;
    let before = record.status;
    if !before.can_become(change.to) {
        return Ok(TransitionOutcome::Conflict(Box::new(record)));
    }
    let now = now_ms();
    let now_text = ms_to_rfc3339(now);
    if change.is_answer {
        record.response = change.response.clone();
        record.feedback = change.feedback.clone();
        record.responded_by = Some(change.actor.clone());
        record.responded_at = Some(now_text.clone());
    }
    record.status = change.to;
    record.error = change.error.clone();
    record.updated_at = now_text;
    // Compare-and-set on the status read above: the write happens only if nobody changed it.
    let updated = sqlx::query(
        "UPDATE requests SET status = ?, response = ?, feedback = ?, responded_by = ?, \
         responded_at = ?, error = ?, updated_at = ? WHERE id = ? AND status = ?",
    )
    .bind(change.to.as_str())
    .bind(record.response.as_ref().map(Value::to_string))
    .bind(record.feedback.as_ref().map(Value::to_string))
    .bind(&record.responded_by)
    .bind(&record.responded_at)
    .bind(&record.error)
    .bind(now)
    .bind(&change.id)
    .bind(before.as_str())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::Corrupt(format!(
            "request {} changed under the single writer",
            change.id
        )));
    }
    let detail = json!({
        "response": record.response,
        "feedback": record.feedback,
        "error": record.error,
    });
    let entry = Entry {
        tenant: change.tenant,
        request: &change.id,
        actor: &change.actor,
        channel: &change.channel,
        old: Some(before),
        new: change.to,
        detail: &detail,
    };
    append_audit(conn, head, entry).await?;
    Ok(TransitionOutcome::Changed {
        before,
        record: Box::new(record),
    })
}

struct Entry<'a> {
    tenant: TenantId,
    request: &'a str,
    actor: &'a str,
    channel: &'a str,
    old: Option<Status>,
    new: Status,
    detail: &'a Value,
}

async fn append_audit(
    conn: &mut SqliteConnection,
    head: &mut ChainHead,
    e: Entry<'_>,
) -> StoreResult<()> {
    let seq = head.seq + 1;
    let at = ms_to_rfc3339(now_ms());
    let detail = e.detail.to_string();
    let hash = entry_hash(&AuditFields {
        seq,
        at: &at,
        tenant: e.tenant,
        request: e.request,
        actor: e.actor,
        channel: e.channel,
        old_status: e.old.map(Status::as_str),
        new_status: e.new.as_str(),
        detail: &detail,
        prev_hash: &head.hash,
    });
    sqlx::query(
        "INSERT INTO audit_log (seq, at, tenant_id, request, actor, channel, old_status, \
         new_status, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(seq)
    .bind(&at)
    .bind(e.tenant)
    .bind(e.request)
    .bind(e.actor)
    .bind(e.channel)
    .bind(e.old.map(Status::as_str))
    .bind(e.new.as_str())
    .bind(&detail)
    .bind(&head.hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    *head = ChainHead { seq, hash };
    Ok(())
}

async fn sync_task(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    snapshot: &TaskSync,
) -> StoreResult<bool> {
    let stored: Option<(String, i64)> =
        sqlx::query_as("SELECT data, updates FROM tasks WHERE tenant_id = ? AND task_id = ?")
            .bind(tenant)
            .bind(&snapshot.task_id)
            .fetch_optional(&mut *conn)
            .await?;
    let known = stored.is_some();
    let (data, updates) = match stored {
        Some((text, updates)) => (
            Some(serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?),
            updates,
        ),
        None => (None, 0),
    };
    let merged = merge_snapshot(data, snapshot);
    sqlx::query(
        "INSERT INTO tasks (tenant_id, task_id, data, received_at, updates) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (tenant_id, task_id) DO UPDATE SET data = excluded.data, \
         received_at = excluded.received_at, updates = excluded.updates",
    )
    .bind(tenant)
    .bind(&snapshot.task_id)
    .bind(merged.to_string())
    .bind(now_ms())
    .bind(updates + 1)
    .execute(&mut *conn)
    .await?;
    Ok(known)
}
