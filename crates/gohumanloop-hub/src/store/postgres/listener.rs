//! The node's feed of the other nodes' changes. The audit log is the hub's change log: every
//! create and change appends one entry in its own transaction, and the chain's lock makes the
//! entries' sequence the commit order. A NOTIFY sent with each commit is only a wake-up hint:
//! whenever it comes — and at start, and after every reconnect, since notifications sent while
//! the listening connection was down are lost — the node reads the log past the last entry it
//! saw and publishes each change another node made to its own feed (its own were published at
//! commit). So nothing is missed, however the connection fares.

use std::sync::Weak;
use std::time::Duration;

use gohumanloop::model::Status;
use sqlx::postgres::{PgListener, PgPool, PgRow};
use sqlx::Row;

use crate::store::feed::{Change, FeedSender};
use crate::store::rows;
use crate::store::StoreResult;

/// How many log entries one read takes.
const PAGE: i64 = 1_000;

/// The longest pause between two attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// The channel this hub's nodes notify on: one per schema, so that hubs kept in different
/// schemas of one database do not wake each other.
pub(crate) async fn channel(pool: &PgPool) -> StoreResult<String> {
    let schema: String = sqlx::query_scalar("SELECT current_schema()")
        .fetch_one(pool)
        .await?;
    Ok(format!("ghl_changes:{schema}"))
}

/// The sequence of the last audit entry (0: none).
pub(crate) async fn last_seq(pool: &PgPool) -> StoreResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(max(seq), 0)::BIGINT FROM audit_log")
            .fetch_one(pool)
            .await?,
    )
}

/// Follows the other nodes' changes from the entry after `seen` until the feed is dropped.
pub(crate) async fn run(
    pool: PgPool,
    channel: String,
    node: String,
    mut seen: i64,
    feed: Weak<FeedSender>,
) {
    let mut backoff = Duration::from_millis(50);
    loop {
        match listen(&pool, &channel).await {
            Ok(mut listener) => {
                backoff = Duration::from_millis(50);
                // Whatever was committed before the LISTEN took effect.
                if !catch_up(&pool, &node, &mut seen, &feed).await {
                    return;
                }
                loop {
                    match listener.try_recv().await {
                        Ok(Some(_)) => {
                            if !catch_up(&pool, &node, &mut seen, &feed).await {
                                return;
                            }
                        }
                        // The connection was lost: listen anew, then read what was missed.
                        Ok(None) => break,
                        Err(e) => {
                            tracing::warn!("the change feed lost the database: {e}");
                            break;
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!("the change feed cannot listen to the database: {e}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        if feed.strong_count() == 0 {
            return;
        }
    }
}

async fn listen(pool: &PgPool, channel: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(channel).await?;
    Ok(listener)
}

/// Publishes the other nodes' changes after `seen`; `false` once the feed is gone. A read that
/// fails is left for the next wake-up (or reconnect): `seen` only moves past what was read.
async fn catch_up(pool: &PgPool, node: &str, seen: &mut i64, feed: &Weak<FeedSender>) -> bool {
    loop {
        let page = match read(pool, *seen).await {
            Ok(page) => page,
            Err(e) => {
                tracing::warn!("the change feed could not read the log: {e}");
                return feed.strong_count() > 0;
            }
        };
        let Some(feed) = feed.upgrade() else {
            return false;
        };
        let full = page.len() as i64 == PAGE;
        for row in &page {
            match change(row, node) {
                Ok((seq, change)) => {
                    *seen = seq;
                    if let Some(change) = change {
                        feed.publish(change);
                    }
                }
                Err(e) => {
                    tracing::error!("the change feed could not read a log entry: {e}");
                    if let Ok(seq) = row.try_get::<i64, _>("entry") {
                        *seen = seq;
                    }
                }
            }
        }
        if !full {
            return true;
        }
    }
}

async fn read(pool: &PgPool, after: i64) -> Result<Vec<PgRow>, sqlx::Error> {
    sqlx::query(
        "SELECT a.seq AS entry, a.old_status, a.node AS writer, r.* \
         FROM audit_log a JOIN requests r ON r.id = a.request WHERE a.seq > $1 \
         ORDER BY a.seq LIMIT $2",
    )
    .bind(after)
    .bind(PAGE)
    .fetch_all(pool)
    .await
}

/// The entry's sequence, and its change unless this node made it.
fn change(row: &PgRow, node: &str) -> StoreResult<(i64, Option<Change>)> {
    let seq: i64 = row.try_get("entry")?;
    let writer: Option<String> = row.try_get("writer")?;
    if writer.as_deref() == Some(node) {
        return Ok((seq, None));
    }
    let old: Option<String> = row.try_get("old_status")?;
    let before = old.as_deref().map(rows::status).transpose()?;
    let record = rows::request(row)?;
    let deadline = match (before, record.status) {
        (None, Status::Pending) => row.try_get("deadline_at")?,
        _ => None,
    };
    Ok((seq, Some(Change::of(&record, before, deadline))))
}
