//! Promises of the library's `EmailProvider` (docs/src/channels/email.md, the README) that
//! `email_provider.rs` leaves open: `EmailOptions`' defaults (check interval 60 s, Chinese,
//! `INBOX`, the transport security from the port); the mail says it is automatic
//! (`Auto-Submitted: auto-generated`) and an automatic reply is not taken as the answer
//! (against the real test mail server); a mailbox that cannot be read ends the waiting
//! requests in `error` instead of leaving them waiting (a tiny IMAP server of the test's own
//! refuses the login).
//!
//! Needs the crate's `email` feature (as `email_provider.rs`): `cargo test -p gohumanloop
//! --features email --test email_promises`; `cargo test --workspace` has it.

#![cfg(feature = "email")]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gohumanloop::model::{HumanLoopRequest, HumanLoopResult, LoopType, Status};
use gohumanloop::providers::email::{
    EmailLanguage, EmailOptions, EmailProvider, Security, PASSWORD_ENV, USERNAME_ENV,
};
use gohumanloop::Provider;
use gohumanloop_testkit::mail::{auto_reply, open, reply, MailServer};
use serde_json::json;

/// Bounds a wait that ends at once when things work (only against a hang).
const LIMIT: Duration = Duration::from_secs(60);

/// An approval request mailed to `to`.
fn approval(conversation: &str, to: &str) -> HumanLoopRequest {
    let context = json!({"message": "Rotate the DB password?"});
    let mut request = HumanLoopRequest::new(
        "deploy-42",
        conversation,
        LoopType::Approval,
        context.as_object().cloned().expect("an object"),
    );
    request.metadata = json!({ "recipient_email": to })
        .as_object()
        .cloned()
        .expect("an object");
    request
}

/// The request's outcome once it is no longer pending (bounded by [`LIMIT`]).
async fn outcome(provider: &EmailProvider, pending: &HumanLoopResult) -> HumanLoopResult {
    let mut rx = provider
        .subscribe(&pending.conversation_id, &pending.request_id)
        .expect("the request is known");
    let waited = tokio::time::timeout(LIMIT, rx.wait_for(|r| r.status != Status::Pending)).await;
    let done = match waited {
        Ok(Ok(result)) => result.clone(),
        _ => panic!("{} still pending after {LIMIT:?}", pending.request_id),
    };
    done
}

/// Promise: "`EmailOptions::new(smtp_host, smtp_port, imap_host, imap_port)` takes the
/// original's four required options; the rest keep the original's defaults: check interval
/// 60 s, language Chinese (`EmailLanguage::Zh`), mailbox `INBOX`" — and IDLE where offered,
/// the login from the environment, the transport security from each port.
///
/// Checked by: the default `check_interval` at 30 s in `EmailOptions::new` fails with
/// `left: 30s, right: 60s`; 2525 dropped from `Security::for_port` fails with "2525/10993
/// left: (Tls, Tls)".
#[test]
fn options_keep_the_originals_defaults() {
    let options = EmailOptions::new("smtp.example.com", 587, "imap.example.com", 993);
    assert_eq!(options.check_interval, Duration::from_secs(60));
    assert_eq!(options.language, EmailLanguage::Zh);
    assert_eq!(options.mailbox, "INBOX");
    assert!(options.idle, "IDLE where the server offers it");
    assert_eq!(
        (&options.username, &options.password, &options.sender),
        (&None, &None, &None),
        "the login comes from {USERNAME_ENV} / {PASSWORD_ENV} unless given"
    );
    assert_eq!(
        (options.smtp.security, options.imap.security),
        (Security::StartTls, Security::Tls)
    );
    // The mode from the port: 465/993 and unlisted ports TLS, 25/587/2525/143 STARTTLS.
    for (smtp, imap, expected) in [
        (465, 993, (Security::Tls, Security::Tls)),
        (25, 143, (Security::StartTls, Security::StartTls)),
        (2525, 10993, (Security::StartTls, Security::Tls)),
        (10025, 10143, (Security::Tls, Security::Tls)),
    ] {
        let o = EmailOptions::new("h", smtp, "h", imap);
        assert_eq!(
            (o.smtp.security, o.imap.security),
            expected,
            "{smtp}/{imap}"
        );
    }
    // The builder changes only what it names.
    let polled = options
        .clone()
        .poll_only()
        .check_interval(Duration::from_secs(5));
    assert_eq!(
        (polled.idle, polled.check_interval, polled.language),
        (false, Duration::from_secs(5), EmailLanguage::Zh)
    );
}

/// Promise: the mail "carries `Auto-Submitted: auto-generated`", and "automatic mails
/// (`Auto-Submitted` other than `no` …) are ignored" — the same parser for the provider as for
/// the hub. With the options' defaults the mail is in Chinese; as the approver's mailbox holds
/// it, it has the header. An automatic reply in the thread reading `Decision: approve` reaches
/// the provider's mailbox before the approver's `Decision: reject`: the request ends rejected.
///
/// Checked by: removing `.header(AutoSubmitted)` in `src/providers/email/compose.rs` fails
/// with "no Auto-Submitted header"; dropping the `automatic` check in `reply/mail.rs` fails
/// with `left: Approved, right: Rejected`.
#[tokio::test]
async fn the_mail_says_it_is_automatic_and_automatic_replies_are_ignored() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let agent = server.address("agent");
    let approver = server.address("approver");
    let options = EmailOptions::new(
        &server.host,
        server.smtp_port,
        &server.host,
        server.imaps_port,
    )
    .security(Security::StartTls, Security::Tls)
    .login(&agent, &server.password)
    .trust_ca_pem(server.ca_pem.clone());
    let provider = EmailProvider::new("agent", options).expect("a provider");
    let pending = provider
        .request(approval("c-ooo", &approver))
        .await
        .expect("the request is taken");
    assert_eq!(pending.status, Status::Pending, "{:?}", pending.error);

    let raw = server.wait_for(&approver, 1).await.remove(0);
    let parsed = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("the mail parses");
    assert_eq!(
        parsed.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-generated"),
        "no Auto-Submitted header on the mail the approver got"
    );
    let mail = open(&raw);
    assert!(
        mail.text.contains("决定：") && mail.text.contains("理由："),
        "the default language is Chinese: {}",
        mail.text
    );

    let automatic = auto_reply(&mail, &approver, "Decision: approve\nReason: I am away");
    server.send(&approver, automatic).await;
    // In the provider's mailbox before the approver's own reply: mails are read in mailbox
    // order, so an automatic reply taken as an answer would have decided first.
    server.wait_for(&agent, 1).await;
    server
        .send(
            &approver,
            reply(&mail, &approver, "Decision: reject\nReason: not now"),
        )
        .await;
    let done = outcome(&provider, &pending).await;
    assert_eq!(done.status, Status::Rejected, "{done:?}");
    assert_eq!(done.response["reason"], "not now");
}

/// A tiny IMAP server on 127.0.0.1 that greets and refuses every login; the commands it heard.
fn refusing_imap() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let log = heard.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                let Ok(read) = stream.try_clone() else { return };
                if stream
                    .write_all(b"* OK [CAPABILITY IMAP4rev1 IDLE] fake ready\r\n")
                    .is_err()
                {
                    return;
                }
                for line in BufReader::new(read).lines() {
                    let Ok(line) = line else { return };
                    let mut words = line.split_whitespace();
                    let (tag, verb) = (words.next().unwrap_or("*"), words.next().unwrap_or(""));
                    log.lock().expect("the log").push(verb.to_ascii_uppercase());
                    let answer = match verb.to_ascii_uppercase().as_str() {
                        "LOGIN" | "AUTHENTICATE" => {
                            format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n")
                        }
                        "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 IDLE\r\n{tag} OK done\r\n"),
                        "LOGOUT" => format!("* BYE\r\n{tag} OK bye\r\n"),
                        _ => format!("{tag} BAD not here\r\n"),
                    };
                    if stream.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, heard)
}

/// Promise: "If the mailbox cannot be read, the waiting requests end in `error` rather than
/// waiting forever." The mails go out through the real test server; the mailbox is a server
/// that refuses the login: both waiting requests end in `error`, saying why.
///
/// Checked by: an empty `Inbox::broken` for the provider's replies (`src/providers/email/
/// provider.rs`) fails with "… still pending after 60s".
#[tokio::test]
async fn an_unreadable_mailbox_ends_the_waiting_requests_in_error() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let (imap_port, heard) = refusing_imap();
    let agent = server.address("agent");
    let approver = server.address("approver");
    let options = EmailOptions::new(&server.host, server.smtp_port, "127.0.0.1", imap_port)
        .security(Security::StartTls, Security::Plain)
        .login(&agent, &server.password)
        .trust_ca_pem(server.ca_pem.clone());
    let provider = EmailProvider::new("agent", options).expect("a provider");
    let mut waiting = Vec::new();
    for conversation in ["c-1", "c-2"] {
        // Mailed, then waiting — or already ended: the refused login may come before the
        // snapshot `request` returns.
        let pending = provider
            .request(approval(conversation, &approver))
            .await
            .expect("the request is taken");
        waiting.push(pending);
    }
    for pending in &waiting {
        let done = outcome(&provider, pending).await;
        assert_eq!(done.status, Status::Error, "{done:?}");
        let error = done.error.unwrap_or_default();
        assert!(error.contains("login failed"), "{error}");
    }
    assert!(
        heard.lock().expect("the log").iter().any(|c| c == "LOGIN"),
        "the mailbox was asked: {:?}",
        heard.lock().expect("the log")
    );
    // The mails did go out: the error is the mailbox's, not the sending's.
    assert_eq!(server.wait_for(&approver, 2).await.len(), 2);
}
