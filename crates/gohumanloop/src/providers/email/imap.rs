//! Watching a mailbox over IMAP (async-imap): IDLE where the server offers it, polling every
//! `check_interval` otherwise. Each new unseen mail is handed once to an [`Inbox`]; the mails
//! it takes as answers are flagged `\Seen`, the others are left as they were.

use std::collections::HashSet;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_imap::{Client, Session};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_rustls::TlsConnector;

use super::server::{tls_config, EmailError, Login, Security, ServerSettings};

/// How long one IDLE lasts before it is renewed (servers drop idle clients after 30 minutes).
const IDLE_RENEW: Duration = Duration::from_secs(20 * 60);
/// How many connection failures in a row are tolerated before the inbox is told it is broken.
const FAILURES_TOLERATED: u32 = 8;
/// The longest pause between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What the watcher hands the mails to.
#[async_trait]
pub trait Inbox: Send + Sync + 'static {
    /// Whether anything is waiting for a reply (the watcher disconnects while nothing is).
    fn watching(&self) -> bool;

    /// One new mail; `true` if it was taken as an answer (it is then flagged `\Seen`).
    async fn mail(&self, raw: &[u8]) -> bool;

    /// The mailbox cannot be read (login refused, or the server unreachable for long): the
    /// inbox should end what waits on it rather than wait forever.
    async fn broken(&self, error: EmailError);
}

/// Where to watch and how.
#[derive(Debug, Clone)]
pub struct ImapSettings {
    /// The server.
    pub server: ServerSettings,
    /// The login.
    pub login: Login,
    /// The mailbox to watch (`INBOX`).
    pub mailbox: String,
    /// How often to look when the server has no IDLE (or `idle` is off).
    pub check_interval: Duration,
    /// Use IDLE where the server offers it (off: poll every `check_interval`, for servers
    /// whose IDLE is broken).
    pub idle: bool,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Io for T {}
type Stream = Box<dyn Io>;

fn imap_error(e: impl std::fmt::Display) -> EmailError {
    EmailError::Imap(e.to_string())
}

/// Why a session ended.
enum Ended {
    /// Nothing waits any more.
    Idle,
    /// The login was refused: trying again will not help.
    Refused(EmailError),
    /// The connection failed: try again later.
    Failed(EmailError),
}

/// A mailbox watcher. Run it with [`Watcher::run`] on a task of its own.
pub struct Watcher {
    settings: ImapSettings,
    tls: Arc<rustls::ClientConfig>,
    wake: Arc<Notify>,
    seen: HashSet<u32>,
    uid_validity: Option<u32>,
}

impl Watcher {
    /// A watcher for `settings`, trusting `extra_ca` (PEM) on top of the system's roots;
    /// `wake` is notified when something starts waiting.
    pub fn new(
        settings: ImapSettings,
        extra_ca: Option<&[u8]>,
        wake: Arc<Notify>,
    ) -> Result<Self, EmailError> {
        Ok(Self {
            settings,
            tls: tls_config(extra_ca)?,
            wake,
            seen: HashSet::new(),
            uid_validity: None,
        })
    }

    /// Watches for as long as `inbox` lives: connected while it is watching, asleep otherwise.
    /// Ends when the last strong reference to the inbox is gone.
    pub async fn run<I: Inbox>(mut self, inbox: std::sync::Weak<I>) {
        let mut failures = 0u32;
        loop {
            let Some(current) = inbox.upgrade() else {
                return;
            };
            if !current.watching() {
                let wake = self.wake.clone();
                drop(current);
                wake.notified().await;
                continue;
            }
            match self.session(current.as_ref()).await {
                Ended::Idle => failures = 0,
                Ended::Refused(error) => {
                    tracing::warn!(%error, "IMAP login refused");
                    current.broken(error).await;
                    failures = 0;
                }
                Ended::Failed(error) => {
                    failures += 1;
                    tracing::warn!(%error, failures, "IMAP connection failed");
                    if failures >= FAILURES_TOLERATED {
                        current.broken(error).await;
                        failures = 0;
                    }
                    let pause = Duration::from_secs(1 << failures.min(6)).min(MAX_BACKOFF);
                    drop(current);
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }

    async fn connect(&self) -> Result<Client<Stream>, EmailError> {
        let server = &self.settings.server;
        let tcp = TcpStream::connect((server.host.as_str(), server.port))
            .await
            .map_err(|e| {
                imap_error(format!("cannot reach {}:{}: {e}", server.host, server.port))
            })?;
        let stream: Stream = match server.security {
            Security::Plain => Box::new(tcp),
            Security::Tls => Box::new(self.tls(tcp).await?),
            Security::StartTls => {
                let mut client = Client::new(tcp);
                greeting(&mut client).await?;
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|e| imap_error(format!("STARTTLS refused: {e}")))?;
                let tls = self.tls(client.into_inner()).await?;
                // After STARTTLS the server sends no second greeting.
                return Ok(Client::new(Box::new(tls)));
            }
        };
        let mut client = Client::new(stream);
        greeting(&mut client).await?;
        Ok(client)
    }

    async fn tls(
        &self,
        tcp: TcpStream,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, EmailError> {
        let name = ServerName::try_from(self.settings.server.certificate_name().to_owned())
            .map_err(|e| EmailError::Config(format!("invalid server name: {e}")))?;
        TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .map_err(|e| imap_error(format!("TLS handshake failed: {e}")))
    }

    async fn session<I: Inbox>(&mut self, inbox: &I) -> Ended {
        let client = match self.connect().await {
            Ok(client) => client,
            Err(e) => return Ended::Failed(e),
        };
        let login = &self.settings.login;
        let mut session = match client.login(&login.username, &login.password).await {
            Ok(session) => session,
            Err((e, _)) => return Ended::Refused(imap_error(format!("login failed: {e}"))),
        };
        let can_idle = match self.open_mailbox(&mut session).await {
            Ok(can_idle) => can_idle,
            Err(e) => return Ended::Failed(e),
        };
        while inbox.watching() {
            if let Err(e) = self.read_new(&mut session, inbox).await {
                return Ended::Failed(e);
            }
            if !inbox.watching() {
                break;
            }
            if can_idle {
                session = match self.idle(session).await {
                    Ok(session) => session,
                    Err(e) => return Ended::Failed(e),
                };
            } else {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.check_interval) => {}
                    _ = self.wake.notified() => {}
                }
            }
        }
        // Best effort: the connection may already be gone.
        let _ = session.logout().await;
        Ended::Idle
    }

    /// Says who we are, selects the mailbox; whether the server can IDLE.
    async fn open_mailbox(&mut self, session: &mut Session<Stream>) -> Result<bool, EmailError> {
        let capabilities = session.capabilities().await.map_err(imap_error)?;
        if capabilities.has_str("ID") {
            // NetEase (163/126) refuses mailboxes to clients that do not say who they are.
            let _ = session
                .id([
                    ("name", Some("GoHumanLoop")),
                    ("version", Some("1.0.0")),
                    ("vendor", Some("GoHumanLoop Client")),
                    ("contact", Some("gohumanloop@gmail.com")),
                ])
                .await;
        }
        let mailbox = session
            .select(&self.settings.mailbox)
            .await
            .map_err(imap_error)?;
        if mailbox.uid_validity != self.uid_validity {
            self.seen.clear();
            self.uid_validity = mailbox.uid_validity;
        }
        Ok(self.settings.idle && capabilities.has_str("IDLE"))
    }

    async fn read_new<I: Inbox>(
        &mut self,
        session: &mut Session<Stream>,
        inbox: &I,
    ) -> Result<(), EmailError> {
        let unseen = session.uid_search("UNSEEN").await.map_err(imap_error)?;
        let mut new: Vec<u32> = unseen
            .into_iter()
            .filter(|uid| !self.seen.contains(uid))
            .collect();
        new.sort_unstable();
        for uid in new {
            let raw = {
                let fetches: Vec<_> = session
                    .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                    .await
                    .map_err(imap_error)?
                    .try_collect()
                    .await
                    .map_err(imap_error)?;
                fetches
                    .iter()
                    .find_map(|f| f.body().map(<[u8]>::to_vec))
                    .unwrap_or_default()
            };
            self.seen.insert(uid);
            if raw.is_empty() {
                continue;
            }
            if inbox.mail(&raw).await {
                let _: Vec<_> = session
                    .uid_store(uid.to_string(), "+FLAGS (\\Seen)")
                    .await
                    .map_err(imap_error)?
                    .try_collect()
                    .await
                    .map_err(imap_error)?;
            }
        }
        Ok(())
    }

    /// One IDLE: until the server reports a change, the renewal time, or a wake-up.
    async fn idle(&self, session: Session<Stream>) -> Result<Session<Stream>, EmailError> {
        let mut idle = session.idle();
        idle.init().await.map_err(imap_error)?;
        let (wait, stop) = idle.wait_with_timeout(IDLE_RENEW);
        let outcome = tokio::select! {
            outcome = wait => Some(outcome),
            _ = self.wake.notified() => None,
        };
        drop(stop);
        if let Some(Err(e)) = outcome {
            return Err(imap_error(e));
        }
        idle.done().await.map_err(imap_error)
    }
}

async fn greeting<T: AsyncRead + AsyncWrite + Unpin + Send + Debug>(
    client: &mut Client<T>,
) -> Result<(), EmailError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(imap_error(
            "the server closed the connection before greeting",
        )),
        Err(e) => Err(imap_error(e)),
    }
}
