//! The HTTP API: the original protocol (`compat`, `tasks`), the answering API, the event
//! stream, the OpenAPI document, and the operators' health, readiness and metrics. Every reply,
//! errors included, is a JSON object (the metrics aside: Prometheus' text). The web inbox
//! ([`crate::web`]) is served beside it.

pub mod answering;
pub use auth::Caller;
pub(crate) mod auth;
pub(crate) mod compat;
pub mod error;
pub mod events;
pub mod grants;
pub mod openapi;
pub(crate) mod operations;
pub mod paged;
pub(crate) mod resume;
pub mod schemas;
pub mod tasks;

use std::any::Any;

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use self::error::{ApiError, MAX_BODY_BYTES};
use crate::core::Hub;
use crate::web::WebConfig;

/// Every route of the hub, the web inbox included (with default settings).
pub fn router(hub: Hub) -> Router {
    router_with(hub, WebConfig::default())
}

/// A route of the API: how it is served, and the handler that serves it.
type Entry = (Method, &'static str, MethodRouter<Hub>);

/// `method path` served by `handler`.
fn at<H, T>(method: Method, path: &'static str, handler: H) -> Entry
where
    H: Handler<T, Hub>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone()).expect("a routable method");
    (method, path, on(filter, handler))
}

/// Every route of the API, in one list: the router is built from it, and the OpenAPI document
/// is checked against it (both ways), so neither can lose a route.
fn table() -> Vec<Entry> {
    use Method as M;
    vec![
        at(M::POST, "/api/v1/humanloop/request", compat::create),
        at(M::GET, "/api/v1/humanloop/status", compat::status),
        at(
            M::POST,
            "/api/v1/humanloop/continue",
            compat::continue_conversation,
        ),
        at(M::POST, "/api/v1/humanloop/cancel", compat::cancel),
        at(
            M::POST,
            "/api/v1/humanloop/cancel_conversation",
            compat::cancel_conversation,
        ),
        // The Go services' misspelt route, for clients written against them.
        at(
            M::POST,
            "/api/v1/humanloop/cancel_converstation",
            compat::cancel_conversation,
        ),
        at(M::POST, "/api/v1/humanloop/resume", resume::resume),
        at(M::POST, "/api/v1/humanloop/tasks/sync", tasks::sync),
        at(M::GET, "/api/v1/humanloop/tasks", tasks::list),
        at(M::GET, "/api/v1/humanloop/tasks/{task_id}", tasks::get),
        at(M::GET, "/api/v1/requests", answering::list),
        at(M::GET, "/api/v1/requests/{id}", answering::get),
        at(M::GET, "/api/v1/requests/{id}/audit", answering::audit),
        at(M::POST, "/api/v1/requests/{id}/approve", answering::approve),
        at(M::POST, "/api/v1/requests/{id}/reject", answering::reject),
        at(M::POST, "/api/v1/requests/{id}/answer", answering::answer),
        at(M::POST, "/api/v1/requests/{id}/reply", answering::reply),
        at(M::POST, "/api/v1/requests/{id}/cancel", answering::cancel),
        at(M::GET, "/api/v1/grants", grants::list),
        at(M::POST, "/api/v1/grants/{id}/revoke", grants::revoke),
        at(M::GET, "/api/v1/events", events::stream),
        at(M::GET, "/api/v1/openapi.json", openapi::document),
        at(M::GET, "/health", operations::health),
        at(M::GET, "/api/health", operations::health),
        at(M::GET, "/ready", operations::ready),
        at(M::GET, "/api/ready", operations::ready),
        at(M::GET, operations::METRICS, operations::metrics),
    ]
}

/// Every route of the API (the web inbox and the channels' routes aside): its method and its
/// path, as the router serves it and the OpenAPI document lists it.
pub fn routes() -> Vec<(Method, &'static str)> {
    table()
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect()
}

/// What [`router_with_options`] serves besides the API and the web inbox.
#[derive(Debug, Clone)]
pub struct RouterOptions {
    /// Serve `GET /metrics` (Prometheus' text format, no key needed). On by default; off, the
    /// path is an unknown route (404).
    pub metrics: bool,
    /// Serve `POST /api/v1/test/clock`, which moves the hub's clock forward (`ghl serve
    /// --test-clock`: for tests of deadlines and escalations that must not sleep; never in
    /// production). Off by default.
    pub test_clock: bool,
}

impl Default for RouterOptions {
    fn default() -> Self {
        Self {
            metrics: true,
            test_clock: false,
        }
    }
}

/// Every route of the hub, with the web inbox served as `web` says.
pub fn router_with(hub: Hub, web: WebConfig) -> Router {
    router_with_options(hub, web, RouterOptions::default())
}

/// Every route of the hub, with the web inbox served as `web` says and the operators' routes
/// as `options` says.
pub fn router_with_options(hub: Hub, web: WebConfig, options: RouterOptions) -> Router {
    let mut api = Router::new();
    for (_, path, handler) in table() {
        if path == operations::METRICS && !options.metrics {
            continue;
        }
        api = api.route(path, handler);
    }
    if options.test_clock {
        api = api.route(
            "/api/v1/test/clock",
            axum::routing::post(grants::advance_clock),
        );
    }
    api.merge(crate::web::router(web))
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panicked))
        .with_state(hub)
}

async fn unknown_route(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {method} {}", uri.path()),
    )
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

fn panicked(_: Box<dyn Any + Send + 'static>) -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}
