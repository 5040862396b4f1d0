//! The request listings' filter as SQL, the same on every backend but for the column that
//! orders requests (`rowid` on SQLite, `seq` on PostgreSQL) and the text search (each backend
//! has its own index for it).

/// How many of a tenant's matches a search reads at most, newest first: a word found in
/// nearly every request would otherwise cost a page a read of every request.
pub const SEARCH_MATCHES: u32 = 1_000;

/// `%text%` for `LIKE … ESCAPE '\'`, lowercased: `text` matches as a substring.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `fn filtered(extra, tenant, filter, before) -> QueryBuilder<$db>`: `SELECT <extra><columns>
/// FROM requests WHERE <the filter>` (no order, no limit), on the backend `$db`, whose
/// requests are ordered by the column `$position` and searched by `$search(&mut query, tenant,
/// words)` (which pushes ` AND …`). A search names the tenant's column as `$searched_tenant`: SQLite's
/// planner would otherwise walk a tenant's index and test every row against the search's
/// matches, where looking the (usually few) matches up by id is what is fast.
macro_rules! filtered_requests {
    ($db:ty, $position:literal, $search:path, $searched_tenant:literal) => {
        /// `SELECT <extra><columns> FROM requests WHERE <the filter>` (no order, no limit).
        pub(super) fn filtered(
            extra: &'static str,
            tenant: $crate::record::TenantId,
            filter: &$crate::record::RequestFilter,
            before: Option<i64>,
        ) -> sqlx::QueryBuilder<$db> {
            let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new("SELECT ");
            let tenant_column = if !filter.narrowed() {
                "tenant_id"
            } else {
                $searched_tenant
            };
            q.push(extra)
                .push(concat!(
                    $crate::store::rows::request_columns!(),
                    " FROM requests WHERE "
                ))
                .push(tenant_column)
                .push(" = ")
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
            for (column, part) in [
                ("platform", &filter.platform_contains),
                ("task_id", &filter.task_contains),
            ] {
                if let Some(part) = part.as_deref().filter(|p| !p.is_empty()) {
                    q.push(" AND lower(")
                        .push(column)
                        .push(") LIKE ")
                        .push_bind($crate::store::filter::like_pattern(part))
                        .push(" ESCAPE '\\'");
                }
            }
            if !filter.search.is_empty() {
                $search(&mut q, tenant, &filter.search);
            }
            if let Some(ids) = &filter.among {
                // `NULL` first: no ids is `IN (NULL)`, which matches nothing.
                q.push(" AND id IN (NULL");
                for id in ids {
                    q.push(", ").push_bind(id.clone());
                }
                q.push(")");
            }
            if filter.newest_turn_only {
                q.push(concat!(
                    " AND (loop_type <> 'conversation' OR NOT EXISTS (SELECT 1 FROM requests",
                    " AS later WHERE later.tenant_id = requests.tenant_id",
                    " AND later.conversation_id = requests.conversation_id",
                    " AND later.loop_type = 'conversation' AND later.",
                    $position,
                    " > requests.",
                    $position,
                    "))"
                ));
            }
            if let Some(person) = &filter.assigned_to {
                q.push(" AND id IN (SELECT request_id FROM assignments WHERE assignee = ")
                    .push_bind(person.clone())
                    .push(")");
            }
            if let Some(person) = &filter.not_assigned_to_others {
                q.push(" AND id NOT IN (SELECT request_id FROM assignments WHERE assignee <> ")
                    .push_bind(person.clone())
                    .push(")");
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

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_patterns_match_the_text_itself() {
        assert_eq!(like_pattern("Ab"), "%ab%");
        assert_eq!(like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
        assert_eq!(like_pattern("付款"), "%付款%");
    }
}
