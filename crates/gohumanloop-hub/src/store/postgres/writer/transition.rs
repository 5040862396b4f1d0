//! Changing a request's status in the PostgreSQL writer's transaction: the compare-and-set
//! write behind the core's one decision path. Under READ COMMITTED, an update that meets a row
//! another transaction is changing waits for it and then checks its condition again on the
//! committed row, so the first change wins and the later one updates nothing.

use serde_json::Value;
use sqlx::PgConnection;

use super::Pending;
use crate::record::{now_ms, RequestRecord, Transition, TransitionOutcome};
use crate::store::rows::{self, request_columns};
use crate::store::write::ballot::{self, ballots_on};
use crate::store::write::change;
use crate::store::write::grant_use::grants_spent_on;
use crate::store::StoreResult;

ballots_on!(sqlx::Postgres, PgConnection);
grants_spent_on!(sqlx::Postgres, PgConnection);

/// How often a change is tried again when its compare-and-set found the status moved.
const ATTEMPTS: usize = 3;

/// Applies one change if the request's current status is one it may move from; its audit
/// entry goes to `audit`.
pub(crate) async fn transition(
    conn: &mut PgConnection,
    audit: &mut Vec<Pending>,
    change: &Transition,
) -> StoreResult<TransitionOutcome> {
    if let Some(ballot) = &change.ballot {
        // Votes on one request are judged one at a time: the row lock orders them (another
        // node's vote waits here, and then sees this one).
        lock(conn, change).await?;
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
            audit.push(Pending::of(ballot::entry(change, record.status, &detail)));
            record.tally = Some(tally);
            return Ok(TransitionOutcome::Voted {
                record: Box::new(record),
                tally,
            });
        }
    }
    if let Some(grant) = &change.grant {
        // The row lock holds the request as read until the commit: the grant is spent only
        // on a change that then happens.
        lock(conn, change).await?;
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
        if let Some(outcome) = compare_and_set(conn, audit, change, record).await? {
            return Ok(outcome);
        }
    }
    match read(conn, change).await? {
        Some(winner) => Ok(TransitionOutcome::Conflict(Box::new(winner))),
        None => Ok(TransitionOutcome::NotFound),
    }
}

/// Locks the request's row until the transaction ends.
async fn lock(conn: &mut PgConnection, change: &Transition) -> StoreResult<()> {
    sqlx::query("SELECT 1 FROM requests WHERE id = $1 AND tenant_id = $2 FOR UPDATE")
        .bind(&change.id)
        .bind(change.tenant)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(())
}

async fn read(conn: &mut PgConnection, change: &Transition) -> StoreResult<Option<RequestRecord>> {
    let row = sqlx::query(concat!(
        "SELECT ",
        request_columns!(),
        " FROM requests WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(&change.id)
    .bind(change.tenant)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(rows::request).transpose()
}

/// The write itself, if the status is still `record`'s; `None` if it moved meanwhile.
async fn compare_and_set(
    conn: &mut PgConnection,
    audit: &mut Vec<Pending>,
    change: &Transition,
    record: RequestRecord,
) -> StoreResult<Option<TransitionOutcome>> {
    let before = record.status;
    let now = now_ms();
    let record = change::changed(change, record, now);
    // The channels' messages of this request are marked due by this same statement (the
    // trigger of the schema), so that a crash cannot lose their update.
    let updated = sqlx::query(
        "UPDATE requests SET status = $1, response = $2, feedback = $3, responded_by = $4, \
         responded_at = $5, error = $6, updated_at = $7 WHERE id = $8 AND tenant_id = $9 \
         AND status = $10",
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
    audit.push(Pending::of(change::entry(change, before, &detail)));
    Ok(Some(TransitionOutcome::Changed {
        before,
        record: Box::new(record),
    }))
}
