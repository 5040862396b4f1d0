//! The hub's email channel: each request routed to an address is mailed (text + HTML, the
//! request as the inbox shows it, signed one-click links, the reply template); replies are read
//! from an IMAP mailbox with the library's parser. Links and replies answer through
//! [`crate::Hub::decide`], so the first answer from any channel wins.

pub(crate) mod letter;
pub mod links;
pub mod mail;
mod pages;
pub mod replies;
pub mod routing;
pub(crate) mod view;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use gohumanloop::providers::email::compose::MailMessage;
use gohumanloop::providers::email::imap::{ImapSettings, Watcher};
use gohumanloop::providers::email::smtp::Mailer;
use gohumanloop::providers::email::{token, EmailError, EmailLanguage, Login, ServerSettings};
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};

use self::letter::{letter, MailParts};
use self::links::LinkSigner;
use self::mail::{mail_thread, MailRecord};
use self::replies::HubReplies;
use self::routing::{recipients_of, RouteRule};
use super::{Channel, ChannelError, Delivered, DeliveryError};
use crate::core::Hub;
use crate::record::{now_ms, rfc3339_to_ms, RequestRecord};
use crate::store::Delivery;

/// The name of the link-signing key among the hub's secrets.
const LINK_KEY: &str = "email-link-key";
/// How many mails are sent at once.
const PARALLEL_SENDS: usize = 4;
/// How many times a mail is tried before waiting for the next catch-up.
const SEND_TRIES: u32 = 3;

/// How the email channel is set up.
#[derive(Debug, Clone)]
pub struct EmailChannelConfig {
    /// Where mail is sent.
    pub smtp: ServerSettings,
    /// Where replies are read (`None`: links only).
    pub imap: Option<ServerSettings>,
    /// The login for both servers (`None`: SMTP without login, e.g. a local relay).
    pub login: Option<Login>,
    /// `From`.
    pub sender: String,
    /// The hub's address as approvers reach it (`https://hub.example.com`), for links.
    pub public_url: String,
    /// Who gets requests that do not name a `recipient_email`.
    pub routes: Vec<RouteRule>,
    /// The mails' language unless a request's `metadata.language` says otherwise.
    pub language: EmailLanguage,
    /// A CA (PEM) to trust besides the system's.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// How long links live for a request without a deadline.
    pub link_ttl: Duration,
    /// How often the mailbox is read when the server cannot IDLE.
    pub check_interval: Duration,
    /// The mailbox replies arrive in.
    pub mailbox: String,
}

impl EmailChannelConfig {
    /// A channel sending through `smtp` as `sender`, links pointing at `public_url`; no IMAP,
    /// no routes, English, links valid 7 days.
    pub fn new(
        smtp: ServerSettings,
        sender: impl Into<String>,
        public_url: impl Into<String>,
    ) -> Self {
        Self {
            smtp,
            imap: None,
            login: None,
            sender: sender.into(),
            public_url: public_url.into(),
            routes: Vec::new(),
            language: EmailLanguage::En,
            extra_ca_pem: None,
            link_ttl: Duration::from_secs(7 * 24 * 3600),
            check_interval: Duration::from_secs(60),
            mailbox: "INBOX".into(),
        }
    }
}

/// The running email channel.
pub struct EmailChannel {
    hub: Hub,
    config: EmailChannelConfig,
    mailer: Mailer,
    /// The link pages, which hold the key links are signed with.
    pages: Arc<pages::LinkPages>,
    sends: Semaphore,
    _replies: Option<Arc<HubReplies>>,
}

impl std::fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmailChannel({})", self.config.sender)
    }
}

impl EmailChannel {
    /// Starts the channel on `hub`: with IMAP, it reads the replies at once; requests are
    /// mailed once it is given to the [`super::Dispatcher`].
    pub async fn start(hub: Hub, config: EmailChannelConfig) -> Result<Arc<Self>, ChannelError> {
        let config_error =
            |e: gohumanloop::providers::email::EmailError| ChannelError::Config(e.to_string());
        let ca = config.extra_ca_pem.as_deref();
        let mailer = Mailer::new(&config.smtp, config.login.as_ref(), ca).map_err(config_error)?;
        let fresh: [u8; 32] = rand_key();
        let key = hub.store().secret(LINK_KEY, &fresh).await?;
        let replies = match (&config.imap, &config.login) {
            (Some(server), Some(login)) => {
                let replies = Arc::new(HubReplies::new(hub.clone()));
                let settings = ImapSettings {
                    server: server.clone(),
                    login: login.clone(),
                    mailbox: config.mailbox.clone(),
                    check_interval: config.check_interval,
                    idle: true,
                };
                let watcher =
                    Watcher::new(settings, ca, Arc::new(Notify::new())).map_err(config_error)?;
                tokio::spawn(watcher.run(Arc::downgrade(&replies)));
                Some(replies)
            }
            (Some(_), None) => {
                return Err(ChannelError::Config(
                    "reading replies by IMAP needs a login".into(),
                ))
            }
            (None, _) => None,
        };
        let pages = Arc::new(pages::LinkPages {
            hub: hub.clone(),
            signer: LinkSigner::new(key),
        });
        let channel = Arc::new(Self {
            hub: hub.clone(),
            config,
            mailer,
            pages,
            sends: Semaphore::new(PARALLEL_SENDS),
            _replies: replies,
        });
        Ok(channel)
    }

    /// The link signer (the link pages check with it).
    pub fn signer(&self) -> &LinkSigner {
        &self.pages.signer
    }

    /// When the links of a request stop working (Unix seconds): its deadline, or the TTL.
    pub(crate) fn links_expire_at(&self, record: &RequestRecord) -> i64 {
        let created = rfc3339_to_ms(&record.created_at).unwrap_or_else(now_ms) / 1000;
        match record.deadline_at.as_deref().and_then(rfc3339_to_ms) {
            Some(deadline) => deadline / 1000,
            None => created + self.config.link_ttl.as_secs() as i64,
        }
    }

    fn language_of(&self, record: &RequestRecord) -> EmailLanguage {
        match record.metadata.get("language").and_then(Value::as_str) {
            Some(code) => EmailLanguage::from_code(code),
            None => self.config.language,
        }
    }

    fn subject_of(&self, record: &RequestRecord, thread: &[MailRecord]) -> String {
        let meta = |key: &str| record.metadata.get(key).and_then(Value::as_str);
        if let Some(subject) = meta("subject") {
            return subject.to_owned();
        }
        if let Some(first) = thread.first() {
            return first.subject.clone();
        }
        let prefix = meta("subject_prefix").unwrap_or("[GoHumanLoop]");
        format!("{prefix} Task {}", record.task_id)
    }

    async fn mail_once(
        &self,
        record: &RequestRecord,
        delivery: &Delivery,
        recipients: Vec<String>,
    ) -> Result<Delivered, DeliveryError> {
        let store = self.hub.store();
        let thread = mail_thread(store.as_ref(), record.tenant, &record.conversation_id)
            .await
            .map_err(retry)?;
        // The token and Message-ID are kept before the first attempt: a resend after a crash
        // carries the same ones.
        let prepared = match MailRecord::of(delivery) {
            Some(prepared) => prepared,
            None => {
                let token = token::new_token();
                let message_id = token::message_id(&token, token::domain_of(&self.config.sender));
                let subject = self.subject_of(record, &thread);
                let data = MailRecord::data(&message_id, &recipients, &subject);
                let stored = store
                    .prepare_delivery(delivery, &token, data)
                    .await
                    .map_err(retry)?;
                MailRecord::of(&stored).ok_or_else(|| {
                    DeliveryError::Retry("the prepared mail could not be read back".into())
                })?
            }
        };
        let thread_ids: Vec<String> = thread
            .iter()
            .filter(|m| m.request_id != record.id)
            .map(|m| m.message_id.clone())
            .collect();
        let language = self.language_of(record);
        let links_expire_at = self.links_expire_at(record);
        let mut messages = Vec::new();
        for recipient in &prepared.recipients {
            let parts = MailParts {
                record,
                sender: &self.config.sender,
                recipient,
                subject: &prepared.subject,
                token: &prepared.token,
                message_id: &prepared.message_id,
                thread: &thread_ids,
                language,
                public_url: &self.config.public_url,
                links_expire_at,
            };
            match letter(&parts, self.signer()).build() {
                Ok(message) => messages.push(message),
                // An address that cannot be written into a mail will not get better.
                Err(e) => return Err(DeliveryError::Permanent(e.to_string())),
            }
        }
        let _permit = self.sends.acquire().await;
        let mut accepted = 0usize;
        let mut refused = None;
        let mut failed = None;
        for message in messages {
            match self.send_with_retries(message).await {
                Ok(()) => accepted += 1,
                Err(e @ EmailError::SmtpRefused(_)) => refused = Some(e.to_string()),
                Err(e) => failed = Some(e.to_string()),
            }
        }
        // Sent once any recipient has it: resending would give the others a second copy.
        match (accepted, failed, refused) {
            (1.., _, _) => Ok(Delivered::Sent {
                reference: prepared.token,
                data: None,
            }),
            (0, Some(why), _) => Err(DeliveryError::Retry(why)),
            (0, None, why) => Err(DeliveryError::Permanent(why.unwrap_or_default())),
        }
    }

    /// Sends one mail, trying again after a passing failure (not after a refusal).
    async fn send_with_retries(&self, message: MailMessage) -> Result<(), EmailError> {
        let mut attempt = 0;
        loop {
            match self.mailer.send(message.clone()).await {
                Ok(()) => return Ok(()),
                Err(refused @ EmailError::SmtpRefused(_)) => return Err(refused),
                Err(e) if attempt + 1 >= SEND_TRIES => return Err(e),
                Err(_) => {
                    tokio::time::sleep(Duration::from_secs(1 << (2 * attempt))).await;
                    attempt += 1;
                }
            }
        }
    }
}

/// A fresh 256-bit key (two UUID v4s: 244 bits from the system's random source).
fn rand_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    key
}

/// A store failure during a delivery: tried again later.
fn retry(e: crate::store::StoreError) -> DeliveryError {
    DeliveryError::Retry(e.to_string())
}

#[async_trait]
impl Channel for EmailChannel {
    fn name(&self) -> &str {
        mail::CHANNEL
    }

    /// One delivery per request (one mail, to all of its addresses at once).
    fn recipients(&self, record: &RequestRecord) -> Vec<String> {
        if recipients_of(record, &self.config.routes).is_empty() {
            Vec::new()
        } else {
            vec![String::new()]
        }
    }

    /// The escalated people whose hub identity is an email address.
    fn escalation_recipients(&self, _record: &RequestRecord, people: &[String]) -> Vec<String> {
        people
            .iter()
            .filter(|person| person.contains('@'))
            .cloned()
            .collect()
    }

    async fn deliver(
        &self,
        record: &RequestRecord,
        delivery: &Delivery,
    ) -> Result<Delivered, DeliveryError> {
        if let Some(skipped) = Delivered::unless_pending(record, "mailed") {
            return Ok(skipped);
        }
        // `""` is the request's route; an address, a person an escalation step reached.
        let recipients = match delivery.recipient.as_str() {
            "" => recipients_of(record, &self.config.routes),
            person => vec![person.to_owned()],
        };
        self.mail_once(record, delivery, recipients).await
    }

    /// A mail cannot be changed once sent: its links and replies see the request's state.
    async fn update(
        &self,
        _record: &RequestRecord,
        _delivery: &Delivery,
    ) -> Result<(), DeliveryError> {
        Ok(())
    }

    /// The pages behind the mails' links, `/email/{token}`.
    fn routes(&self) -> Option<Router> {
        Some(pages::routes(self.pages.clone()))
    }
}
