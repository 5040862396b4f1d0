//! [`Accounts`] on PostgreSQL. These writes are rare (sign-in, `ghl users`), so they use the
//! pool directly. Sessions live in the database, so a sign-in on one node is good on every
//! node, and a sign-out or a disabled account ends it on all of them at once.

use async_trait::async_trait;
use sqlx::postgres::PgArguments;
use sqlx::{Postgres, Row};

use super::PgStore;
use crate::accounts::{Credentials, Role, SessionUser, Tenant, UserInfo};
use crate::record::{ms_to_rfc3339, now_ms};
use crate::store::{Accounts, StoreError, StoreResult};

fn role(text: &str) -> StoreResult<Role> {
    text.parse().map_err(StoreError::Corrupt)
}

#[async_trait]
impl Accounts for PgStore {
    async fn add_user(&self, name: &str, password_hash: &str, role: Role) -> StoreResult<UserInfo> {
        let now = now_ms();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (name, password_hash, role, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(name)
        .bind(password_hash)
        .bind(role.as_str())
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(UserInfo {
            id,
            name: name.to_owned(),
            role,
            tenants: Vec::new(),
            created_at: ms_to_rfc3339(now),
            disabled_at: None,
        })
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> StoreResult<bool> {
        let update = sqlx::query("UPDATE users SET password_hash = $1 WHERE name = $2")
            .bind(password_hash.to_owned());
        self.update_and_sign_out(name, update).await
    }

    async fn set_disabled(&self, name: &str, disabled: bool) -> StoreResult<bool> {
        let update = sqlx::query("UPDATE users SET disabled_at = $1 WHERE name = $2")
            .bind(disabled.then(now_ms));
        self.update_and_sign_out(name, update).await
    }

    async fn grant(&self, user: &str, tenant: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO tenants (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(tenant)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        let user_id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE name = $1")
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(user_id) = user_id else {
            return Ok(false);
        };
        sqlx::query(
            "INSERT INTO user_tenants (user_id, tenant_id) SELECT $1, id FROM tenants \
             WHERE name = $2 ON CONFLICT DO NOTHING",
        )
        .bind(user_id)
        .bind(tenant)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn users(&self) -> StoreResult<Vec<UserInfo>> {
        let rows = sqlx::query(
            "SELECT u.id, u.name, u.role, u.created_at, u.disabled_at, \
             (SELECT string_agg(t.name, ',' ORDER BY g.tenant_id) FROM user_tenants g \
              JOIN tenants t ON t.id = g.tenant_id WHERE g.user_id = u.id) AS tenants \
             FROM users u ORDER BY u.id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let tenants: Option<String> = row.try_get("tenants")?;
                let disabled: Option<i64> = row.try_get("disabled_at")?;
                Ok(UserInfo {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    role: role(row.try_get("role")?)?,
                    tenants: tenants
                        .map(|t| t.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                    created_at: ms_to_rfc3339(row.try_get("created_at")?),
                    disabled_at: disabled.map(ms_to_rfc3339),
                })
            })
            .collect()
    }

    async fn credentials(&self, name: &str) -> StoreResult<Option<Credentials>> {
        let row: Option<(i64, String, Option<i64>)> =
            sqlx::query_as("SELECT id, password_hash, disabled_at FROM users WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(user_id, password_hash, disabled)| Credentials {
            user_id,
            password_hash,
            disabled: disabled.is_some(),
        }))
    }

    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM tenants ORDER BY name COLLATE \"C\"")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| Tenant { id, name })
            .collect())
    }

    async fn start_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: i64,
    ) -> StoreResult<()> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO web_sessions (token_hash, user_id, csrf, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: i64) -> StoreResult<Option<SessionUser>> {
        let row: Option<(i64, String, String, String)> = sqlx::query_as(
            "SELECT u.id, u.name, u.role, s.csrf FROM web_sessions s JOIN users u \
             ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 \
             AND u.disabled_at IS NULL",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some((user_id, name, role_text, csrf)) = row else {
            return Ok(None);
        };
        let role = role(&role_text)?;
        let tenants: Vec<(i64, String)> = match role {
            Role::Admin => {
                sqlx::query_as("SELECT id, name FROM tenants ORDER BY name COLLATE \"C\"")
            }
            Role::Approver => sqlx::query_as(
                "SELECT t.id, t.name FROM user_tenants g JOIN tenants t ON t.id = g.tenant_id \
                 WHERE g.user_id = $1 ORDER BY t.name COLLATE \"C\"",
            )
            .bind(user_id),
        }
        .fetch_all(&self.pool)
        .await?;
        Ok(Some(SessionUser {
            user_id,
            name,
            role,
            csrf,
            tenants: tenants
                .into_iter()
                .map(|(id, name)| Tenant { id, name })
                .collect(),
        }))
    }

    async fn end_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl PgStore {
    /// Runs `update` (its last parameter, the account's name, still to bind) and ends the
    /// account's sessions, in one transaction; `false` if there is no such account.
    async fn update_and_sign_out(
        &self,
        name: &str,
        update: sqlx::query::Query<'_, Postgres, PgArguments>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let changed = update
            .bind(name.to_owned())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query(
            "DELETE FROM web_sessions WHERE user_id IN (SELECT id FROM users WHERE name = $1)",
        )
        .bind(name)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(changed > 0)
    }
}
