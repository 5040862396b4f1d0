//! The HTTP API: the original protocol (`compat`, `tasks`), the answering API, the event
//! stream and the OpenAPI document. Every reply, errors included, is a JSON object. The web
//! inbox ([`crate::web`]) is served beside it.

pub mod answering;
pub(crate) mod auth;
pub(crate) mod compat;
pub mod error;
pub mod events;
pub mod openapi;
pub mod paged;
pub mod tasks;

use std::any::Any;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use self::error::{ApiError, MAX_BODY_BYTES};
use crate::core::Hub;
use crate::web::WebConfig;

/// Every route of the hub, the web inbox included (with default settings).
pub fn router(hub: Hub) -> Router {
    router_with(hub, WebConfig::default())
}

/// Every route of the hub, with the web inbox served as `web` says.
pub fn router_with(hub: Hub, web: WebConfig) -> Router {
    let original = Router::new()
        .route("/request", post(compat::create))
        .route("/status", get(compat::status))
        .route("/continue", post(compat::continue_conversation))
        .route("/cancel", post(compat::cancel))
        .route("/cancel_conversation", post(compat::cancel_conversation))
        // The Go services' misspelt route, for clients written against them.
        .route("/cancel_converstation", post(compat::cancel_conversation))
        .route("/tasks/sync", post(tasks::sync))
        .route("/tasks", get(tasks::list))
        .route("/tasks/{task_id}", get(tasks::get));
    let requests = Router::new()
        .route("/", get(answering::list))
        .route("/{id}", get(answering::get))
        .route("/{id}/audit", get(answering::audit))
        .route("/{id}/approve", post(answering::approve))
        .route("/{id}/reject", post(answering::reject))
        .route("/{id}/answer", post(answering::answer))
        .route("/{id}/reply", post(answering::reply))
        .route("/{id}/cancel", post(answering::cancel));
    Router::new()
        .nest("/api/v1/humanloop", original)
        .nest("/api/v1/requests", requests)
        .route("/api/v1/events", get(events::stream))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/health", get(tasks::health))
        .route("/api/health", get(tasks::health))
        .merge(crate::web::router(web))
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
