//! The request listings' filter as SQL, the same on every backend but for the column that
//! orders requests (`rowid` on SQLite, `seq` on PostgreSQL).

/// `fn filtered(extra, tenant, filter, before) -> QueryBuilder<$db>`: `SELECT <extra><columns>
/// FROM requests WHERE <the filter>` (no order, no limit), on the backend `$db`, whose
/// requests are ordered by the column `$position`.
macro_rules! filtered_requests {
    ($db:ty, $position:literal) => {
        /// `SELECT <extra><columns> FROM requests WHERE <the filter>` (no order, no limit).
        fn filtered(
            extra: &'static str,
            tenant: $crate::record::TenantId,
            filter: &$crate::record::RequestFilter,
            before: Option<i64>,
        ) -> sqlx::QueryBuilder<$db> {
            let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new("SELECT ");
            q.push(extra)
                .push(concat!(
                    $crate::store::rows::request_columns!(),
                    " FROM requests WHERE tenant_id = "
                ))
                .push_bind(tenant);
            for (statuses, verb) in [
                (&filter.statuses, " AND status IN ("),
                (&filter.exclude_statuses, " AND status NOT IN ("),
            ] {
                if !statuses.is_empty() {
                    q.push(verb);
                    let mut list = q.separated(", ");
                    for status in statuses {
                        list.push_bind(status.as_str());
                    }
                    q.push(")");
                }
            }
            if let Some(loop_type) = filter.loop_type {
                q.push(" AND loop_type = ").push_bind(loop_type.as_str());
            }
            if let Some(platform) = &filter.platform {
                q.push(" AND platform = ").push_bind(platform.clone());
            }
            if let Some(task) = &filter.task_id {
                q.push(" AND task_id = ").push_bind(task.clone());
            }
            if let Some(conversation) = &filter.conversation_id {
                q.push(" AND conversation_id = ")
                    .push_bind(conversation.clone());
            }
            if let Some(after) = filter.created_after {
                q.push(" AND created_at >= ").push_bind(after);
            }
            if let Some(before) = filter.created_before {
                q.push(" AND created_at < ").push_bind(before);
            }
            if let Some(position) = before {
                q.push(concat!(" AND ", $position, " < "))
                    .push_bind(position);
            }
            q
        }
    };
}
pub(crate) use filtered_requests;
