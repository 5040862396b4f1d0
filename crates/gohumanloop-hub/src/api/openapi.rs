//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of every route (kept in
//! `openapi.json` beside this file; a test checks that each documented route is served).

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

/// The document, as served.
pub(crate) const DOCUMENT: &str = include_str!("openapi.json");

/// Serves the document.
pub async fn document() -> Response {
    ([(CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
}
