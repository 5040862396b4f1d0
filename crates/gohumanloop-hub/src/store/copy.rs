//! `ghl db migrate`: copies a SQLite hub's data into an empty PostgreSQL database, row for row.
//!
//! Both schemas have the same tables and columns (`migrations/postgres/` mirrors the SQLite
//! schema as of its migration 0010), so the copy moves values as they are stored: ids, times,
//! JSON text, the audit log's hashes. What differs: PostgreSQL keeps no `request_counts` (it
//! counts) and searches a generated column where SQLite has its `request_search` index, its `requests.seq` is SQLite's `rowid` (the lists' order and the
//! cursors' positions), and its `audit_log.node` is left NULL for copied entries.
//!
//! The source is read in one read transaction (a consistent snapshot, also should a hub still
//! write to it) and never written; the target is written in one transaction, so that a failed
//! copy leaves it without data. Rows go over in multi-row inserts of at most 1000 rows and
//! about 8 MiB of values, streamed from the source in rowid order, so memory stays bounded
//! whatever the size of the database.

use std::str::FromStr;
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{ConnectOptions, Connection, Postgres, QueryBuilder, Row, Sqlite, Transaction};

use super::rows::{self, StoredRow};
use super::{redacted, Audit, PgStore, StoreError, StoreOptions, StoreResult};
use crate::audit::{ChainCheck, ChainVerifier};

/// The most rows one `INSERT` carries.
const CHUNK_ROWS: usize = 1000;

/// About the most bytes of values one `INSERT` carries (a chunk ends after the row that passes
/// it): contexts and task snapshots can be large.
const CHUNK_BYTES: usize = 8 << 20;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// INTEGER / BIGINT.
    Int,
    /// TEXT.
    Text,
    /// BLOB / BYTEA.
    Bytes,
}

/// One column: its name in the target, what the source's `SELECT` reads for it, its kind.
#[derive(Debug, Clone, Copy)]
struct Column {
    name: &'static str,
    source: &'static str,
    kind: Kind,
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        source: name,
        kind: Kind::Int,
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        source: name,
        kind: Kind::Text,
    }
}

/// A table and the columns copied, in foreign-key order in [`TABLES`].
#[derive(Debug, Clone, Copy)]
struct Table {
    name: &'static str,
    columns: &'static [Column],
    /// Target columns set to NULL (not in the source).
    null_columns: &'static [&'static str],
}

/// Every table with data, parents before children. (`request_counts` and the search index
/// `request_search` are SQLite's own, filled by its triggers.)
const TABLES: &[Table] = &[
    Table {
        name: "tenants",
        columns: &[int("id"), text("name"), int("created_at")],
        null_columns: &[],
    },
    Table {
        name: "api_keys",
        columns: &[
            int("id"),
            int("tenant_id"),
            text("name"),
            text("prefix"),
            text("key_hash"),
            int("created_at"),
            int("revoked_at"),
        ],
        null_columns: &[],
    },
    Table {
        name: "users",
        columns: &[
            int("id"),
            text("name"),
            text("password_hash"),
            text("role"),
            int("created_at"),
            int("disabled_at"),
        ],
        null_columns: &[],
    },
    Table {
        name: "user_tenants",
        columns: &[int("user_id"), int("tenant_id")],
        null_columns: &[],
    },
    Table {
        name: "web_sessions",
        columns: &[
            text("token_hash"),
            int("user_id"),
            text("csrf"),
            int("created_at"),
            int("expires_at"),
        ],
        null_columns: &[],
    },
    Table {
        name: "requests",
        columns: &[
            Column {
                name: "seq",
                source: "rowid",
                kind: Kind::Int,
            },
            text("id"),
            int("tenant_id"),
            text("task_id"),
            text("conversation_id"),
            text("request_id"),
            text("platform"),
            text("loop_type"),
            text("context"),
            text("metadata"),
            text("status"),
            text("response"),
            text("feedback"),
            text("responded_by"),
            text("responded_at"),
            text("error"),
            int("created_at"),
            int("updated_at"),
            int("deadline_at"),
            text("plan"),
            text("call_hash"),
            text("tally"),
        ],
        null_columns: &[],
    },
    Table {
        name: "votes",
        columns: &[
            text("request_id"),
            text("identity"),
            int("approve"),
            text("reason"),
            text("channel"),
            int("cast_at"),
        ],
        null_columns: &[],
    },
    Table {
        name: "grants",
        columns: &[
            text("id"),
            int("tenant_id"),
            text("scope"),
            text("function"),
            int("single_use"),
            text("granted_by"),
            text("reason"),
            text("source_request"),
            int("created_at"),
            int("expires_at"),
            int("used_at"),
            text("used_by"),
            int("revoked_at"),
            text("revoked_by"),
        ],
        null_columns: &[],
    },
    Table {
        name: AUDIT_LOG,
        columns: &[
            int("seq"),
            text("at"),
            int("tenant_id"),
            text("request"),
            text("actor"),
            text("channel"),
            text("old_status"),
            text("new_status"),
            text("detail"),
            text("prev_hash"),
            text("hash"),
        ],
        null_columns: &["node"],
    },
    Table {
        name: "tasks",
        columns: &[
            int("tenant_id"),
            text("task_id"),
            text("conversations"),
            int("received_at"),
            int("updates"),
            text("sync_timestamp"),
            text("sync_metadata"),
            text("upload_digest"),
        ],
        null_columns: &[],
    },
    Table {
        name: "assignments",
        columns: &[
            text("request_id"),
            text("assignee"),
            text("assigned_by"),
            int("assigned_at"),
        ],
        null_columns: &[],
    },
    Table {
        name: "used_links",
        columns: &[text("link_id"), text("request_id"), int("used_at")],
        null_columns: &[],
    },
    Table {
        name: "hub_secrets",
        columns: &[
            text("name"),
            Column {
                name: "value",
                source: "value",
                kind: Kind::Bytes,
            },
            int("created_at"),
        ],
        null_columns: &[],
    },
    Table {
        name: "deliveries",
        columns: &[
            text("request_id"),
            text("channel"),
            text("recipient"),
            text("state"),
            text("reference"),
            text("shown_status"),
            int("attempts"),
            int("due_at"),
            text("last_error"),
            text("data"),
            int("created_at"),
            int("updated_at"),
            int("delivered_at"),
        ],
        null_columns: &[],
    },
];

const AUDIT_LOG: &str = "audit_log";

/// The identity columns whose sequences must continue past the copied values.
const IDENTITIES: &[(&str, &str)] = &[
    ("tenants", "id"),
    ("api_keys", "id"),
    ("users", "id"),
    ("requests", "seq"),
];

/// What [`copy`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Rows copied per table, in the order they were copied (the target holds as many).
    pub tables: Vec<(&'static str, u64)>,
    /// The source's audit chain as it was read. A broken chain is copied as it is: the copy is
    /// faithful, and the target's chain breaks at the same entry.
    pub source_audit: ChainCheck,
    /// The target's audit chain, checked after the copy committed (`PgStore::verify_audit`).
    pub audit: ChainCheck,
}

/// Copies the SQLite hub at `from` (`sqlite://PATH`, which must exist; it is only read) into the
/// PostgreSQL database at `to` (`postgres://…`), whose schema is brought up to date first and
/// which must hold no data. Everything is copied in one transaction; then the target's audit
/// chain is verified and its row counts compared with the source's.
///
/// Errors: [`StoreError::BadConfiguration`] for a missing source, a source whose schema is not
/// this version's, or a target that is not empty; [`StoreError::Corrupt`] when the copy does not
/// read back as the source (counts, audit chain); database errors as they come. The target holds
/// no data when the copy fails before its commit (its schema is created, though).
pub async fn copy(from: &str, to: &str) -> StoreResult<CopyReport> {
    let mut source = open_source(from).await?;
    let mut target = open_target(to).await?;

    let mut read = source.begin().await?;
    let mut write = target.begin().await?;
    lock_and_check_empty(&mut write).await?;
    let mut tables = Vec::with_capacity(TABLES.len());
    let mut source_audit = ChainCheck::Intact(0);
    for table in TABLES {
        let expected: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM {}",
            table.name
        )))
        .fetch_one(&mut *read)
        .await?;
        let copied = copy_table(&mut read, &mut write, table, &mut source_audit).await?;
        if i64::try_from(copied).ok() != Some(expected) {
            return Err(StoreError::Corrupt(format!(
                "{}: {expected} rows in the source, {copied} read",
                table.name
            )));
        }
        tables.push((table.name, copied));
    }
    for (table, column) in IDENTITIES {
        // The next value is the copied maximum + 1 (1 on an empty table).
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
             coalesce(max({column}), 0) + 1, false) FROM {table}"
        )))
        .execute(&mut *write)
        .await?;
    }
    write.commit().await?;
    read.rollback().await?;
    source.close().await.ok();

    let audit = check(target, to, &tables, &source_audit)
        .await
        .map_err(|e| match e {
            e @ StoreError::Corrupt(_) => e,
            e => StoreError::Unavailable(format!(
                "the data was copied, but the copy could not be checked: {e}"
            )),
        })?;
    Ok(CopyReport {
        tables,
        source_audit,
        audit,
    })
}

/// Reads back what was committed: each table's count, and the audit chain through the store
/// itself, which must verify as the source's did. The target's chain check.
async fn check(
    mut target: PgConnection,
    to: &str,
    tables: &[(&'static str, u64)],
    source_audit: &ChainCheck,
) -> StoreResult<ChainCheck> {
    for (table, copied) in tables {
        let stored: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
                .fetch_one(&mut target)
                .await?;
        if i64::try_from(*copied).ok() != Some(stored) {
            return Err(StoreError::Corrupt(format!(
                "{table}: {copied} rows copied, but the target holds {stored}"
            )));
        }
    }
    target.close().await.ok();
    let store = PgStore::open(to, StoreOptions::default()).await?;
    let audit = store.verify_audit().await?;
    drop(store);
    if audit != *source_audit {
        return Err(StoreError::Corrupt(format!(
            "the copied audit log does not verify as the source's: {} in the source, {} in the \
             target",
            describe(source_audit),
            describe(&audit)
        )));
    }
    Ok(audit)
}

/// A chain check in words, for messages.
fn describe(check: &ChainCheck) -> String {
    match check {
        ChainCheck::Intact(n) => format!("intact with {n} entries"),
        ChainCheck::Broken { seq, reason } => format!("broken at entry {seq} ({reason})"),
    }
}

/// The source, read-only, after checking that it exists and has this version's schema.
async fn open_source(from: &str) -> StoreResult<SqliteConnection> {
    let shown = redacted(from);
    if !from.starts_with("sqlite:") {
        return Err(StoreError::BadConfiguration(format!(
            "the source must be a SQLite database (sqlite://PATH), not '{shown}'"
        )));
    }
    let options = SqliteConnectOptions::from_str(from)
        .map_err(|e| StoreError::BadConfiguration(format!("source URL '{shown}': {e}")))?;
    let path = options.get_filename();
    if !path.is_file() {
        return Err(StoreError::BadConfiguration(format!(
            "the source database {shown} does not exist"
        )));
    }
    let mut conn = options
        .read_only(true)
        .busy_timeout(Duration::from_secs(10))
        .disable_statement_logging()
        .connect()
        .await
        .map_err(|e| StoreError::Unavailable(format!("cannot open the source {shown}: {e}")))?;
    let newest = sqlx::migrate!("./migrations/sqlite")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    let version: Option<i64> =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut conn)
            .await
            .map_err(|e| {
                StoreError::BadConfiguration(format!(
                    "{shown} is not a GoHumanLoop hub database: {e}"
                ))
            })?;
    match version {
        Some(v) if v == newest => Ok(conn),
        Some(v) if v > newest => Err(StoreError::BadConfiguration(format!(
            "{shown} was made by a newer ghl (schema version {v}, this ghl knows {newest}): \
             migrate it with that version"
        ))),
        v => Err(StoreError::BadConfiguration(format!(
            "{shown} has an older schema (version {}, this ghl's is {newest}): bring it up to \
             date first by opening it once with this ghl, e.g. `ghl audit verify --db {shown}`",
            v.unwrap_or(0)
        ))),
    }
}

/// The target, with its schema up to date.
async fn open_target(to: &str) -> StoreResult<PgConnection> {
    let shown = redacted(to);
    if !(to.starts_with("postgres:") || to.starts_with("postgresql:")) {
        return Err(StoreError::BadConfiguration(format!(
            "the target must be a PostgreSQL database (postgres://…), not '{shown}'"
        )));
    }
    let options = PgConnectOptions::from_str(to)
        .map_err(|e| StoreError::BadConfiguration(format!("target URL '{shown}': {e}")))?
        .application_name("ghl db migrate")
        .disable_statement_logging();
    let mut conn = options.connect().await.map_err(|e| {
        StoreError::Unavailable(format!("cannot reach the target database {shown}: {e}"))
    })?;
    sqlx::migrate!("./migrations/postgres")
        .run(&mut conn)
        .await?;
    Ok(conn)
}

/// Locks the target's tables against writers (for the copy's transaction) and refuses a target
/// with any row in them.
async fn lock_and_check_empty(write: &mut Transaction<'_, Postgres>) -> StoreResult<()> {
    let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
    // Waits that long for a hub that writes to it, rather than for ever.
    sqlx::query("SET LOCAL lock_timeout = '10s'")
        .execute(&mut **write)
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "LOCK TABLE {} IN EXCLUSIVE MODE",
        names.join(", ")
    )))
    .execute(&mut **write)
    .await
    .map_err(|e| {
        StoreError::Unavailable(format!(
            "the target's tables are in use (is a hub running on it?): {e}"
        ))
    })?;
    let mut holding = Vec::new();
    for name in names {
        let any: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT EXISTS (SELECT 1 FROM {name})"
        )))
        .fetch_one(&mut **write)
        .await?;
        if any {
            holding.push(name);
        }
    }
    if holding.is_empty() {
        Ok(())
    } else {
        Err(StoreError::BadConfiguration(format!(
            "the target database is not empty: it has rows in {} (copy into a new, empty \
             database)",
            holding.join(", ")
        )))
    }
}

/// A value read from the source, as it is bound into the target.
#[derive(Debug)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

impl Value {
    /// About how many bytes it takes.
    fn size(&self) -> usize {
        match self {
            Value::Int(_) => 8,
            Value::Text(t) => t.as_ref().map_or(0, String::len),
            Value::Bytes(b) => b.as_ref().map_or(0, Vec::len),
        }
    }
}

/// One source row's values, in the table's column order.
struct CopiedRow<'a> {
    table: &'a Table,
    values: Vec<Value>,
}

impl CopiedRow<'_> {
    fn value(&self, column: &str) -> StoreResult<&Value> {
        self.table
            .columns
            .iter()
            .position(|c| c.name == column)
            .and_then(|i| self.values.get(i))
            .ok_or_else(|| StoreError::Corrupt(format!("{}: no column {column}", self.table.name)))
    }

    fn missing(&self, column: &str) -> StoreError {
        StoreError::Corrupt(format!(
            "{}: {column} is NULL or not of its type",
            self.table.name
        ))
    }
}

/// So that the copied audit entries are read as the stores read theirs ([`rows::audit`]).
impl StoredRow for CopiedRow<'_> {
    fn text(&self, column: &str) -> StoreResult<String> {
        self.maybe_text(column)?.ok_or_else(|| self.missing(column))
    }

    fn maybe_text(&self, column: &str) -> StoreResult<Option<String>> {
        match self.value(column)? {
            Value::Text(t) => Ok(t.clone()),
            _ => Err(self.missing(column)),
        }
    }

    fn int(&self, column: &str) -> StoreResult<i64> {
        self.maybe_int(column)?.ok_or_else(|| self.missing(column))
    }

    fn maybe_int(&self, column: &str) -> StoreResult<Option<i64>> {
        match self.value(column)? {
            Value::Int(i) => Ok(*i),
            _ => Err(self.missing(column)),
        }
    }
}

/// Reads one source row.
fn read_row<'a>(table: &'a Table, row: &SqliteRow) -> StoreResult<CopiedRow<'a>> {
    let mut values = Vec::with_capacity(table.columns.len());
    for (i, column) in table.columns.iter().enumerate() {
        let bad = |e: sqlx::Error| {
            StoreError::Corrupt(format!(
                "{} (source): column {}: {e}",
                table.name, column.name
            ))
        };
        values.push(match column.kind {
            Kind::Int => Value::Int(row.try_get(i).map_err(bad)?),
            Kind::Text => Value::Text(row.try_get(i).map_err(bad)?),
            Kind::Bytes => Value::Bytes(row.try_get(i).map_err(bad)?),
        });
    }
    Ok(CopiedRow { table, values })
}

/// Copies one table in chunks; the rows copied. The audit log's entries are checked on the way
/// (into `chain`, which keeps the first break).
async fn copy_table(
    read: &mut Transaction<'_, Sqlite>,
    write: &mut Transaction<'_, Postgres>,
    table: &Table,
    chain: &mut ChainCheck,
) -> StoreResult<u64> {
    let sources: Vec<&str> = table.columns.iter().map(|c| c.source).collect();
    let select = format!(
        "SELECT {} FROM {} ORDER BY rowid",
        sources.join(", "),
        table.name
    );
    let mut verifier = (table.name == AUDIT_LOG).then(ChainVerifier::default);
    let mut copied = 0_u64;
    let mut chunk: Vec<Vec<Value>> = Vec::with_capacity(CHUNK_ROWS);
    let mut bytes = 0_usize;
    let mut stream = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&mut **read);
    while let Some(row) = stream.try_next().await? {
        let row = read_row(table, &row)?;
        if let Some(v) = verifier.as_mut() {
            let entry = rows::audit(&row).map_err(|e| {
                let seq = row.maybe_int("seq").ok().flatten().unwrap_or(0);
                ChainCheck::Broken {
                    seq,
                    reason: format!("it cannot be read: {e}"),
                }
            });
            if let Err(broken) = entry.and_then(|entry| v.check(&entry)) {
                *chain = broken;
                verifier = None;
            }
        }
        bytes += row.values.iter().map(Value::size).sum::<usize>();
        chunk.push(row.values);
        if chunk.len() >= CHUNK_ROWS || bytes >= CHUNK_BYTES {
            copied += insert(write, table, &mut chunk).await?;
            bytes = 0;
        }
    }
    drop(stream);
    copied += insert(write, table, &mut chunk).await?;
    if let Some(v) = verifier {
        *chain = v.finish();
    }
    Ok(copied)
}

/// Inserts (and empties) a chunk of rows in one statement; how many.
async fn insert(
    write: &mut Transaction<'_, Postgres>,
    table: &Table,
    chunk: &mut Vec<Vec<Value>>,
) -> StoreResult<u64> {
    if chunk.is_empty() {
        return Ok(0);
    }
    let names: Vec<&str> = table
        .columns
        .iter()
        .map(|c| c.name)
        .chain(table.null_columns.iter().copied())
        .collect();
    let mut q: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "INSERT INTO {} ({}) ",
        table.name,
        names.join(", ")
    ));
    q.push_values(chunk.drain(..), |mut row, values| {
        for value in values {
            match value {
                Value::Int(v) => row.push_bind(v),
                Value::Text(v) => row.push_bind(v),
                Value::Bytes(v) => row.push_bind(v),
            };
        }
        for _ in table.null_columns {
            row.push("NULL");
        }
    });
    let done = q
        .build()
        .persistent(false)
        .execute(&mut **write)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) => {
                StoreError::Corrupt(format!("the target refused rows of {}: {db}", table.name))
            }
            e => StoreError::Database(e),
        })?;
    Ok(done.rows_affected())
}
