//! The hub's `/mcp` accepts only loopback `Host` headers unless names are added with
//! `--mcp-allowed-host` (README §MCP: DNS-rebinding protection).

mod common;

use common::HubProcess;
use serde_json::json;

/// The status of an MCP `initialize` POSTed to `/mcp` with this `Host` header and a valid key.
async fn initialize_with_host(base: &str, key: &str, host: &str) -> u16 {
    let body = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "host-check", "version": "1"}}
    });
    reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .bearer_auth(key)
        .header("host", host)
        .header("accept", "application/json, text/event-stream")
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Loopback names are accepted, other names refused with 403; `--mcp-allowed-host` adds a name
/// (and only that one).
///
/// Checked that it can fail: with `gohumanloop_mcp::http::service` building its config with
/// `disable_allowed_hosts()` instead of the list, the foreign `Host`s were served and this test
/// failed; with the flag's names left out of the list, the allowed name was refused (each undone
/// at once).
#[tokio::test]
async fn mcp_takes_only_loopback_hosts_unless_more_are_allowed() {
    let hub = HubProcess::start();
    let key = hub.key("acme", "agent");
    let port = hub.addr().rsplit(':').next().unwrap().to_owned();
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        "localhost".to_owned(),
    ] {
        assert_eq!(
            initialize_with_host(&hub.base, &key, &host).await,
            200,
            "loopback Host {host}"
        );
    }
    for host in ["evil.example", "hub.example.com", "127.0.0.1.evil.example"] {
        assert_eq!(
            initialize_with_host(&hub.base, &key, host).await,
            403,
            "foreign Host {host}"
        );
    }
    drop(hub);

    let hub = HubProcess::start_with(&["--mcp-allowed-host", "hub.example.com"], &[]);
    let key = hub.key("acme", "agent");
    assert_eq!(
        initialize_with_host(&hub.base, &key, "hub.example.com").await,
        200,
        "the allowed name"
    );
    assert_eq!(
        initialize_with_host(&hub.base, &key, "evil.example").await,
        403,
        "a name not allowed"
    );
}
