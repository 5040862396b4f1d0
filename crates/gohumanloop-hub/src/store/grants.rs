//! The policy's records besides the requests' plans: votes of quorums ([`Ballots`]), the calls
//! decided before ([`Calls`]), and standing grants ([`Grants`]): an approval given ahead of time, for one exact call (single use) or for a
//! pattern of calls for a while. The hub approves a new request that a live grant covers at
//! once, naming the grant. A grant is live until it expires, is used (single use) or is
//! revoked; using a single-use grant is one conditional write, so two requests never share it.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

use super::StoreResult;
use crate::record::TenantId;

/// A grant as stored.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GrantRecord {
    /// Its id.
    pub id: String,
    /// The owning tenant (not shown on the wire).
    #[serde(skip)]
    pub tenant: TenantId,
    /// What it covers ([`crate::policy::grant::GrantScope`] as JSON).
    #[schema(value_type = Object)]
    pub scope: Value,
    /// The function (exact) or function pattern (glob) it covers.
    pub function: String,
    /// Whether it ends when it approves its first request.
    pub single_use: bool,
    /// Who gave it.
    pub granted_by: String,
    /// Why.
    pub reason: String,
    /// The request whose approval gave it, if one did.
    pub source_request: Option<String>,
    /// When it was given (Unix ms).
    pub created_at: i64,
    /// When it ends by itself (Unix ms), if it does.
    pub expires_at: Option<i64>,
    /// When it was used (single use), if it was.
    pub used_at: Option<i64>,
    /// The request it approved (single use), if it did.
    pub used_by: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
}

impl GrantRecord {
    /// Whether it may still approve a request at `now` (Unix ms).
    pub fn live(&self, now: i64) -> bool {
        self.revoked_at.is_none()
            && self.used_at.is_none()
            && self.expires_at.is_none_or(|end| end > now)
    }
}

/// The grants aggregate.
#[async_trait]
pub trait Grants: Send + Sync {
    /// Stores a new grant (its `used_*` and `revoked_*` are ignored).
    async fn add_grant(&self, grant: &GrantRecord) -> StoreResult<()>;

    /// A tenant's grants that are live at `now`, oldest first.
    async fn live_grants(&self, tenant: TenantId, now: i64) -> StoreResult<Vec<GrantRecord>>;

    /// A tenant's grants, live or not, newest first (at most `limit`).
    async fn grants(&self, tenant: TenantId, limit: u32) -> StoreResult<Vec<GrantRecord>>;

    /// Revokes a tenant's grant; `None`: no such grant; `Some(false)`: it had ended already.
    async fn revoke_grant(
        &self,
        tenant: TenantId,
        id: &str,
        by: &str,
        now: i64,
    ) -> StoreResult<Option<bool>>;
}

/// The calls asked before: what the policy's reject-loop protection reads.
#[async_trait]
pub trait Calls: Send + Sync {
    /// The tenant's request with this call hash that was last approved or rejected, if that
    /// happened at `since` (Unix ms) or later.
    async fn last_decided_call(
        &self,
        tenant: TenantId,
        call_hash: &str,
        since: i64,
    ) -> StoreResult<Option<crate::record::RequestRecord>>;
}

/// A vote toward a request's quorum, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct BallotRecord {
    /// Who voted.
    pub identity: String,
    /// For (1) or against (0).
    pub approve: i64,
    /// Their reason or remark.
    pub reason: String,
    /// Through which channel.
    pub channel: String,
    /// When (Unix ms).
    pub cast_at: i64,
}

/// The votes of quorums.
#[async_trait]
pub trait Ballots: Send + Sync {
    /// The votes on a request, in the order they were cast.
    async fn ballots(&self, request_id: &str) -> StoreResult<Vec<BallotRecord>>;
}

/// The columns a grant is read from, in [`GrantRecord`]'s order.
pub(crate) const GRANT_COLUMNS: &str = "id, tenant_id, scope, function, single_use, granted_by, \
     reason, source_request, created_at, expires_at, used_at, used_by, revoked_at, revoked_by";

/// A grant's row, as read with [`GRANT_COLUMNS`].
pub(crate) type GrantRow = (
    String,
    i64,
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// A stored row as a grant.
pub(crate) fn grant_of(row: GrantRow) -> StoreResult<GrantRecord> {
    let scope = serde_json::from_str(&row.2)
        .map_err(|e| super::StoreError::Corrupt(format!("grant scope: {e}")))?;
    Ok(GrantRecord {
        id: row.0,
        tenant: row.1,
        scope,
        function: row.3,
        single_use: row.4 != 0,
        granted_by: row.5,
        reason: row.6,
        source_request: row.7,
        created_at: row.8,
        expires_at: row.9,
        used_at: row.10,
        used_by: row.11,
        revoked_at: row.12,
        revoked_by: row.13,
    })
}

/// `impl Grants for $store` on the backend `$db` (a store with a `pool`): the same statements
/// on every backend, their parameters bound by the query builder.
macro_rules! grants_on {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Grants for $store {
            async fn add_grant(
                &self,
                grant: &$crate::store::GrantRecord,
            ) -> $crate::store::StoreResult<()> {
                let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                    "INSERT INTO grants (id, tenant_id, scope, function, single_use, \
                     granted_by, reason, source_request, created_at, expires_at) VALUES (",
                );
                let mut values = q.separated(", ");
                values.push_bind(grant.id.clone());
                values.push_bind(grant.tenant);
                values.push_bind(grant.scope.to_string());
                values.push_bind(grant.function.clone());
                values.push_bind(i64::from(grant.single_use));
                values.push_bind(grant.granted_by.clone());
                values.push_bind(grant.reason.clone());
                values.push_bind(grant.source_request.clone());
                values.push_bind(grant.created_at);
                values.push_bind(grant.expires_at);
                q.push(")");
                q.build().execute(&self.pool).await?;
                Ok(())
            }

            async fn live_grants(
                &self,
                tenant: $crate::record::TenantId,
                now: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::GrantRecord>> {
                let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(format!(
                    "SELECT {} FROM grants WHERE revoked_at IS NULL AND used_at IS NULL \
                     AND tenant_id = ",
                    $crate::store::grants::GRANT_COLUMNS
                ));
                q.push_bind(tenant);
                q.push(" AND (expires_at IS NULL OR expires_at > ");
                q.push_bind(now);
                q.push(") ORDER BY created_at, id");
                let rows: Vec<$crate::store::grants::GrantRow> =
                    q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter()
                    .map($crate::store::grants::grant_of)
                    .collect()
            }

            async fn grants(
                &self,
                tenant: $crate::record::TenantId,
                limit: u32,
            ) -> $crate::store::StoreResult<Vec<$crate::store::GrantRecord>> {
                let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(format!(
                    "SELECT {} FROM grants WHERE tenant_id = ",
                    $crate::store::grants::GRANT_COLUMNS
                ));
                q.push_bind(tenant);
                q.push(" ORDER BY created_at DESC, id DESC LIMIT ");
                q.push_bind(i64::from(limit));
                let rows: Vec<$crate::store::grants::GrantRow> =
                    q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter()
                    .map($crate::store::grants::grant_of)
                    .collect()
            }

            async fn revoke_grant(
                &self,
                tenant: $crate::record::TenantId,
                id: &str,
                by: &str,
                now: i64,
            ) -> $crate::store::StoreResult<Option<bool>> {
                let mut q: sqlx::QueryBuilder<$db> =
                    sqlx::QueryBuilder::new("UPDATE grants SET revoked_at = ");
                q.push_bind(now);
                q.push(", revoked_by = ");
                q.push_bind(by.to_owned());
                q.push(" WHERE id = ");
                q.push_bind(id.to_owned());
                q.push(" AND tenant_id = ");
                q.push_bind(tenant);
                q.push(" AND revoked_at IS NULL AND used_at IS NULL");
                if q.build().execute(&self.pool).await?.rows_affected() == 1 {
                    return Ok(Some(true));
                }
                let mut q: sqlx::QueryBuilder<$db> =
                    sqlx::QueryBuilder::new("SELECT count(*) FROM grants WHERE id = ");
                q.push_bind(id.to_owned());
                q.push(" AND tenant_id = ");
                q.push_bind(tenant);
                let found: i64 = q.build_query_scalar().fetch_one(&self.pool).await?;
                Ok((found > 0).then_some(false))
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Ballots for $store {
            async fn ballots(
                &self,
                request_id: &str,
            ) -> $crate::store::StoreResult<Vec<$crate::store::BallotRecord>> {
                let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                    "SELECT identity, approve, reason, channel, cast_at FROM votes \
                     WHERE request_id = ",
                );
                q.push_bind(request_id.to_owned());
                q.push(" ORDER BY cast_at, identity");
                Ok(q.build_query_as().fetch_all(&self.pool).await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Calls for $store {
            async fn last_decided_call(
                &self,
                tenant: $crate::record::TenantId,
                call_hash: &str,
                since: i64,
            ) -> $crate::store::StoreResult<Option<$crate::record::RequestRecord>> {
                let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(concat!(
                    "SELECT ",
                    $crate::store::rows::request_columns!(),
                    " FROM requests WHERE tenant_id = "
                ));
                q.push_bind(tenant);
                q.push(" AND call_hash = ");
                q.push_bind(call_hash.to_owned());
                q.push(" AND status IN ('approved', 'rejected') AND updated_at >= ");
                q.push_bind(since);
                q.push(" ORDER BY updated_at DESC LIMIT 1");
                let row = q.build().fetch_optional(&self.pool).await?;
                row.as_ref().map($crate::store::rows::request).transpose()
            }
        }
    };
}
pub(crate) use grants_on;
