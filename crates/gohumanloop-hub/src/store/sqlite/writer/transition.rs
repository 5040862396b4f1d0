//! Changing a request's status: the compare-and-set write behind the hub's single answer
//! function, with its audit entry in the same transaction.

use serde_json::{json, Value};
use sqlx::SqliteConnection;

use super::chain::{self, ChainHead, Entry};
use crate::record::{ms_to_rfc3339, now_ms, Transition, TransitionOutcome};
use crate::store::sqlite::rows::{self, request_columns};
use crate::store::{StoreError, StoreResult};

/// Applies one change if the request's current status may become the new one.
pub async fn transition(
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
    chain::insert(conn, vec![head.next(entry)]).await?;
    Ok(TransitionOutcome::Changed {
        before,
        record: Box::new(record),
    })
}
