//! A grant spent by the change it causes, the same on every backend: in the writer's
//! transaction, after the request was found in a status the change may move from, so that the
//! grant is used up if and only if the change happens.

/// On the backend `$db` with connections `$conn`, in a module with the backend's
/// `read(conn, change)` of the request:
/// - `async fn spend_for(conn, change, grant) -> StoreResult<Option<TransitionOutcome>>`: the
///   request read and found in a status `change` may move from, then the grant spent (`None`:
///   go on with the change) — else the outcome to return, nothing changed;
/// - `async fn spend(conn, change, grant) -> StoreResult<bool>`: whether the grant still lives
///   (unused, unrevoked, unexpired), using a single-use grant up for `change.id`.
macro_rules! grants_spent_on {
    ($db:ty, $conn:ty) => {
        /// Reads and checks the request, then spends `grant` (`None`: spent, go on).
        async fn spend_for(
            conn: &mut $conn,
            change: &$crate::record::Transition,
            grant: &$crate::record::GrantUse,
        ) -> $crate::store::StoreResult<Option<$crate::record::TransitionOutcome>> {
            use $crate::record::TransitionOutcome;
            let Some(record) = read(conn, change).await? else {
                return Ok(Some(TransitionOutcome::NotFound));
            };
            if !change.from.contains(&record.status) {
                return Ok(Some(TransitionOutcome::Conflict(Box::new(record))));
            }
            if !spend(conn, change, grant).await? {
                return Ok(Some(TransitionOutcome::GrantEnded(Box::new(record))));
            }
            Ok(None)
        }

        /// Whether `grant` still lives; a single-use grant is used up for `change.id`.
        async fn spend(
            conn: &mut $conn,
            change: &$crate::record::Transition,
            grant: &$crate::record::GrantUse,
        ) -> $crate::store::StoreResult<bool> {
            let now = $crate::record::now_ms();
            let mut q: sqlx::QueryBuilder<$db> = if grant.single_use {
                let mut q = sqlx::QueryBuilder::new("UPDATE grants SET used_at = ");
                q.push_bind(now);
                q.push(", used_by = ");
                q.push_bind(change.id.clone());
                q
            } else {
                // A standing grant is not used up: the write only proves it still lives.
                sqlx::QueryBuilder::new("UPDATE grants SET id = id")
            };
            q.push(" WHERE id = ");
            q.push_bind(grant.id.clone());
            q.push(" AND tenant_id = ");
            q.push_bind(change.tenant);
            q.push(
                " AND used_at IS NULL AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ",
            );
            q.push_bind(now);
            q.push(")");
            Ok(q.build().execute(&mut *conn).await?.rows_affected() == 1)
        }
    };
}
pub(crate) use grants_spent_on;
