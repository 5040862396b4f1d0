//! Channels: ways besides the web inbox and the API to put requests before humans. A channel
//! is told of every new request (and, after a restart or when it fell behind, of every pending
//! one it has not handled yet); answers it receives go through [`Hub::transition`] like any
//! other.

pub mod email;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::broadcast::error::RecvError;

use crate::core::Hub;
use crate::record::RequestRecord;
use crate::store::StoreError;

/// How often a channel looks again for requests it failed to handle.
const CATCH_UP_EVERY: Duration = Duration::from_secs(60);

/// Why a channel could not do its part.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The channel's settings cannot work.
    #[error("{0}")]
    Config(String),
    /// The outside service refused or could not be reached.
    #[error("{0}")]
    Delivery(String),
}

/// Why a channel is asked to catch up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    /// The channel just started: requests from before may be waiting.
    Start,
    /// Some new requests were not announced (the channel fell behind, or a read failed).
    Missed,
    /// The periodic retry: only needed if something failed since the last one.
    Retry,
}

/// A way of reaching humans.
#[async_trait]
pub trait Channel: Send + Sync + 'static {
    /// Its name (logs, audit).
    fn name(&self) -> &'static str;

    /// A new request: put it before its humans if it is routed to this channel.
    async fn announce(&self, record: RequestRecord) -> Result<(), ChannelError>;

    /// Announces every pending request this channel has not handled yet.
    async fn catch_up(&self, why: CatchUp) -> Result<(), ChannelError>;
}

/// Feeds a channel the hub's new requests until the hub shuts down.
pub fn spawn(hub: Hub, channel: Arc<dyn Channel>) {
    let mut events = hub.events();
    let mut shutdown = hub.shutdown_signal();
    tokio::spawn(async move {
        let catch_up = |channel: Arc<dyn Channel>, why: CatchUp| async move {
            if let Err(e) = channel.catch_up(why).await {
                tracing::warn!(channel = channel.name(), "catching up failed: {e}");
            }
        };
        catch_up(channel.clone(), CatchUp::Start).await;
        let mut missed = false;
        let stopped = async move {
            let _ = shutdown.wait_for(|down| *down).await;
        };
        tokio::pin!(stopped);
        let mut tick = tokio::time::interval(CATCH_UP_EVERY);
        tick.tick().await;
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) if event.event == "created" => {
                        let record = match hub.store().by_id(&event.id).await {
                            Ok(Some(record)) => record,
                            Ok(None) => continue,
                            Err(e) => {
                                tracing::warn!(channel = channel.name(), "{e}");
                                missed = true;
                                continue;
                            }
                        };
                        let channel = channel.clone();
                        tokio::spawn(async move {
                            if let Err(e) = channel.announce(record).await {
                                tracing::warn!(channel = channel.name(), "{e}");
                            }
                        });
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(channel = channel.name(), missed, "fell behind; catching up");
                        catch_up(channel.clone(), CatchUp::Missed).await;
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = tick.tick() => {
                    let why = if std::mem::take(&mut missed) { CatchUp::Missed } else { CatchUp::Retry };
                    catch_up(channel.clone(), why).await;
                }
                _ = &mut stopped => return,
            }
        }
    });
}
