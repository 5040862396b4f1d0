//! Who looks after a request: at most one person per request, named by their account. An
//! assignment is not a decision (it changes no status, and anyone who sees the request may
//! answer it), so it is not in the audit chain.

use async_trait::async_trait;

use super::StoreResult;

/// The assignments aggregate.
#[async_trait]
pub trait Assignments: Send + Sync {
    /// Assigns the request with the hub's id `request_id` to `assignee` (`None`: to nobody),
    /// as `by` asked; a new assignment replaces the old one.
    async fn assign(&self, request_id: &str, assignee: Option<&str>, by: &str) -> StoreResult<()>;

    /// Whom a request is assigned to.
    async fn assignee(&self, request_id: &str) -> StoreResult<Option<String>>;

    /// The assignees of those of these requests that have one, as `(request id, assignee)`.
    async fn assignees(&self, request_ids: &[String]) -> StoreResult<Vec<(String, String)>>;
}

/// `impl Assignments for $store` on the backend `$db` (a store with a `pool`): the same
/// statements on every backend, their parameters bound by the query builder.
macro_rules! assignments_on {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::Assignments for $store {
            async fn assign(
                &self,
                request_id: &str,
                assignee: Option<&str>,
                by: &str,
            ) -> $crate::store::StoreResult<()> {
                let mut q: sqlx::QueryBuilder<$db> = match assignee {
                    Some(person) => {
                        let mut q = sqlx::QueryBuilder::new(
                            "INSERT INTO assignments (request_id, assignee, assigned_by, \
                             assigned_at) VALUES (",
                        );
                        let mut values = q.separated(", ");
                        values.push_bind(request_id.to_owned());
                        values.push_bind(person.to_owned());
                        values.push_bind(by.to_owned());
                        values.push_bind($crate::record::now_ms());
                        q.push(
                            ") ON CONFLICT (request_id) DO UPDATE SET \
                             assignee = excluded.assignee, assigned_by = excluded.assigned_by, \
                             assigned_at = excluded.assigned_at",
                        );
                        q
                    }
                    None => {
                        let mut q =
                            sqlx::QueryBuilder::new("DELETE FROM assignments WHERE request_id = ");
                        q.push_bind(request_id.to_owned());
                        q
                    }
                };
                q.build().execute(&self.pool).await?;
                Ok(())
            }

            async fn assignee(
                &self,
                request_id: &str,
            ) -> $crate::store::StoreResult<Option<String>> {
                let mut q: sqlx::QueryBuilder<$db> =
                    sqlx::QueryBuilder::new("SELECT assignee FROM assignments WHERE request_id = ");
                q.push_bind(request_id.to_owned());
                Ok(q.build_query_scalar().fetch_optional(&self.pool).await?)
            }

            async fn assignees(
                &self,
                request_ids: &[String],
            ) -> $crate::store::StoreResult<Vec<(String, String)>> {
                if request_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                    "SELECT request_id, assignee FROM assignments WHERE request_id IN (",
                );
                let mut list = q.separated(", ");
                for id in request_ids {
                    list.push_bind(id.clone());
                }
                q.push(")");
                Ok(q.build_query_as().fetch_all(&self.pool).await?)
            }
        }
    };
}
pub(crate) use assignments_on;
