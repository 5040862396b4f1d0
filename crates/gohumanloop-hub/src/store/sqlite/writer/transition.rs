//! Changing a request's status: the compare-and-set write behind the core's one decision
//! path, with its audit entry in the same transaction.

use serde_json::Value;
use sqlx::SqliteConnection;

use super::chain;
use crate::record::{now_ms, RequestRecord, Transition, TransitionOutcome};
use crate::store::rows::{self, request_columns};
use crate::store::write::ballot::{self, ballots_on};
use crate::store::write::chain::ChainHead;
use crate::store::write::change;
use crate::store::write::grant_use::grants_spent_on;
use crate::store::StoreResult;

ballots_on!(sqlx::Sqlite, SqliteConnection);
grants_spent_on!(sqlx::Sqlite, SqliteConnection);

/// How often a change is tried again when its compare-and-set found the status moved.
const ATTEMPTS: usize = 3;

/// Applies one change if the request's current status is one it may move from: a
/// compare-and-set on the status read just before. Zero rows updated means another writer
/// changed it in between: read again, and either try again or report the winner.
pub async fn transition(
    conn: &mut SqliteConnection,
    head: &mut ChainHead,
    change: &Transition,
) -> StoreResult<TransitionOutcome> {
    if let Some(ballot) = &change.ballot {
        // The writer's transaction holds SQLite's write lock: no other vote comes between.
        let Some(mut record) = read(conn, change).await? else {
            return Ok(TransitionOutcome::NotFound);
        };
        if !change.from.contains(&record.status) {
            return Ok(TransitionOutcome::Conflict(Box::new(record)));
        }
        let Some(tally) = cast(conn, change, ballot).await? else {
            return Ok(TransitionOutcome::AlreadyVoted(Box::new(record)));
        };
        if !ballot::decides(&tally, ballot.approve) {
            let detail = ballot::detail(ballot, &tally);
            let entry = ballot::entry(change, record.status, &detail);
            chain::insert(conn, vec![head.next(entry)]).await?;
            record.tally = Some(tally);
            return Ok(TransitionOutcome::Voted {
                record: Box::new(record),
                tally,
            });
        }
    }
    if let Some(grant) = &change.grant {
        // Under the writer's lock: nothing changes the request between here and the write.
        if let Some(ended) = spend_for(conn, change, grant).await? {
            return Ok(ended);
        }
    }
    for _ in 0..ATTEMPTS {
        let Some(record) = read(conn, change).await? else {
            return Ok(TransitionOutcome::NotFound);
        };
        if !change.from.contains(&record.status) {
            return Ok(TransitionOutcome::Conflict(Box::new(record)));
        }
        if let Some(outcome) = compare_and_set(conn, head, change, record).await? {
            return Ok(outcome);
        }
    }
    match read(conn, change).await? {
        Some(winner) => Ok(TransitionOutcome::Conflict(Box::new(winner))),
        None => Ok(TransitionOutcome::NotFound),
    }
}

async fn read(
    conn: &mut SqliteConnection,
    change: &Transition,
) -> StoreResult<Option<RequestRecord>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM requests WHERE id = ? AND tenant_id = ?"
    ))
    .bind(&change.id)
    .bind(change.tenant)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(rows::request).transpose()
}

/// The write itself, if the status is still `record`'s; `None` if it moved meanwhile.
async fn compare_and_set(
    conn: &mut SqliteConnection,
    head: &mut ChainHead,
    change: &Transition,
    record: RequestRecord,
) -> StoreResult<Option<TransitionOutcome>> {
    let before = record.status;
    let now = now_ms();
    let record = change::changed(change, record, now);
    // The channels' messages of this request are marked due by this same statement (the
    // trigger of migration 0007), so that a crash cannot lose their update.
    let updated = sqlx::query(
        "UPDATE requests SET status = ?, response = ?, feedback = ?, responded_by = ?, \
         responded_at = ?, error = ?, updated_at = ? WHERE id = ? AND tenant_id = ? \
         AND status = ?",
    )
    .bind(change.to.as_str())
    .bind(record.response.as_ref().map(Value::to_string))
    .bind(record.feedback.as_ref().map(Value::to_string))
    .bind(&record.responded_by)
    .bind(&record.responded_at)
    .bind(&record.error)
    .bind(now)
    .bind(&change.id)
    .bind(change.tenant)
    .bind(before.as_str())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    let detail = change::detail(change, &record);
    chain::insert(
        conn,
        vec![head.next(change::entry(change, before, &detail))],
    )
    .await?;
    Ok(Some(TransitionOutcome::Changed {
        before,
        record: Box::new(record),
    }))
}
