//! `ghl mcp`: the ask-a-human tools for MCP clients over stdio, asking a hub (`--hub`) or, with
//! no hub given, a hub of its own with its web inbox on a local port ([`crate::mcp_local`]);
//! and `ghl mcp gateway`, the approval gateway in front of another MCP server.
//!
//! stdout carries the protocol: everything else goes to stderr.

use std::time::Duration;

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use gohumanloop::providers::hub::HubClient;
use gohumanloop_mcp::gateway::{Gateway, GatewayOptions, Policy, Upstream};
use gohumanloop_mcp::{AskOptions, AskServer};
use rmcp::ServiceExt;

use crate::client::HubArgs;

/// Arguments of `ghl mcp`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct McpArgs {
    #[command(subcommand)]
    command: Option<McpCommand>,
    #[command(flatten)]
    hub: HubArgs,
    #[command(flatten)]
    waiting: WaitArgs,
    #[command(flatten)]
    local: crate::mcp_local::LocalArgs,
}

/// `ghl mcp` subcommands.
#[derive(Subcommand)]
enum McpCommand {
    /// Serve another MCP server's tools, resources and prompts, holding every call of a tool
    /// that needs approval until a human decides: `ghl mcp gateway --hub URL --key KEY -- npx
    /// -y @modelcontextprotocol/server-filesystem /data`.
    Gateway(GatewayArgs),
}

/// How long calls wait, shared by both commands.
#[derive(Args, Clone)]
struct WaitArgs {
    /// Seconds a call waits for the human before it returns "pending" (the request stays open;
    /// default 50). Keep it below your client's tool time-out.
    #[arg(long, env = "GHL_MCP_WAIT", value_name = "SECONDS")]
    wait: Option<u64>,
    /// Do not also ask the MCP client's own user (elicitation), only the hub's channels.
    #[arg(long)]
    no_elicit: bool,
}

/// Arguments of `ghl mcp gateway`.
#[derive(Args)]
struct GatewayArgs {
    #[command(flatten)]
    hub: HubArgs,
    #[command(flatten)]
    waiting: WaitArgs,
    /// Tools (glob on the name) that always need approval, even when marked read-only.
    #[arg(long, value_name = "GLOB")]
    approve: Vec<String>,
    /// Tools (glob on the name) that never need approval. By default every tool not marked
    /// `readOnlyHint: true` does; `--approve` wins over `--allow`.
    #[arg(long, value_name = "GLOB")]
    allow: Vec<String>,
    /// Seconds the approver has before a request expires (default: no deadline).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    deadline: Option<u64>,
    /// Seconds a forwarded call may take on the upstream server (default 120).
    #[arg(long, value_name = "SECONDS")]
    upstream_timeout: Option<u64>,
    /// A configuration file whose `[mcp.gateway]` table gives `approve` and `allow` globs,
    /// `deadline`, `wait` and `upstream_timeout` (flags win; globs of both count).
    #[arg(long, env = "GHL_CONFIG", value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// The upstream server's streamable HTTP URL (instead of a command).
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    upstream_url: Option<String>,
    /// The upstream server's command and arguments, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// Runs `ghl mcp …` until the client closes stdin.
pub async fn run(args: McpArgs) -> anyhow::Result<()> {
    init_logging();
    match args.command {
        Some(McpCommand::Gateway(gateway)) => run_gateway(gateway).await,
        None => {
            let defaults = AskOptions::default();
            let options = AskOptions {
                wait: args.waiting.wait.map_or(defaults.wait, Duration::from_secs),
                elicit: !args.waiting.no_elicit,
                ..defaults
            };
            let (client, _local) = match args.hub.hub.as_deref() {
                Some(_) => (args.hub.client()?, None),
                None => {
                    let local = crate::mcp_local::start(&args.local).await?;
                    (local.client.clone(), Some(local))
                }
            };
            let server = AskServer::new(client, options);
            let running = server
                .serve(rmcp::transport::stdio())
                .await
                .context("the MCP client did not start a session")?;
            running.waiting().await.context("the MCP session failed")?;
            Ok(())
        }
    }
}

async fn run_gateway(args: GatewayArgs) -> anyhow::Result<()> {
    let upstream = match (args.upstream_url, args.command.split_first()) {
        (Some(url), _) => Upstream::Url(url),
        (None, Some((program, rest))) => Upstream::Command {
            program: program.clone(),
            args: rest.to_vec(),
        },
        (None, None) => {
            return Err(anyhow!(
                "no upstream server: give its command after `--`, or --upstream-url URL"
            ))
        }
    };
    let client: HubClient = args.hub.client()?;
    let file = match &args.config {
        Some(path) => crate::config::mcp::gateway(path)?,
        None => Default::default(),
    };
    let approve = [file.approve, args.approve].concat();
    let allow = [file.allow, args.allow].concat();
    let policy = Policy::new(&approve, &allow).context("bad --approve/--allow glob")?;
    let defaults = GatewayOptions::default();
    let options = GatewayOptions {
        policy,
        wait: (args.waiting.wait.or(file.wait)).map_or(defaults.wait, Duration::from_secs),
        deadline: args.deadline.or(file.deadline),
        upstream_timeout: (args.upstream_timeout.or(file.upstream_timeout))
            .map_or(defaults.upstream_timeout, Duration::from_secs),
        elicit: !args.waiting.no_elicit,
    };
    let gateway = Gateway::start(upstream, client, options)
        .await
        .map_err(|e| anyhow!(e))?;
    let running = gateway
        .serve(rmcp::transport::stdio())
        .await
        .context("the MCP client did not start a session")?;
    running.waiting().await.context("the MCP session failed")?;
    Ok(())
}

/// Logs to stderr (stdout is the protocol), `GHL_LOG` or `warn`.
fn init_logging() {
    let filter = std::env::var("GHL_LOG").unwrap_or_else(|_| "warn".into());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}
