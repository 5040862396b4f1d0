//! `EmailProvider`: sends each request as a mail and waits for the reply in a mailbox.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::Notify;

use super::compose::{reply_template_html, reply_template_text, text_as_html, Letter};
use super::imap::{ImapSettings, Inbox, Watcher};
use super::reply::{self, ReplyMail};
use super::server::{EmailError, Login, Security, ServerSettings};
use super::smtp::Mailer;
use super::token::{self, domain_of};
use super::EmailLanguage;
use crate::model::{HumanLoopRequest, LoopType, Status};
use crate::provider::{Answer, Delivery, Ledger, LocalProvider, ProviderError};
use crate::providers::prompt::render;

/// The environment variable the username falls back to (the original's).
pub const USERNAME_ENV: &str = "GOHUMANLOOP_EMAIL_USERNAME";
/// The environment variable the password falls back to (the original's).
pub const PASSWORD_ENV: &str = "GOHUMANLOOP_EMAIL_PASSWORD";
/// The error of a request without `metadata.recipient_email` (the original's wording).
pub const NO_RECIPIENT: &str = "Recipient email address is missing";

/// The original's `EmailProvider` options, plus transport security and an extra CA.
#[derive(Debug, Clone)]
pub struct EmailOptions {
    /// The SMTP server (security from the port unless set).
    pub smtp: ServerSettings,
    /// The IMAP server.
    pub imap: ServerSettings,
    /// The login for both; `None`: `GOHUMANLOOP_EMAIL_USERNAME`.
    pub username: Option<String>,
    /// The password for both; `None`: `GOHUMANLOOP_EMAIL_PASSWORD`.
    pub password: Option<String>,
    /// The `From` address; `None`: the username.
    pub sender: Option<String>,
    /// How often the mailbox is read when the server cannot IDLE (the original: 60 s).
    pub check_interval: Duration,
    /// The mails' language (the original's default: Chinese).
    pub language: EmailLanguage,
    /// A CA (PEM) to trust besides the system's, for a private mail server.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// The mailbox replies arrive in.
    pub mailbox: String,
    /// Wait with IMAP IDLE where the server offers it (else poll every `check_interval`).
    pub idle: bool,
}

impl EmailOptions {
    /// The original's four required options; the rest as the original's defaults.
    pub fn new(
        smtp_host: impl Into<String>,
        smtp_port: u16,
        imap_host: impl Into<String>,
        imap_port: u16,
    ) -> Self {
        Self {
            smtp: ServerSettings::new(smtp_host, smtp_port),
            imap: ServerSettings::new(imap_host, imap_port),
            username: None,
            password: None,
            sender: None,
            check_interval: Duration::from_secs(60),
            language: EmailLanguage::Zh,
            extra_ca_pem: None,
            mailbox: "INBOX".into(),
            idle: true,
        }
    }

    /// With a login for both servers.
    pub fn login(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// With a `From` address other than the username.
    pub fn sender(mut self, sender: impl Into<String>) -> Self {
        self.sender = Some(sender.into());
        self
    }

    /// In this language.
    pub fn language(mut self, language: EmailLanguage) -> Self {
        self.language = language;
        self
    }

    /// Reading the mailbox this often when the server cannot IDLE.
    pub fn check_interval(mut self, every: Duration) -> Self {
        self.check_interval = every;
        self
    }

    /// Polls every `check_interval` even where the server offers IDLE.
    pub fn poll_only(mut self) -> Self {
        self.idle = false;
        self
    }

    /// With these transport securities.
    pub fn security(mut self, smtp: Security, imap: Security) -> Self {
        self.smtp.security = smtp;
        self.imap.security = imap;
        self
    }

    /// Trusting this CA (PEM) too.
    pub fn trust_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_ca_pem = Some(pem.into());
        self
    }
}

/// A request waiting for its reply.
struct Waiting {
    conversation_id: String,
    request_id: String,
    loop_type: LoopType,
    recipients: Vec<String>,
    ledger: Ledger,
}

/// A conversation's thread: the subject and every mail sent in it, oldest first.
#[derive(Clone, Default)]
struct Thread {
    subject: String,
    message_ids: Vec<String>,
}

#[derive(Default)]
struct Replies {
    waiting: Mutex<HashMap<String, Waiting>>,
    threads: Mutex<HashMap<String, Thread>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[async_trait]
impl Inbox for Replies {
    fn watching(&self) -> bool {
        let mut waiting = lock(&self.waiting);
        waiting.retain(|_, w| {
            w.ledger
                .get(&w.conversation_id, &w.request_id)
                .is_some_and(|r| r.status == Status::Pending)
        });
        !waiting.is_empty()
    }

    async fn mail(&self, raw: &[u8]) -> bool {
        let Some(mail) = ReplyMail::parse(raw) else {
            return false;
        };
        let mut waiting = lock(&self.waiting);
        let Some(token) = mail.tokens().into_iter().find(|t| waiting.contains_key(t)) else {
            return false;
        };
        let Some(entry) = waiting.get(&token) else {
            return false;
        };
        if !mail.is_from_one_of(&entry.recipients) {
            tracing::warn!(from = %mail.from, request = %entry.request_id,
                "ignored a reply from someone the request was not sent to");
            return false;
        }
        let reading = match reply::read(&mail, entry.loop_type) {
            Ok(reading) => reading,
            Err(why) => {
                tracing::info!(from = %mail.from, request = %entry.request_id, %why,
                    "a reply could not be read as an answer; still waiting");
                return false;
            }
        };
        let answer = Answer::new(reading.status())
            .response(reading.response(&mail))
            .by(mail.responder());
        let resolved = entry
            .ledger
            .resolve(&entry.conversation_id, &entry.request_id, answer);
        waiting.remove(&token);
        resolved.is_ok()
    }

    async fn broken(&self, error: EmailError) {
        let stranded: Vec<Waiting> = lock(&self.waiting).drain().map(|(_, w)| w).collect();
        for w in stranded {
            let _ = w.ledger.resolve(
                &w.conversation_id,
                &w.request_id,
                Answer::error(error.to_string()),
            );
        }
    }
}

/// The delivery of an [`EmailProvider`].
pub struct Email {
    name: String,
    sender: String,
    language: EmailLanguage,
    mailer: Mailer,
    replies: Arc<Replies>,
    watcher: Mutex<Option<Watcher>>,
    wake: Arc<Notify>,
}

/// A provider that asks by e-mail: the original's `EmailProvider`.
pub type EmailProvider = LocalProvider<Email>;

fn from_env(value: Option<String>, var: &str, what: &str) -> Result<String, EmailError> {
    value
        .or_else(|| std::env::var(var).ok())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            EmailError::Config(format!(
                "Email {what} not provided. Pass it in the options or set {var}"
            ))
        })
}

impl LocalProvider<Email> {
    /// A provider called `name` (the default subject prefix is `[name]`). Fails without a
    /// username or password (options or environment) or with an unusable CA.
    pub fn new(name: impl Into<String>, options: EmailOptions) -> Result<Self, EmailError> {
        let name = name.into();
        let username = from_env(options.username, USERNAME_ENV, "username")?;
        let password = from_env(options.password, PASSWORD_ENV, "password")?;
        let login = Login { username, password };
        let ca = options.extra_ca_pem.as_deref();
        let mailer = Mailer::new(&options.smtp, Some(&login), ca)?;
        let wake = Arc::new(Notify::new());
        let imap = ImapSettings {
            server: options.imap,
            login: login.clone(),
            mailbox: options.mailbox,
            check_interval: options.check_interval,
            idle: options.idle,
        };
        let watcher = Watcher::new(imap, ca, wake.clone())?;
        let email = Email {
            name: name.clone(),
            sender: options.sender.unwrap_or(login.username),
            language: options.language,
            mailer,
            replies: Arc::default(),
            watcher: Mutex::new(Some(watcher)),
            wake,
        };
        Ok(Self::with_delivery(name, email))
    }
}

/// The addresses in `metadata.recipient_email` (a string, comma-separated, or a list).
pub fn recipients(metadata: &serde_json::Map<String, Value>) -> Vec<String> {
    let split = |s: &str| -> Vec<String> {
        s.split([',', ';'])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect()
    };
    match metadata.get("recipient_email") {
        Some(Value::String(s)) => split(s),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .flat_map(split)
            .collect(),
        _ => Vec::new(),
    }
}

impl Email {
    fn language_for(&self, request: &HumanLoopRequest) -> EmailLanguage {
        match request.metadata.get("language").and_then(Value::as_str) {
            Some(code) => EmailLanguage::from_code(code),
            None => self.language,
        }
    }

    fn subject_for(&self, request: &HumanLoopRequest, thread: Option<&Thread>) -> String {
        let meta = |key: &str| request.metadata.get(key).and_then(Value::as_str);
        if let Some(subject) = meta("subject") {
            return subject.to_owned();
        }
        if let Some(thread) = thread {
            return thread.subject.clone();
        }
        let default_prefix = format!("[{}]", self.name);
        let prefix = meta("subject_prefix").unwrap_or(&default_prefix);
        format!("{prefix} Task {}", request.task_id)
    }

    fn start_watching(&self) {
        if let Some(watcher) = lock(&self.watcher).take() {
            tokio::spawn(watcher.run(Arc::downgrade(&self.replies)));
        }
        self.wake.notify_one();
    }

    async fn send(&self, request: HumanLoopRequest, ledger: Ledger) -> Result<(), ProviderError> {
        let recipients = recipients(&request.metadata);
        if recipients.is_empty() {
            return Err(ProviderError::Failed(NO_RECIPIENT.into()));
        }
        let thread = lock(&self.replies.threads)
            .get(&request.conversation_id)
            .cloned();
        let subject = self.subject_for(&request, thread.as_ref());
        let language = self.language_for(&request);
        let token = token::new_token();
        let message_id = token::message_id(&token, domain_of(&self.sender));
        let prompt = render(&request, false);
        let letter = Letter {
            from: self.sender.clone(),
            to: recipients.clone(),
            subject: format!("{subject} {}", token::subject_tag(&token)),
            message_id: message_id.clone(),
            in_reply_to: thread.as_ref().and_then(|t| t.message_ids.last().cloned()),
            references: thread
                .as_ref()
                .map(|t| t.message_ids.clone())
                .unwrap_or_default(),
            text: format!(
                "{prompt}\n{}",
                reply_template_text(language, request.loop_type)
            ),
            html: format!(
                "{}{}",
                text_as_html(&prompt),
                reply_template_html(language, request.loop_type)
            ),
        };
        let message = letter
            .build()
            .map_err(|e| ProviderError::Failed(e.to_string()))?;
        let request_id = request.request_id.clone().unwrap_or_default();
        lock(&self.replies.waiting).insert(
            token.clone(),
            Waiting {
                conversation_id: request.conversation_id.clone(),
                request_id,
                loop_type: request.loop_type,
                recipients,
                ledger,
            },
        );
        if let Err(e) = self.mailer.send(message).await {
            lock(&self.replies.waiting).remove(&token);
            return Err(ProviderError::Failed(e.to_string()));
        }
        let mut threads = lock(&self.replies.threads);
        let entry = threads.entry(request.conversation_id.clone()).or_default();
        entry.subject = subject;
        entry.message_ids.push(message_id);
        drop(threads);
        self.start_watching();
        Ok(())
    }
}

#[async_trait]
impl Delivery for Email {
    async fn deliver(
        &self,
        request: HumanLoopRequest,
        ledger: Ledger,
    ) -> Result<(), ProviderError> {
        self.send(request, ledger).await
    }

    async fn cancelled(&self, _request: HumanLoopRequest, _ledger: Ledger) {
        // The watcher drops requests that stopped waiting; wake it to notice.
        self.wake.notify_one();
    }

    fn describe(&self) -> String {
        "Email Provider".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recipients_in_every_shape() {
        let meta = |v: Value| {
            json!({ "recipient_email": v })
                .as_object()
                .cloned()
                .unwrap()
        };
        assert_eq!(recipients(&meta(json!("a@x, b@x"))), ["a@x", "b@x"]);
        assert_eq!(
            recipients(&meta(json!(["a@x", "b@x;c@x"]))),
            ["a@x", "b@x", "c@x"]
        );
        assert!(recipients(&meta(json!(""))).is_empty());
        assert!(recipients(&serde_json::Map::new()).is_empty());
    }

    #[test]
    fn a_missing_login_is_refused_as_the_original() {
        let options = EmailOptions::new("127.0.0.1", 1, "127.0.0.1", 2).login("", "");
        std::env::remove_var(USERNAME_ENV);
        let error = EmailProvider::new("mail", options).err().unwrap();
        assert!(
            error.to_string().contains("username not provided"),
            "{error}"
        );
    }
}
