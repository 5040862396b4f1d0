//! The frame every page shares, rendering, and the pages that belong to no section (sign-in,
//! errors). Templates are in `templates/`, compiled into the binary by askama; every value they
//! print is HTML-escaped unless a view built it with [`crate::json_view`].

use askama::Template;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::i18n::{Lang, Texts};
use crate::accounts::{Role, SessionUser};

/// What the frame of every page needs: language, who is signed in, the section.
pub(crate) struct Chrome {
    /// The texts in the chosen language.
    pub t: &'static Texts,
    /// The chosen language.
    pub lang: Lang,
    /// The signed-in account's name.
    pub user: Option<String>,
    /// Whether it is an admin (the keys section).
    pub is_admin: bool,
    /// The session's CSRF token (for the sign-out form).
    pub csrf: String,
    /// `inbox`, `tasks`, `keys` or `` (highlights the navigation).
    pub section: &'static str,
    /// Appended to asset URLs so that a new release is not served from an old cache.
    pub version: &'static str,
}

impl Chrome {
    /// The frame for a signed-in account.
    pub fn signed_in(lang: Lang, user: &SessionUser, section: &'static str) -> Self {
        Self {
            t: lang.texts(),
            lang,
            user: Some(user.name.clone()),
            is_admin: user.role == Role::Admin,
            csrf: user.csrf.clone(),
            section,
            version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// The frame when nobody is signed in.
    pub(crate) fn signed_out(lang: Lang) -> Self {
        Self {
            t: lang.texts(),
            lang,
            user: None,
            is_admin: false,
            csrf: String::new(),
            section: "",
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// A rendered page, never cached (it shows live, per-person data).
pub fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (
            [
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!("cannot render a page: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot render the page").into_response()
        }
    }
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    /// The frame.
    pub chrome: Chrome,
    /// The form's CSRF token (also in a cookie).
    pub csrf: String,
    /// Where to go after signing in.
    pub next: String,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

/// A refusal or failure.
#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    /// The frame.
    pub chrome: Chrome,
    /// What happened.
    pub message: String,
}
