//! Promises of the hub's email channel (docs/src/channels/email.md, the README's email part)
//! that its other tests leave open: the mail carries `Auto-Submitted: auto-generated` and an
//! automatic reply decides nothing (against the real test mail server); a mail that fails for
//! a while is tried three times in a row, then on the channels' schedule while its request
//! waits, always under the same `Message-ID`; STARTTLS is required — a server that does not
//! offer it never sees a login or a mail — and the mode follows the port. The last two run
//! against a tiny SMTP server of the test's own on loopback, which records what it is told.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::TestHub;
use gohumanloop::providers::email::{Login, Security, ServerSettings};
use gohumanloop_hub::channels::email::mail::mail_of;
use gohumanloop_hub::channels::email::EmailChannelConfig;
use gohumanloop_hub::record::now_ms;
use gohumanloop_hub::store::{Delivery, DeliveryState};
use gohumanloop_testkit::mail::{auto_reply, open, reply, MailServer};
use gohumanloop_testkit::until;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Bounds a wait that ends at once when things work (only against a hang).
const LIMIT: Duration = Duration::from_secs(60);

/// What a loaded machine may add to a documented delay before it is observed (an SMTP
/// exchange on loopback, a store write): the upper bounds below are the promise's figure
/// (the delay, or its jitter's top) plus this.
const SLACK_MS: i64 = 2_500;

/// A request for the original API, mailed to `to`.
fn body(rid: &str, to: &str) -> Value {
    json!({
        "task_id": "deploy-42",
        "conversation_id": format!("c-{rid}"),
        "request_id": rid,
        "loop_type": "approval",
        "context": {"message": "Ship release 2.3 to production", "question": "May I deploy?"},
        "platform": "test",
        "metadata": {"recipient_email": to},
    })
}

async fn create(hub: &TestHub, rid: &str, to: &str) -> String {
    let (status, reply) = hub
        .post(&hub.keys.agent, "/api/v1/humanloop/request", body(rid, to))
        .await;
    assert_eq!(
        (status, &reply["success"]),
        (StatusCode::OK, &json!(true)),
        "{reply}"
    );
    hub.hub_id(rid).await
}

/// The request's delivery on the email channel, once `ready` holds for it.
async fn email_delivery(
    hub: &TestHub,
    id: &str,
    what: &str,
    ready: impl Fn(&Delivery) -> bool,
) -> Delivery {
    until(what, LIMIT, || async {
        let all = hub.store.deliveries_of(id).await.ok()?;
        all.into_iter().find(|d| d.channel == "email" && ready(d))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// A tiny SMTP server of the test's own.

/// One mail the fake server was given (its DATA).
#[derive(Debug, Clone)]
struct Given {
    /// The `RCPT TO` addresses of its transaction.
    to: Vec<String>,
    /// Its text, as sent.
    raw: Vec<u8>,
    /// When its DATA ended, on the hub's clock (Unix ms) and on the test's.
    at_ms: i64,
    at: Instant,
    /// Whether it was answered `451` (try again later) rather than `250`.
    refused: bool,
}

impl Given {
    fn message_id(&self) -> String {
        open(&self.raw).message_id
    }
}

#[derive(Debug, Default)]
struct Heard {
    /// Every command line, in order, from every connection.
    commands: Vec<String>,
    /// The first byte of each connection (a TLS ClientHello starts with `0x16`).
    first_bytes: Vec<u8>,
    /// Every mail's DATA, in order.
    mails: Vec<Given>,
    /// How many more mails are answered `451` at the end of their DATA.
    fail_next: u32,
}

/// A plain SMTP server on 127.0.0.1 that offers `AUTH` and `8BITMIME` but no `STARTTLS`,
/// takes everything and records it.
struct FakeSmtp {
    port: u16,
    heard: Arc<Mutex<Heard>>,
}

impl FakeSmtp {
    async fn start() -> Self {
        Self::on(TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap())
    }

    fn on(listener: TcpListener) -> Self {
        let port = listener.local_addr().unwrap().port();
        let heard = Arc::new(Mutex::new(Heard::default()));
        let shared = heard.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(converse(stream, shared.clone()));
            }
        });
        Self { port, heard }
    }

    fn heard(&self) -> MutexGuard<'_, Heard> {
        self.heard.lock().unwrap()
    }

    /// Answers the next `n` mails `451`.
    fn fail_next(&self, n: u32) {
        self.heard().fail_next = n;
    }

    /// The mails given so far to `to`, once there are at least `count`.
    async fn mails_to(&self, to: &str, count: usize) -> Vec<Given> {
        until(&format!("{count} mail(s) to {to}"), LIMIT, || async {
            let mails: Vec<Given> = self
                .heard()
                .mails
                .iter()
                .filter(|m| m.to.iter().any(|t| t == to))
                .cloned()
                .collect();
            (mails.len() >= count).then_some(mails)
        })
        .await
    }
}

/// One client's connection: greeting, then a reply to each command.
async fn converse(stream: TcpStream, heard: Arc<Mutex<Heard>>) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    if write.write_all(b"220 fake.test ESMTP\r\n").await.is_err() {
        return;
    }
    match read.fill_buf().await {
        Ok([first, ..]) => heard.lock().unwrap().first_bytes.push(*first),
        _ => return,
    }
    if heard.lock().unwrap().first_bytes.last() == Some(&0x16) {
        return; // TLS from the first byte: this server speaks none.
    }
    let mut to = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = String::from_utf8_lossy(&line).trim_end().to_owned();
        heard.lock().unwrap().commands.push(command.clone());
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" => {
                b"250-fake.test\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 10000000\r\n"
            }
            "HELO" => b"250 fake.test\r\n",
            "AUTH" => b"235 2.7.0 accepted\r\n",
            "MAIL" => {
                to.clear();
                b"250 2.1.0 ok\r\n"
            }
            "RCPT" => {
                let address = command.split(['<', '>']).nth(1).unwrap_or("").to_owned();
                to.push(address);
                b"250 2.1.5 ok\r\n"
            }
            "DATA" => {
                if write.write_all(b"354 go ahead\r\n").await.is_err() {
                    return;
                }
                let mut raw = Vec::new();
                loop {
                    line.clear();
                    if read.read_until(b'\n', &mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if line == b".\r\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
                    raw.extend_from_slice(unstuffed);
                }
                let mut h = heard.lock().unwrap();
                let refused = h.fail_next > 0;
                h.fail_next = h.fail_next.saturating_sub(1);
                h.mails.push(Given {
                    to: to.clone(),
                    raw,
                    at_ms: now_ms(),
                    at: Instant::now(),
                    refused,
                });
                if refused {
                    b"451 4.3.0 try again later\r\n"
                } else {
                    b"250 2.0.0 queued\r\n"
                }
            }
            "QUIT" => {
                let _ = write.write_all(b"221 2.0.0 bye\r\n").await;
                return;
            }
            _ => b"250 ok\r\n",
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// A hub whose email channel sends through `smtp` as `hub@ghl.test` (with `login`, if given).
async fn hub_sending_to(smtp: ServerSettings, login: bool) -> TestHub {
    let (hub, _channel) = TestHub::start_with_email(move |base| {
        let mut config = EmailChannelConfig::new(smtp, "hub@ghl.test", base);
        if login {
            config.login = Some(Login {
                username: "hub@ghl.test".into(),
                password: "the-password".into(),
            });
        }
        config
    })
    .await;
    hub
}

// ---------------------------------------------------------------------------------------------

/// Promise: "A failed send is tried three times in a row (1 s and 4 s apart); if it still
/// fails, the hub tries again on the channels' schedule while the request is pending (5 s,
/// 30 s, …, each moved by up to a fifth at random), and a resend keeps the mail's
/// `Message-ID`." The fake server answers the first six mails `451`: two rounds of three
/// tries, the rounds 5 s and 30 s (± a fifth) apart — the second wait is crossed on the hub's
/// clock — then the seventh try is taken; all seven carry one `Message-ID`. A second request,
/// cancelled after its first round, is not tried again.
///
/// Checked by: `SEND_TRIES = 1` in `channels/email/mod.rs` fails with "waited 60s for the first
/// round recorded, in vain" (the three mails took three rounds); a `Message-ID` from a new
/// token for each attempt (in `mail_once`'s `MailParts`) fails with "every try carries the
/// mail's one Message-ID …: [a, a, a, b, b, b, c]"; the schedule's first delay at 30 s
/// (`channels/schedule.rs`) fails with "due again in 32096 ms, not 5 s ± 1 s";
/// `Delivered::unless_pending` ignored in `deliver` fails with "waited 60s for the mail
/// dropped, in vain".
#[tokio::test]
async fn a_passing_failure_is_tried_again_on_the_schedule_under_one_message_id() {
    let fake = FakeSmtp::start().await;
    let hub = hub_sending_to(
        ServerSettings::new("127.0.0.1", fake.port).security(Security::Plain),
        false,
    )
    .await;
    fake.fail_next(6);
    let id = create(&hub, "flaky", "approver@ghl.test").await;

    // The first round: three tries in a row, 1 s and 4 s apart, then the schedule's 5 s.
    let round = fake.mails_to("approver@ghl.test", 3).await;
    let failed = email_delivery(&hub, &id, "the first round recorded", |d| d.attempts == 1).await;
    let gap = |a: &Given, b: &Given| b.at.duration_since(a.at).as_millis() as i64;
    let (first, second) = (gap(&round[0], &round[1]), gap(&round[1], &round[2]));
    assert!(
        (1_000..=1_000 + SLACK_MS).contains(&first),
        "the second try came {first} ms after the first"
    );
    assert!(
        (4_000..=4_000 + SLACK_MS).contains(&second),
        "the third try came {second} ms after the second"
    );
    let due = failed.due_at.expect("a failed mail is due again") - round[2].at_ms;
    assert!(
        (4_000..=6_000 + SLACK_MS).contains(&due),
        "after the first round the mail is due again in {due} ms, not 5 s ± 1 s"
    );
    assert_eq!(failed.state, DeliveryState::Pending);

    // The second round comes by itself (5 s later) and fails: the schedule's next step, 30 s.
    let round = fake.mails_to("approver@ghl.test", 6).await;
    let failed = email_delivery(&hub, &id, "the second round recorded", |d| d.attempts == 2).await;
    let due = failed.due_at.expect("still due again") - round[5].at_ms;
    assert!(
        (24_000..=36_000 + SLACK_MS).contains(&due),
        "after the second round the mail is due again in {due} ms, not 30 s ± 6 s"
    );
    assert_eq!(
        hub.status(&hub.keys.agent, "c-flaky", "flaky", "").await.1["status"],
        "pending",
        "the request waits meanwhile"
    );

    // Past the second wait on the hub's clock: the third round's first try is taken.
    hub.hub.advance_clock(40_000);
    let all = fake.mails_to("approver@ghl.test", 7).await;
    let sent = until("the mail recorded as sent", LIMIT, || async {
        let record = mail_of(hub.store.as_ref(), &id).await.ok()??;
        record.sent_at.is_some().then_some(record)
    })
    .await;
    let refused: Vec<bool> = all.iter().map(|m| m.refused).collect();
    assert_eq!(refused, [true, true, true, true, true, true, false]);
    let ids: Vec<String> = all.iter().map(Given::message_id).collect();
    assert!(
        ids.iter().all(|m| *m == sent.message_id) && !sent.message_id.is_empty(),
        "every try carries the mail's one Message-ID {}: {ids:?}",
        sent.message_id
    );

    // "While the request is pending": one decided after a failed round is not tried again.
    fake.fail_next(u32::MAX);
    let id = create(&hub, "dropped", "other@ghl.test").await;
    fake.mails_to("other@ghl.test", 3).await;
    email_delivery(&hub, &id, "the failed round recorded", |d| d.attempts == 1).await;
    let cancel =
        json!({"conversation_id": "c-dropped", "request_id": "dropped", "platform": "test"});
    let (_, reply) = hub
        .post(&hub.keys.agent, "/api/v1/humanloop/cancel", cancel)
        .await;
    assert_eq!(reply["success"], true, "{reply}");
    let skipped = email_delivery(&hub, &id, "the mail dropped", |d| {
        d.state == DeliveryState::Skipped
    })
    .await;
    assert_eq!(skipped.due_at, None, "nothing left to try: {skipped:?}");
    let tries = fake.mails_to("other@ghl.test", 3).await.len();
    assert_eq!(tries, 3, "no try after the request was decided");
    hub.stop().await;
}

/// Promise: "`starttls` — a plain connection upgraded with STARTTLS before anything is said —
/// **required**: a server that does not offer it is refused, never silently skipped", with the
/// mode "from the port" (25, 587, 2525 → STARTTLS; any port not listed → TLS from the first
/// byte). A channel set up with only `127.0.0.1:2525` (no mode) meets a server that offers
/// `AUTH` but no `STARTTLS`: it says `EHLO` and nothing more — no `AUTH`, no `MAIL`, no data —
/// and the mail is recorded as not sent, naming STARTTLS. A channel on an unlisted port opens
/// with a TLS ClientHello.
///
/// Checked by: `Tls::Opportunistic` instead of `Tls::Required` for STARTTLS in
/// `gohumanloop/src/providers/email/smtp.rs` fails with "nothing but EHLO before STARTTLS:
/// [\"AUTH PLAIN …\", \"MAIL FROM:…\", …]"; 2525 dropped from `Security::for_port` fails with
/// "the client spoke SMTP in clear first (first bytes [16, …]): []" — a TLS ClientHello.
#[tokio::test]
async fn starttls_is_required_and_the_mode_follows_the_port() {
    // The port must be one the docs map to STARTTLS; 2525 needs no privilege.
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 2525)))
        .await
        .expect("127.0.0.1:2525 is free for the fake SMTP server");
    let fake = FakeSmtp::on(listener);
    let hub = hub_sending_to(ServerSettings::new("127.0.0.1", 2525), true).await;
    let id = create(&hub, "clear", "approver@ghl.test").await;
    // The first round of tries is over: recorded as failed — or as sent, had the channel gone
    // on in clear.
    let round = until("the first round over", LIMIT, || async {
        let record = mail_of(hub.store.as_ref(), &id).await.ok()??;
        (record.attempts >= 1 || record.sent_at.is_some()).then_some(record)
    })
    .await;
    {
        let heard = fake.heard();
        assert!(
            heard.commands.iter().any(|c| c.starts_with("EHLO")),
            "the client spoke SMTP in clear first (first bytes {:02x?}): {:?}",
            heard.first_bytes,
            heard.commands
        );
        let said: Vec<&String> = heard
            .commands
            .iter()
            .filter(|c| !c.starts_with("EHLO") && !c.starts_with("QUIT"))
            .collect();
        assert!(
            said.is_empty() && heard.mails.is_empty(),
            "nothing but EHLO before STARTTLS: {said:?}"
        );
    }
    let error = round.last_error.clone().unwrap_or_default();
    assert!(error.contains("STARTTLS"), "{error}");
    assert_eq!(round.sent_at, None);
    assert_eq!(
        hub.status(&hub.keys.agent, "c-clear", "clear", "").await.1["status"],
        "pending"
    );
    hub.stop().await;

    // A port not in the list: TLS from the first byte (the fake sees a ClientHello).
    let tls = FakeSmtp::start().await;
    let hub = hub_sending_to(ServerSettings::new("127.0.0.1", tls.port), true).await;
    create(&hub, "wrapped", "approver@ghl.test").await;
    until("a connection to the unlisted port", LIMIT, || async {
        (!tls.heard().first_bytes.is_empty()).then_some(())
    })
    .await;
    {
        let heard = tls.heard();
        assert_eq!(heard.first_bytes[0], 0x16, "a TLS handshake record");
        assert!(heard.commands.is_empty(), "{:?}", heard.commands);
    }
    hub.stop().await;
}

/// Promise: "The mail carries `Auto-Submitted: auto-generated`, so well-behaved out-of-office
/// responders stay quiet", and automatic mails (`Auto-Submitted` other than `no`) "are
/// ignored". The mail as the approver's mailbox holds it (real mail server) has the header;
/// an automatic reply in the thread that reads `Decision: approve` arrives in the hub's mailbox
/// before the approver's own `Decision: reject`, and the request ends rejected.
///
/// Checked by: removing `.header(AutoSubmitted)` in `gohumanloop/src/providers/email/
/// compose.rs` fails with "no Auto-Submitted header"; dropping the `automatic` check in
/// `reply/mail.rs` fails with `left: ("approved", "I am away")`, the automatic reply's.
#[tokio::test]
async fn mails_say_they_are_automatic_and_automatic_replies_decide_nothing() {
    let Some(server) = MailServer::get() else {
        return;
    };
    let hub_address = server.address("hub");
    let approver = server.address("approver");
    let settings = server.clone();
    let own = hub_address.clone();
    let (hub, _channel) = TestHub::start_with_email(move |base| {
        let smtp =
            ServerSettings::new(&settings.host, settings.smtp_port).security(Security::StartTls);
        let mut config = EmailChannelConfig::new(smtp, own.clone(), base);
        config.login = Some(Login {
            username: own,
            password: settings.password.clone(),
        });
        config.extra_ca_pem = Some(settings.ca_pem.clone());
        config.imap =
            Some(ServerSettings::new(&settings.host, settings.imaps_port).security(Security::Tls));
        config
    })
    .await;
    create(&hub, "ooo", &approver).await;
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
    let automatic = auto_reply(&mail, &approver, "Decision: approve\nReason: I am away");
    server.send(&approver, automatic).await;
    // In the hub's mailbox before the approver's own reply: the hub reads in mailbox order, so
    // an automatic reply taken as an answer would have decided first.
    server.wait_for(&hub_address, 1).await;
    server
        .send(
            &approver,
            reply(&mail, &approver, "Decision: reject\nReason: not now"),
        )
        .await;
    let done = until("the request decided", LIMIT, || async {
        let status = hub.status(&hub.keys.agent, "c-ooo", "ooo", "").await.1;
        (status["status"] != "pending").then_some(status)
    })
    .await;
    assert_eq!(
        (&done["status"], &done["response"]["reason"]),
        (&json!("rejected"), &json!("not now")),
        "{done}"
    );
    hub.stop().await;
}
