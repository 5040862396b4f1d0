//! `ghl mcp` with no hub: a hub of its own, for a person who runs none. Its SQLite database
//! and an API key live in a data folder (`--data-dir`, default `$XDG_DATA_HOME/ghl` or
//! `~/.local/share/ghl`); its web inbox listens on `--inbox-addr` (default
//! `127.0.0.1:8765`). On first start it creates an inbox account `me` and writes its password
//! to `mcp-inbox.txt` in the data folder (readable by the owner only).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use gohumanloop::providers::hub::HubClient;
use gohumanloop_hub::accounts::{self, Role};
use gohumanloop_hub::channels::Dispatcher;
use gohumanloop_hub::web::WebConfig;
use gohumanloop_hub::{api, keys, store, Hub};
use tokio::net::TcpListener;

/// The account created on first start.
const ACCOUNT: &str = "me";
/// The key's name (answers given in the inbox are by `me`; requests are asked with this key).
const KEY_NAME: &str = "mcp";

/// Where the local hub keeps its data and serves its inbox.
#[derive(Args, Clone)]
pub struct LocalArgs {
    /// With no --hub: the folder of the local hub's database and key.
    #[arg(long, env = "GHL_MCP_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// With no --hub: where the local hub serves its web inbox (port 0 picks a free one).
    #[arg(long, env = "GHL_MCP_INBOX_ADDR", default_value = "127.0.0.1:8765")]
    inbox_addr: SocketAddr,
}

/// A running local hub.
pub struct LocalHub {
    /// A client of it, with its key.
    pub client: HubClient,
}

/// Starts the local hub and serves its inbox in the background.
pub async fn start(args: &LocalArgs) -> anyhow::Result<LocalHub> {
    let dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => default_dir().context("no --hub and no data folder: set HOME or --data-dir")?,
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let url = format!("sqlite://{}", dir.join("mcp.db").display());
    let db = store::open(&url)
        .await
        .with_context(|| format!("cannot open the database {url}"))?;
    let key = own_key(&db, &dir.join("mcp.key")).await?;
    if db.users().await?.is_empty() {
        let password = keys::generate();
        let hash = accounts::hash_password(&password)?;
        db.add_user(ACCOUNT, &hash, Role::Admin).await?;
        let note = dir.join("mcp-inbox.txt");
        write_private(
            &note,
            &format!("web inbox account: {ACCOUNT}\npassword: {password}\n"),
        )?;
        eprintln!(
            "ghl mcp: created the inbox account '{ACCOUNT}'; its password is in {}",
            note.display()
        );
    }
    let hub = Hub::start(db).await?;
    let listener = TcpListener::bind(args.inbox_addr)
        .await
        .with_context(|| format!("cannot listen on {} (--inbox-addr)", args.inbox_addr))?;
    let addr = listener.local_addr()?;
    let dispatcher = Dispatcher::start(hub.clone(), Vec::new()).map_err(anyhow::Error::msg)?;
    let app = api::router_with(hub.clone(), WebConfig::default()).merge(dispatcher.routes());
    tokio::spawn(async move {
        if let Err(e) = gohumanloop_hub::server::serve(listener, app, std::future::pending()).await
        {
            tracing::error!("the local hub stopped: {e}");
        }
    });
    eprintln!("ghl mcp: no --hub given; answer requests at http://{addr}/inbox");
    let client = HubClient::new(&format!("http://{addr}"), key)?;
    Ok(LocalHub { client })
}

/// The key in `path`, if the database still knows it; else a new one, stored there.
async fn own_key(db: &std::sync::Arc<dyn store::Store>, path: &Path) -> anyhow::Result<String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let key = text.trim().to_owned();
        if !key.is_empty() && db.key_owner(&keys::hash(&key)).await?.is_some() {
            return Ok(key);
        }
    }
    let key = keys::generate();
    db.add_key("default", KEY_NAME, &keys::prefix(&key), &keys::hash(&key))
        .await
        .context("cannot store the local hub's key")?;
    write_private(path, &key)?;
    Ok(key)
}

fn default_dir() -> Option<PathBuf> {
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(data).join("ghl"));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".local/share/ghl"))
}

/// Writes a secret readable by the owner only.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
