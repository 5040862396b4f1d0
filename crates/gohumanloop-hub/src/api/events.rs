//! `GET /api/v1/events`: a server-sent-events stream of the caller's tenant's request events
//! (`created`, `updated`), for inboxes and agents that prefer one connection to many polls. The
//! stream ends when its key is revoked (within a few seconds).

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::auth::{bearer_key, Caller};
use crate::core::Hub;
use crate::keys::KEY_CACHE_TTL;

/// The stream; it ends when the hub shuts down or the key stops being valid.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "events",
    tag = "hub",
    summary = "Server-sent events of the tenant's requests",
    description = "Events `created` and `updated` carry a HubEvent as JSON; `lagged` says events were dropped (re-read the request list). The stream ends when the key is revoked (within a few seconds) or the hub shuts down.",
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = crate::core::HubEvent),
    )
)]
pub async fn stream(
    State(hub): State<Hub>,
    caller: Caller,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // `Caller` checked the header; keep the key to check it again while the stream is open.
    let key = bearer_key(&headers).unwrap_or_default().to_owned();
    let recheck = tokio::time::interval_at(Instant::now() + KEY_CACHE_TTL, KEY_CACHE_TTL);
    let state = (
        hub.events(),
        hub.shutdown_signal(),
        caller.tenant,
        hub,
        key,
        recheck,
    );
    let events = stream::unfold(state, |state| async move {
        let (mut rx, mut down, tenant, hub, key, mut recheck) = state;
        loop {
            let next = tokio::select! {
                next = rx.recv() => Some(next),
                _ = down.wait_for(|d| *d) => return None,
                _ = recheck.tick() => None,
            };
            let Some(next) = next else {
                // A revoked key ends the stream; a store hiccup does not.
                if matches!(hub.authenticate(&key).await, Ok(None)) {
                    return None;
                }
                continue;
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
            return Some((Ok(event), (rx, down, tenant, hub, key, recheck)));
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
