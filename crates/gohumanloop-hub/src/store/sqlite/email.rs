//! [`MailLog`] on SQLite. These writes are few (one per mailed request or used link), so they
//! use the pool directly; SQLite's busy timeout orders them with the request writer.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::SqliteStore;
use crate::record::{now_ms, TenantId};
use crate::store::email::{MailLog, MailRecord, SendOutcome};
use crate::store::{LinkUse, Links, Secrets};
use crate::store::{StoreError, StoreResult};

const MAIL_COLUMNS: &str =
    "m.request_id, m.token, m.message_id, m.recipients, m.subject, m.sent_at, m.attempts, m.last_error, \
     m.gave_up_at";

fn mail(row: &SqliteRow) -> StoreResult<MailRecord> {
    let recipients: String = row.try_get("recipients")?;
    Ok(MailRecord {
        request_id: row.try_get("request_id")?,
        token: row.try_get("token")?,
        message_id: row.try_get("message_id")?,
        recipients: serde_json::from_str(&recipients)
            .map_err(|e| StoreError::Corrupt(format!("mail recipients: {e}")))?,
        subject: row.try_get("subject")?,
        sent_at: row.try_get("sent_at")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        gave_up_at: row.try_get("gave_up_at")?,
    })
}

#[async_trait]
impl MailLog for SqliteStore {
    async fn mail_prepare(&self, record: MailRecord) -> StoreResult<MailRecord> {
        let recipients = serde_json::to_string(&record.recipients)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO email_messages (request_id, token, message_id, recipients, subject, \
             created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(&record.request_id)
        .bind(&record.token)
        .bind(&record.message_id)
        .bind(recipients)
        .bind(&record.subject)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MAIL_COLUMNS} FROM email_messages m WHERE m.request_id = ?"
        )))
        .bind(&record.request_id)
        .fetch_one(&self.pool)
        .await?;
        mail(&row)
    }

    async fn mail_sent(&self, request_id: &str, outcome: SendOutcome) -> StoreResult<()> {
        let (sent_at, error, gave_up_at) = match outcome {
            SendOutcome::Sent(at) => (Some(at), None, None),
            SendOutcome::Failed(e) => (None, Some(e), None),
            SendOutcome::GaveUp(e) => (None, Some(e), Some(now_ms())),
        };
        sqlx::query(
            "UPDATE email_messages SET sent_at = ?, last_error = ?, gave_up_at = ?, \
             attempts = attempts + 1 WHERE request_id = ?",
        )
        .bind(sent_at)
        .bind(error)
        .bind(gave_up_at)
        .bind(request_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn mail_of(&self, request_id: &str) -> StoreResult<Option<MailRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MAIL_COLUMNS} FROM email_messages m WHERE m.request_id = ?"
        )))
        .bind(request_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(mail).transpose()
    }

    async fn mail_by_token(&self, token: &str) -> StoreResult<Option<MailRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MAIL_COLUMNS} FROM email_messages m WHERE m.token = ?"
        )))
        .bind(token)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(mail).transpose()
    }

    async fn mail_thread(
        &self,
        tenant: TenantId,
        conversation_id: &str,
    ) -> StoreResult<Vec<MailRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MAIL_COLUMNS} FROM email_messages m JOIN requests r ON r.id = m.request_id \
             WHERE r.tenant_id = ? AND r.conversation_id = ? AND m.sent_at IS NOT NULL \
             ORDER BY r.rowid"
        )))
        .bind(tenant)
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(mail).collect()
    }
}

#[async_trait]
impl Links for SqliteStore {
    async fn use_link(&self, link_id: &str, request_id: &str) -> StoreResult<LinkUse> {
        let done = sqlx::query(
            "INSERT INTO email_links_used (link_id, request_id, used_at) VALUES (?, ?, ?) \
             ON CONFLICT (link_id) DO NOTHING",
        )
        .bind(link_id)
        .bind(request_id)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(if done.rows_affected() == 1 {
            LinkUse::First
        } else {
            LinkUse::Again
        })
    }

    async fn link_used(&self, link_id: &str) -> StoreResult<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM email_links_used WHERE link_id = ?")
                .bind(link_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }
}

#[async_trait]
impl Secrets for SqliteStore {
    async fn secret(&self, name: &str, fresh: &[u8]) -> StoreResult<Vec<u8>> {
        sqlx::query(
            "INSERT INTO hub_secrets (name, value, created_at) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM hub_secrets WHERE name = ?")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
