//! A WeCom channel's settings (`[[wecom]]` in the configuration file).

use std::time::Duration;

use gohumanloop::providers::email::EmailLanguage;

use crate::channels::chat::ChatRoute;
use crate::channels::DEFAULT_RETRY_SCHEDULE;

/// WeCom's API.
pub const WECOM: &str = "https://qyapi.weixin.qq.com";

/// One self-built WeCom app.
#[derive(Clone)]
pub struct WecomConfig {
    /// Its name (`[a-z0-9-]`): the channel `wecom:NAME`, the path
    /// `/channels/wecom/NAME/callback`.
    pub name: String,
    /// The company's CorpID (also the callbacks' receive id).
    pub corp_id: String,
    /// The app's AgentId.
    pub agent_id: i64,
    /// The app's Secret.
    pub secret: String,
    /// The callback's Token.
    pub token: String,
    /// The callback's EncodingAESKey (43 characters).
    pub encoding_aes_key: String,
    /// The API's base ([`WECOM`], or a proxy).
    pub base_url: String,
    /// Which requests go where (recipients are UserIDs), and who decides them; a route with
    /// `approval` (a template id) files approval applications instead of sending cards.
    pub routes: Vec<ChatRoute>,
    /// The id of the approval template's multi-line text control that holds the request (OA
    /// routes).
    pub approval_field: String,
    /// The reasons a rejection offers (a card has no text input): the first is preselected.
    pub reasons: Vec<String>,
    /// The language of the cards.
    pub language: EmailLanguage,
    /// The delays after each failed attempt in a row; past the end, it gives up.
    pub retry: Vec<Duration>,
    /// How long WeCom has to answer a call.
    pub timeout: Duration,
}

impl std::fmt::Debug for WecomConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WecomConfig")
            .field("name", &self.name)
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .field("base_url", &self.base_url)
            .field("routes", &self.routes)
            .finish_non_exhaustive()
    }
}

impl WecomConfig {
    /// The app `name` with its credentials, no route yet, English, the default reasons, retry
    /// schedule and a 10-second time-out.
    pub fn new(
        name: impl Into<String>,
        corp_id: impl Into<String>,
        agent_id: i64,
        secret: impl Into<String>,
        token: impl Into<String>,
        encoding_aes_key: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            corp_id: corp_id.into(),
            agent_id,
            secret: secret.into(),
            token: token.into(),
            encoding_aes_key: encoding_aes_key.into(),
            base_url: WECOM.into(),
            routes: Vec::new(),
            approval_field: "content".into(),
            reasons: default_reasons(EmailLanguage::En),
            language: EmailLanguage::En,
            retry: DEFAULT_RETRY_SCHEDULE.to_vec(),
            timeout: Duration::from_secs(10),
        }
    }
}

/// The reasons a rejection offers by default.
pub fn default_reasons(language: EmailLanguage) -> Vec<String> {
    let reasons: [&str; 3] = match language {
        EmailLanguage::En => ["Not now", "Too risky", "Needs changes"],
        EmailLanguage::Zh => ["暂不执行", "风险过高", "需要修改"],
    };
    reasons.map(str::to_owned).to_vec()
}
