//! No client can exhaust the hub's connections: slow bodies are cut off, a body announced over
//! the limit is refused before it is read, connections are capped overall and per client
//! address (with `/health` still answering), and even the replies hyper writes itself are JSON.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::TestHub;
use gohumanloop_hub::server::ServeLimits;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A bound on every wait, so that a broken hub fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(30);

fn limits(max_connections: usize, per_address: usize) -> ServeLimits {
    ServeLimits {
        max_connections,
        max_connections_per_address: per_address,
        body_grace: Duration::from_millis(300),
    }
}

/// A connection to the hub from the loopback address `127.0.0.{from}`.
async fn connect(t: &TestHub, from: u8) -> TcpStream {
    let hub: SocketAddr = t.base.trim_start_matches("http://").parse().unwrap();
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(127, 0, 0, from)),
            0,
        ))
        .unwrap();
    socket.connect(hub).await.unwrap()
}

/// Everything the hub sends until it closes the connection: the status and the JSON body.
async fn reply_until_closed(stream: &mut TcpStream) -> (u16, Value) {
    let mut reply = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut reply))
        .await
        .expect("the hub closes the connection")
        .unwrap();
    parse(&reply)
}

fn parse(reply: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(reply);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{text}"));
    let status = head[9..12].parse().unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|_| panic!("{text}")),
    )
}

/// Sends `request` and reads one reply, leaving the connection open.
async fn exchange(stream: &mut TcpStream, request: &str) -> (u16, Value) {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut chunk))
            .await
            .expect("a reply")
            .unwrap();
        assert!(n > 0, "closed before a whole reply");
        reply.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&reply);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length: ")
                        .map(str::to_owned)
                })
                .and_then(|l| l.trim().parse().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return parse(&reply);
            }
        }
    }
}

const HEALTH: &str = "GET /health HTTP/1.1\r\nHost: hub\r\n\r\n";
const LIST: &str = "GET /api/v1/requests HTTP/1.1\r\nHost: hub\r\n\r\n";

#[tokio::test]
async fn slow_bodies_are_cut_off_and_their_connections_closed() {
    let t = TestHub::start_limited(limits(10_000, 10_000)).await;
    // Sign-in forms and API bodies alike, each announcing 100 bytes and sending one.
    let mut slow = Vec::new();
    for i in 0..200 {
        let mut stream = connect(&t, 2).await;
        let path = if i % 2 == 0 {
            "/login"
        } else {
            "/api/v1/humanloop/request"
        };
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nn",
            t.keys.agent
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        slow.push(stream);
    }
    for stream in &mut slow {
        let mut reply = Vec::new();
        tokio::time::timeout(PATIENCE, stream.read_to_end(&mut reply))
            .await
            .expect("the hub closes a slow body's connection")
            .unwrap();
        let text = String::from_utf8_lossy(&reply);
        assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    }
    // An API client is told why, in JSON.
    let mut stream = connect(&t, 2).await;
    let head = format!(
        "POST /api/v1/humanloop/request HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {}\r\n\
         Content-Length: 10\r\n\r\n{{",
        t.keys.agent
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (status, body) = reply_until_closed(&mut stream).await;
    assert_eq!(status, 408);
    assert!(
        body["error"].as_str().unwrap().contains("too slowly"),
        "{body}"
    );
    t.stop().await;
}

#[tokio::test]
async fn a_body_announced_over_the_limit_is_refused_before_it_is_sent() {
    let t = TestHub::start().await;
    let mut stream = connect(&t, 1).await;
    let head = format!(
        "POST /api/v1/humanloop/request HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer {}\r\n\
         Content-Length: 99999999999999\r\n\r\n",
        t.keys.agent
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (status, body) = reply_until_closed(&mut stream).await;
    assert_eq!(status, 413);
    assert_eq!(body["success"], false);
    // A sign-in form gets the inbox's own page, also before its body is read.
    let mut stream = connect(&t, 1).await;
    stream
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: hub\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 2000000\r\n\r\n",
        )
        .await
        .unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut reply))
        .await
        .expect("the hub closes the connection")
        .unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 413 "), "{reply}");
    assert!(reply.contains("The form is too large"), "{reply}");
    t.stop().await;
}

#[tokio::test]
async fn connections_are_capped_per_address_and_overall_and_health_still_answers() {
    let t = TestHub::start_limited(limits(8, 5)).await;
    // Five idle connections from one address fill its share.
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(connect(&t, 2).await);
    }
    let (status, body) = exchange(&mut held[0], HEALTH).await;
    assert_eq!((status, &body["status"]), (200, &Value::from("ok")));
    let mut sixth = connect(&t, 2).await;
    let (status, body) = exchange(&mut sixth, LIST).await;
    assert_eq!(status, 429, "{body}");
    assert!(body["error"].as_str().unwrap().contains("your address"));
    let mut sixth = connect(&t, 2).await;
    assert_eq!(
        exchange(&mut sixth, HEALTH).await.0,
        200,
        "health still answers"
    );
    // Another address is served until the hub is full.
    for _ in 0..3 {
        let mut other = connect(&t, 3).await;
        assert_eq!(exchange(&mut other, LIST).await.0, 401, "served (no key)");
        held.push(other);
    }
    let mut late = connect(&t, 4).await;
    let (status, body) = exchange(&mut late, LIST).await;
    assert_eq!(status, 503, "{body}");
    let mut late = connect(&t, 4).await;
    let (status, body) = exchange(&mut late, HEALTH).await;
    assert_eq!((status, &body["status"]), (200, &Value::from("ok")));
    let mut late = connect(&t, 4).await;
    let (status, body) = exchange(&mut late, "GET /ready HTTP/1.1\r\nHost: hub\r\n\r\n").await;
    assert_eq!(
        (status, &body["status"]),
        (200, &Value::from("ready")),
        "ready answers too"
    );
    // Clients holding the connections over the cap open, idle, cannot keep a health check out.
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(connect(&t, 5).await);
    }
    let mut probe = connect(&t, 6).await;
    let (status, body) = exchange(&mut probe, HEALTH).await;
    assert_eq!((status, &body["status"]), (200, &Value::from("ok")));
    t.stop().await;
}

#[tokio::test]
async fn replies_hyper_writes_itself_are_json_too() {
    let t = TestHub::start().await;
    let long_uri = format!(
        "GET /api/v1/requests/{} HTTP/1.1\r\nHost: hub\r\n\r\n",
        "x".repeat(70_000)
    );
    let huge_headers = format!(
        "GET /health HTTP/1.1\r\nHost: hub\r\nX-Big: {}\r\n\r\n",
        "y".repeat(500_000)
    );
    let cases = [
        (
            "POST /api/v1/humanloop/request HTTP/1.1\r\nHost: hub\r\nContent-Length: -1\r\n\r\n"
                .to_owned(),
            400,
        ),
        (
            "GET /health HTTP/1.1\r\nHost: hub\r\nBad Header\r\n\r\n".to_owned(),
            400,
        ),
        (long_uri, 414),
        (huge_headers, 431),
    ];
    for (request, expected) in cases {
        let mut stream = connect(&t, 1).await;
        // The hub may answer and close before reading all of a huge request.
        let _ = stream.write_all(request.as_bytes()).await;
        let (status, body) = reply_until_closed(&mut stream).await;
        assert_eq!(status, expected, "{body}");
        assert_eq!(body["success"], false);
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    t.stop().await;
}
