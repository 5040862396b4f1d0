//! A browser-like HTTP client for the web inbox: keeps its cookies by hand, reads the CSRF token
//! from the page, never follows redirects (so tests see them).

#![allow(dead_code)]

use gohumanloop_hub::accounts::{hash_password, Role};
use gohumanloop_hub::store::Store;
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

pub const PASSWORD: &str = "a long enough password";

/// A hub with accounts: alice and bob see tenant "a", mallory sees "b", root is an admin.
pub async fn hub_with_accounts() -> crate::common::TestHub {
    let hub = crate::common::TestHub::start().await;
    let store = hub.store.as_ref();
    add_user(store, "alice", Role::Approver, &["a"]).await;
    add_user(store, "bob", Role::Approver, &["a"]).await;
    add_user(store, "mallory", Role::Approver, &["b"]).await;
    add_user(store, "root", Role::Admin, &[]).await;
    hub
}

/// Makes an account with the test password, seeing `tenants`.
pub async fn add_user(store: &dyn Store, name: &str, role: Role, tenants: &[&str]) {
    store
        .add_user(name, &hash_password(PASSWORD).unwrap(), role)
        .await
        .unwrap();
    for tenant in tenants {
        assert!(store.grant(name, tenant).await.unwrap());
    }
}

/// A page as the browser got it.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The first `name="csrf" value="…"` of the page.
    pub fn csrf(&self) -> String {
        let start = self
            .body
            .find(r#"name="csrf" value=""#)
            .expect("a csrf field")
            + 19;
        self.body[start..].split('"').next().unwrap().to_owned()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }
}

pub struct Browser {
    pub base: String,
    http: reqwest::Client,
    pub cookies: Vec<(String, String)>,
    pub csrf: String,
    /// Sent as `X-Forwarded-For` (a client behind a proxy), when set.
    pub forwarded_for: Option<String>,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
            csrf: String::new(),
            forwarded_for: None,
        }
    }

    /// Another tab of the same signed-in session.
    pub fn fork(&self) -> Self {
        let mut tab = Self::new(&self.base);
        tab.cookies = self.cookies.clone();
        tab.csrf = self.csrf.clone();
        tab
    }

    /// Signs in; panics unless it worked.
    pub async fn signed_in(base: &str, name: &str) -> Self {
        let mut browser = Self::new(base);
        let page = browser.sign_in(name, PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        let inbox = browser.get("/inbox").await;
        assert_eq!(inbox.status, StatusCode::OK);
        browser.csrf = inbox.csrf();
        browser
    }

    pub async fn sign_in(&mut self, name: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = form.csrf();
        self.post(
            "/login",
            &[("name", name), ("password", password), ("csrf", &csrf)],
        )
        .await
    }

    fn remember(&mut self, page: &Page) {
        for set in page.set_cookies() {
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            let expired = set.contains("Max-Age=0");
            if !expired {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = if self.cookies.is_empty() {
            request
        } else {
            request.header(COOKIE, self.cookie_header())
        };
        let request = match &self.forwarded_for {
            Some(client) => request.header("x-forwarded-for", client),
            None => request,
        };
        let response = request.send().await.unwrap();
        let page = Page {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        };
        self.remember(&page);
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let request = self.http.get(format!("{}{path}", self.base));
        self.finish(request).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let request = self.http.post(format!("{}{path}", self.base)).form(form);
        self.finish(request).await
    }

    /// Posts an action form with this session's CSRF token.
    pub async fn act(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post(path, &form).await
    }
}
