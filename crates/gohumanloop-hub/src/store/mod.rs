//! Where the hub keeps everything: the [`Store`] trait, split by aggregate, and its backends.
//!
//! # The contract every backend keeps
//! The conformance suite (`tests/contract`, run by `tests/store_contract.rs`) checks it; every
//! backend runs it, with several handles on one database as several writers (several nodes).
//!
//! 1. **Acknowledged means committed.** A write returns only after its transaction committed
//!    (with [`Durability::Full`], on disk).
//! 2. **One compare-and-set per change.** [`Requests::transition`] changes a request only if
//!    its status is one of [`Transition::from`](crate::record::Transition::from), in one
//!    conditional write (`UPDATE … WHERE id = ? AND status = ?`). Zero rows updated means
//!    another writer came first: the store reads the request again and answers
//!    [`TransitionOutcome::Conflict`](crate::record::TransitionOutcome::Conflict) with the
//!    winner — never an error.
//! 3. **One audit chain.** Every create and change appends its audit entry in the same
//!    transaction, hashed over the previous entry, whose head is read under that
//!    transaction's write lock — never kept in a writer's memory — so two writers cannot fork
//!    the chain.
//! 4. **A change feed** ([`ChangeFeed`]): every committed create and change is published, in
//!    commit order and numbered, after the commit and before the write is acknowledged — at
//!    once to the feed's observers ([`FeedObserver`]: the hub's live waiters, event streams
//!    and deadline timer, so that whoever made a change reads it back), and by a broadcast to
//!    its subscribers (the channel dispatcher; one that lags reads the store again). The hub
//!    wakes nobody itself.
//! 5. **Deadlines are read as they fall due** ([`Requests::due`], [`Requests::next_deadline`]),
//!    never loaded once: a request created by any writer expires on time.
//! 6. **Deliveries** ([`Deliveries`]) are opened once per request, channel and recipient, and
//!    claimed for a lease before they are worked, so that one is never worked twice at once; a
//!    change of a request marks its delivered messages due in the same transaction, except one
//!    under a lease or waiting for a retry (the claimant's record of its attempt leaves it due
//!    when the request moved on from what its message shows).
//! 7. **Opaque positions.** Pages continue from a [`Cursor`] the store handed out; nothing
//!    outside a backend reads what is inside one.
//! 8. **The inbox's listings.** A filter's `search` words each occur, as a substring in any
//!    case, in a request's question, message, function name or arguments (the first 2,000
//!    characters of each; each backend indexes that text its own way), among the tenant's
//!    newest [`SEARCH_MATCHES`] such requests; [`Requests::pending_by_urgency`] lists pending requests by
//!    deadline, none last, then by arrival, from an opaque [`Urgency`]; `newest_turn_only`
//!    keeps one row per conversation. An [`Assignments`] entry is not a decision: it changes no
//!    status and is not audited.
//! 9. **Policy.** A request's `plan` and `call_hash` are stored with it at create. A
//!    [`Transition`](crate::record::Transition) with a ballot records the vote (one per person
//!    and request) and judges the votes so far in the same transaction: it changes the status
//!    only when that vote decides the quorum, and otherwise answers `Voted` (or `AlreadyVoted`).
//!    A single-use [`Grants`] entry is used by one conditional write: never by two requests.
//! 10. **Errors say what happened** ([`StoreError`]): the database is unavailable, the stored
//!     data is corrupt, the configuration is bad, or the store is closing. A lost race is not an
//!     error but an outcome.

mod accounts;
mod assignments;
mod audit;
#[cfg(feature = "postgres")]
pub mod copy;
mod cursor;
pub mod deliveries;
pub mod feed;
mod filter;
pub(crate) mod grants;
mod keys;
mod links;
#[cfg(feature = "postgres")]
mod postgres;
mod requests;
mod rows;
mod secrets;
mod sqlite;
mod tasks;
mod write;

use async_trait::async_trait;

use crate::record::TenantId;

pub use accounts::Accounts;
pub use assignments::Assignments;
pub use audit::Audit;
pub use cursor::{BadCursor, Cursor, Urgency};
pub use deliveries::{Attempt, Deliveries, Delivery, DeliveryState};
pub use feed::{Change, ChangeFeed, FeedObserver};
pub use filter::SEARCH_MATCHES;
pub use grants::{BallotRecord, Ballots, Calls, GrantRecord, Grants};
pub use keys::Keys;
pub use links::{LinkUse, Links};
#[cfg(feature = "postgres")]
pub use postgres::PgStore;
pub use requests::Requests;
pub use secrets::Secrets;
pub use sqlite::SqliteStore;
pub use tasks::Tasks;

/// What went wrong with the migrations, said for the operator: a database migrated by a newer
/// `ghl` is named as such (sqlx only says a migration is "missing").
fn migration_failure(error: &sqlx::migrate::MigrateError) -> String {
    match error {
        sqlx::migrate::MigrateError::VersionMissing(version) => format!(
            "the database was migrated by a newer ghl (it has migration {version}, which this \
             one does not know); run that version or a newer one — nothing was changed"
        ),
        other => format!("database migration failed: {other}"),
    }
}

/// A store failure: the database could not be reached or refused the operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date (or is newer than this build knows).
    #[error("{}", migration_failure(.0))]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back, or the database failed its integrity check.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The database cannot take writes now (a read-only file, a full disk, an I/O error); the
    /// message holds the details, for the operator's log.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The store cannot work as configured (e.g. a database URL names no backend this build
    /// has).
    #[error("bad store configuration: {0}")]
    BadConfiguration(String),
    /// The store's writer has stopped (the hub is shutting down).
    #[error("the store is shutting down")]
    Closed,
}

/// Result of a store operation.
pub(crate) type StoreResult<T> = Result<T, StoreError>;

/// A request that is waiting for its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// When (Unix ms).
    pub at: i64,
    /// The owning tenant.
    pub tenant: TenantId,
    /// The hub's id of the request.
    pub id: String,
}

/// Durable storage, by aggregate: requests, audit, keys, accounts, tasks, deliveries, links,
/// secrets, the change feed. See the module's docs for the contract every backend keeps.
#[async_trait]
pub trait Store:
    Requests
    + Audit
    + Assignments
    + Grants
    + Calls
    + Ballots
    + Keys
    + Accounts
    + Tasks
    + Deliveries
    + Links
    + Secrets
    + ChangeFeed
    + Send
    + Sync
    + 'static
{
    /// Checks the database before it is served: its structure is intact (a quick integrity
    /// check: [`StoreError::Corrupt`]) and it can be written ([`StoreError::Unavailable`]).
    async fn verify(&self) -> StoreResult<()>;

    /// Whether writes go through: `false` after a write failed, until one succeeds again.
    fn writable(&self) -> bool;

    /// Whether the database answers now: one round trip ([`StoreError::Unavailable`] if not).
    async fn ping(&self) -> StoreResult<()>;
}

/// When a committed change is safe.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// On disk before it is acknowledged: survives a crash of the machine or a power loss.
    #[default]
    Full,
    /// Written to the database before it is acknowledged and on disk soon after: survives a
    /// crash of the hub (kill -9); a power loss may undo the last moments (SQLite WAL with
    /// `synchronous=NORMAL`).
    Normal,
}

/// How to open a store.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreOptions {
    /// When a committed change is safe.
    pub durability: Durability,
    /// Connections the store keeps to the database at most (`None`: the backend's default;
    /// PostgreSQL only — SQLite has one writer and a few readers).
    pub pool_size: Option<u32>,
    /// How long one statement may run before the database cancels it (`None`: no limit;
    /// PostgreSQL only).
    pub statement_timeout: Option<std::time::Duration>,
}

/// Opens the store a URL names — `sqlite://PATH` (created if missing) or, with the `postgres`
/// feature, `postgres://…` — with its schema up to date.
pub async fn open(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    open_with(url, StoreOptions::default()).await
}

/// [`open`] with options.
pub async fn open_with(url: &str, options: StoreOptions) -> StoreResult<std::sync::Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        return Ok(std::sync::Arc::new(SqliteStore::open(url, options).await?));
    }
    #[cfg(feature = "postgres")]
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        return Ok(std::sync::Arc::new(PgStore::open(url, options).await?));
    }
    Err(StoreError::BadConfiguration(format!(
        "unsupported database URL '{}' (use sqlite://PATH or postgres://…)",
        redacted(url)
    )))
}

/// A database URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_shown_url_keeps_no_password() {
        assert_eq!(
            redacted("postgres://ghl:s3cr:et@db.internal:5432/ghl?sslmode=verify-full"),
            "postgres://ghl:***@db.internal:5432/ghl?sslmode=verify-full"
        );
        assert_eq!(
            redacted("postgres://ghl@db.internal/ghl"),
            "postgres://ghl@db.internal/ghl"
        );
        assert_eq!(redacted("sqlite://ghl.db"), "sqlite://ghl.db");
    }
}
