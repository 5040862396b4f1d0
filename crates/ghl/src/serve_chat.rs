//! `ghl serve`'s chat channels: started from the configuration file, each announced with the
//! callback URL to paste into its platform's console.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use gohumanloop_hub::channels::chat::Directory;
use gohumanloop_hub::channels::feishu::{callback_path, FeishuChannel};
use gohumanloop_hub::channels::slack::{interactions_path, SlackChannel};
use gohumanloop_hub::channels::wecom::{self, WecomChannel};
use gohumanloop_hub::channels::Channel;
use gohumanloop_hub::Hub;

use crate::config::ChatSettings;
use crate::serve::announce;

/// Starts every chat channel of `chat` on `hub` (listening on `addr`).
pub(crate) async fn start(
    hub: &Hub,
    addr: SocketAddr,
    chat: ChatSettings,
) -> anyhow::Result<Vec<Arc<dyn Channel>>> {
    let directory = Arc::new(Directory::new(chat.approvers));
    let mut channels: Vec<Arc<dyn Channel>> = Vec::new();
    for slack in chat.slack {
        let described = format!(
            "Slack channel '{}': interactivity request URL http://{addr}{} (behind your public URL)",
            slack.name,
            interactions_path(&slack.name)
        );
        let channel = SlackChannel::start(hub.clone(), slack, directory.clone())
            .await
            .context("cannot start a Slack channel")?;
        announce(&described);
        channels.push(channel);
    }
    for feishu in chat.feishu {
        let described = format!(
            "Feishu channel '{}': callback URL http://{addr}{} (behind your public URL), API {}",
            feishu.name,
            callback_path(&feishu.name),
            feishu.base_url
        );
        let channel = FeishuChannel::start(hub.clone(), feishu, directory.clone())
            .await
            .context("cannot start a Feishu channel")?;
        announce(&described);
        channels.push(channel);
    }
    for wecom in chat.wecom {
        let described = format!(
            "WeCom channel '{}': callback URL http://{addr}{} (behind your public URL), API {}",
            wecom.name,
            wecom::callback_path(&wecom.name),
            wecom.base_url
        );
        let channel = WecomChannel::start(hub.clone(), wecom, directory.clone())
            .await
            .context("cannot start a WeCom channel")?;
        announce(&described);
        channels.push(channel);
    }
    Ok(channels)
}

/// `--check-config`'s lines for the chat channels (no secret shown).
pub(crate) fn describe(chat: &ChatSettings) -> Vec<String> {
    let mut lines = Vec::new();
    if !chat.approvers.is_empty() {
        lines.push(format!("{} approver(s)", chat.approvers.len()));
    }
    for slack in &chat.slack {
        lines.push(format!(
            "slack '{}': API {} ({} route(s))",
            slack.name,
            slack.api_base,
            slack.routes.len()
        ));
    }
    for feishu in &chat.feishu {
        lines.push(format!(
            "feishu '{}': app {}, API {} ({} route(s))",
            feishu.name,
            feishu.app_id,
            feishu.base_url,
            feishu.routes.len()
        ));
    }
    for wecom in &chat.wecom {
        lines.push(format!(
            "wecom '{}': corp {}, agent {}, API {} ({} route(s))",
            wecom.name,
            wecom.corp_id,
            wecom.agent_id,
            wecom.base_url,
            wecom.routes.len()
        ));
    }
    lines
}
