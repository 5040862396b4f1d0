//! `GET /api/v1/events`: a server-sent-events stream of the caller's tenant's request events
//! (`created`, `updated`), for inboxes and agents that prefer one connection to many polls.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use super::auth::Caller;
use crate::hub::Hub;

/// The stream; it ends when the hub shuts down.
pub async fn stream(
    State(hub): State<Hub>,
    caller: Caller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let state = (hub.events(), hub.shutdown_signal(), caller.tenant);
    let events = stream::unfold(state, |(mut rx, mut down, tenant)| async move {
        loop {
            let next = tokio::select! {
                next = rx.recv() => next,
                _ = down.wait_for(|d| *d) => return None,
            };
            let event = match next {
                Ok(e) if e.tenant == tenant => Event::default()
                    .event(e.event)
                    .id(e.id.clone())
                    .json_data(&e)
                    .unwrap_or_else(|_| Event::default().comment("unencodable event")),
                Ok(_) => continue,
                Err(RecvError::Lagged(n)) => Event::default()
                    .event("lagged")
                    .data(format!("{n} events were dropped; re-read the request list")),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok(event), (rx, down, tenant)));
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
