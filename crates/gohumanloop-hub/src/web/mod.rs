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
mod grants;
mod inbox;
mod keys;
mod live;
mod request;
mod session;
mod tasks;
mod throttle;
mod triage;
mod view;

use std::sync::Arc;

use axum::extract::Path;
use axum::http::header::{REFERER, SET_COOKIE};
use axum::http::HeaderMap;
use axum::middleware;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::core::Hub;
use crate::html::cookies::set_cookie;
use crate::html::i18n::{self, Lang};
use crate::html::security_headers;

/// How the inbox is served.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (the hub is reached over HTTPS, e.g. behind a proxy).
    pub secure_cookies: bool,
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
        .route("/requests/{id}/assignee", post(triage::assign))
        .route("/requests/{id}/{action}", post(request::act))
        .route("/tasks", get(tasks::list))
        .route("/tasks/{tenant}/{task_id}", get(tasks::page))
        .route("/grants", get(grants::page))
        .route("/grants/{tenant}/{id}/revoke", post(grants::revoke))
        .route("/keys", get(keys::page).post(keys::create))
        .route("/keys/{id}/revoke", post(keys::revoke))
        .route("/lang/{code}", get(switch_language))
        .route("/assets/{name}", get(assets::serve))
        .layer(middleware::from_fn(security_headers))
        .layer(Extension(config))
        .layer(Extension(Arc::new(throttle::Throttle::default())))
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
    let cookie = set_cookie(
        i18n::LANG_COOKIE,
        lang.short().to_owned(),
        year,
        config.secure_cookies,
    );
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}
