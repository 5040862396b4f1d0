//! Storing new requests: all the creates of a batch go in with one multi-row `INSERT … ON
//! CONFLICT DO NOTHING RETURNING id`, and their audit entries with one more statement, so a
//! batch costs a handful of round trips to SQLite however many creates it holds.

use std::collections::HashSet;

use gohumanloop::model::Status;
use serde_json::{json, Value};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::chain::{self, ChainHead, Entry};
use crate::audit::sha256_hex;
use crate::record::{ms_to_rfc3339, CreateOutcome, NewRequest, RequestRecord};
use crate::store::sqlite::rows::{self, request_columns};
use crate::store::StoreResult;

/// A request with its JSON columns rendered once.
struct Prepared<'a> {
    request: &'a NewRequest,
    context: Value,
    metadata: Value,
    context_text: String,
}

/// Stores requests (one statement for all), in order; one outcome per request.
pub async fn create_all(
    conn: &mut SqliteConnection,
    head: &mut ChainHead,
    requests: &[&NewRequest],
) -> StoreResult<Vec<CreateOutcome>> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let prepared: Vec<Prepared<'_>> = requests
        .iter()
        .map(|r| {
            let context = Value::Object(r.context.clone());
            Prepared {
                request: r,
                context_text: context.to_string(),
                context,
                metadata: Value::Object(r.metadata.clone()),
            }
        })
        .collect();
    let mut inserted = HashSet::with_capacity(prepared.len());
    for chunk in super::statement_chunks(&prepared) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new(
            "INSERT INTO requests (id, tenant_id, task_id, conversation_id, request_id, \
             platform, loop_type, context, metadata, status, created_at, updated_at, deadline_at) ",
        );
        q.push_values(chunk, |mut b, p| {
            let r = p.request;
            b.push_bind(r.id.clone())
                .push_bind(r.key.tenant)
                .push_bind(r.task_id.clone())
                .push_bind(r.key.conversation_id.clone())
                .push_bind(r.key.request_id.clone())
                .push_bind(r.key.platform.clone())
                .push_bind(r.loop_type.as_str())
                .push_bind(p.context_text.clone())
                .push_bind(p.metadata.to_string())
                .push_bind(Status::Pending.as_str())
                .push_bind(r.created_at)
                .push_bind(r.created_at)
                .push_bind(r.deadline_at);
        });
        q.push(
            " ON CONFLICT (tenant_id, conversation_id, request_id, platform) DO NOTHING \
             RETURNING id",
        );
        let ids = q
            .build_query_scalar::<String>()
            .fetch_all(&mut *conn)
            .await?;
        inserted.extend(ids);
    }

    let mut outcomes = Vec::with_capacity(prepared.len());
    let mut audit = Vec::with_capacity(inserted.len());
    for p in prepared {
        if inserted.contains(&p.request.id) {
            audit.push(head.next(create_entry(&p, &detail(&p))));
            outcomes.push(CreateOutcome::Created(Box::new(record(p))));
        } else {
            outcomes.push(compare_with_stored(conn, p).await?);
        }
    }
    chain::insert(conn, audit).await?;
    Ok(outcomes)
}

fn detail(p: &Prepared<'_>) -> Value {
    let r = p.request;
    json!({
        "task_id": r.task_id,
        "conversation_id": r.key.conversation_id,
        "request_id": r.key.request_id,
        "platform": r.key.platform,
        "loop_type": r.loop_type,
        "context_sha256": sha256_hex(p.context_text.as_bytes()),
    })
}

fn create_entry<'a>(p: &'a Prepared<'_>, detail: &'a Value) -> Entry<'a> {
    Entry {
        tenant: p.request.key.tenant,
        request: &p.request.id,
        actor: &p.request.actor,
        channel: &p.request.channel,
        old: None,
        new: Status::Pending,
        detail,
    }
}

/// The same ids were stored before: an identical repeat, or a conflict.
async fn compare_with_stored(
    conn: &mut SqliteConnection,
    p: Prepared<'_>,
) -> StoreResult<CreateOutcome> {
    let r = p.request;
    let row = sqlx::query(concat!(
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
    let existing = Box::new(rows::request(&row)?);
    let same = existing.task_id == r.task_id
        && existing.loop_type == r.loop_type
        && existing.context == p.context
        && existing.metadata == p.metadata;
    Ok(if same {
        CreateOutcome::AlreadyExists(existing)
    } else {
        CreateOutcome::Conflict(existing)
    })
}

/// Whether the tenant has the conversation a `continue` names.
pub async fn conversation_exists(conn: &mut SqliteConnection, r: &NewRequest) -> StoreResult<bool> {
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM requests WHERE tenant_id = ? AND conversation_id = ? LIMIT 1",
    )
    .bind(r.key.tenant)
    .bind(&r.key.conversation_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(known.is_some())
}

fn record(p: Prepared<'_>) -> RequestRecord {
    let r = p.request;
    let created = ms_to_rfc3339(r.created_at);
    RequestRecord {
        id: r.id.clone(),
        tenant: r.key.tenant,
        task_id: r.task_id.clone(),
        conversation_id: r.key.conversation_id.clone(),
        request_id: r.key.request_id.clone(),
        platform: r.key.platform.clone(),
        loop_type: r.loop_type,
        context: p.context,
        metadata: p.metadata,
        status: Status::Pending,
        response: None,
        feedback: None,
        responded_by: None,
        responded_at: None,
        error: None,
        created_at: created.clone(),
        updated_at: created,
        deadline_at: r.deadline_at.map(ms_to_rfc3339),
    }
}
