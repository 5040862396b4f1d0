//! Storing new requests. A batch made only of new requests takes one round trip to SQLite:
//! `BEGIN; INSERT requests (all rows); INSERT audit_log (all rows); COMMIT` as one query
//! ([`create_batch`]): every hand-off to SQLite's thread costs a wake-up, which on a busy
//! machine is worth more than the inserts themselves. When a request repeats ids already
//! stored, that attempt is rolled back and [`create_all`] sorts out each request.

use std::collections::HashSet;

use gohumanloop::model::Status;
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use super::chain;
use crate::record::{CreateOutcome, NewRequest};
use crate::store::rows::{self, request_columns};
use crate::store::write::chain::ChainHead;
use crate::store::write::new_request::{prepare, requests_push_insert, Prepared};
use crate::store::write::statement_chunks;
use crate::store::{StoreError, StoreResult};

/// Stores new requests and their audit entries in one transaction and one round trip.
/// `Ok(None)`: some ids were stored before, and nothing was written (use [`create_all`]).
pub(crate) async fn create_batch(
    conn: &mut SqliteConnection,
    head: &mut ChainHead,
    requests: &[&NewRequest],
) -> StoreResult<Option<Vec<CreateOutcome>>> {
    let prepared = prepare(requests);
    let audit: Vec<_> = prepared
        .iter()
        .map(|p| head.next(p.entry(&p.detail())))
        .collect();
    // `OR ROLLBACK`: a repeated id ends the whole attempt, so SQLite keeps no statement journal.
    let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("BEGIN IMMEDIATE; ");
    push_insert(&mut q, "INSERT OR ROLLBACK", &prepared);
    q.push("; ");
    chain::push_insert(&mut q, "INSERT OR ROLLBACK", &audit);
    q.push("; ");
    push_count(&mut q, &prepared);
    q.push("; COMMIT");
    match q.build().execute(&mut *conn).await {
        Ok(_) => Ok(Some(
            prepared
                .into_iter()
                .map(|p| CreateOutcome::Created(Box::new(p.into_record())))
                .collect(),
        )),
        Err(e) => {
            // The failed statement ended the query before COMMIT: undo the transaction.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            match e {
                sqlx::Error::Database(db) if db.is_unique_violation() => Ok(None),
                other => Err(other.into()),
            }
        }
    }
}

/// Stores requests inside the caller's transaction, in order, one outcome per request: new
/// ones are created, identical repeats recognised, different ones reported as conflicts.
pub(crate) async fn create_all(
    conn: &mut SqliteConnection,
    head: &mut ChainHead,
    requests: &[&NewRequest],
) -> StoreResult<Vec<CreateOutcome>> {
    let prepared = prepare(requests);
    let mut inserted = HashSet::with_capacity(prepared.len());
    for chunk in statement_chunks(&prepared) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("");
        push_insert(&mut q, "INSERT", chunk);
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
    let new: Vec<&Prepared<'_>> = prepared
        .iter()
        .filter(|p| inserted.contains(&p.request.id))
        .collect();
    if !new.is_empty() {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("");
        push_count(&mut q, new);
        q.build().execute(&mut *conn).await?;
    }
    let mut outcomes = Vec::with_capacity(prepared.len());
    let mut audit = Vec::with_capacity(inserted.len());
    for p in prepared {
        if inserted.contains(&p.request.id) {
            audit.push(head.next(p.entry(&p.detail())));
            outcomes.push(CreateOutcome::Created(Box::new(p.into_record())));
        } else {
            outcomes.push(compare_with_stored(conn, p).await?);
        }
    }
    chain::insert(conn, audit).await?;
    Ok(outcomes)
}

requests_push_insert!(Sqlite);

/// Adds new pending requests to the inbox's counts: one upsert per batch (a trigger would cost
/// one per row; the status trigger in the schema keeps the counts right after that).
fn push_count<'a, 'b: 'a>(
    q: &mut QueryBuilder<Sqlite>,
    rows: impl IntoIterator<Item = &'a Prepared<'b>>,
) {
    let mut groups: Vec<(i64, &'static str, i64)> = Vec::new();
    for p in rows {
        let (tenant, loop_type) = (p.request.key.tenant, p.request.loop_type.as_str());
        match groups
            .iter_mut()
            .find(|g| g.0 == tenant && g.1 == loop_type)
        {
            Some(group) => group.2 += 1,
            None => groups.push((tenant, loop_type, 1)),
        }
    }
    q.push("INSERT INTO request_counts (tenant_id, status, loop_type, n) ");
    q.push_values(groups, |mut b, (tenant, loop_type, n)| {
        b.push_bind(tenant)
            .push_bind(Status::Pending.as_str())
            .push_bind(loop_type)
            .push_bind(n);
    });
    q.push(" ON CONFLICT (tenant_id, status, loop_type) DO UPDATE SET n = n + excluded.n");
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
    Ok(p.compared_with(rows::request(&row)?))
}

/// Stores the next turn of a conversation, if the tenant has that conversation.
pub async fn continue_conversation(
    conn: &mut SqliteConnection,
    head: &mut ChainHead,
    request: &NewRequest,
) -> StoreResult<CreateOutcome> {
    if !conversation_exists(conn, request).await? {
        return Ok(CreateOutcome::UnknownConversation);
    }
    create_all(conn, head, &[request])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("a stored request got no outcome".into()))
}

/// Whether the tenant has the conversation a `continue` names.
async fn conversation_exists(conn: &mut SqliteConnection, r: &NewRequest) -> StoreResult<bool> {
    let known: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM requests WHERE tenant_id = ? AND conversation_id = ? LIMIT 1",
    )
    .bind(r.key.tenant)
    .bind(&r.key.conversation_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(known.is_some())
}
