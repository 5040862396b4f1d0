//! The store contract's conformance suite (`tests/contract`) on the test database
//! (`common::database_url`): a real SQLite file, or with `GHL_TEST_DATABASE=postgres` a schema
//! of its own on a real PostgreSQL server; several handles on one database as several writers.

mod common;
mod contract;

use std::sync::Arc;

use gohumanloop_hub::store::{self, Store};
use tempfile::TempDir;

/// Opens handles on one database (one file in a temporary folder, or one schema).
struct Database {
    url: String,
    _dir: TempDir,
}

impl Database {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self {
            url: common::database_url(dir.path()).await,
            _dir: dir,
        }
    }

    async fn open(&self) -> Arc<dyn Store> {
        store::open(&self.url).await.unwrap()
    }
}

#[tokio::test]
async fn the_first_change_wins() {
    let db = Database::new().await;
    contract::the_first_change_wins(|| db.open()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_never_fork_the_chain() {
    let db = Database::new().await;
    contract::two_writers_never_fork_the_chain(|| db.open()).await;
}

#[tokio::test]
async fn the_feed_carries_every_commit_in_order() {
    let db = Database::new().await;
    contract::the_feed_carries_every_commit_in_order(|| db.open()).await;
}

#[tokio::test]
async fn a_change_marks_delivered_messages_due() {
    let db = Database::new().await;
    contract::a_change_marks_delivered_messages_due(|| db.open()).await;
}

#[tokio::test]
async fn a_change_keeps_a_claimants_lease() {
    let db = Database::new().await;
    contract::a_change_keeps_a_claimants_lease(|| db.open()).await;
}

#[tokio::test]
async fn observers_see_each_change_before_it_is_acknowledged() {
    let db = Database::new().await;
    contract::observers_see_each_change_before_it_is_acknowledged(|| db.open()).await;
}

#[tokio::test]
async fn deadlines_are_read_as_they_fall_due() {
    let db = Database::new().await;
    contract::deadlines_are_read_as_they_fall_due(|| db.open()).await;
}

#[tokio::test]
async fn a_hub_expires_what_another_writer_left_overdue() {
    let db = Database::new().await;
    contract::a_hub_expires_what_another_writer_left_overdue(|| db.open()).await;
}

#[tokio::test]
async fn search_finds_every_word_in_what_the_agent_asked() {
    let db = Database::new().await;
    contract::inbox::search_finds_every_word_in_what_the_agent_asked(|| db.open()).await;
}

#[tokio::test]
async fn pending_requests_come_most_urgent_first() {
    let db = Database::new().await;
    contract::inbox::pending_requests_come_most_urgent_first(|| db.open()).await;
}

#[tokio::test]
async fn a_conversation_is_listed_once() {
    let db = Database::new().await;
    contract::inbox::a_conversation_is_listed_once(|| db.open()).await;
}

#[tokio::test]
async fn assignments_are_one_person_per_request() {
    let db = Database::new().await;
    contract::inbox::assignments_are_one_person_per_request(|| db.open()).await;
}

#[tokio::test]
async fn a_search_reads_the_newest_matches() {
    let db = Database::new().await;
    contract::inbox::a_search_reads_the_newest_matches(|| db.open()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_decide_once() {
    let db = Database::new().await;
    contract::policy::votes_decide_once(|| db.open()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_use_grant_is_used_once() {
    let db = Database::new().await;
    contract::policy::a_single_use_grant_is_used_once(|| db.open()).await;
}

#[tokio::test]
async fn plans_are_stored_with_their_request() {
    let db = Database::new().await;
    contract::policy::plans_are_stored_with_their_request(|| db.open()).await;
}
