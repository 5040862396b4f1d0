//! `ApiProvider`'s documented defaults (README, the library; library.md): request timeout 30 s,
//! poll interval 5 s, 3 attempts 1 s and 2 s apart, `give_up_after` 5 min — as the public
//! options struct gives them, and the attempts as a server that fails every call counts them.
//!
//! Needs the `api` feature (`required-features` in Cargo.toml; a workspace build has it).

mod api {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use gohumanloop::providers::api::{ApiOptions, ApiProvider};
    use gohumanloop::{HumanLoopRequest, LoopType, Provider, Status};

    /// "The original's options and defaults (`ApiOptions`: … request timeout 30 s, poll
    /// interval 5 s, 3 attempts 1 s, 2 s apart)" and "`give_up_after` (5 min)" (README, the
    /// library; library.md): `ApiOptions::new` gives exactly these, and no key, no platform.
    ///
    /// Checked by changing `max_retries: 3` to 2 in `ApiOptions::new`
    /// (`gohumanloop/src/providers/api/mod.rs`): fails on `max_retries`.
    #[test]
    fn the_options_default_to_the_originals() {
        let options = ApiOptions::new("http://127.0.0.1:8000/api");
        assert_eq!(options.base_url, "http://127.0.0.1:8000/api");
        assert_eq!(options.api_key, None);
        assert_eq!(options.default_platform, None);
        assert_eq!(options.request_timeout, Duration::from_secs(30));
        assert_eq!(options.poll_interval, Duration::from_secs(5));
        assert_eq!(options.max_retries, 3);
        assert_eq!(options.give_up_after, Duration::from_secs(5 * 60));
    }

    /// A loopback HTTP server that answers every request with HTTP 500 and a JSON error, and
    /// counts the requests per path. Its thread ends with the test process.
    fn failing_server() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let base = format!("http://{}/api", listener.local_addr().unwrap());
        let creates = Arc::new(AtomicUsize::new(0));
        let others = Arc::new(AtomicUsize::new(0));
        let (c, o) = (creates.clone(), others.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("a socket clone"));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut length = 0usize;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    let lower = header.to_ascii_lowercase();
                    if let Some(value) = lower.strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                if line.starts_with("POST /api/v1/humanloop/request ") {
                    c.fetch_add(1, Ordering::SeqCst);
                } else {
                    o.fetch_add(1, Ordering::SeqCst);
                }
                let reply = r#"{"success":false,"error":"the server is down"}"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                    reply.len()
                );
            }
        });
        (base, creates, others)
    }

    /// "3 attempts 1 s, 2 s apart" (README, the library; library.md), the count: with the
    /// default options, asking through a server that fails every call makes exactly 3 attempts
    /// at the create — no fewer, no more — and then the request ends in `error` with the
    /// server's message (the 1 s + 2 s between them are waited, not asserted: no timing
    /// floor).
    ///
    /// Checked by changing `max_retries: 3` to 2 in `ApiOptions::new`: fails, 2 attempts.
    #[tokio::test]
    async fn a_failing_server_gets_three_attempts_by_default() {
        let (base, creates, others) = failing_server();
        let options = ApiOptions::new(base).default_platform("defaults");
        let provider = ApiProvider::connect("api", options).expect("a provider");
        let mut request =
            HumanLoopRequest::new("task", "conv", LoopType::Approval, Default::default());
        request.request_id = Some("req".into());
        let result = tokio::time::timeout(Duration::from_secs(120), provider.request(request))
            .await
            .expect("the attempts end (bounds a hang only)")
            .expect("a failed delivery is a result, not an error");
        assert_eq!(result.status, Status::Error, "{result:?}");
        assert_eq!(
            result.error.as_deref(),
            Some("the server is down"),
            "{result:?}"
        );
        assert_eq!(creates.load(Ordering::SeqCst), 3, "attempts at the create");
        assert_eq!(others.load(Ordering::SeqCst), 0, "nothing else was asked");
    }
}
