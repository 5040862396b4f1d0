//! The database a test's store opens — a SQLite file, or a schema of its own on the test
//! PostgreSQL server — and SQL run on it from the side, as another process would.

use std::path::Path;

/// The database a test's store opens: `sqlite://DIR/hub.db`, or with `GHL_TEST_DATABASE=postgres`
/// a schema of its own on the server `GHL_TEST_POSTGRES` names ([`postgres_schema`]). Each call
/// is a new, empty database: open more handles on one by reusing the URL.
pub async fn database_url(dir: &Path) -> String {
    match std::env::var("GHL_TEST_DATABASE").as_deref() {
        Err(_) | Ok("" | "sqlite") => format!("sqlite://{}", dir.join("hub.db").display()),
        Ok("postgres") => {
            let base = std::env::var("GHL_TEST_POSTGRES").unwrap_or_else(|_| {
                panic!(
                    "GHL_TEST_DATABASE=postgres but GHL_TEST_POSTGRES is not set: start a server \
                     with `bash scripts/pg-server.sh start` and export what it prints, or run \
                     scripts/test.sh"
                )
            });
            postgres_schema(&base).await
        }
        Ok(other) => panic!("GHL_TEST_DATABASE={other}: use sqlite or postgres"),
    }
}

/// A fresh schema `t_<uuid>` on the PostgreSQL server at `base` (a superuser's URL), as `base`
/// with the connection option `search_path` set to it: every connection opened with the URL
/// (each one of a store's pools and listeners) lands in that schema.
pub async fn postgres_schema(base: &str) -> String {
    use sqlx::Connection;
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to GHL_TEST_POSTGRES ({base}): {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    with_search_path(base, &schema)
}

/// `url` with the connection parameter `options=-c search_path=SCHEMA` (percent-encoded, after
/// `&` when the URL has a query already), which sqlx's `PgConnectOptions` sends at start-up.
pub fn with_search_path(url: &str, schema: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const VALUE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');
    let option = format!("-c search_path={schema}");
    crate::url::with_query(
        url,
        &format!("options={}", utf8_percent_encode(&option, VALUE)),
    )
}

/// Runs `sql` on the database at `url` (SQLite or PostgreSQL) on a connection of its own, as
/// another process would.
pub async fn execute_sql(url: &str, sql: &'static str) {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

/// The rows of one text column `sql` selects from the database at `url` (SQLite or PostgreSQL).
pub async fn text_rows(url: &str, sql: &'static str) -> Vec<String> {
    use sqlx::Connection;
    let rows: Vec<(String,)> = if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        rows
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        let rows = sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        rows
    };
    rows.into_iter().map(|(text,)| text).collect()
}
