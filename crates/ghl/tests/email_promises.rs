//! Promises of `ghl serve`'s email channel (docs/src/channels/email.md, the README) that
//! `email_serve.rs` leaves open, through the binary as an operator runs it: a link lives 7 days
//! by default (the hub's test clock crosses them); the link key is kept in the database, so a
//! link outlives a restart on the same file and means nothing to a hub on another; every
//! setting that cannot work stops the hub with exit code 3 and a message; the password is
//! taken from the environment only — no flag, no key of the configuration file.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{ghl_binary, post_json, HubProcess};
use gohumanloop_testkit::mail::{open, MailServer, Received};
use gohumanloop_testkit::until_blocking;
use reqwest::StatusCode;
use serde_json::json;

/// A week, the documented default life of a link (`--email-link-ttl 604800`).
const WEEK: i64 = 7 * 24 * 3600;

/// Bounds a wait that ends at once when things work (only against a hang).
const LIMIT: Duration = Duration::from_secs(60);

/// The environment variables of the email settings, removed from every `ghl` run here so that
/// only what a test gives counts.
const EMAIL_ENV: &[&str] = &[
    "GHL_EMAIL_SMTP",
    "GHL_EMAIL_SMTP_SECURITY",
    "GHL_EMAIL_IMAP",
    "GHL_EMAIL_IMAP_SECURITY",
    "GHL_EMAIL_USERNAME",
    "GOHUMANLOOP_EMAIL_USERNAME",
    "GHL_EMAIL_PASSWORD",
    "GOHUMANLOOP_EMAIL_PASSWORD",
    "GHL_EMAIL_FROM",
    "GHL_EMAIL_ROUTES",
    "GHL_EMAIL_CA",
    "GHL_EMAIL_LINK_TTL",
    "GHL_PUBLIC_URL",
    "GHL_CONFIG",
];

/// How a `ghl` run ended.
struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `ghl ARGS` with only `envs` of the email settings; fails the test if it has not ended
/// within [`LIMIT`] (a hub that started instead of stopping).
fn run(args: &[&str], envs: &[(&str, &str)]) -> Ended {
    let mut command = Command::new(ghl_binary());
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in EMAIL_ENV {
        command.env_remove(name);
    }
    command.envs(envs.iter().copied());
    let mut child = command.spawn().expect("ghl runs");
    let what = format!("ghl {} to end", args.join(" "));
    let ended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        until_blocking(&what, LIMIT, || child.try_wait().ok().flatten())
    }));
    let status = match ended {
        Ok(status) => status,
        Err(panic) => {
            let _ = child.kill();
            let _ = child.wait();
            std::panic::resume_unwind(panic);
        }
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).expect("stdout is text");
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr).expect("stderr is text");
    }
    Ended {
        code: status.code(),
        stdout,
        stderr,
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
}

/// `ghl serve` arguments for an email channel on the test mail server, sending as `sender`
/// (STARTTLS, links only), trusting the server's CA (written into `dir`).
fn email_args(server: &MailServer, sender: &str, dir: &std::path::Path) -> Vec<String> {
    let ca = dir.join("mail-ca.pem");
    std::fs::write(&ca, &server.ca_pem).expect("the CA is written");
    [
        "--email-smtp",
        &format!("{}:{}", server.host, server.smtp_port),
        "--email-smtp-security",
        "starttls",
        "--email-username",
        sender,
        "--email-ca",
        &ca.display().to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// `ghl serve` on the test mail server (and the given extra arguments), on a database of its
/// own; the hub and an agent's key.
fn mailing_hub(server: &MailServer, extra: &[&str]) -> (HubProcess, String, tempfile::TempDir) {
    let ca_dir = tempfile::tempdir().expect("a folder");
    let mut args = email_args(server, &server.address("hub"), ca_dir.path());
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let hub = HubProcess::start_with(&args, &[("GHL_EMAIL_PASSWORD", &server.password)]);
    let key = hub.key("acme", "agent");
    (hub, key, ca_dir)
}

/// Asks `hub` for an approval mailed to `to` (no deadline).
async fn ask(hub: &HubProcess, key: &str, rid: &str, to: &str) {
    let body = json!({
        "task_id": "t1", "conversation_id": format!("c-{rid}"), "request_id": rid,
        "loop_type": "approval", "context": {"message": "Restart the database?"},
        "platform": "GoHumanLoop", "metadata": {"recipient_email": to},
    });
    let created = post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        key,
        &body,
    )
    .await;
    assert_eq!(created["success"], true, "{created}");
}

/// The token of the mail's `label` link (`…/email/TOKEN`).
fn token(mail: &Received, label: &str) -> String {
    mail.text
        .lines()
        .filter_map(|l| l.split_once(": http"))
        .find(|(l, rest)| l.trim().starts_with(label) && rest.contains("/email/"))
        .and_then(|(_, rest)| rest.rsplit_once("/email/"))
        .map(|(_, token)| token.trim().to_owned())
        .unwrap_or_else(|| panic!("no {label} link in {}", mail.text))
}

/// `method {base}/email/{token}`: the status and the page.
async fn open_link(method: reqwest::Method, base: &str, token: &str) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .request(method, format!("{base}/email/{token}"))
        .form(&[("text", "")])
        .send()
        .await
        .expect("the hub answers");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

/// Moves the hub's clock (`--test-clock`) forward by `secs`; the hub's time (Unix s).
async fn advance(hub: &HubProcess, key: &str, secs: i64) -> i64 {
    let url = format!("{}/api/v1/test/clock", hub.base);
    let moved = post_json(&url, key, &json!({ "advance_secs": secs })).await;
    moved["now_ms"].as_i64().expect("the hub's time") / 1000
}

/// Promise: "`--email-link-ttl SECS` … default `604800` (7 days): how long links live for a
/// request without a deadline" (README: "stops … after `--email-link-ttl`, 7 days"). A hub run
/// without the flag mails a link whose signed expiry is the request's creation plus 604,800 s;
/// on the hub's clock a minute before then it opens, a minute after it is refused with 410.
///
/// Checked by: `default_value_t = 7 * 24 * 3600 + 600` for `email_link_ttl` in
/// `ghl/src/serve_email.rs` fails with "the link expires 605400 s after the request, not a
/// week"; `now >= expires_at + 3600` in `LinkSigner::verify` (`hub/src/channels/email/
/// links.rs`) fails with the link still opening (200, not 410) a minute after the week.
#[tokio::test]
async fn links_live_seven_days_by_default() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let (hub, key, _ca) = mailing_hub(&server, &["--test-clock"]);
    let approver = server.address("approver");
    let before = unix_now();
    ask(&hub, &key, "week", &approver).await;
    let mail = open(&server.wait_for(&approver, 1).await[0]);
    let after = unix_now();
    let approve = token(&mail, "Approve");
    let expires: i64 = approve
        .split('.')
        .nth(2)
        .and_then(|t| t.parse().ok())
        .expect("the token names its expiry");
    assert!(
        (before..=after).contains(&(expires - WEEK)),
        "the link expires {} s after the request, not a week",
        expires - before
    );

    // A minute before the week is over (on the hub's clock): the link still opens.
    let now = advance(&hub, &key, expires - 60 - unix_now()).await;
    assert!(now < expires, "{now} < {expires}");
    let (status, page) = open_link(reqwest::Method::GET, &hub.base, &approve).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // A minute after: refused as expired, and the request is untouched.
    advance(&hub, &key, 120).await;
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let (status, page) = open_link(method, &hub.base, &approve).await;
        assert_eq!(status, StatusCode::GONE, "{page}");
        assert!(page.contains("expired"), "{page}");
    }
    let url = format!(
        "{}/api/v1/humanloop/status?conversation_id=c-week&request_id=week&platform=GoHumanLoop",
        hub.base
    );
    let status = common::get_json(&url, &key).await;
    assert_eq!(status["status"], "pending", "{status}");
}

/// Promise: "sealed with HMAC-SHA256 under a 256-bit key the hub generates once and keeps in
/// its database (so links survive restarts …)". A link mailed by one `ghl serve` is killed
/// with its hub (SIGKILL), then opened — and used — on a new process on the same database
/// file; a hub on another database refuses it (403); the database holds a 32-byte key.
///
/// Checked by: a fresh key at every start (`hub.store().secret(LINK_KEY, …)` replaced by
/// `fresh.to_vec()` in `hub/src/channels/email/mod.rs`) fails with the restarted hub
/// answering 403 where 200 was expected.
#[tokio::test]
async fn links_outlive_a_restart_on_the_same_database_only() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let (mut hub, key, _ca) = mailing_hub(&server, &[]);
    let approver = server.address("approver");
    ask(&hub, &key, "kept", &approver).await;
    let mail = open(&server.wait_for(&approver, 1).await[0]);
    let approve = token(&mail, "Approve");
    hub.kill();

    // The same database, a new process (on a new port: the token is what counts).
    hub.spawn("127.0.0.1:0");
    let (status, page) = open_link(reqwest::Method::GET, &hub.base, &approve).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the restarted hub takes the link: {page}"
    );
    // Another hub, another database: the same token is not its link.
    let (other, _, _other_ca) = mailing_hub(&server, &[]);
    let (status, page) = open_link(reqwest::Method::GET, &other.base, &approve).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    // And it answers on the hub that made it.
    let (status, page) = open_link(reqwest::Method::POST, &hub.base, &approve).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let url = format!(
        "{}/api/v1/humanloop/status?conversation_id=c-kept&request_id=kept&platform=GoHumanLoop",
        hub.base
    );
    let status = common::get_json(&url, &key).await;
    assert_eq!(
        (&status["status"], &status["responded_by"]),
        (&json!("approved"), &json!(approver)),
        "{status}"
    );

    // The key, as the database holds it (read beside the running hub).
    let pool = sqlx::SqlitePool::connect(&format!("{}?mode=ro", hub.db_url()))
        .await
        .expect("the hub's database opens");
    let keys: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT name, value FROM hub_secrets")
        .fetch_all(&pool)
        .await
        .expect("the hub's secrets");
    pool.close().await;
    let link_keys: Vec<usize> = keys
        .iter()
        .filter(|(name, _)| name.contains("link"))
        .map(|(_, value)| value.len())
        .collect();
    assert_eq!(link_keys, [32], "one 256-bit link key: {keys:?}");
}

/// A case of [`every_setting_that_cannot_work_stops_the_hub`]: the flags, the environment, and
/// what the error must say.
type Case<'a> = (Vec<&'a str>, &'a [(&'a str, &'a str)], &'a str);

/// Promise: "Settings that cannot work stop `ghl serve` with exit code 3 and a message: a
/// username without a password, neither `--email-from` nor a username, `--email-imap` without
/// a login, a bad `HOST:PORT`, security mode, route or CA file." Each case, on a fresh
/// database, ends with 3, a message naming the problem, and no `listening on`; and
/// `--check-config` ("0 if the hub could start with them, 3 naming each problem", cli.md)
/// finds the same problem.
///
/// Checked by: the IMAP-without-login check in `ghl/src/serve_email.rs::config` removed fails
/// with `--check-config` exiting 0 ("configuration OK") — as it did before that check was
/// added; the `security` parse in `serve_email.rs::server` ignored fails with the hub starting
/// ("ghl serve … to end, in vain").
#[test]
fn every_setting_that_cannot_work_stops_the_hub() {
    let dir = tempfile::tempdir().expect("a folder");
    let garbage = dir.path().join("not-a-ca.pem");
    std::fs::write(&garbage, "this is no certificate\n").expect("written");
    let garbage = garbage.display().to_string();
    let password = [("GHL_EMAIL_PASSWORD", "the-password")];
    let none: [(&str, &str); 0] = [];
    let from = [
        "--email-smtp",
        "127.0.0.1:1",
        "--email-from",
        "hub@ghl.test",
    ];
    let cases: Vec<Case> = vec![
        (
            vec![
                "--email-smtp",
                "127.0.0.1:1",
                "--email-username",
                "hub@ghl.test",
            ],
            &none,
            "needs GHL_EMAIL_PASSWORD",
        ),
        (
            vec!["--email-smtp", "127.0.0.1:1"],
            &password,
            "needs --email-from or --email-username",
        ),
        (
            [&from[..], &["--email-imap", "127.0.0.1:2"]].concat(),
            &none,
            "needs a login",
        ),
        (
            vec![
                "--email-smtp",
                "127.0.0.1:port",
                "--email-from",
                "hub@ghl.test",
            ],
            &none,
            "'port' is not a port",
        ),
        (
            [&from[..], &["--email-imap", "imap.example.com"]].concat(),
            &none,
            "'imap.example.com' is not HOST:PORT",
        ),
        (
            [&from[..], &["--email-smtp-security", "sometimes"]].concat(),
            &none,
            "'sometimes' is not tls, starttls or plain",
        ),
        (
            [
                &from[..],
                &[
                    "--email-username",
                    "hub@ghl.test",
                    "--email-imap",
                    "127.0.0.1:2",
                ],
                &["--email-imap-security", "maybe"],
            ]
            .concat(),
            &password,
            "'maybe' is not tls, starttls or plain",
        ),
        (
            [&from[..], &["--email-route", "ops@example.com"]].concat(),
            &none,
            "is not PLATFORM=ADDRESS",
        ),
        (
            [&from[..], &["--email-route", "*=nobody"]].concat(),
            &none,
            "names no valid address",
        ),
        (
            [&from[..], &["--email-ca", "/nonexistent/ca.pem"]].concat(),
            &none,
            "cannot read the CA file",
        ),
        (
            [&from[..], &["--email-ca", garbage.as_str()]].concat(),
            &none,
            "the CA file holds no certificate",
        ),
    ];
    for (n, (extra, envs, says)) in cases.into_iter().enumerate() {
        let db = format!("sqlite://{}", dir.path().join(format!("{n}.db")).display());
        let serve = ["serve", "--addr", "127.0.0.1:0", "--db", &db];
        // `ghl serve`, and `--check-config`, which must find the same problem.
        for check in [&[][..], &["--check-config"][..]] {
            let args = [&serve[..], check, &extra[..]].concat();
            let ended = run(&args, envs);
            assert_eq!(ended.code, Some(3), "{args:?}: {}", ended.stderr);
            assert!(ended.stderr.contains(says), "{args:?}: {}", ended.stderr);
            assert!(
                !ended.stdout.contains("listening on") && !ended.stdout.contains("OK"),
                "{args:?}: {}",
                ended.stdout
            );
        }
    }
}

/// Promise: the password comes from "`GHL_EMAIL_PASSWORD`, else `GOHUMANLOOP_EMAIL_PASSWORD`
/// — **only** from the environment, never from the command line" (README: "The email password
/// is read from `GHL_EMAIL_PASSWORD` only"; a key the file does not know is a problem, exit 3;
/// usage errors exit 3). With either variable `--check-config` passes; a `--email-password`
/// flag is an unknown argument (3); `password` in `[email]`, or `email_password` at the top,
/// is refused by name (3) — with the variable set too, and without the value in the message.
///
/// Checked by: a `--email-password` flag added to `EmailArgs` (read before the environment)
/// fails with the flag's run exiting 0 (`left: Some(0)`); with `("password",
/// "email-password", Kind::One)` added to `config.rs`'s `[email]` keys as well, the file's run
/// exits 0 ("email.password: left: Some(0)").
#[test]
fn the_password_is_taken_from_the_environment_only() {
    let base = [
        "serve",
        "--check-config",
        "--email-smtp",
        "127.0.0.1:1",
        "--email-username",
        "hub@ghl.test",
    ];
    for var in ["GHL_EMAIL_PASSWORD", "GOHUMANLOOP_EMAIL_PASSWORD"] {
        let ended = run(&base, &[(var, "from-the-environment")]);
        assert_eq!(ended.code, Some(0), "{var}: {}", ended.stderr);
        assert!(
            ended.stdout.contains("email channel on"),
            "{}",
            ended.stdout
        );
    }
    let ended = run(&base, &[]);
    assert_eq!(ended.code, Some(3), "{}", ended.stderr);
    assert!(
        ended.stderr.contains("GHL_EMAIL_PASSWORD"),
        "{}",
        ended.stderr
    );

    // A key of the configuration file: refused by name, never echoed.
    let dir = tempfile::tempdir().expect("a folder");
    for (file, key) in [
        (
            "[email]\nsmtp = \"127.0.0.1:1\"\nusername = \"hub@ghl.test\"\npassword = \"kept-in-the-file\"\n",
            "email.password",
        ),
        (
            "email_password = \"kept-in-the-file\"\n[email]\nsmtp = \"127.0.0.1:1\"\nusername = \"hub@ghl.test\"\n",
            "email_password",
        ),
    ] {
        let path = dir.path().join("ghl.toml");
        std::fs::write(&path, file).expect("written");
        let path = path.display().to_string();
        let args = ["serve", "--check-config", "--config", &path];
        for envs in [&[][..], &[("GHL_EMAIL_PASSWORD", "from-the-environment")][..]] {
            let ended = run(&args, envs);
            assert_eq!(ended.code, Some(3), "{key}: {}", ended.stderr);
            assert!(ended.stderr.contains(key), "{key}: {}", ended.stderr);
            assert!(
                !format!("{}{}", ended.stdout, ended.stderr).contains("kept-in-the-file"),
                "the value is never shown: {}",
                ended.stderr
            );
        }
    }

    // A flag: not one of `ghl serve`'s.
    for flag in [
        vec!["--email-password", "given-on-the-command-line"],
        vec!["--email-password=given-on-the-command-line"],
    ] {
        let ended = run(&[&base[..], &flag[..]].concat(), &[]);
        assert_eq!(ended.code, Some(3), "{flag:?}: {}", ended.stderr);
        assert!(
            ended
                .stderr
                .contains("unexpected argument '--email-password"),
            "{}",
            ended.stderr
        );
    }
}
