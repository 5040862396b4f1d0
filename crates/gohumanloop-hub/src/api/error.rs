//! Every failure becomes a JSON object (`success:false` and an `error` message) served as
//! `application/json`, because the original Python client cannot read anything else. Bodies
//! and queries are parsed here so that bad input gets the same clear answer.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use crate::server::{body_refused, BodyRefused};
use crate::store::StoreError;

pub use crate::server::MAX_BODY_BYTES;

/// An HTTP failure: a status and a message, plus optional extra keys for the body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    extra: Map<String, Value>,
}

impl ApiError {
    /// A failure with this status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            extra: Map::new(),
        }
    }

    /// The original protocol's soft failure: HTTP 200 with `success:false`.
    pub fn soft(message: impl Into<String>) -> Self {
        Self::new(StatusCode::OK, message)
    }

    /// 422: the input is well-formed JSON but not acceptable.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 404 with the usual message.
    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("Request not found: {what}"))
    }

    /// Adds a key to the body.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_owned(), value.into());
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<StoreError> for ApiError {
    /// A plain 503 for the client; the database's own words go to the operator's log only.
    fn from(e: StoreError) -> Self {
        tracing::error!("store failure: {e}");
        let message = match e {
            StoreError::Closed => "the hub is shutting down; try again shortly",
            _ => "the hub cannot use its database right now; try again later",
        };
        Self::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert("success".into(), Value::Bool(false));
        body.insert("error".into(), Value::String(self.message));
        body.extend(self.extra);
        (self.status, Json(Value::Object(body))).into_response()
    }
}

/// `{"success": true, …}` with the given keys.
pub fn ok(fields: Value) -> Response {
    let mut body = Map::new();
    body.insert("success".into(), Value::Bool(true));
    body.insert("error".into(), Value::Null);
    if let Value::Object(fields) = fields {
        body.extend(fields);
    }
    Json(Value::Object(body)).into_response()
}

/// The generic success reply of the original protocol.
pub(crate) fn ok_empty() -> Response {
    ok(json!({}))
}

/// A JSON body parsed with clear errors: 400 for malformed JSON, 422 for wrong or missing
/// fields, 413 past [`MAX_BODY_BYTES`]. A `Content-Type` is not required.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Like [`JsonBody`], but an empty body means `T::default()` (every field optional).
pub struct OptionalJsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        parse_optional_json(&bytes).map(OptionalJsonBody)
    }
}

/// Like [`JsonBody`], but parsed on a blocking thread: for bodies that may be large (up to
/// [`MAX_BODY_BYTES`] of JSON take milliseconds to parse, which would hold up every other
/// request on the same runtime thread).
pub struct LargeJsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send + 'static> FromRequest<S> for LargeJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, state).await?;
        tokio::task::spawn_blocking(move || parse_json(&bytes))
            .await
            .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?
            .map(LargeJsonBody)
    }
}

async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        let status = e.status();
        if let Some(refused) = body_refused(&e) {
            let status = match refused {
                BodyRefused::TooSlow => StatusCode::REQUEST_TIMEOUT,
                BodyRefused::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            };
            ApiError::new(status, refused.to_string())
        } else if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(status, BodyRefused::TooLarge.to_string())
        } else {
            ApiError::new(status, e.body_text())
        }
    })
}

/// A body as [`OptionalJsonBody`] reads it: blank is `T::default()`, else [`parse_json`].
pub(crate) fn parse_optional_json<T: DeserializeOwned + Default>(
    bytes: &[u8],
) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse_json(bytes)
}

/// A body as [`JsonBody`] reads it: 400 for malformed JSON, 422 for wrong or missing fields.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::invalid(format!("invalid request body: {e}")),
            _ => ApiError::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")),
        }
    })
}

/// A path parameter, refused with a JSON 400 (not axum's plain text) when it cannot be read,
/// e.g. percent-encoded bytes that are not UTF-8.
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParam<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| PathParam(value))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("invalid path: {}", e.body_text()),
                )
            })
    }
}

/// A query string parsed with clear errors (422).
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse_query(&parts.uri).map(QueryParams)
    }
}

/// A URI's query as [`QueryParams`] reads it (422 when it does not fit `T`).
pub(crate) fn parse_query<T: DeserializeOwned>(uri: &axum::http::Uri) -> Result<T, ApiError> {
    Query::<T>::try_from_uri(uri)
        .map(|Query(q)| q)
        .map_err(|e| ApiError::invalid(format!("invalid query: {}", e.body_text())))
}
