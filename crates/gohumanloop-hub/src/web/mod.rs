//! The approvers' web inbox, served by the hub itself: sign-in, the inbox with live updates,
//! request pages with every action, tasks and (for admins) API keys; English and Chinese.
//!
//! Pages are rendered on the server (askama templates, HTML-escaped by default); the small
//! script only adds live updates, countdowns and a JSON check, so every action also works
//! without it. Every form carries the session's CSRF token, and every page is sent with a
//! Content-Security-Policy that allows no inline script.

mod assets;
mod client;
mod download;
pub(crate) mod email_links;
mod error;
mod i18n;
mod inbox;
mod keys;
mod live;
mod pages;
mod request;
mod session;
mod tasks;
mod throttle;
mod view;

use std::sync::Arc;

use axum::extract::{Path, Request};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, REFERER, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

pub use self::i18n::Lang;
use crate::core::Hub;

/// How the inbox is served.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (the hub is reached over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// The email channel, whose signed links `/email/{token}` serves.
    pub email: Option<std::sync::Arc<crate::channels::email::EmailChannel>>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the sign-in throttle);
    /// from any other peer the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// The inbox's routes (state: the hub).
pub fn router(config: WebConfig) -> Router<Hub> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/inbox") }))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/inbox", get(inbox::page))
        .route("/inbox/events", get(live::stream))
        .route("/requests/{id}", get(request::page))
        .route("/requests/{id}/context.json", get(download::context))
        .route("/requests/{id}/{action}", post(request::act))
        .route("/tasks", get(tasks::list))
        .route("/tasks/{tenant}/{task_id}", get(tasks::page))
        .route("/keys", get(keys::page).post(keys::create))
        .route("/keys/{id}/revoke", post(keys::revoke))
        .route("/lang/{code}", get(switch_language))
        .route(
            "/email/{token}",
            get(email_links::show).post(email_links::answer),
        )
        .route("/assets/{name}", get(assets::serve))
        .layer(middleware::from_fn(security_headers))
        .layer(Extension(config))
        .layer(Extension(Arc::new(throttle::Throttle::default())))
}

/// Headers that keep the pages from running anything but their own script, being framed, or
/// leaking their URLs to other sites.
///
/// Also reports the time the hub spent on the page (`Server-Timing`, in ms), which the
/// benchmark reads.
async fn security_headers(request: Request, next: Next) -> Response {
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

/// `GET /lang/{en|zh}`: remembers the language for a year and goes back to the page.
async fn switch_language(
    Path(code): Path<String>,
    Extension(config): Extension<WebConfig>,
    headers: HeaderMap,
) -> Response {
    let lang = Lang::from_code(&code).unwrap_or(Lang::En);
    // Back to the page the switch was on (the Referer of a same-origin link), else the inbox.
    let back = headers
        .get(REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|url| url.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()));
    let mut response = Redirect::to(&session::local_path(back.as_deref())).into_response();
    let year = 365 * 24 * 60 * 60;
    let cookie = session::set_cookie(
        i18n::LANG_COOKIE,
        lang.short().to_owned(),
        year,
        config.secure_cookies,
    );
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}
