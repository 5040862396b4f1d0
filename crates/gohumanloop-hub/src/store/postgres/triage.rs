//! What the approvers' inbox asks of PostgreSQL beyond plain listings: the text search (the
//! generated column `search_text`, with a pg_trgm index where the extension exists), the pending
//! requests by urgency, conversations' turn counts, and assignments (single statements on the
//! pool; the primary key decides between nodes).

use sqlx::{PgPool, Postgres, QueryBuilder, Row};

use super::reads::filtered;
use super::PgStore;
use crate::record::{RequestFilter, RequestRecord, TenantId};
use crate::store::filter::{like_pattern, SEARCH_MATCHES};
use crate::store::rows;
use crate::store::{StoreResult, Urgency};

/// ` AND <the request is one of the tenant's newest [`SEARCH_MATCHES`] whose searched text has
/// every word>` (lowercased on both sides).
pub(super) fn push_search(q: &mut QueryBuilder<Postgres>, tenant: TenantId, words: &[String]) {
    q.push(" AND id IN (");
    push_matches(q, tenant, words);
    q.push(")");
}

/// `SELECT found.id …`: the hub ids of the tenant's newest [`SEARCH_MATCHES`] requests whose
/// searched text has every word, newest first.
fn push_matches(q: &mut QueryBuilder<Postgres>, tenant: TenantId, words: &[String]) {
    q.push("SELECT found.id FROM requests AS found WHERE found.tenant_id = ")
        .push_bind(tenant);
    for word in words {
        q.push(" AND found.search_text LIKE ")
            .push_bind(like_pattern(word))
            .push(" ESCAPE '\\'");
    }
    q.push(" ORDER BY found.seq DESC LIMIT ")
        .push_bind(i64::from(SEARCH_MATCHES));
}

/// [`crate::store::Requests::search`].
pub(super) async fn search(
    pool: &PgPool,
    tenant: TenantId,
    words: &[String],
) -> StoreResult<Vec<String>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::new("");
    push_matches(&mut q, tenant, words);
    Ok(q.build_query_scalar().fetch_all(pool).await?)
}

/// [`crate::store::Requests::pending_by_urgency`]; the order is the index
/// `requests_pending_by_urgency`'s.
pub(super) async fn pending_by_urgency(
    pool: &PgPool,
    tenant: TenantId,
    filter: &RequestFilter,
    after: Option<Urgency>,
) -> StoreResult<Vec<(Urgency, RequestRecord)>> {
    let filter = RequestFilter {
        statuses: Vec::new(),
        exclude_statuses: Vec::new(),
        ..filter.clone()
    };
    let mut q = filtered(
        "seq, coalesce(deadline_at, 9223372036854775807) AS due_key, ",
        tenant,
        &filter,
        None,
    );
    q.push(" AND status = 'pending'");
    if let Some(after) = after {
        q.push(" AND (coalesce(deadline_at, 9223372036854775807), seq) > (")
            .push_bind(after.deadline())
            .push(", ")
            .push_bind(after.position())
            .push(")");
    }
    q.push(" ORDER BY coalesce(deadline_at, 9223372036854775807), seq LIMIT ")
        .push_bind(i64::from(filter.limit));
    let found = q.build().fetch_all(pool).await?;
    found
        .iter()
        .map(|row| {
            let at = Urgency::at(row.try_get("due_key")?, row.try_get("seq")?);
            Ok((at, rows::request(row)?))
        })
        .collect()
}

/// [`crate::store::Requests::turn_counts`].
pub(super) async fn turn_counts(
    pool: &PgPool,
    tenant: TenantId,
    conversations: &[String],
) -> StoreResult<Vec<(String, i64)>> {
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(
        "SELECT conversation_id, count(*) FROM requests WHERE tenant_id = $1 \
         AND loop_type = 'conversation' AND conversation_id = ANY($2) GROUP BY conversation_id",
    )
    .bind(tenant)
    .bind(conversations)
    .fetch_all(pool)
    .await?)
}

crate::store::assignments::assignments_on!(PgStore, Postgres);
