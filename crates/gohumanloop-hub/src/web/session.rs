//! Who is signed in: the session cookie (HttpOnly, SameSite=Lax, expiring; only its SHA-256 is
//! stored), the CSRF token every form carries, signing in (throttled by client address and by
//! name, see [`super::throttle`]) and out.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;

use super::client::ClientAddress;
use super::throttle::Throttle;
use super::WebConfig;
use crate::accounts::{self, SessionUser, SESSION_TTL_MS};
use crate::audit::sha256_hex;
use crate::core::Hub;
use crate::html::cookies::{cookie_value, set_cookie};
use crate::html::error::{WebError, WebForm};
use crate::html::i18n::Lang;
use crate::html::pages::{self, Chrome};
use crate::record::now_ms;

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "ghl_session";

/// The cookie that carries the sign-in form's CSRF token (there is no session yet).
const LOGIN_COOKIE: &str = "ghl_login";

/// A signed-in approver or admin.
pub struct Approver {
    /// The account and what it sees.
    pub user: SessionUser,
    /// The chosen language.
    pub lang: Lang,
    /// The SHA-256 of the session's token (how the store knows the session).
    pub(super) token_hash: String,
}

impl Approver {
    /// Refuses a form whose CSRF token is not this session's.
    pub(crate) fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if accounts::same_secret(token, &self.user.csrf) {
            Ok(())
        } else {
            Err(WebError::Forbidden(self.lang))
        }
    }

    /// The page frame for this approver.
    pub(crate) fn chrome(&self, section: &'static str) -> Chrome {
        Chrome::signed_in(self.lang, &self.user, section)
    }
}

impl FromRequestParts<Hub> for Approver {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, hub: &Hub) -> Result<Self, Self::Rejection> {
        let Ok(lang) = Lang::from_request_parts(parts, hub).await;
        let sign_in = || WebError::SignIn {
            next: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
        };
        let token = cookie_value(&parts.headers, SESSION_COOKIE).ok_or_else(sign_in)?;
        let token_hash = sha256_hex(token.as_bytes());
        let user = hub
            .store()
            .session(&token_hash, now_ms())
            .await
            .map_err(|e| WebError::Store(lang, e))?
            .ok_or_else(sign_in)?;
        Ok(Approver {
            user,
            lang,
            token_hash,
        })
    }
}

/// Where to go after signing in: one of the hub's own pages, else the inbox. Never another
/// site: `//host`, `/\\host` and paths with a tab, a line break or any other control character
/// (which browsers drop, turning `/\t/host` into `//host`) all lead to the inbox.
pub(crate) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if is_own_page(p) => p.to_owned(),
        _ => "/inbox".to_owned(),
    }
}

/// A clean path (printable ASCII, no backslash) to one of the hub's pages (also the ones the
/// language switch returns to: the sign-in page and the pages of mailed links).
fn is_own_page(next: &str) -> bool {
    let clean = next.bytes().all(|b| b.is_ascii_graphic()) && !next.contains('\\');
    let path = next.split(['?', '#']).next().unwrap_or_default();
    let page = matches!(path, "/inbox" | "/tasks" | "/keys" | "/login")
        || ["/requests/", "/tasks/", "/email/"]
            .iter()
            .any(|prefix| path.starts_with(prefix) && !path[prefix.len()..].starts_with('/'));
    clean && page
}

/// Query of `GET /login`.
#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
}

/// `GET /login`: the sign-in form.
pub(crate) async fn login_form(
    lang: Lang,
    Extension(config): Extension<WebConfig>,
    Query(q): Query<LoginQuery>,
) -> Response {
    login_page(
        lang,
        &config,
        local_path(q.next.as_deref()),
        None,
        StatusCode::OK,
    )
}

fn login_page(
    lang: Lang,
    config: &WebConfig,
    next: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf = accounts::random_token();
    let page = pages::LoginPage {
        chrome: Chrome::signed_out(lang),
        csrf: csrf.clone(),
        next,
        error,
    };
    let mut response = (status, pages::render(&page)).into_response();
    response.headers_mut().append(
        SET_COOKIE,
        set_cookie(LOGIN_COOKIE, csrf, 3600, config.secure_cookies),
    );
    response
}

/// The sign-in form.
#[derive(Deserialize)]
pub(crate) struct LoginForm {
    name: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

/// `POST /login`: checks the password (Argon2id) and starts a session.
pub async fn login(
    State(hub): State<Hub>,
    lang: Lang,
    Extension(config): Extension<WebConfig>,
    Extension(throttle): Extension<Arc<Throttle>>,
    client: ClientAddress,
    headers: HeaderMap,
    WebForm(form): WebForm<LoginForm>,
) -> Result<Response, WebError> {
    let next = local_path(form.next.as_deref());
    let expected = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !accounts::same_secret(&form.csrf, &expected) {
        return Err(WebError::Forbidden(lang));
    }
    // Only the address can be refused before the password is checked: a name's pause is
    // paid by the addresses guessing at it (see `throttle`), so its owner still gets in.
    if let Some(wait) = throttle.wait(client, Instant::now()) {
        let error = format!(
            "{} {}",
            lang.texts().too_many_attempts,
            wait.as_secs().max(1)
        );
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(login_page(lang, &config, next, Some(error), status));
    }
    let credentials = hub
        .store()
        .credentials(&form.name)
        .await
        .map_err(|e| WebError::Store(lang, e))?;
    let password = form.password;
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let user_id = tokio::task::spawn_blocking(move || match credentials {
        Some(c) if accounts::verify_password(&password, &c.password_hash) && !c.disabled => {
            Some(c.user_id)
        }
        Some(_) => None,
        None => {
            accounts::verify_nothing(&password);
            None
        }
    })
    .await
    .ok()
    .flatten();
    let Some(user_id) = user_id else {
        // `?`: the name is untrusted input, logged escaped (a line break or ESC cannot forge a line).
        let from = client.0.map(|ip| ip.to_string());
        tracing::warn!(name = ?form.name, client = from.as_deref().unwrap_or("-"), "failed sign-in to the web inbox");
        throttle.failed(&form.name, client, Instant::now());
        let error = Some(lang.texts().wrong_credentials.to_owned());
        return Ok(login_page(
            lang,
            &config,
            next,
            error,
            StatusCode::UNAUTHORIZED,
        ));
    };
    throttle.succeeded(&form.name);
    let token = accounts::random_token();
    hub.store()
        .start_session(
            &sha256_hex(token.as_bytes()),
            user_id,
            &accounts::random_token(),
            now_ms() + SESSION_TTL_MS,
        )
        .await
        .map_err(|e| WebError::Store(lang, e))?;
    let mut response = Redirect::to(&next).into_response();
    let headers = response.headers_mut();
    let secure = config.secure_cookies;
    headers.append(
        SET_COOKIE,
        set_cookie(SESSION_COOKIE, token, SESSION_TTL_MS / 1000, secure),
    );
    headers.append(
        SET_COOKIE,
        set_cookie(LOGIN_COOKIE, String::new(), 0, secure),
    );
    Ok(response)
}

/// A form that carries only the CSRF token.
#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    /// The session's CSRF token.
    pub csrf: String,
}

/// `POST /logout`: ends the session.
pub async fn logout(
    State(hub): State<Hub>,
    approver: Approver,
    Extension(config): Extension<WebConfig>,
    WebForm(form): WebForm<CsrfForm>,
) -> Result<Response, WebError> {
    approver.check_csrf(&form.csrf)?;
    hub.store()
        .end_session(&approver.token_hash)
        .await
        .map_err(|e| WebError::Store(approver.lang, e))?;
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(
        SET_COOKIE,
        set_cookie(SESSION_COOKIE, String::new(), 0, config.secure_cookies),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn sign_in_goes_back_only_to_clean_paths_of_the_hub() {
        for page in [
            "/inbox",
            "/inbox?status=pending&page=2",
            "/requests/01a236bb-8849-737d-bd2c-118ec35a8ab2",
            "/tasks",
            "/tasks/acme/nightly%20report",
            "/keys",
            "/login?next=%2Ftasks",
            "/email/abc.def",
        ] {
            assert_eq!(local_path(Some(page)), page);
        }
        for foreign in [
            "//evil.example/x",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/inbox\r\nSet-Cookie: x=y",
            "/inbox\u{7f}",
            "/\u{0}/evil.example",
            "/inbox /x",
            "/requests//evil.example",
            "https://evil.example/inbox",
            "/logout",
            "/assets/app.js",
            "inbox",
            "",
        ] {
            assert_eq!(local_path(Some(foreign)), "/inbox", "{foreign:?}");
        }
        assert_eq!(local_path(None), "/inbox");
    }
}
