//! What a page shows when something is refused or goes wrong: an HTML page in the approver's
//! language with the right status (never a stack trace, never a blank page).

use axum::extract::{Form, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;

use super::i18n::Lang;
use super::pages::{self, Chrome, ErrorPage};
use crate::server::{body_refused, BodyRefused};
use crate::store::StoreError;

/// A refusal or failure of a web page.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in (or the session ended): go to the sign-in page, then back to `next`.
    SignIn {
        /// Where the approver was going.
        next: String,
    },
    /// No such thing, or not this approver's to see (the two look the same on purpose).
    NotFound(Lang),
    /// Not allowed (wrong role, or a form without this session's CSRF token).
    Forbidden(Lang),
    /// A form that cannot be read.
    BadForm(Lang, String),
    /// A form over the body limit (1 MiB).
    TooLarge(Lang),
    /// A form that arrived too slowly (a client holding the connection open).
    TooSlow(Lang),
    /// The database failed.
    Store(Lang, StoreError),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (lang, status, message) = match self {
            WebError::SignIn { next } => {
                let next = utf8_percent_encode(&next, NON_ALPHANUMERIC);
                let to = format!("/login?next={next}");
                return Redirect::to(&to).into_response();
            }
            WebError::NotFound(lang) => {
                (lang, StatusCode::NOT_FOUND, lang.texts().not_found.into())
            }
            WebError::Forbidden(lang) => {
                (lang, StatusCode::FORBIDDEN, lang.texts().forbidden.into())
            }
            WebError::BadForm(lang, why) => (
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{}: {why}", lang.texts().bad_form),
            ),
            WebError::TooLarge(lang) => (
                lang,
                StatusCode::PAYLOAD_TOO_LARGE,
                lang.texts().too_large.into(),
            ),
            WebError::TooSlow(lang) => (
                lang,
                StatusCode::REQUEST_TIMEOUT,
                BodyRefused::TooSlow.to_string(),
            ),
            WebError::Store(lang, e) => {
                // The details are for the operator's log, not for the page.
                tracing::error!("web inbox: {e}");
                let message = lang.texts().unavailable.to_owned();
                (lang, StatusCode::SERVICE_UNAVAILABLE, message)
            }
        };
        let page = ErrorPage {
            chrome: Chrome::signed_out(lang),
            message,
        };
        (status, pages::render(&page)).into_response()
    }
}

/// A form body; one that cannot be read gets the error page in the approver's language.
pub(crate) struct WebForm<T>(pub T);

impl<S, T> FromRequest<S> for WebForm<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let Ok(lang) =
            <Lang as axum::extract::FromRequestParts<S>>::from_request_parts(&mut parts, state)
                .await;
        let req = Request::from_parts(parts, body);
        match Form::<T>::from_request(req, state).await {
            Ok(Form(value)) => Ok(WebForm(value)),
            Err(e) => Err(match body_refused(&e) {
                Some(BodyRefused::TooSlow) => WebError::TooSlow(lang),
                Some(BodyRefused::TooLarge) => WebError::TooLarge(lang),
                None if e.status() == StatusCode::PAYLOAD_TOO_LARGE => WebError::TooLarge(lang),
                None => WebError::BadForm(lang, e.body_text()),
            }),
        }
    }
}
