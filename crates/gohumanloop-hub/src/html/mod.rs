//! The toolkit of the hub's own HTML pages, shared by the web inbox ([`crate::web`]) and the
//! channels' pages (the email channel's links): the frame and its two languages, the error
//! page, form bodies, cookies, and the headers every page is sent with.
//!
//! Pages are rendered on the server (askama templates, HTML-escaped by default) and sent with
//! a Content-Security-Policy that allows no inline script.

pub(crate) mod cookies;
pub(crate) mod error;
pub(crate) mod i18n;
pub(crate) mod pages;

use axum::extract::Request;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// Headers that keep the pages from running anything but their own script, being framed, or
/// leaking their URLs to other sites.
///
/// Also reports the time the hub spent on the page (`Server-Timing`, in ms), which the
/// benchmark reads.
pub(crate) async fn security_headers(request: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let mut response = next.run(request).await;
    let spent = started.elapsed().as_secs_f64() * 1000.0;
    let headers = response.headers_mut();
    if let Ok(timing) = HeaderValue::from_str(&format!("app;dur={spent:.2}")) {
        headers.insert("server-timing", timing);
    }
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}
