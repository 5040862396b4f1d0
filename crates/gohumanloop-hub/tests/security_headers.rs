//! The security headers every page of the hub is sent with (docs/src/channels/web-inbox.md
//! §Security headers, README §Web inbox): the whole set, with the guide's values written out
//! here as literals, on every kind of page — the sign-in page, the inbox, a request page, the
//! task list, the keys page, an email link's page (a good link and a refused one) and the error
//! pages (404, 403).

mod common;
mod web;

use common::TestHub;
use gohumanloop::providers::email::ServerSettings;
use gohumanloop_hub::accounts::Role;
use gohumanloop_hub::channels::email::links::{Action, Link};
use gohumanloop_hub::channels::email::EmailChannelConfig;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use web::{add_user, Browser};

/// The guide's Content-Security-Policy, in full.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Asserts the guide's whole header set on the page `what` got.
fn assert_headers(what: &str, status: StatusCode, headers: &HeaderMap) {
    let header = |name: &str| {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        values.join(" | ")
    };
    for (name, value) in [
        ("content-security-policy", CSP),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(header(name), value, "{what} ({status}): {name}");
    }
    let timing = header("server-timing");
    let ms = timing
        .strip_prefix("app;dur=")
        .unwrap_or_else(|| panic!("{what} ({status}): server-timing '{timing}'"));
    assert!(
        ms.parse::<f64>().is_ok(),
        "{what}: server-timing '{timing}'"
    );
    let content_type = header("content-type");
    assert!(
        content_type.starts_with("text/html"),
        "{what} ({status}) is a page: {content_type}"
    );
}

/// Every kind of page carries the whole set.
///
/// Checked that it can fail (each change undone at once): with the `X-Content-Type-Options`
/// line taken out of `html::security_headers`, with `html::pages::render` sending
/// `Cache-Control: private`, and with `frame-ancestors 'none'` dropped from the CSP, this test
/// failed on the first page (`/login`), naming the header.
#[tokio::test]
async fn every_page_carries_the_whole_set_of_security_headers() {
    // The email channel only for its link pages: its SMTP server is a closed loopback port, and
    // no request here names a recipient, so nothing is ever mailed.
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (hub, channel) = TestHub::start_with_email(|base| {
        EmailChannelConfig::new(
            ServerSettings::new("127.0.0.1", closed_port),
            "hub@ghl.test",
            base,
        )
    })
    .await;
    let store = hub.store.as_ref();
    add_user(store, "alice", Role::Approver, &["a"]).await;
    add_user(store, "root", Role::Admin, &[]).await;
    hub.create(&hub.keys.agent, "c1", "r1").await;
    let id = hub.hub_id("r1").await;

    let mut pages: Vec<(String, StatusCode, HeaderMap)> = Vec::new();
    let mut anonymous = Browser::new(&hub.base);
    let login = anonymous.get("/login").await;
    pages.push(("/login".into(), login.status, login.headers));
    let bad_sign_in = anonymous.sign_in("alice", "not the password").await;
    assert_eq!(bad_sign_in.status, StatusCode::UNAUTHORIZED);
    pages.push((
        "/login (wrong password)".into(),
        bad_sign_in.status,
        bad_sign_in.headers,
    ));

    let mut alice = Browser::signed_in(&hub.base, "alice").await;
    for path in [
        "/inbox".to_owned(),
        format!("/requests/{id}"),
        "/tasks".to_owned(),
        // Error pages: an unknown request (404) and an admin's page (403 for an approver).
        "/requests/no-such-request".to_owned(),
        "/keys".to_owned(),
    ] {
        let page = alice.get(&path).await;
        pages.push((format!("{path} (alice)"), page.status, page.headers));
    }
    let mut root = Browser::signed_in(&hub.base, "root").await;
    let keys = root.get("/keys").await;
    pages.push(("/keys (root)".into(), keys.status, keys.headers));

    // An email link's page, minted with the hub's own signer as a mail would carry it, and a
    // link that is not the hub's (its refusal page).
    let token = channel.signer().sign(&Link {
        request_id: id.clone(),
        action: Action::Approve,
        expires_at: chrono_now() + 3600,
        recipient: "approver@ghl.test".into(),
    });
    let http = reqwest::Client::new();
    for path in [format!("/email/{token}"), "/email/not.a.link.at.all".into()] {
        let reply = http
            .get(format!("{}{path}", hub.base))
            .send()
            .await
            .unwrap();
        pages.push((path, reply.status(), reply.headers().clone()));
    }

    let statuses: Vec<(String, u16)> = pages
        .iter()
        .map(|(what, status, _)| (what.clone(), status.as_u16()))
        .collect();
    let expected: Vec<(String, u16)> = [
        ("/login", 200),
        ("/login (wrong password)", 401),
        ("/inbox (alice)", 200),
        (&format!("/requests/{id} (alice)") as &str, 200),
        ("/tasks (alice)", 200),
        ("/requests/no-such-request (alice)", 404),
        ("/keys (alice)", 403),
        ("/keys (root)", 200),
        (&format!("/email/{token}"), 200),
        ("/email/not.a.link.at.all", 403),
    ]
    .into_iter()
    .map(|(w, s)| (w.to_owned(), s))
    .collect();
    assert_eq!(statuses, expected, "every kind of page was reached");
    for (what, status, headers) in &pages {
        assert_headers(what, *status, headers);
    }
    hub.stop().await;
}

/// Now, in Unix seconds.
fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
