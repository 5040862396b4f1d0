//! The channels' HTTP: a client that follows no redirect and bounds every call; calling a
//! platform's JSON API (time-outs, 5xx, 408 and 429 are passing failures, tried again later;
//! other HTTP errors permanent; each platform then reads its own error codes from the JSON);
//! reading a header of an inbound callback.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::Value;

use crate::channels::DeliveryError;

/// The most bytes of a platform's answer read.
const MAX_ANSWER: usize = 1024 * 1024;

/// A client for a platform's API: no redirects followed, every call bounded by `timeout`.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))
}

/// Sends `request` (to `what`, for messages) and reads its JSON answer.
pub(crate) async fn call(what: &str, request: RequestBuilder) -> Result<Value, DeliveryError> {
    let (status, answer) = call_raw(what, request).await?;
    match (status.is_success(), answer) {
        (true, Some(answer)) => Ok(answer),
        (true, None) => Err(DeliveryError::Retry(format!(
            "{what}: the answer is not JSON"
        ))),
        (false, _) => Err(http_failure(what, status)),
    }
}

/// An HTTP error status as a delivery error: passing or permanent.
pub(crate) fn http_failure(what: &str, status: StatusCode) -> DeliveryError {
    let passing = status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT;
    let why = format!("{what}: HTTP {status}");
    if passing {
        DeliveryError::Retry(why)
    } else {
        DeliveryError::Permanent(why)
    }
}

/// Sends `request` and reads its status and JSON answer (`None`: not JSON), whatever the
/// status: for platforms that put their error codes in the bodies of 4xx answers.
pub(crate) async fn call_raw(
    what: &str,
    request: RequestBuilder,
) -> Result<(StatusCode, Option<Value>), DeliveryError> {
    let response = request.send().await.map_err(|e| {
        let why = if e.is_timeout() {
            "timed out".to_owned()
        } else {
            format!("could not connect ({e})")
        };
        DeliveryError::Retry(format!("{what}: {why}"))
    })?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| DeliveryError::Retry(format!("{what}: the answer broke off ({e})")))?;
    if bytes.len() > MAX_ANSWER {
        return Err(DeliveryError::Retry(format!(
            "{what}: the answer is too large"
        )));
    }
    Ok((status, serde_json::from_slice(&bytes).ok()))
}

/// A header of an inbound request as text (empty when absent or not text).
pub(crate) fn header<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// `POST url` with a JSON body and a bearer token.
pub(crate) fn post_json(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> RequestBuilder {
    http.request(Method::POST, url)
        .bearer_auth(token)
        .json(body)
}
