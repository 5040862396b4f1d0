//! The hub's `/mcp`: the ask-a-human tools over MCP's streamable HTTP. Every request must carry
//! a valid API key as its bearer token (checked here, before any MCP handling, exactly as the
//! API checks it); each tool call then asks with that key, so tenant walls hold as everywhere.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use axum::extract::Request;
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::Router;
use clap::Args;
use gohumanloop::providers::hub::HubClient;
use gohumanloop_hub::api::Caller;
use gohumanloop_hub::Hub;
use gohumanloop_mcp::AskOptions;

/// `ghl serve`'s MCP settings.
#[derive(Args, Clone, Default)]
pub struct McpHttpArgs {
    /// A `Host` (name or name:port) that `/mcp` accepts besides loopback ones: the hub's public
    /// name(s), when MCP clients reach it from elsewhere (DNS-rebinding protection).
    #[arg(
        long = "mcp-allowed-host",
        env = "GHL_MCP_ALLOWED_HOSTS",
        value_delimiter = ',',
        value_name = "HOST"
    )]
    allowed_hosts: Vec<String>,
    /// Seconds an MCP tool call waits for the human before it returns "pending".
    #[arg(
        long,
        env = "GHL_MCP_WAIT",
        default_value_t = 50,
        value_name = "SECONDS"
    )]
    mcp_wait: u64,
}

/// The `/mcp` route for the hub listening on `addr`.
pub fn routes(hub: &Hub, addr: SocketAddr, args: &McpHttpArgs) -> anyhow::Result<Router> {
    // The tools reach the hub's API on its own listening address, as any client would.
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let client = HubClient::new(&format!("http://{}", SocketAddr::new(ip, addr.port())), "")?;
    let options = AskOptions {
        wait: Duration::from_secs(args.mcp_wait),
        ..AskOptions::default()
    };
    let service = gohumanloop_mcp::http::service(client, options, &args.allowed_hosts);
    Ok(Router::new()
        .route_service("/mcp", service)
        .layer(from_fn_with_state(hub.clone(), require_key)))
}

/// Lets only callers with a valid key through (401/403 with the API's JSON error otherwise).
async fn require_key(_caller: Caller, request: Request, next: Next) -> Response {
    next.run(request).await
}
