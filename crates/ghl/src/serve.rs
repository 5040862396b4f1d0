//! `ghl serve`: runs the hub.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use gohumanloop_hub::channels::email::EmailChannel;
use gohumanloop_hub::channels::webhook::{decisions_path, WebhookChannel, WebhookConfig};
use gohumanloop_hub::channels::{Channel, Dispatcher};
use gohumanloop_hub::server::ServeLimits;
use gohumanloop_hub::store::{Durability, StoreOptions};
use gohumanloop_hub::web::WebConfig;
use gohumanloop_hub::{api, store, Hub};
use tokio::net::TcpListener;

/// Where the database lives, shared by `serve`, `keys` and `audit`.
#[derive(Args, Clone)]
pub struct DbArgs {
    /// The database: `sqlite://PATH` (created if missing), a plain file path, or
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (several hub nodes may share it; TLS to it is
    /// set in the URL: `?sslmode=verify-full&sslrootcert=ca.pem`).
    #[arg(
        long,
        env = "GHL_DB",
        default_value = "sqlite://ghl.db",
        value_name = "URL"
    )]
    pub db: String,
}

impl DbArgs {
    /// The URL with a scheme (`ghl.db` → `sqlite://ghl.db`).
    pub fn url(&self) -> String {
        if self.db.contains(':') {
            self.db.clone()
        } else {
            format!("sqlite://{}", self.db)
        }
    }
}

/// Arguments of `ghl serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free one; the line `listening on` tells it).
    #[arg(long, env = "GHL_ADDR", default_value = "127.0.0.1:8000")]
    addr: SocketAddr,
    #[command(flatten)]
    db: DbArgs,
    /// Log filter (`error`, `warn`, `info`, `debug`, or a tracing directive).
    #[arg(long, env = "GHL_LOG", default_value = "info")]
    log_level: String,
    /// When an acknowledged change is safe: `full` (on disk first: survives power loss) or
    /// `normal` (survives a crash of the hub; the last moments may be lost on power loss).
    #[arg(long, env = "GHL_SYNC", value_enum, default_value = "full")]
    sync: Sync,
    /// PostgreSQL: connections this node keeps to the database at most (default 10).
    #[arg(long, env = "GHL_DB_POOL_SIZE", value_name = "N", value_parser = clap::value_parser!(u32).range(2..=1000))]
    db_pool_size: Option<u32>,
    /// PostgreSQL: how long one statement may run before the database cancels it, e.g. `30s`,
    /// `500ms`, `2m` (default: no limit).
    #[arg(long, env = "GHL_DB_STATEMENT_TIMEOUT", value_name = "DURATION", value_parser = statement_timeout)]
    db_statement_timeout: Option<std::time::Duration>,
    /// Do not serve `GET /metrics` (Prometheus' text format, no key needed; served by default).
    #[arg(long, env = "GHL_NO_METRICS")]
    no_metrics: bool,
    /// Send traces (a span per HTTP request) to this OpenTelemetry collector over OTLP/HTTP
    /// (protobuf): its base URL (`http://otel-collector:4318`, `/v1/traces` is added) or the
    /// full traces URL. The `OTEL_BSP_*` variables tune the batches.
    #[arg(long, env = "GHL_OTLP_ENDPOINT", value_name = "URL", value_parser = crate::telemetry::otlp_endpoint)]
    otlp_endpoint: Option<reqwest::Url>,
    /// Threads serving HTTP (default: one per core).
    #[arg(long, env = "GHL_WORKERS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub workers: Option<u16>,
    /// Connections served at once (default: the open-file limit less 256). Past it, new
    /// connections get a 503 — `/health` still answers.
    #[arg(long, env = "GHL_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(16..))]
    max_connections: Option<u32>,
    /// Connections from one client address at once (default: 4096, within --max-connections).
    /// Past it, that address gets a 429. Every waiting agent holds one connection.
    #[arg(long, env = "GHL_MAX_CONNECTIONS_PER_ADDRESS", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections_per_address: Option<u32>,
    /// Mark the web inbox's cookies `Secure` (set this when the hub is reached over HTTPS).
    #[arg(long, env = "GHL_SECURE_COOKIES")]
    secure_cookies: bool,
    /// A reverse proxy whose `X-Forwarded-For` names the client, for the sign-in throttle
    /// (repeatable; env: comma-separated). Without one, the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "GHL_TRUSTED_PROXIES",
        value_name = "IP",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<std::net::IpAddr>,
    #[command(flatten)]
    email: crate::serve_email::EmailArgs,
    /// Settings in a TOML file (`ghl.example.toml` shows every key); flags and environment
    /// variables win over it. Webhook channels are set only there.
    #[arg(long, env = "GHL_CONFIG", value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Check the settings (flags, environment, configuration file) and exit: 0 if the hub
    /// could start with them, 3 naming each problem. Opens no database and no connection.
    #[arg(long)]
    check_config: bool,
    /// The webhook channels of the configuration file.
    #[arg(skip)]
    pub webhooks: Vec<WebhookConfig>,
    #[command(flatten)]
    mcp: crate::serve_mcp::McpHttpArgs,
    /// The chat channels of the configuration file.
    #[arg(skip)]
    pub chat: crate::config::ChatSettings,
    /// The policy of the configuration file (`[policy]`).
    #[arg(skip)]
    pub policy: gohumanloop_hub::policy::Policy,
    /// Tests only: serve `POST /api/v1/test/clock`, which moves the hub's clock forward, so
    /// that tests of deadlines and escalations need not sleep. Never in production.
    #[arg(long, hide = true)]
    test_clock: bool,
    /// Tests only: start with the hub's clock this many seconds ahead (implies `--test-clock`),
    /// e.g. to start again after a deadline as if the hub had been down past it.
    #[arg(long, hide = true, value_name = "SECS")]
    test_clock_ahead: Option<u64>,
}

impl ServeArgs {
    /// The connection caps: the flags, else what the open-file limit allows.
    fn limits(&self) -> ServeLimits {
        let mut limits = ServeLimits::default();
        if let Some(max) = self.max_connections {
            limits.max_connections = max as usize;
        }
        limits.max_connections_per_address = match self.max_connections_per_address {
            Some(max) => max as usize,
            None => limits.max_connections_per_address,
        }
        .min(limits.max_connections);
        limits
    }

    /// `--check-config`'s line on the database pool, its time-out and the metrics, when any is
    /// not the default.
    fn operations(&self) -> Option<String> {
        let mut said = Vec::new();
        if let Some(size) = self.db_pool_size {
            said.push(format!("database pool {size} connection(s)"));
        }
        if let Some(limit) = self.db_statement_timeout {
            said.push(format!("statement time-out {limit:?}"));
        }
        if self.no_metrics {
            said.push("metrics off".to_owned());
        }
        if let Some(url) = &self.otlp_endpoint {
            said.push(format!("traces to {url}"));
        }
        (!said.is_empty()).then(|| said.join(", "))
    }
}

/// `--db-statement-timeout`: a duration (`30s`, `500ms`, `2m`; a bare number is seconds), not 0.
fn statement_timeout(text: &str) -> Result<std::time::Duration, String> {
    let limit = crate::config::duration(text)?;
    if limit.is_zero() {
        return Err("a statement time-out must be longer than 0".into());
    }
    Ok(limit)
}

/// `--sync`.
#[derive(Clone, Copy, ValueEnum)]
enum Sync {
    /// fsync before acknowledging.
    Full,
    /// Write before acknowledging, fsync at checkpoints.
    Normal,
}

/// Runs the hub until SIGINT or SIGTERM.
pub async fn run(mut args: ServeArgs) -> anyhow::Result<()> {
    if args.check_config {
        return check(&args);
    }
    let telemetry = crate::telemetry::init(&args.log_level, args.otlp_endpoint.as_ref())?;
    crate::raise_open_files_limit();
    let url = args.db.url();
    // The URL as messages show it: a PostgreSQL password stays out of logs and terminals.
    let shown = store::redacted(&url);
    let durability = match args.sync {
        Sync::Full => Durability::Full,
        Sync::Normal => Durability::Normal,
    };
    let store = store::open_with(
        &url,
        StoreOptions {
            durability,
            pool_size: args.db_pool_size,
            statement_timeout: args.db_statement_timeout,
        },
    )
    .await
    .with_context(|| format!("cannot open the database {shown}"))?;
    store
        .verify()
        .await
        .with_context(|| format!("cannot serve the database {shown}"))?;
    if store.keys().await?.is_empty() {
        eprintln!(
            "This database has no API key yet. Create one with:\n  ghl keys create --db {shown} --name NAME\n\
             and give it to agents as GOHUMANLOOP_API_KEY (Python client) or GHL_API_KEY (ghl)."
        );
    }
    if store.users().await?.is_empty() {
        eprintln!(
            "No one can sign in to the web inbox yet. Create an admin with:\n  ghl users create --db {shown} --role admin NAME"
        );
    }
    let rules = args.policy.len();
    let hub = Hub::start_with_policy(store, std::mem::take(&mut args.policy)).await?;
    if rules > 0 {
        announce(&format!("Policy: {rules} rules"));
    }
    let test_clock = args.test_clock || args.test_clock_ahead.is_some();
    if let Some(secs) = args.test_clock_ahead {
        hub.advance_clock(i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX));
    }
    if test_clock {
        announce("Test clock: POST /api/v1/test/clock moves the hub's clock (tests only)");
    }
    let listener = TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    let email = match args.email.config(addr)? {
        Some(config) => {
            let described = format!(
                "Email channel: sending as {} via {}:{}{}",
                config.sender,
                config.smtp.host,
                config.smtp.port,
                match &config.imap {
                    Some(imap) => format!(", replies read from {}:{}", imap.host, imap.port),
                    None => ", links only (no --email-imap)".into(),
                }
            );
            let channel = EmailChannel::start(hub.clone(), config)
                .await
                .context("cannot start the email channel")?;
            announce(&described);
            Some(channel)
        }
        None => None,
    };
    let limits = args.limits();
    let web = WebConfig {
        secure_cookies: args.secure_cookies,
        trusted_proxies: args.trusted_proxies,
    };
    let mut channels: Vec<Arc<dyn Channel>> = Vec::new();
    if let Some(email) = email {
        channels.push(email);
    }
    for webhook in args.webhooks {
        let described = format!(
            "Webhook channel '{}': events to {}, decisions at http://{addr}{}",
            webhook.name,
            webhook.url,
            decisions_path(&webhook.name)
        );
        let channel = WebhookChannel::start(hub.clone(), webhook)
            .await
            .context("cannot start a webhook channel")?;
        announce(&described);
        channels.push(channel);
    }
    channels.extend(crate::serve_chat::start(&hub, addr, args.chat).await?);
    let dispatcher = Dispatcher::start(hub.clone(), channels).map_err(anyhow::Error::msg)?;
    let options = api::RouterOptions {
        metrics: !args.no_metrics,
        test_clock,
    };
    let app = api::router_with_options(hub.clone(), web, options)
        .merge(dispatcher.routes())
        .merge(crate::serve_mcp::routes(&hub, addr, &args.mcp)?);
    let app = telemetry.traced(app);
    let stop = stop_signal()?;
    announce(&format!(
        "ghl hub listening on http://{addr} (database {url})"
    ));
    announce(&format!(
        "Python client: GOHUMANLOOP_API_BASE_URL=http://{addr}/api"
    ));
    announce(&format!("Web inbox: http://{addr}/inbox"));
    announce(&format!(
        "MCP (streamable HTTP, bearer API key): http://{addr}/mcp"
    ));
    let shutdown_hub = hub.clone();
    tracing::info!(
        max_connections = limits.max_connections,
        per_address = limits.max_connections_per_address,
        "connection caps"
    );
    gohumanloop_hub::server::serve_with(listener, app, limits, async move {
        stop.await;
        tracing::info!("shutting down");
        shutdown_hub.begin_shutdown();
    })
    .await?;
    telemetry.flush().await;
    Ok(())
}

/// `--check-config`: what the hub would start with, without starting it (no secret shown).
fn check(args: &ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::EnvFilter::try_new(&args.log_level)
        .with_context(|| format!("bad --log-level '{}'", args.log_level))?;
    let email = args.email.config(args.addr)?;
    announce(&format!(
        "configuration OK: listen on {}, database {}, email channel {}, {} webhook channel(s)",
        args.addr,
        store::redacted(&args.db.url()),
        if email.is_some() { "on" } else { "off" },
        args.webhooks.len()
    ));
    if let Some(line) = args.operations() {
        announce(&line);
    }
    for line in crate::serve_chat::describe(&args.chat) {
        announce(&line);
    }
    if !args.policy.is_empty() {
        announce(&format!("policy: {} rule(s)", args.policy.len()));
    }
    for webhook in &args.webhooks {
        announce(&format!(
            "webhook '{}': events to {} ({} secret(s), {} retries, time-out {:?})",
            webhook.name,
            webhook.url,
            webhook.secrets.len(),
            webhook.retry.len(),
            webhook.timeout
        ));
    }
    Ok(())
}

/// Prints a start-up line on stdout. A stdout nobody reads any more (a closed pipe) must not
/// stop the hub, as `println!` would by panicking.
pub(crate) fn announce(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Resolves at SIGINT or SIGTERM. The handlers are installed when this is called, not when it
/// is first awaited: a signal sent right after `listening on` is printed must stop the hub
/// cleanly instead of killing it.
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
