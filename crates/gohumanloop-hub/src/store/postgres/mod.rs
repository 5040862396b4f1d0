//! The scale-out store: PostgreSQL, shared by several hub nodes. Each node (each open store)
//! writes through one writer task that commits what arrives together in one transaction; the
//! audit chain's head row is locked until the commit (`SELECT … FOR UPDATE`), so the nodes append to
//! one chain and its sequence is the commit order. Each node's change feed carries its own
//! commits at once and the other nodes' as LISTEN/NOTIFY wakes it (see `listener`).
//! Deadlines need nothing more: every node's timer reads them from the database, and the expiry
//! is a compare-and-set like any other change, so exactly one node's expiry wins.

mod accounts;
mod deliveries;
mod grants;
mod links;
mod listener;
mod reads;
mod triage;
mod writer;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::ConnectOptions;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::feed::{Change, ChangeFeed, FeedObserver, FeedSender};
use super::write::Command;
use super::{Durability, Store, StoreError, StoreOptions, StoreResult};

/// Connections a node keeps to the database when not told otherwise.
const DEFAULT_POOL_SIZE: u32 = 10;

/// How long a caller waits for a connection before the database counts as unavailable.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The PostgreSQL store of one hub node. Cheap to share behind an `Arc`; its writer and its
/// feed of other nodes' changes end when it is dropped.
pub struct PgStore {
    pool: PgPool,
    writer: mpsc::Sender<Command>,
    /// Set by the writer after each batch: whether it committed.
    writable: Arc<AtomicBool>,
    /// Where the writer and the listener publish what was committed.
    feed: Arc<FeedSender>,
    listener: tokio::task::AbortHandle,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://…`; TLS as the URL's `sslmode` and
    /// `sslrootcert` say) and brings its schema up to date (several nodes may start at once:
    /// the migrations take a lock).
    pub async fn open(url: &str, store: StoreOptions) -> StoreResult<Self> {
        // This node's name, which its audit entries record (`ghl.node`).
        let node = uuid::Uuid::new_v4().simple().to_string();
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadConfiguration(format!("database URL: {e}")))?
            .application_name("ghl")
            .options([("ghl.node", &node)])
            .disable_statement_logging();
        if let Some(timeout) = store.statement_timeout {
            options = options.options([("statement_timeout", timeout.as_millis())]);
        }
        if store.durability == Durability::Normal {
            // Acknowledged once written to PostgreSQL's WAL buffers, flushed within moments.
            options = options.options([("synchronous_commit", "off")]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(store.pool_size.unwrap_or(DEFAULT_POOL_SIZE).max(2))
            .min_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let channel = listener::channel(&pool).await?;
        let start = listener::last_seq(&pool).await?;
        let writable = Arc::new(AtomicBool::new(true));
        let feed = Arc::new(FeedSender::default());
        let (writer, inbox) = mpsc::channel(4096);
        tokio::spawn(writer::run(
            writer::Writer { pool: pool.clone() },
            inbox,
            writable.clone(),
            feed.clone(),
        ));
        let listener = tokio::spawn(listener::run(
            pool.clone(),
            channel,
            node,
            start,
            Arc::downgrade(&feed),
        ))
        .abort_handle();
        Ok(Self {
            pool,
            writer,
            writable,
            feed,
            listener,
        })
    }

    async fn write<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<StoreResult<T>>) -> Command,
    ) -> StoreResult<T> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .send(command(tx))
            .await
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// A connection that could not be made: the database is down or unreachable.
fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(format!("cannot reach the database: {e}"))
}

#[async_trait]
impl Store for PgStore {
    async fn verify(&self) -> StoreResult<()> {
        let (recovery, read_only): (bool, String) =
            sqlx::query_as("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
                .fetch_one(&self.pool)
                .await
                .map_err(unavailable)?;
        if recovery || read_only == "on" {
            return Err(StoreError::Unavailable(
                "it cannot be written: the server is a read-only standby or in read-only mode"
                    .into(),
            ));
        }
        Ok(())
    }

    fn writable(&self) -> bool {
        self.writable.load(Ordering::Relaxed)
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

impl ChangeFeed for PgStore {
    fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.feed.subscribe()
    }

    fn published(&self) -> u64 {
        self.feed.published()
    }

    fn observe(&self, observer: Weak<dyn FeedObserver>) {
        self.feed.observe(observer);
    }
}
