//! The ask-a-human tools over MCP's streamable HTTP, for the hub to serve at `/mcp`: each call
//! asks with the API key its caller sent as the bearer token.

use std::sync::Arc;

use gohumanloop::providers::hub::HubClient;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use crate::{AskOptions, AskServer};

/// The MCP service for the hub reached by `client` (its key unused: every call brings its own).
/// `allowed_hosts` are the `Host` values accepted besides loopback (DNS-rebinding protection:
/// a public hub must list its names).
pub fn service(
    client: HubClient,
    options: AskOptions,
    allowed_hosts: &[String],
) -> StreamableHttpService<AskServer, LocalSessionManager> {
    let server = AskServer::per_caller(client, options);
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"].map(String::from).to_vec();
    hosts.extend(allowed_hosts.iter().cloned());
    let config = StreamableHttpServerConfig::default().with_allowed_hosts(hosts);
    StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

/// The key of an `Authorization: Bearer KEY` header.
pub(crate) fn bearer_key(headers: &::http::HeaderMap) -> Option<&str> {
    let text = headers.get(::http::header::AUTHORIZATION)?.to_str().ok()?;
    let mut words = text.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(scheme), Some(key), None) if scheme.eq_ignore_ascii_case("bearer") => Some(key),
        _ => None,
    }
}
