//! The HTTP/1.1 connection loop. It does what `axum::serve` does, minus HTTP/2 detection
//! (every waiting agent holds one connection, and a plain HTTP/1 connection costs a fraction of
//! the memory of one that can also become HTTP/2: see the README's benchmark), plus the limits
//! that keep one client from exhausting the hub: connection caps overall and per address (see
//! [`ServeLimits`]), deadlines for headers and bodies, and an early 413 for a body announced over
//! the limit.

mod admission;
mod front;
mod limits;
mod paced_body;
mod parse_errors;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use self::admission::{Admission, Admit};
use self::front::Front;
use self::parse_errors::JsonParseErrors;

pub use self::limits::{ServeLimits, MAX_BODY_BYTES};
pub use self::paced_body::{body_refused, BodyRefused, BODY_GRACE, BODY_MIN_RATE};

/// How long a client may take to send a request's headers (also how long an idle connection
/// stays open).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The same, on a connection admitted over a cap only to be answered.
const OVER_CAP_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long open connections get to finish after a shutdown begins.
pub(crate) const DRAIN: Duration = Duration::from_secs(5);

/// The JSON every refusal of the hub is (`{"success": false, "error": …}`), for the replies
/// made outside the API's handlers: before any router, and by channels' own routes.
pub(crate) fn json_error(
    status: axum::http::StatusCode,
    message: impl Into<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = serde_json::json!({"success": false, "error": message.into()});
    (status, axum::Json(body)).into_response()
}

/// 503 with a JSON error, for an inbound route whose store failed (logged as `what`).
pub(crate) fn store_unavailable(
    what: &str,
    e: &crate::store::StoreError,
) -> axum::response::Response {
    tracing::error!("{what}: {e}");
    json_error(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "the hub cannot use its database right now; try again later",
    )
}

/// Serves `app` on `listener` with [`ServeLimits::default`] until `shutdown` completes, then
/// lets open requests finish (at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, app, ServeLimits::default(), shutdown).await
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes, then lets open
/// requests finish (at most [`DRAIN`]).
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(true);
    let mut over_cap = http.clone();
    over_cap
        .header_read_timeout(OVER_CAP_HEADER_READ_TIMEOUT)
        .keep_alive(false);
    let admission = Admission::new(limits);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let ticket = admission.admit(peer.ip());
        if ticket.kind() != Admit::Serve {
            tracing::debug!(%peer, kind = ?ticket.kind(), "a connection over a cap");
        }
        let _ = stream.set_nodelay(true);
        let builder = if ticket.kind() == Admit::Serve {
            &http
        } else {
            &over_cap
        };
        let service = TowerToHyperService::new(Front::new(
            app.clone(),
            peer,
            ticket.kind(),
            limits.body_grace,
        ));
        let io = TokioIo::new(JsonParseErrors::new(stream));
        let connection = graceful.watch(builder.serve_connection(io, service));
        tokio::spawn(async move {
            tokio::select! {
                ended = connection => if let Err(e) = ended {
                    tracing::debug!("connection ended: {e}");
                },
                () = ticket.evicted() => tracing::debug!("closed a connection over a cap for a newer one"),
            }
            drop(ticket);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after {DRAIN:?}");
    }
    Ok(())
}
