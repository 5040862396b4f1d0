//! `ghl serve --secure-cookies` marks the web inbox's cookies `Secure` — the session cookie
//! `ghl_session` and the sign-in form's `ghl_login` — and without the flag they are not
//! (README §Web inbox; docs/src/hub.md; docs/src/operations.md).

mod common;

use common::HubProcess;

/// The `Set-Cookie` lines for `name` that a sign-in on the hub at `base` gets: the form's
/// (`GET /login`) and the signed-in reply's (`POST /login`).
async fn sign_in_cookies(base: &str, user: &str, password: &str) -> Vec<String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let set_cookies = |reply: &reqwest::Response| {
        reply
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let form = http.get(format!("{base}/login")).send().await.unwrap();
    let mut all = set_cookies(&form);
    let pair = |c: &String| c.split(';').next().unwrap().to_owned();
    let form_cookies: Vec<String> = all.iter().map(pair).collect();
    let page = form.text().await.unwrap();
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    let csrf = page[start..].split('"').next().unwrap().to_owned();
    let signed_in = http
        .post(format!("{base}/login"))
        .header("cookie", form_cookies.join("; "))
        .form(&[("name", user), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), reqwest::StatusCode::SEE_OTHER);
    all.extend(set_cookies(&signed_in));
    all
}

/// Whether a `Set-Cookie` line has the `Secure` attribute.
fn is_secure(line: &str) -> bool {
    line.split(';')
        .skip(1)
        .any(|attribute| attribute.trim().eq_ignore_ascii_case("secure"))
}

/// With `--secure-cookies` both cookies carry `Secure`; without it neither does.
///
/// Checked that it can fail: with `ghl serve` passing `secure_cookies: false` to the web inbox
/// whatever the flag (`crates/ghl/src/serve.rs`), the first half failed; with `true`, the
/// second half failed (each undone at once).
#[tokio::test]
async fn secure_cookies_marks_the_session_and_login_cookies_secure_only_when_on() {
    for (flag, secure) in [(true, true), (false, false)] {
        let args: &[&str] = if flag { &["--secure-cookies"] } else { &[] };
        let hub = HubProcess::start_with(args, &[]);
        let password = hub.user("alice", "approver", &["a"]);
        let cookies = sign_in_cookies(&hub.base, "alice", &password).await;
        for name in ["ghl_login", "ghl_session"] {
            let lines: Vec<&String> = cookies
                .iter()
                .filter(|c| c.starts_with(&format!("{name}=")))
                .collect();
            assert!(!lines.is_empty(), "no {name} cookie: {cookies:?}");
            for line in lines {
                assert_eq!(is_secure(line), secure, "--secure-cookies {flag}: {line}");
            }
        }
    }
}
