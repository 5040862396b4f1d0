//! `ghl serve --email-*`: the hub's email channel settings.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use gohumanloop::providers::email::server::pem_certificates;
use gohumanloop::providers::email::{EmailLanguage, Login, Security, ServerSettings};
use gohumanloop_hub::channels::email::routing::RouteRule;
use gohumanloop_hub::channels::email::EmailChannelConfig;

/// The email channel (off unless `--email-smtp` is given).
#[derive(Args, Debug)]
pub struct EmailArgs {
    /// Mail requests through this SMTP server (`HOST:PORT`); turns the email channel on.
    #[arg(long, env = "GHL_EMAIL_SMTP", value_name = "HOST:PORT")]
    email_smtp: Option<String>,
    /// `tls` (implicit, 465), `starttls` (587) or `plain` (a relay on this machine only).
    /// Default: from the port.
    #[arg(long, env = "GHL_EMAIL_SMTP_SECURITY", value_name = "MODE")]
    email_smtp_security: Option<String>,
    /// Read replies from this IMAP server (`HOST:PORT`); without it, links only.
    #[arg(long, env = "GHL_EMAIL_IMAP", value_name = "HOST:PORT")]
    email_imap: Option<String>,
    /// `tls` (993), `starttls` (143) or `plain`. Default: from the port.
    #[arg(long, env = "GHL_EMAIL_IMAP_SECURITY", value_name = "MODE")]
    email_imap_security: Option<String>,
    /// The login for both servers (also read from GOHUMANLOOP_EMAIL_USERNAME); the password
    /// comes from GHL_EMAIL_PASSWORD or GOHUMANLOOP_EMAIL_PASSWORD, never from the command line.
    #[arg(long, env = "GHL_EMAIL_USERNAME", value_name = "NAME")]
    email_username: Option<String>,
    /// The `From` address (default: the username).
    #[arg(long, env = "GHL_EMAIL_FROM", value_name = "ADDRESS")]
    email_from: Option<String>,
    /// The hub's address as approvers reach it, for the links in mails (default: the address
    /// it listens on).
    #[arg(long, env = "GHL_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Who gets requests without `metadata.recipient_email`: `PLATFORM=ADDRESS[,ADDRESS]`
    /// (`*` for every platform); repeat for several rules, the first match wins.
    #[arg(
        long = "email-route",
        env = "GHL_EMAIL_ROUTES",
        value_delimiter = ';',
        value_name = "RULE"
    )]
    email_routes: Vec<RouteRule>,
    /// The mails' language: `en` or `zh` (a request's `metadata.language` overrides it).
    #[arg(long, env = "GHL_EMAIL_LANGUAGE", default_value = "en")]
    email_language: String,
    /// A CA certificate (PEM) to trust besides the system's, for a private mail server.
    #[arg(long, env = "GHL_EMAIL_CA", value_name = "FILE")]
    email_ca: Option<PathBuf>,
    /// How long links live for a request without a deadline, in seconds.
    #[arg(long, env = "GHL_EMAIL_LINK_TTL", default_value_t = 7 * 24 * 3600)]
    email_link_ttl: u64,
    /// How often the mailbox is read when the IMAP server cannot IDLE, in seconds.
    #[arg(long, env = "GHL_EMAIL_CHECK_INTERVAL", default_value_t = 60)]
    email_check_interval: u64,
}

fn server(text: &str, security: Option<&str>) -> anyhow::Result<ServerSettings> {
    let (host, port) = text
        .rsplit_once(':')
        .with_context(|| format!("'{text}' is not HOST:PORT"))?;
    let port: u16 = port
        .parse()
        .with_context(|| format!("'{port}' is not a port"))?;
    let mut settings = ServerSettings::new(host.trim_matches(['[', ']']), port);
    if let Some(mode) = security {
        settings.security = Security::parse(mode)
            .with_context(|| format!("'{mode}' is not tls, starttls or plain"))?;
    }
    Ok(settings)
}

fn env_first(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

impl EmailArgs {
    /// The channel's settings, or `None` when it is off.
    pub fn config(&self, listening: SocketAddr) -> anyhow::Result<Option<EmailChannelConfig>> {
        let Some(smtp) = &self.email_smtp else {
            return Ok(None);
        };
        let smtp = server(smtp, self.email_smtp_security.as_deref())?;
        let username = self
            .email_username
            .clone()
            .or_else(|| env_first(&["GOHUMANLOOP_EMAIL_USERNAME"]));
        let password = env_first(&["GHL_EMAIL_PASSWORD", "GOHUMANLOOP_EMAIL_PASSWORD"]);
        let login = match (username.clone(), password) {
            (Some(username), Some(password)) => Some(Login { username, password }),
            (Some(_), None) => {
                bail!("--email-username needs GHL_EMAIL_PASSWORD in the environment")
            }
            _ => None,
        };
        let Some(sender) = self.email_from.clone().or(username) else {
            bail!("the email channel needs --email-from or --email-username");
        };
        let public_url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{listening}"));
        let mut config = EmailChannelConfig::new(smtp, sender, public_url);
        if let Some(imap) = &self.email_imap {
            config.imap = Some(server(imap, self.email_imap_security.as_deref())?);
        }
        config.login = login;
        // Also refused by the channel at start; here too so that `--check-config` says so.
        if config.imap.is_some() && config.login.is_none() {
            bail!("reading replies by IMAP (--email-imap) needs a login: --email-username and GHL_EMAIL_PASSWORD");
        }
        config.routes = self.email_routes.clone();
        config.language = EmailLanguage::from_code(&self.email_language);
        config.link_ttl = Duration::from_secs(self.email_link_ttl.max(1));
        config.check_interval = Duration::from_secs(self.email_check_interval.max(1));
        if let Some(path) = &self.email_ca {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read the CA file {}", path.display()))?;
            pem_certificates(&pem)
                .with_context(|| format!("unusable CA file {}", path.display()))?;
            config.extra_ca_pem = Some(pem);
        }
        Ok(Some(config))
    }
}
