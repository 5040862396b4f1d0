//! [`Deliveries`] on PostgreSQL. A claim takes due rows with `FOR UPDATE SKIP LOCKED` and
//! leases them in the same statement: several nodes' dispatchers never take the same delivery,
//! and a dead node's leases run out and its deliveries fall due for the others.

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;

use super::PgStore;
use crate::record::{now_ms, RequestRecord, TenantId};
use crate::store::deliveries::{Attempt, Deliveries, Delivery, DeliveryState};
use crate::store::rows::{self, delivery, request_columns, DELIVERY_COLUMNS as COLUMNS};
use crate::store::{Cursor, StoreResult};

#[async_trait]
impl Deliveries for PgStore {
    async fn open_deliveries_due(
        &self,
        request_id: &str,
        channel: &str,
        recipients: &[(String, i64)],
    ) -> StoreResult<()> {
        let now = now_ms();
        let (to, due): (Vec<&str>, Vec<i64>) =
            recipients.iter().map(|(r, at)| (r.as_str(), *at)).unzip();
        sqlx::query(
            "INSERT INTO deliveries (request_id, channel, recipient, state, due_at, \
             created_at, updated_at) SELECT $1, $2, r, 'pending', d, $3, $3 \
             FROM unnest($4::TEXT[], $5::BIGINT[]) AS o (r, d) ON CONFLICT DO NOTHING",
        )
        .bind(request_id)
        .bind(channel)
        .bind(now)
        .bind(to)
        .bind(due)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn claim_due(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE deliveries SET due_at = $1, updated_at = $2 \
             WHERE (request_id, channel, recipient) IN \
             (SELECT request_id, channel, recipient FROM deliveries \
              WHERE due_at IS NOT NULL AND due_at <= $2 ORDER BY due_at LIMIT $3 \
              FOR UPDATE SKIP LOCKED) RETURNING {COLUMNS}"
        )))
        .bind(lease_until)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let mut claimed: Vec<Delivery> = rows.iter().map(delivery).collect::<StoreResult<_>>()?;
        claimed.sort_by_key(|d| d.due_at);
        Ok(claimed)
    }

    async fn record_attempt(&self, d: &Delivery, attempt: Attempt) -> StoreResult<()> {
        let now = now_ms();
        // After a success, still due if the request moved on from what the message shows.
        const SUCCESS: &str =
            "UPDATE deliveries SET state = $4, reference = coalesce($5, reference), \
             shown_status = $6, data = coalesce($7, data), attempts = 0, last_error = NULL, \
             due_at = CASE WHEN (SELECT r.status FROM requests r \
               WHERE r.id = deliveries.request_id) = $6 THEN NULL ELSE $8 END, \
             delivered_at = coalesce(delivered_at, $8), updated_at = $8 \
             WHERE request_id = $1 AND channel = $2 AND recipient = $3";
        const FAILURE: &str = "UPDATE deliveries SET state = $4, attempts = attempts + 1, \
             last_error = $5, due_at = $6, updated_at = $7 \
             WHERE request_id = $1 AND channel = $2 AND recipient = $3";
        let query = sqlx::query(match attempt {
            Attempt::Delivered { .. } | Attempt::Updated { .. } => SUCCESS,
            Attempt::Idle => {
                "UPDATE deliveries SET due_at = NULL WHERE request_id = $1 AND channel = $2 \
                 AND recipient = $3"
            }
            _ => FAILURE,
        })
        .bind(&d.request_id)
        .bind(&d.channel)
        .bind(&d.recipient);
        let query = match attempt {
            Attempt::Delivered {
                reference,
                shown,
                data,
            } => query
                .bind(DeliveryState::Delivered.as_str())
                .bind(Some(reference))
                .bind(shown.as_str())
                .bind(data.map(|d| d.to_string()))
                .bind(now),
            Attempt::Updated { shown } => query
                .bind(d.state.as_str())
                .bind(None::<String>)
                .bind(shown.as_str())
                .bind(None::<String>)
                .bind(now),
            Attempt::Failed { error, retry_at } => query
                .bind(d.state.as_str())
                .bind(without_nul(error))
                .bind(Some(retry_at))
                .bind(now),
            Attempt::GaveUp { error } => {
                // A message already out stays delivered: only its updates stop.
                let state = match d.state {
                    DeliveryState::Delivered => DeliveryState::Delivered,
                    _ => DeliveryState::GaveUp,
                };
                query
                    .bind(state.as_str())
                    .bind(without_nul(format!("gave up: {error}")))
                    .bind(None::<i64>)
                    .bind(now)
            }
            Attempt::Idle => query,
            Attempt::Skipped { reason } => query
                .bind(DeliveryState::Skipped.as_str())
                .bind(without_nul(reason))
                .bind(None::<i64>)
                .bind(now),
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    async fn prepare_delivery(
        &self,
        d: &Delivery,
        reference: &str,
        data: Value,
    ) -> StoreResult<Delivery> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE deliveries SET reference = coalesce(reference, $1), \
             data = coalesce(data, $2) WHERE request_id = $3 AND channel = $4 \
             AND recipient = $5 RETURNING {COLUMNS}"
        )))
        .bind(reference)
        .bind(data.to_string())
        .bind(&d.request_id)
        .bind(&d.channel)
        .bind(&d.recipient)
        .fetch_one(&self.pool)
        .await?;
        delivery(&row)
    }

    async fn deliveries_in_conversation(
        &self,
        tenant: TenantId,
        conversation_id: &str,
        channel: &str,
    ) -> StoreResult<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT d.request_id, d.channel, d.recipient, d.state, d.reference, d.shown_status, \
             d.attempts, d.due_at, d.last_error, d.data, d.delivered_at \
             FROM deliveries d JOIN requests r ON r.id = d.request_id \
             WHERE r.tenant_id = $1 AND r.conversation_id = $2 AND d.channel = $3 \
             AND d.delivered_at IS NOT NULL ORDER BY r.seq",
        )
        .bind(tenant)
        .bind(conversation_id)
        .bind(channel)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery).collect()
    }

    async fn next_delivery_due(&self) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT due_at FROM deliveries WHERE due_at IS NOT NULL ORDER BY due_at LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn deliveries_of(&self, request_id: &str) -> StoreResult<Vec<Delivery>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM deliveries WHERE request_id = $1 \
             ORDER BY channel COLLATE \"C\", recipient COLLATE \"C\""
        )))
        .bind(request_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery).collect()
    }

    async fn delivery_by_reference(
        &self,
        channel: &str,
        reference: &str,
    ) -> StoreResult<Option<Delivery>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM deliveries WHERE channel = $1 AND reference = $2"
        )))
        .bind(channel)
        .bind(reference)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(delivery).transpose()
    }

    async fn undelivered(
        &self,
        channel: &str,
        after: Option<Cursor>,
        limit: u32,
    ) -> StoreResult<Vec<(Cursor, RequestRecord)>> {
        let rows = sqlx::query(concat!(
            "SELECT seq, ",
            request_columns!(),
            " FROM requests WHERE status = 'pending' AND seq > $1 AND NOT EXISTS \
             (SELECT 1 FROM deliveries d WHERE d.request_id = requests.id AND d.channel = $2) \
             ORDER BY seq LIMIT $3"
        ))
        .bind(after.map_or(0, Cursor::position))
        .bind(channel)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((Cursor::at(row.try_get("seq")?), rows::request(row)?)))
            .collect()
    }
}

/// An attempt's error as PostgreSQL can keep it: it refuses a NUL in text, and the error may
/// quote a receiver's reply (SQLite keeps it as it is; a diagnostic loses nothing by the swap).
fn without_nul(text: impl Into<String>) -> String {
    let text = text.into();
    if text.contains('\0') {
        text.replace('\0', "\u{fffd}")
    } else {
        text
    }
}
