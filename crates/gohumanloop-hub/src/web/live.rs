//! `GET /inbox/events`: the signed-in approver's server-sent events — every new request and
//! every change in the tenants they see — so that open pages update without reloading.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use super::session::Approver;
use crate::core::Hub;
use crate::record::now_ms;

/// How often an open stream checks that its session still holds.
const SESSION_RECHECK: Duration = Duration::from_secs(2);

/// The stream; it ends when the hub shuts down (the browser reconnects by itself) and when the
/// session ends — signed out, password changed, account disabled — within [`SESSION_RECHECK`].
pub async fn stream(
    State(hub): State<Hub>,
    approver: Approver,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let tenants: Vec<i64> = approver.user.tenants.iter().map(|t| t.id).collect();
    let recheck = tokio::time::interval_at(Instant::now() + SESSION_RECHECK, SESSION_RECHECK);
    let session = approver.token_hash;
    let state = (
        hub.events(),
        hub.shutdown_signal(),
        tenants,
        hub,
        session,
        recheck,
    );
    let events = stream::unfold(state, |state| async move {
        let (mut rx, mut down, tenants, hub, session, mut recheck) = state;
        loop {
            let next = tokio::select! {
                next = rx.recv() => Some(next),
                _ = down.wait_for(|d| *d) => return None,
                _ = recheck.tick() => None,
            };
            let Some(next) = next else {
                // An ended session ends the stream; a store hiccup does not.
                if matches!(hub.store().session(&session, now_ms()).await, Ok(None)) {
                    return None;
                }
                continue;
            };
            let event = match next {
                Ok(e) if tenants.contains(&e.tenant) => Event::default()
                    .event("change")
                    .json_data(&e)
                    .unwrap_or_else(|_| Event::default().comment("unencodable event")),
                Ok(_) => continue,
                // Missed events: the page re-reads everything anyway.
                Err(RecvError::Lagged(_)) => Event::default().event("change").data("{}"),
                Err(RecvError::Closed) => return None,
            };
            return Some((Ok(event), (rx, down, tenants, hub, session, recheck)));
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
