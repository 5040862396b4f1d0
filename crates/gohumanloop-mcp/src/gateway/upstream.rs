//! The MCP server behind the gateway: a command run over stdio, or a streamable HTTP URL. A
//! connection that dropped (the server crashed) is made again on the next use.

use std::time::Duration;

use rmcp::service::{Peer, RunningService};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use tokio::sync::Mutex;

/// How long connecting (and the MCP handshake) may take.
const CONNECT: Duration = Duration::from_secs(30);

/// Where the upstream server is.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// A program speaking MCP on its stdin/stdout.
    Command {
        /// The program.
        program: String,
        /// Its arguments.
        args: Vec<String>,
    },
    /// A streamable HTTP endpoint.
    Url(String),
}

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Command { program, args } => write!(f, "{program} {}", args.join(" ")),
            Self::Url(url) => f.write_str(url),
        }
    }
}

/// A live connection to the upstream, remade when it drops.
pub(crate) struct Connection {
    upstream: Upstream,
    service: Mutex<Option<RunningService<RoleClient, ()>>>,
}

impl Connection {
    /// Connects once (so that a server that cannot start is reported at once).
    pub(crate) async fn open(upstream: Upstream) -> Result<Self, String> {
        let service = connect(&upstream).await?;
        Ok(Self {
            upstream,
            service: Mutex::new(Some(service)),
        })
    }

    /// The upstream's peer, reconnecting if the last connection dropped.
    pub(crate) async fn peer(&self) -> Result<Peer<RoleClient>, String> {
        let mut service = self.service.lock().await;
        if let Some(live) = service
            .as_ref()
            .filter(|s| !s.is_closed() && !s.peer().is_transport_closed())
        {
            return Ok(live.peer().clone());
        }
        tracing::warn!(upstream = %self.upstream, "the upstream server is gone; starting it again");
        let fresh = connect(&self.upstream).await?;
        let peer = fresh.peer().clone();
        *service = Some(fresh);
        Ok(peer)
    }

    /// What the upstream said about itself when it connected.
    pub(crate) async fn info(&self) -> Option<rmcp::model::ServerPeerInfo> {
        let service = self.service.lock().await;
        service.as_ref()?.peer().peer_info().map(|i| (*i).clone())
    }
}

async fn connect(upstream: &Upstream) -> Result<RunningService<RoleClient, ()>, String> {
    let started = async {
        match upstream {
            Upstream::Command { program, args } => {
                let mut command = tokio::process::Command::new(program);
                command.args(args);
                let transport = TokioChildProcess::new(command)
                    .map_err(|e| format!("cannot start '{program}': {e}"))?;
                ().serve(transport).await.map_err(|e| e.to_string())
            }
            Upstream::Url(url) => {
                let transport = StreamableHttpClientTransport::from_uri(url.as_str());
                ().serve(transport).await.map_err(|e| e.to_string())
            }
        }
    };
    tokio::time::timeout(CONNECT, started)
        .await
        .map_err(|_| format!("the upstream server {upstream} did not start within {CONNECT:?}"))?
        .map_err(|e| format!("cannot connect to the upstream server {upstream}: {e}"))
}
