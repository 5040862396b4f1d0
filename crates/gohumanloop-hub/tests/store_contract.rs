//! The store contract's conformance suite (`tests/contract`) on SQLite: real files, and two
//! handles on one file as two writers.

mod contract;

use std::sync::Arc;

use gohumanloop_hub::store::{self, Store};
use tempfile::TempDir;

/// Opens handles on one database file in a temporary folder.
struct Database {
    dir: TempDir,
}

impl Database {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn open(&self) -> Arc<dyn Store> {
        let url = format!("sqlite://{}", self.dir.path().join("hub.db").display());
        store::open(&url).await.unwrap()
    }
}

#[tokio::test]
async fn the_first_change_wins() {
    let db = Database::new();
    contract::the_first_change_wins(|| db.open()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_never_fork_the_chain() {
    let db = Database::new();
    contract::two_writers_never_fork_the_chain(|| db.open()).await;
}

#[tokio::test]
async fn the_feed_carries_every_commit_in_order() {
    let db = Database::new();
    contract::the_feed_carries_every_commit_in_order(|| db.open()).await;
}

#[tokio::test]
async fn a_change_marks_delivered_messages_due() {
    let db = Database::new();
    contract::a_change_marks_delivered_messages_due(|| db.open()).await;
}

#[tokio::test]
async fn observers_see_each_change_before_it_is_acknowledged() {
    let db = Database::new();
    contract::observers_see_each_change_before_it_is_acknowledged(|| db.open()).await;
}

#[tokio::test]
async fn deadlines_are_read_as_they_fall_due() {
    let db = Database::new();
    contract::deadlines_are_read_as_they_fall_due(|| db.open()).await;
}

#[tokio::test]
async fn a_hub_expires_what_another_writer_left_overdue() {
    let db = Database::new();
    contract::a_hub_expires_what_another_writer_left_overdue(|| db.open()).await;
}
