//! What the approvers' inbox asks of SQLite beyond plain listings: the text search (an FTS5
//! trigram index, `request_search`), the pending requests by urgency, conversations' turn
//! counts, and assignments (few writes: straight on the pool, ordered with the request writer
//! by SQLite's busy timeout).

use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};

use super::{filtered, SqliteStore};
use crate::record::{RequestFilter, RequestRecord, TenantId};
use crate::store::filter::{like_pattern, SEARCH_MATCHES};
use crate::store::rows;
use crate::store::{StoreResult, Urgency};

/// The deadline key of the urgency order (the same expression as the index
/// `requests_pending_by_urgency`, so that SQLite reads the order from it).
const DUE_KEY: &str = "coalesce(deadline_at, 9223372036854775807)";

/// ` AND <the request is one of the tenant's newest [`SEARCH_MATCHES`] whose searched text
/// has every word>`.
pub(super) fn push_search(q: &mut QueryBuilder<Sqlite>, tenant: TenantId, words: &[String]) {
    q.push(" AND id IN (");
    push_matches(q, tenant, words);
    q.push(")");
}

/// `SELECT id …`: the hub ids of the tenant's newest [`SEARCH_MATCHES`] requests whose searched
/// text has every word, newest first — words of 3 characters or more through the trigram index
/// (each a quoted phrase), shorter ones by a scan of the indexed text.
pub(super) fn push_matches(q: &mut QueryBuilder<Sqlite>, tenant: TenantId, words: &[String]) {
    let (long, short): (Vec<&String>, Vec<&String>) =
        words.iter().partition(|w| w.chars().count() >= 3);
    q.push("SELECT id FROM request_search WHERE tenant_id = ")
        .push_bind(tenant);
    if !long.is_empty() {
        let phrases: Vec<String> = long
            .iter()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect();
        q.push(" AND request_search MATCH ")
            .push_bind(phrases.join(" "));
    }
    for word in short {
        q.push(" AND body LIKE ")
            .push_bind(like_pattern(word))
            .push(" ESCAPE '\\'");
    }
    q.push(" ORDER BY rowid DESC LIMIT ")
        .push_bind(i64::from(SEARCH_MATCHES));
}

/// [`crate::store::Requests::search`].
pub(super) async fn search(
    pool: &SqlitePool,
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

/// ` ORDER BY` newest first; for a search, so that SQLite sorts the matches it looked up by id
/// rather than walking the table in order and testing each row against them (see
/// `filtered_requests!`).
pub(super) fn newest_first(filter: &RequestFilter) -> &'static str {
    if !filter.narrowed() {
        " ORDER BY rowid DESC"
    } else {
        " ORDER BY +rowid DESC"
    }
}

/// [`crate::store::Requests::pending_by_urgency`].
pub(super) async fn pending_by_urgency(
    pool: &SqlitePool,
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
        "rowid AS seq, coalesce(deadline_at, 9223372036854775807) AS due_key, ",
        tenant,
        &filter,
        None,
    );
    q.push(" AND status = 'pending'");
    if let Some(after) = after {
        q.push(format_args!(" AND ({DUE_KEY}, rowid) > ("))
            .push_bind(after.deadline())
            .push(", ")
            .push_bind(after.position())
            .push(")");
    }
    let order = if !filter.narrowed() {
        format!(" ORDER BY {DUE_KEY}, rowid LIMIT ")
    } else {
        format!(" ORDER BY +{DUE_KEY}, +rowid LIMIT ")
    };
    q.push(order).push_bind(i64::from(filter.limit));
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
    pool: &SqlitePool,
    tenant: TenantId,
    conversations: &[String],
) -> StoreResult<Vec<(String, i64)>> {
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    let mut q: QueryBuilder<Sqlite> =
        QueryBuilder::new("SELECT conversation_id, count(*) FROM requests WHERE tenant_id = ");
    q.push_bind(tenant)
        .push(" AND loop_type = 'conversation' AND conversation_id IN (");
    let mut list = q.separated(", ");
    for conversation in conversations {
        list.push_bind(conversation.clone());
    }
    q.push(") GROUP BY conversation_id");
    Ok(q.build_query_as().fetch_all(pool).await?)
}

crate::store::assignments::assignments_on!(SqliteStore, Sqlite);
