//! [`Links`] and [`Secrets`] on PostgreSQL: single statements on the pool; the primary keys
//! decide between nodes.

use async_trait::async_trait;

use super::PgStore;
use crate::record::now_ms;
use crate::store::{LinkUse, Links, Secrets, StoreResult};

#[async_trait]
impl Links for PgStore {
    async fn use_link(&self, link_id: &str, request_id: &str) -> StoreResult<LinkUse> {
        let done = sqlx::query(
            "INSERT INTO used_links (link_id, request_id, used_at) VALUES ($1, $2, $3) \
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
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM used_links WHERE link_id = $1")
            .bind(link_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }
}

#[async_trait]
impl Secrets for PgStore {
    async fn secret(&self, name: &str, fresh: &[u8]) -> StoreResult<Vec<u8>> {
        // The first node to store a secret wins; every node reads that one.
        sqlx::query(
            "INSERT INTO hub_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM hub_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
