//! HTTP helpers that check the JSON contract of the hub's API on every reply: the body is JSON
//! (`Content-Type: application/json`) and an object — so a test that only looks at one field
//! still fails on an HTML error page, a bare string or an empty reply.

use reqwest::StatusCode;
use serde_json::Value;

/// The status and JSON body of `response` (to a request for `what`), after checking the
/// contract (see the module's docs).
pub async fn json_reply(what: &str, response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: every reply is JSON, got {status} with '{content_type}'"
    );
    let body: Value = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("{what}: the reply does not parse as JSON: {e}"));
    assert!(
        body.is_object(),
        "{what}: every reply is a JSON object: {body}"
    );
    (status, body)
}

/// `GET url` with `key`; the JSON reply ([`json_reply`]), whatever its status.
pub async fn get_json(url: &str, key: &str) -> Value {
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    json_reply(&format!("GET {url}"), response).await.1
}

/// `POST url` with `key` and a JSON `body`; the JSON reply ([`json_reply`]), whatever its status.
pub async fn post_json(url: &str, key: &str, body: &Value) -> Value {
    let response = reqwest::Client::new()
        .post(url)
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    json_reply(&format!("POST {url}"), response).await.1
}

/// Reads what is left of a streamed reply (an event stream, a long-poll) to its end: `Ok` when
/// the body was finished cleanly, the error when it was cut. Bound it from outside (the stream
/// may never end).
pub async fn read_to_end(response: &mut reqwest::Response) -> Result<(), reqwest::Error> {
    while response.chunk().await?.is_some() {}
    Ok(())
}

/// One server-sent event: its `event:` name and `data:` text, `None`s for a comment (`:`).
#[derive(Debug, Clone, PartialEq)]
pub struct Sse {
    /// Its `event:` name.
    pub event: Option<String>,
    /// Its `data:` text.
    pub data: Option<String>,
}

/// Reads the next blocks (events or comments) of an event stream into `buffer` / `out`;
/// `false` when the stream ended cleanly. Panics on a stream that breaks or stays silent for
/// `limit`.
pub async fn read_sse(
    response: &mut reqwest::Response,
    buffer: &mut String,
    out: &mut Vec<Sse>,
    limit: std::time::Duration,
) -> bool {
    let chunk = tokio::time::timeout(limit, response.chunk())
        .await
        .expect("the stream goes on")
        .expect("the stream does not break");
    let Some(chunk) = chunk else {
        return false;
    };
    buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
    while let Some(end) = buffer.find("\n\n") {
        let block: String = buffer.drain(..end + 2).collect();
        let mut sse = Sse {
            event: None,
            data: None,
        };
        for line in block.lines() {
            if let Some(name) = line.strip_prefix("event: ") {
                sse.event = Some(name.to_owned());
            } else if let Some(data) = line.strip_prefix("data: ") {
                sse.data = Some(data.to_owned());
            }
        }
        out.push(sse);
    }
    true
}
