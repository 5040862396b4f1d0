//! [`Deliveries`] on SQLite. These writes are few (a handful per request and channel), so they
//! use the pool directly; SQLite's busy timeout orders them with the request writer.

use async_trait::async_trait;
use serde_json::Value;
use sqlx::Row;

use super::SqliteStore;
use crate::record::{now_ms, RequestRecord, TenantId};
use crate::store::deliveries::{Attempt, Deliveries, Delivery, DeliveryState};
use crate::store::rows::{self, delivery, request_columns, DELIVERY_COLUMNS as COLUMNS};
use crate::store::{Cursor, StoreResult};

#[async_trait]
impl Deliveries for SqliteStore {
    async fn open_deliveries_due(
        &self,
        request_id: &str,
        channel: &str,
        recipients: &[(String, i64)],
    ) -> StoreResult<()> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        for (recipient, due_at) in recipients {
            sqlx::query(
                "INSERT INTO deliveries (request_id, channel, recipient, state, due_at, \
                 created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(request_id)
            .bind(channel)
            .bind(recipient)
            .bind(due_at)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn claim_due(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE deliveries SET due_at = ?, updated_at = ? WHERE rowid IN \
             (SELECT rowid FROM deliveries WHERE due_at IS NOT NULL AND due_at <= ? \
              ORDER BY due_at LIMIT ?) RETURNING {COLUMNS}"
        )))
        .bind(lease_until)
        .bind(now)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery).collect()
    }

    async fn record_attempt(&self, d: &Delivery, attempt: Attempt) -> StoreResult<()> {
        let now = now_ms();
        // After a success, still due if the request moved on from what the message shows.
        const SUCCESS: &str =
            "UPDATE deliveries SET state = ?, reference = coalesce(?, reference), \
             shown_status = ?, data = coalesce(?, data), attempts = 0, last_error = NULL, \
             due_at = CASE WHEN (SELECT r.status FROM requests r WHERE r.id = deliveries.request_id) = ? \
             THEN NULL ELSE ? END, delivered_at = coalesce(delivered_at, ?), updated_at = ? \
             WHERE request_id = ? AND channel = ? AND recipient = ?";
        const FAILURE: &str = "UPDATE deliveries SET state = ?, attempts = attempts + 1, \
             last_error = ?, due_at = ?, updated_at = ? \
             WHERE request_id = ? AND channel = ? AND recipient = ?";
        let query = match attempt {
            Attempt::Delivered {
                reference,
                shown,
                data,
            } => sqlx::query(SUCCESS)
                .bind(DeliveryState::Delivered.as_str())
                .bind(Some(reference))
                .bind(shown.as_str())
                .bind(data.map(|d| d.to_string()))
                .bind(shown.as_str())
                .bind(now)
                .bind(now)
                .bind(now),
            Attempt::Updated { shown } => sqlx::query(SUCCESS)
                .bind(d.state.as_str())
                .bind(None::<String>)
                .bind(shown.as_str())
                .bind(None::<String>)
                .bind(shown.as_str())
                .bind(now)
                .bind(now)
                .bind(now),
            Attempt::Failed { error, retry_at } => sqlx::query(FAILURE)
                .bind(d.state.as_str())
                .bind(error)
                .bind(Some(retry_at))
                .bind(now),
            Attempt::GaveUp { error } => {
                // A message already out stays delivered: only its updates stop.
                let state = match d.state {
                    DeliveryState::Delivered => DeliveryState::Delivered,
                    _ => DeliveryState::GaveUp,
                };
                sqlx::query(FAILURE)
                    .bind(state.as_str())
                    .bind(format!("gave up: {error}"))
                    .bind(None::<i64>)
                    .bind(now)
            }
            Attempt::Idle => sqlx::query(
                "UPDATE deliveries SET due_at = NULL WHERE request_id = ? AND channel = ? \
                 AND recipient = ?",
            ),
            Attempt::Skipped { reason } => sqlx::query(FAILURE)
                .bind(DeliveryState::Skipped.as_str())
                .bind(reason)
                .bind(None::<i64>)
                .bind(now),
        };
        query
            .bind(&d.request_id)
            .bind(&d.channel)
            .bind(&d.recipient)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn prepare_delivery(
        &self,
        d: &Delivery,
        reference: &str,
        data: Value,
    ) -> StoreResult<Delivery> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE deliveries SET reference = coalesce(reference, ?), \
             data = coalesce(data, ?) WHERE request_id = ? AND channel = ? AND recipient = ? \
             RETURNING {COLUMNS}"
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
             WHERE r.tenant_id = ? AND r.conversation_id = ? AND d.channel = ? \
             AND d.delivered_at IS NOT NULL ORDER BY r.rowid",
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
            "SELECT {COLUMNS} FROM deliveries WHERE request_id = ? ORDER BY channel, recipient"
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
            "SELECT {COLUMNS} FROM deliveries WHERE channel = ? AND reference = ?"
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
            "SELECT rowid AS seq, ",
            request_columns!(),
            " FROM requests WHERE status = 'pending' AND rowid > ? AND NOT EXISTS \
             (SELECT 1 FROM deliveries d WHERE d.request_id = requests.id AND d.channel = ?) \
             ORDER BY rowid LIMIT ?"
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
