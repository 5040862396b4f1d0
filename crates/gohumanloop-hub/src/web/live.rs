//! `GET /inbox/events`: the signed-in approver's server-sent events — every new request and
//! every change in the tenants they see — so that open pages update without reloading.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;

use super::session::Approver;
use crate::hub::Hub;

/// The stream; it ends when the hub shuts down (the browser reconnects by itself).
pub async fn stream(
    State(hub): State<Hub>,
    approver: Approver,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let tenants: Vec<i64> = approver.user.tenants.iter().map(|t| t.id).collect();
    let state = (hub.events(), hub.shutdown_signal(), tenants);
    let events = stream::unfold(state, |(mut rx, mut down, tenants)| async move {
        loop {
            let next = tokio::select! {
                next = rx.recv() => next,
                _ = down.wait_for(|d| *d) => return None,
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
            return Some((Ok(event), (rx, down, tenants)));
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
