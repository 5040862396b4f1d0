//! The real mail server of the tests (Postfix + Dovecot on loopback, started by
//! `scripts/mail-server.sh`), and a human's side of it: reading a mailbox over IMAPS and
//! replying over SMTP as a mail client would. Shared by the library's, the hub's and the CLI's
//! tests.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

/// The test mail server.
#[derive(Debug, Clone)]
pub struct MailServer {
    /// Its host (loopback).
    pub host: String,
    /// SMTP with STARTTLS.
    pub smtp_port: u16,
    /// SMTP over TLS from the first byte.
    pub smtps_port: u16,
    /// IMAP with STARTTLS.
    pub imap_port: u16,
    /// IMAP over TLS from the first byte.
    pub imaps_port: u16,
    /// The domain every test address is in.
    pub domain: String,
    /// The password every address logs in with.
    pub password: String,
    /// The test CA's certificate (PEM) the servers' certificates are signed by.
    pub ca_pem: Vec<u8>,
}

/// `target/mail-server/env`, as `scripts/mail-server.sh start` leaves it (empty when absent).
fn env_file() -> HashMap<String, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/mail-server/env");
    std::fs::read_to_string(path)
        .map(|text| {
            text.lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

impl MailServer {
    /// The server the environment names (or `target/mail-server/env` left by
    /// `scripts/mail-server.sh start`). Absent: `None`, the test reporting itself skipped
    /// (which fails `scripts/test.sh`: a skipped suite would be a green light that lies).
    pub fn get() -> Option<Self> {
        let file = env_file();
        let var = |k: &str| std::env::var(k).ok().or_else(|| file.get(k).cloned());
        let found = (|| {
            let port = |k: &str| var(k)?.parse::<u16>().ok();
            Some(Self {
                host: var("GHL_TEST_MAIL_HOST")?,
                smtp_port: port("GHL_TEST_SMTP_PORT")?,
                smtps_port: port("GHL_TEST_SMTPS_PORT")?,
                imap_port: port("GHL_TEST_IMAP_PORT")?,
                imaps_port: port("GHL_TEST_IMAPS_PORT")?,
                domain: var("GHL_TEST_MAIL_DOMAIN")?,
                password: var("GHL_TEST_MAIL_PASSWORD")?,
                ca_pem: std::fs::read(var("GHL_TEST_MAIL_CA")?).ok()?,
            })
        })();
        if found.is_none() {
            let why = "no test mail server: run `bash scripts/mail-server.sh start` (scripts/test.sh does)";
            crate::skip(why);
        }
        found
    }

    /// A fresh address nobody else uses (any name logs in with the test password).
    pub fn address(&self, who: &str) -> String {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        format!("{who}-{}@{}", &unique[..12], self.domain)
    }

    /// Sends `message` over SMTP with STARTTLS, logged in as `login`.
    pub async fn send(&self, login: &str, message: Message) {
        let mut params = TlsParameters::builder(self.host.clone());
        for cert in CertificateDer::pem_slice_iter(&self.ca_pem) {
            let cert = Certificate::from_der(cert.unwrap().to_vec()).unwrap();
            params = params.add_root_certificate(cert);
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.smtp_port)
            .tls(Tls::Required(params.build_rustls().unwrap()))
            .credentials(Credentials::new(login.to_owned(), self.password.clone()))
            .build();
        transport
            .send(message)
            .await
            .expect("the test mail server took the mail");
    }

    /// Every message in `user`'s INBOX, oldest first (over IMAPS).
    pub async fn messages(&self, user: &str) -> Vec<Vec<u8>> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&self.ca_pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.imaps_port))
            .await
            .unwrap();
        let name = ServerName::try_from(self.host.clone()).unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .unwrap();
        let mut client = async_imap::Client::new(tls);
        client.read_response().await.unwrap();
        let mut session = client
            .login(user, &self.password)
            .await
            .map_err(|e| e.0)
            .unwrap();
        session.select("INBOX").await.unwrap();
        let fetched: Vec<_> = session
            .fetch("1:*", "BODY.PEEK[]")
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap_or_default();
        let _ = session.logout().await;
        fetched
            .iter()
            .filter_map(|f| f.body().map(<[u8]>::to_vec))
            .collect()
    }

    /// Waits (bounded) until `user` has at least `count` messages; returns them.
    pub async fn wait_for(&self, user: &str, count: usize) -> Vec<Vec<u8>> {
        let what = format!("{user} to get {count} mail(s)");
        crate::until(&what, Duration::from_secs(60), || async {
            let all = self.messages(user).await;
            (all.len() >= count).then_some(all)
        })
        .await
    }
}

/// A received mail's headers and text part, as a human's client shows them.
#[derive(Debug, Clone)]
pub struct Received {
    /// The sender's address.
    pub from: String,
    /// Its subject.
    pub subject: String,
    /// Its `Message-ID`, without the angle brackets.
    pub message_id: String,
    /// Its `References`.
    pub references: Vec<String>,
    /// Its `In-Reply-To`.
    pub in_reply_to: Option<String>,
    /// Its plain-text part.
    pub text: String,
    /// Its HTML part.
    pub html: String,
}

/// Reads a raw mail as [`Received`].
pub fn open(raw: &[u8]) -> Received {
    let message = mail_parser::MessageParser::default().parse(raw).unwrap();
    let list = |v: &mail_parser::HeaderValue| match v {
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    };
    Received {
        from: message
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned(),
        subject: message.subject().unwrap_or_default().to_owned(),
        message_id: message.message_id().unwrap_or_default().to_owned(),
        references: list(message.references()),
        in_reply_to: list(message.in_reply_to()).into_iter().next(),
        text: message.body_text(0).unwrap_or_default().into_owned(),
        html: message.body_html(0).unwrap_or_default().into_owned(),
    }
}

/// A reply to `original` as a mail client writes it: `Re:` subject, threading headers, the
/// human's words on top and the original quoted with `>` below an attribution line.
pub fn reply(original: &Received, from: &str, words: &str) -> Message {
    let quoted: String = original.text.lines().map(|l| format!("> {l}\n")).collect();
    let body = format!(
        "{words}\n\nOn Wed, Nov 25, 2026 at 10:02 AM <{}> wrote:\n{quoted}",
        original.from
    );
    let mut references = original.references.clone();
    references.push(original.message_id.clone());
    let references: Vec<String> = references.iter().map(|r| format!("<{r}>")).collect();
    Message::builder()
        .from(from.parse().unwrap())
        .to(original.from.parse().unwrap())
        .subject(format!("Re: {}", original.subject))
        .in_reply_to(format!("<{}>", original.message_id))
        .references(references.join(" "))
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .unwrap()
}

/// [`reply`] as an out-of-office responder writes it: `Auto-Submitted: auto-replied`.
pub fn auto_reply(original: &Received, from: &str, words: &str) -> Message {
    let mut message = reply(original, from, words);
    message.headers_mut().set(AutoReplied);
    message
}

/// `Auto-Submitted: auto-replied` (RFC 3834).
#[derive(Clone)]
struct AutoReplied;

impl Header for AutoReplied {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-replied".to_owned())
    }
}
