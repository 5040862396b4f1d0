//! The webhook channel's delivery rules (README §Webhooks; docs/src/channels/webhook.md
//! §Delivery) against receivers written here on loopback, that answer as each test scripts:
//!
//! - a redirect is never followed: the place it points to sees nothing, and the delivery is
//!   given up naming the redirect;
//! - 408, 429, a time-out and a connection refused are tried again, with the same `webhook-id`;
//! - a receiver that hangs holds up no other webhook's delivery.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::TestHub;
use gohumanloop_hub::channels::webhook::{WebhookConfig, WebhookSecret};
use gohumanloop_hub::store::{Delivery, DeliveryState};
use gohumanloop_testkit::until;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// Bounds a wait that ends at once when things work (only against a hang).
const LIMIT: Duration = Duration::from_secs(30);

/// How a receiver answers one POST.
#[derive(Clone)]
enum Answer {
    /// This status, no body.
    Status(u16),
    /// A redirect with this status to this URL.
    Redirect(u16, String),
    /// This status with this body.
    Said(u16, Vec<u8>),
    /// Never answers (keeps the connection open).
    Hang,
}

/// A receiver on loopback: answers its POSTs with `script` in turn (the last one for every
/// later POST) and records each one's `webhook-id`.
struct Receiver {
    url: String,
    ids: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    async fn start(script: Vec<Answer>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, script)
    }

    fn serve(listener: TcpListener, script: Vec<Answer>) -> Self {
        let url = format!("http://{}/events", listener.local_addr().unwrap());
        let ids = Arc::new(Mutex::new(Vec::new()));
        let seen = ids.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let _ = answer(stream, &seen, &script).await;
                });
            }
        });
        Self { url, ids }
    }

    fn ids(&self) -> Vec<String> {
        self.ids.lock().unwrap().clone()
    }

    /// Waits until it has seen `n` POSTs; their ids.
    async fn wait_for(&self, n: usize) -> Vec<String> {
        until(&format!("{n} POSTs at {}", self.url), LIMIT, || async {
            let ids = self.ids();
            (ids.len() >= n).then_some(ids)
        })
        .await
    }
}

/// Reads one request (headers and `Content-Length` body), records its id, answers.
async fn answer(
    mut stream: TcpStream,
    seen: &Mutex<Vec<String>>,
    script: &[Answer],
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let (head_end, length) = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            break (end + 4, length);
        }
    };
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_lowercase();
    let id = head
        .lines()
        .find_map(|l| l.strip_prefix("webhook-id:"))
        .unwrap_or("")
        .trim()
        .to_owned();
    let turn = {
        let mut seen = seen.lock().unwrap();
        seen.push(id);
        seen.len() - 1
    };
    let reply = match script[turn.min(script.len() - 1)].clone() {
        Answer::Status(code) => {
            format!("HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        }
        Answer::Redirect(code, to) => format!(
            "HTTP/1.1 {code} X\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
        Answer::Said(code, body) => {
            let head = format!(
                "HTTP/1.1 {code} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
            return stream.shutdown().await;
        }
        Answer::Hang => {
            // Held open until the hub gives up on it (its time-out) and closes it.
            let _ = stream.read(&mut chunk).await;
            return Ok(());
        }
    };
    stream.write_all(reply.as_bytes()).await?;
    stream.shutdown().await
}

fn config(name: &str, url: &str) -> WebhookConfig {
    let mut config = WebhookConfig::new(name, url, SECRET.parse::<WebhookSecret>().unwrap());
    config.retry = vec![Duration::from_millis(50); 20];
    config
}

/// The request's delivery on `channel` once nothing is due for it any more.
async fn settled(t: &TestHub, id: &str, channel: &str) -> Delivery {
    until(
        &format!("the {channel} delivery of {id} to settle"),
        LIMIT,
        || async {
            let deliveries = t.store.deliveries_of(id).await.unwrap();
            deliveries
                .into_iter()
                .find(|d| d.channel == channel && d.due_at.is_none())
        },
    )
    .await
}

/// A 302 and a 307 to a second listener: it sees nothing, and each delivery is given up after
/// one attempt, its reason naming the redirect and where it pointed.
///
/// Checked that it can fail: with `.redirect(reqwest::redirect::Policy::none())` in
/// `channels::http::client` changed to `Policy::limited(3)`, the second listener got the events
/// and the deliveries were `Delivered`; this test failed (undone at once).
#[tokio::test]
async fn a_redirect_is_never_followed_and_is_given_up_naming_it() {
    let target = Receiver::start(vec![Answer::Status(204)]).await;
    let found = Receiver::start(vec![Answer::Redirect(302, target.url.clone())]).await;
    let temporary = Receiver::start(vec![Answer::Redirect(307, target.url.clone())]).await;
    let t = TestHub::start_with_webhooks(vec![
        config("found", &found.url),
        config("temporary", &temporary.url),
    ])
    .await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let id = t.hub_id("r1").await;
    for (channel, receiver, code) in [
        ("webhook:found", &found, "302"),
        ("webhook:temporary", &temporary, "307"),
    ] {
        let delivery = settled(&t, &id, channel).await;
        assert_eq!(delivery.state, DeliveryState::GaveUp, "{channel}");
        assert_eq!(
            delivery.attempts, 1,
            "{channel}: a redirect is not tried again"
        );
        let error = delivery.last_error.unwrap_or_default();
        assert!(
            error.contains(code) && error.contains("redirect") && error.contains(&target.url),
            "{channel}: {error}"
        );
        assert_eq!(receiver.ids(), [format!("msg_{id}_created")], "{channel}");
    }
    assert_eq!(
        target.ids(),
        Vec::<String>::new(),
        "a redirect was followed"
    );
    t.stop().await;
}

/// A receiver's refusal is quoted in the delivery's error, even when it holds a NUL (which
/// PostgreSQL keeps in no text): the attempt is recorded and given up once, as on SQLite.
///
/// Checked that it can fail: without `without_nul` in the PostgreSQL store the attempt could
/// not be recorded, and with `GHL_TEST_DATABASE=postgres` the delivery never settled (the
/// claim fell due again each lease); this test failed.
#[tokio::test]
async fn a_refusal_that_quotes_a_nul_is_recorded_and_given_up() {
    let receiver = Receiver::start(vec![Answer::Said(400, b"bad\0input".to_vec())]).await;
    let t = TestHub::start_with_webhooks(vec![config("nul", &receiver.url)]).await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let id = t.hub_id("r1").await;
    let delivery = settled(&t, &id, "webhook:nul").await;
    assert_eq!(delivery.state, DeliveryState::GaveUp);
    assert_eq!(delivery.attempts, 1);
    let error = delivery.last_error.unwrap_or_default();
    assert!(
        error.contains("HTTP 400") && error.contains("bad") && error.contains("input"),
        "{error}"
    );
    assert_eq!(receiver.ids(), [format!("msg_{id}_created")]);
    t.stop().await;
}

/// 408 and 429 are tried again, each time with the same `webhook-id`, until a 2xx.
///
/// Checked that it can fail: with `REQUEST_TIMEOUT` (then `TOO_MANY_REQUESTS`) taken out of the
/// statuses `channels::webhook::outbound` retries, the delivery was given up after the first
/// (second) POST; this test failed (each undone at once).
#[tokio::test]
async fn a_408_and_a_429_are_tried_again_with_the_same_id() {
    let receiver = Receiver::start(vec![
        Answer::Status(408),
        Answer::Status(429),
        Answer::Status(204),
    ])
    .await;
    let t = TestHub::start_with_webhooks(vec![config("busy", &receiver.url)]).await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let id = t.hub_id("r1").await;
    let delivery = settled(&t, &id, "webhook:busy").await;
    assert_eq!(delivery.state, DeliveryState::Delivered);
    assert_eq!(receiver.ids(), vec![format!("msg_{id}_created"); 3]);
    t.stop().await;
}

/// A receiver that does not answer within the webhook's `timeout`, and one whose port refuses
/// the connection, are tried again; the POST that gets through has the event's one id (the
/// hung one's first POST had it too).
///
/// Checked that it can fail: with the time-out branch (then the connection-failure branch) of
/// `channels::webhook::outbound` giving `DeliveryError::Permanent`, the delivery was given up
/// and this test failed (each undone at once).
#[tokio::test]
async fn a_time_out_and_a_refused_connection_are_tried_again_with_the_same_id() {
    let slow = Receiver::start(vec![Answer::Hang, Answer::Status(204)]).await;
    // A port nobody listens on (yet): bound, noted, and closed.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let mut slow_config = config("slow", &slow.url);
    slow_config.timeout = Duration::from_millis(500);
    let mut closed_config = config("closed", &format!("http://{closed}/events"));
    // Tried again every 100 ms for a minute: the listener below opens long before it runs out.
    closed_config.retry = vec![Duration::from_millis(100); 600];
    let t = TestHub::start_with_webhooks(vec![slow_config, closed_config]).await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let id = t.hub_id("r1").await;
    let event_id = format!("msg_{id}_created");

    let delivery = settled(&t, &id, "webhook:slow").await;
    assert_eq!(delivery.state, DeliveryState::Delivered);
    assert_eq!(slow.ids(), vec![event_id.clone(); 2]);

    // The closed port was tried and failed; the listener that then opens there gets the event.
    until("a failed attempt on the closed port", LIMIT, || async {
        let deliveries = t.store.deliveries_of(&id).await.unwrap();
        deliveries
            .into_iter()
            .find(|d| d.channel == "webhook:closed" && d.attempts >= 1)
            .map(|d| assert_ne!(d.state, DeliveryState::GaveUp, "{:?}", d.last_error))
    })
    .await;
    let opened = Receiver::serve(
        TcpListener::bind(closed).await.unwrap(),
        vec![Answer::Status(204)],
    );
    assert_eq!(opened.wait_for(1).await, [event_id]);
    let delivery = settled(&t, &id, "webhook:closed").await;
    assert_eq!(delivery.state, DeliveryState::Delivered);
    t.stop().await;
}

/// Creates `hung_requests` requests routed only to a webhook whose receiver never answers
/// (time-out 300 s), waits until it holds one of their POSTs, then creates a request routed only
/// to another webhook: that one must get its event well within the hung one's time-out.
async fn hung_receiver_scenario(hung_requests: usize) {
    let hung = Receiver::start(vec![Answer::Hang]).await;
    let fine = Receiver::start(vec![Answer::Status(204)]).await;
    let mut hung_config = config("hung", &hung.url);
    hung_config.platforms = Some(vec!["slow".into()]);
    // Far longer than the wait below: while the test runs, the hung POSTs stay open.
    hung_config.timeout = Duration::from_secs(300);
    let mut fine_config = config("fine", &fine.url);
    fine_config.platforms = Some(vec!["test".into()]);
    let t = TestHub::start_with_webhooks(vec![hung_config, fine_config]).await;
    for n in 0..hung_requests {
        let mut body = common::create_body("c-slow", &format!("slow{n}"));
        body["platform"] = json!("slow");
        let (status, reply) = t
            .post(&t.keys.agent, "/api/v1/humanloop/request", body)
            .await;
        assert_eq!(reply["success"], true, "{status}: {reply}");
    }
    hung.wait_for(1).await;
    t.create(&t.keys.agent, "c1", "r1").await;
    let id = t.hub_id("r1").await;
    // A bound, not a sleep: the event comes at once when nothing holds it up; a hub that makes
    // it wait for the hung POSTs (300 s) fails here.
    let got = tokio::time::timeout(Duration::from_secs(10), fine.wait_for(1)).await;
    assert!(
        got.is_ok(),
        "the other webhook got nothing in 10 s while {} POSTs to the hung receiver were open",
        hung.ids().len()
    );
    assert_eq!(got.unwrap(), [format!("msg_{id}_created")]);
    t.stop().await;
}

/// While a webhook's receiver hangs on a request's event, another webhook still gets a new
/// request's event at once (long before the hung one's time-out).
///
/// Checked that it can fail: with the dispatcher's `PARALLEL` attempts set to 1, the second
/// webhook got nothing while the first hung; this test failed (undone at once).
#[tokio::test]
async fn a_hung_receiver_holds_up_no_other_webhooks_delivery() {
    hung_receiver_scenario(1).await;
}

/// The same with twenty requests' events hanging at the one receiver: a receiver that hangs
/// holds up no other delivery however many of its events are open (README §Webhooks).
///
/// FAILS on the code as it is: the dispatcher runs at most 16 attempts at once across all
/// channels (`channels/dispatcher.rs`: `PARALLEL`, the `attempts` semaphore taken in
/// `claim_and_start`), so 16 hung POSTs to one receiver stop every other webhook's (and
/// channel's) delivery until the hung ones time out.
#[tokio::test]
async fn many_events_hung_at_one_receiver_hold_up_no_other_webhooks_delivery() {
    hung_receiver_scenario(20).await;
}
