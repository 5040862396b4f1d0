//! Appending to the audit log inside the SQLite writer's transaction (a batch of entries with
//! one statement). The chain's head is read under the transaction's write lock, or checked
//! inside it (see `writer::apply`).

use sqlx::{QueryBuilder, Sqlite, SqliteConnection};

use crate::store::write::chain::{audit_push_insert, AuditRow, ChainHead};
use crate::store::write::statement_chunks;
use crate::store::StoreResult;

/// Reads the last entry of the log.
pub(crate) async fn load(conn: &mut SqliteConnection) -> StoreResult<ChainHead> {
    let last: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(ChainHead::after(last))
}

/// Writes entries (one statement per power-of-two chunk).
pub(crate) async fn insert(conn: &mut SqliteConnection, rows: Vec<AuditRow>) -> StoreResult<()> {
    for chunk in statement_chunks(&rows) {
        let mut q: QueryBuilder<Sqlite> = QueryBuilder::new("");
        push_insert(&mut q, "INSERT", chunk);
        q.build().execute(&mut *conn).await?;
    }
    Ok(())
}

audit_push_insert!(Sqlite);
