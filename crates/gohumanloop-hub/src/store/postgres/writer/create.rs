//! Storing new requests in the PostgreSQL writer's transaction: one multi-row insert per
//! power-of-two chunk that skips ids stored before, which are then told apart (an identical
//! repeat or a conflict).

use std::collections::HashSet;

use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::Pending;
use crate::record::{CreateOutcome, NewRequest};
use crate::store::rows::{self, request_columns};
use crate::store::write::new_request::{prepare, requests_push_insert, Prepared};
use crate::store::write::statement_chunks;
use crate::store::{StoreError, StoreResult};

/// Stores requests in order, one outcome per request; their audit entries go to `audit`.
pub(crate) async fn create_all(
    conn: &mut PgConnection,
    audit: &mut Vec<Pending>,
    requests: &[&NewRequest],
) -> StoreResult<Vec<CreateOutcome>> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    let prepared = prepare(requests);
    let mut inserted = HashSet::with_capacity(prepared.len());
    for chunk in statement_chunks(&prepared) {
        let mut q: QueryBuilder<Postgres> = QueryBuilder::new("");
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
    let mut outcomes = Vec::with_capacity(prepared.len());
    for p in prepared {
        // A request repeated within the batch is stored once: the first is the one created.
        if inserted.remove(&p.request.id) {
            audit.push(Pending::of(p.entry(&p.detail())));
            outcomes.push(CreateOutcome::Created(Box::new(p.into_record())));
        } else {
            outcomes.push(compare_with_stored(conn, &p).await?);
        }
    }
    Ok(outcomes)
}

requests_push_insert!(Postgres);

/// The same ids were stored before: an identical repeat, or a conflict.
async fn compare_with_stored(
    conn: &mut PgConnection,
    p: &Prepared<'_>,
) -> StoreResult<CreateOutcome> {
    let r = p.request;
    let row = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM requests WHERE tenant_id = $1 AND conversation_id = $2 AND request_id = $3 \
         AND platform = $4"
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
pub(crate) async fn continue_conversation(
    conn: &mut PgConnection,
    audit: &mut Vec<Pending>,
    request: &NewRequest,
) -> StoreResult<CreateOutcome> {
    let known: Option<i32> = sqlx::query_scalar(
        "SELECT 1 FROM requests WHERE tenant_id = $1 AND conversation_id = $2 LIMIT 1",
    )
    .bind(request.key.tenant)
    .bind(&request.key.conversation_id)
    .fetch_optional(&mut *conn)
    .await?;
    if known.is_none() {
        return Ok(CreateOutcome::UnknownConversation);
    }
    create_all(conn, audit, &[request])
        .await?
        .pop()
        .ok_or_else(|| StoreError::Corrupt("a stored request got no outcome".into()))
}
