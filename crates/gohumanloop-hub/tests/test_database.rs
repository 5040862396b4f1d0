//! The test database helpers themselves (`common::database_url`): a PostgreSQL URL they build
//! puts every connection in a schema of its own. Real PostgreSQL (`GHL_TEST_POSTGRES`, which
//! `scripts/test.sh` sets from `scripts/pg-server.sh`); reported skipped without it.

mod common;

use gohumanloop_hub::store;
use sqlx::Connection;

/// The test server's URL; `None` (the test reports itself skipped) without one.
fn server() -> Option<String> {
    gohumanloop_testkit::env_or_skip("GHL_TEST_POSTGRES", "bash scripts/pg-server.sh start")
}

#[test]
fn the_schema_goes_into_the_urls_options() {
    assert_eq!(
        common::with_search_path("postgres://postgres@127.0.0.1:15432/postgres", "t_1a"),
        "postgres://postgres@127.0.0.1:15432/postgres?options=-c%20search_path%3Dt_1a"
    );
    assert_eq!(
        common::with_search_path("postgres://u:p@db/x?sslmode=disable", "t_1a"),
        "postgres://u:p@db/x?sslmode=disable&options=-c%20search_path%3Dt_1a"
    );
    // What sqlx reads back from it: the start-up option as the server gets it.
    let url = common::with_search_path("postgres://u@db/x?application_name=a", "t_1a");
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    let shown = format!("{options:?}");
    assert!(
        shown.contains(r#"options: Some("-c search_path=t_1a")"#),
        "{shown}"
    );
}

#[tokio::test]
async fn every_connection_lands_in_the_tests_schema() {
    let Some(base) = server() else { return };
    let url = common::postgres_schema(&base).await;
    let schema = url.rsplit("%3D").next().unwrap().to_owned();
    assert!(schema.starts_with("t_") && schema.len() == 34, "{url}");

    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let (path,): (String,) = sqlx::query_as("SHOW search_path")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(path, schema);
    sqlx::query("CREATE TABLE probe (x INT)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    // A store opened on the URL makes its tables there too, and another schema is another
    // database: neither sees the other's tables.
    let _store = store::open(&url).await.unwrap();
    let other = common::postgres_schema(&base).await;
    let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_schema::text, table_name::text FROM information_schema.tables \
         WHERE table_schema = $1 OR table_schema = $2",
    )
    .bind(&schema)
    .bind(other.rsplit("%3D").next().unwrap())
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert!(tables.iter().all(|(s, _)| *s == schema), "{tables:?}");
    for table in ["probe", "requests", "audit_log"] {
        assert!(
            tables.iter().any(|(_, t)| t == table),
            "no {table} in {schema}: {tables:?}"
        );
    }
}
