//! What every request passes before the router: it learns the client's address, a body
//! announced over the limit is refused before a byte of it is read, and the body is paced. On
//! a connection admitted over a cap, only `/health` reaches the router.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use axum::routing::future::RouteFuture;
use axum::Router;
use futures_util::future::{Either, Ready};
use hyper::body::Incoming;
use tower::Service;

use super::admission::Admit;
use super::json_error;
use super::limits::MAX_BODY_BYTES;
use super::paced_body::{BodyRefused, PacedBody};

/// The router as one connection sees it.
#[derive(Clone)]
pub(crate) struct Front {
    app: Router,
    peer: SocketAddr,
    admit: Admit,
    body_grace: Duration,
}

impl Front {
    pub(crate) fn new(app: Router, peer: SocketAddr, admit: Admit, body_grace: Duration) -> Self {
        Self {
            app,
            peer,
            admit,
            body_grace,
        }
    }

    /// The reply given without the router, if any.
    fn refusal(&self, path: &str, too_large: bool) -> Option<Response> {
        let refusal = match self.admit {
            Admit::Serve => None,
            _ if matches!(path, "/health" | "/api/health" | "/ready" | "/api/ready") => None,
            Admit::HubFull => Some(json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "the hub has as many connections open as it serves; try again shortly",
            )),
            Admit::AddressFull => Some(json_error(
                StatusCode::TOO_MANY_REQUESTS,
                "too many connections from your address; close some and try again",
            )),
        };
        let refusal = refusal.or_else(|| {
            (too_large && path.starts_with("/api/")).then(|| {
                json_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    BodyRefused::TooLarge.to_string(),
                )
            })
        })?;
        let mut reply = refusal;
        // The unread body (or the over-cap connection) is not worth keeping.
        reply.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        Some(reply)
    }
}

/// Whether the request announces a body over the limit.
fn too_large(request: &Request<Incoming>) -> bool {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|length| length.to_str().ok()?.parse::<u64>().ok());
    announced.is_some_and(|length| length > MAX_BODY_BYTES as u64)
}

impl Service<Request<Incoming>> for Front {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, RouteFuture<Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let too_large = too_large(&request);
        if let Some(reply) = self.refusal(request.uri().path(), too_large) {
            return Either::Left(futures_util::future::ready(Ok(reply)));
        }
        // An API client got its JSON 413 above; a web form's is a page, which the inbox
        // renders when its unread body fails to arrive.
        let mut request = request.map(|body| {
            Body::new(if too_large {
                PacedBody::too_large(body)
            } else {
                PacedBody::new(body, self.body_grace)
            })
        });
        request.extensions_mut().insert(ConnectInfo(self.peer));
        Either::Right(self.app.call(request))
    }
}
