//! What the PostgreSQL store keeps beyond the contract every store keeps (`store_contract.rs`
//! runs that one on it too): several nodes on one database — each node's feed carries the
//! others' commits, also those made while it was disconnected, and deliveries are claimed by
//! one node at a time. Real PostgreSQL (`GHL_TEST_POSTGRES`), a schema per test.

mod common;
mod contract;

use std::sync::Arc;

use gohumanloop_hub::store::{self, Store};
use sqlx::Connection;

/// A fresh schema on the test server, as a URL every connection of a store lands in; `None`
/// (the test reports itself skipped) without a server.
async fn schema() -> Option<String> {
    Some(common::postgres_schema(&server()?).await)
}

/// The test server's URL (`GHL_TEST_POSTGRES`); `None` (the test reports itself skipped)
/// without one.
fn server() -> Option<String> {
    gohumanloop_testkit::env_or_skip("GHL_TEST_POSTGRES", "bash scripts/pg-server.sh start")
}

async fn open(url: &str) -> Arc<dyn Store> {
    store::open(url).await.unwrap()
}

#[tokio::test]
async fn other_nodes_commits_reach_the_feed() {
    let Some(url) = schema().await else { return };
    contract::nodes::other_nodes_commits_reach_the_feed(|| open(&url)).await;
}

#[tokio::test]
async fn a_waiter_wakes_when_another_node_decides() {
    let Some(url) = schema().await else { return };
    contract::nodes::a_waiter_wakes_when_another_node_decides(|| open(&url)).await;
}

#[tokio::test]
async fn the_feed_reads_what_it_missed() {
    let Some(base) = server() else { return };
    // The cut-off node signs in as a role of its own, which the test stops from signing in
    // for a while; the other node signs in as the server's administrator.
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (role, name) = (format!("node_{id}"), format!("t_{id}"));
    let admin = |sql: String| {
        let base = base.clone();
        async move {
            let mut conn = sqlx::PgConnection::connect(&base).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    };
    admin(format!("CREATE ROLE {role} LOGIN")).await;
    admin(format!("CREATE DATABASE {name} OWNER {role}")).await;
    let Some((scheme, rest)) = base.split_once("://") else {
        panic!("GHL_TEST_POSTGRES is no postgres:// URL: {base}");
    };
    let (server, _) = rest.rsplit_once('/').unwrap_or((rest, ""));
    let server = server.rsplit_once('@').map_or(server, |(_, host)| host);
    let (cut_off, other) = (
        format!("{scheme}://{role}@{server}/{name}"),
        match base.rsplit_once('/') {
            Some((prefix, _)) => format!("{prefix}/{name}"),
            None => unreachable!("checked above"),
        },
    );
    // Ends the cut-off node's connections and refuses it new ones, as a network failure would.
    let cut = || async {
        admin(format!("ALTER ROLE {role} NOLOGIN")).await;
        admin(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
        ))
        .await;
    };
    let restore = || admin(format!("ALTER ROLE {role} LOGIN"));
    let open = |other_node: bool| {
        let url = if other_node {
            other.clone()
        } else {
            cut_off.clone()
        };
        async move { open(&url).await }
    };
    contract::nodes::the_feed_reads_what_it_missed(open, cut, restore).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_delivery_is_claimed_by_one_node() {
    let Some(url) = schema().await else { return };
    contract::nodes::each_delivery_is_claimed_by_one_node(|| open(&url)).await;
}
