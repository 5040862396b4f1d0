//! The connection deadlines `ghl serve` keeps by default, measured on a real `ghl serve` with
//! no limit set (operations.md, README §Operations): headers within 30 s, an idle kept-alive
//! connection closed after 30 s, a body's first bytes within 10 s and then at least 8 KiB a
//! second (else `408` and the connection closed).
//!
//! Each deadline is checked from both sides. A timer never fires early and the test's clock
//! starts before the hub's (before the connection exists), so "not closed before the deadline"
//! holds however loaded the machine is; the upper bounds sit halfway to the next
//! plausible setting (e.g. 45 s for the 30 s deadline, where 60 s would be the next), so a
//! broken default fails while a slow machine does not. The four connections run at once: the
//! test takes about 30 s.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use gohumanloop_testkit::process::HubProcess;

/// How long a connection stayed open and what the hub wrote on it before closing it.
struct Closed {
    after: Duration,
    reply: String,
}

/// Connects to the hub, writes `first` at once, then reads until the hub closes the connection
/// (bounded by a read deadline far past every limit checked here). The time is taken from
/// before the connection exists: the hub's header timer starts when it accepts, which can come
/// before a loaded test thread runs again after `connect` (a loaded run saw a connection "closed
/// after 29.9996 s" when the clock started after `connect`).
fn open_and_wait(base: &str, first: Vec<u8>) -> std::thread::JoinHandle<Closed> {
    let addr = base.trim_start_matches("http://").to_owned();
    std::thread::spawn(move || {
        let started = Instant::now();
        let mut stream = TcpStream::connect(&addr).expect("the hub accepts");
        stream
            .set_read_timeout(Some(Duration::from_secs(120)))
            .expect("a read deadline");
        stream.write_all(&first).expect("the hub reads");
        let mut reply = Vec::new();
        // EOF or a reset both mean "closed"; a read timeout (120 s) fails the bound below.
        let _ = stream.read_to_end(&mut reply);
        Closed {
            after: started.elapsed(),
            reply: String::from_utf8_lossy(&reply).into_owned(),
        }
    })
}

/// Why `closed` breaks the documented deadline of `from` s (bounded by `to` s), if it does.
fn outside(what: &str, closed: &Closed, from: u64, to: u64) -> Option<String> {
    let after = closed.after;
    let kept = after >= Duration::from_secs(from) && after < Duration::from_secs(to);
    (!kept).then(|| {
        format!(
            "{what}: closed after {after:?}, documented {from} s (bound {to} s); wrote: {}",
            closed.reply
        )
    })
}

/// Checked by setting `HEADER_READ_TIMEOUT` to 60 s (fails: headers and idle still open at
/// 45 s), `BODY_GRACE` to 5 s (fails: the empty body closed at 5 s) and `BODY_MIN_RATE` to
/// 16 KiB/s (fails: the 80 KiB body closed at 15 s).
#[test]
fn headers_idle_connections_and_bodies_are_cut_at_the_documented_deadlines() {
    let hub = HubProcess::start();
    let key = hub.key("acme", "agent");

    // Headers that never end.
    let headers = open_and_wait(&hub.base, b"GET /health HTTP/1.1\r\nHost: hub\r\n".to_vec());
    // A complete request, answered, then nothing: the connection is kept alive, then closed.
    let idle = open_and_wait(
        &hub.base,
        b"GET /health HTTP/1.1\r\nHost: hub\r\n\r\n".to_vec(),
    );
    // A body announced and never sent: due at the grace period's end.
    let create = |sent: usize| {
        let mut head = format!(
            "POST /api/v1/humanloop/request HTTP/1.1\r\nHost: hub\r\n\
             Authorization: Bearer {key}\r\nContent-Type: application/json\r\n\
             Content-Length: 1000000\r\n\r\n"
        )
        .into_bytes();
        head.extend(std::iter::repeat_n(b' ', sent));
        head
    };
    let empty_body = open_and_wait(&hub.base, create(0));
    // 80 KiB at once, then nothing: at 8 KiB/s it has earned 10 s past the grace period.
    let some_body = open_and_wait(&hub.base, create(80 * 1024));

    let headers = headers.join().expect("the headers' connection");
    let idle = idle.join().expect("the idle connection");
    let empty_body = empty_body.join().expect("the empty body's connection");
    let some_body = some_body.join().expect("the slow body's connection");
    // Every deadline is reported, not only the first one broken.
    let broken: Vec<String> = [
        outside("unfinished headers", &headers, 30, 45),
        outside("an idle kept-alive connection", &idle, 30, 45),
        outside("a body never sent", &empty_body, 10, 15),
        outside("80 KiB of a body, then nothing", &some_body, 20, 25),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(broken.is_empty(), "{broken:#?}");
    assert!(idle.reply.starts_with("HTTP/1.1 200 "), "{}", idle.reply);
    for slow in [&empty_body, &some_body] {
        assert!(
            slow.reply.starts_with("HTTP/1.1 408 ") && slow.reply.contains("too slowly"),
            "{}",
            slow.reply
        );
    }
}
