//! `GET /requests/{id}/context.json`: a request's whole context as a JSON download, for what
//! its page folds away (see [`crate::json_view`]). The same session and tenant checks as the
//! page; the body is the stored JSON value, never HTML.

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use super::request::find;
use super::session::Approver;
use crate::core::Hub;
use crate::html::error::WebError;

/// `GET /requests/{id}/context.json`.
pub(crate) async fn context(
    State(hub): State<Hub>,
    approver: Approver,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let record = find(&hub, &approver, &id).await?;
    // Serialising a `Value` the store parsed cannot fail.
    let body = serde_json::to_vec(&record.context).unwrap_or_default();
    // The hub mints ids as UUIDs; anything else is left out of the file name.
    let name: String = record
        .id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"request-{name}-context.json\""
    ))
    .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (CONTENT_DISPOSITION, disposition),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response())
}
