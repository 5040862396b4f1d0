//! The chat channels' benchmark (not a test: `#[ignore]`, no timed assertion), against the
//! local fakes on loopback through a release `ghl serve`: how many deliveries per second for
//! 1,000 requests fanned out to Slack, Feishu and WeCom, and how long from a click in Slack
//! until the Feishu and WeCom cards of the request are updated (p50/p99).
//! Run: `cargo test --release -p ghl --test chat_bench -- --ignored --nocapture`
//! (`scripts/bench.sh` does, with GHL_BENCH_CHAT=1).

mod chat;
mod common;

use std::time::{Duration, Instant};

use chat::{feishu, slack, wecom};
use common::HubProcess;
use gohumanloop_hub::channels::slack::signature::sign;
use serde_json::json;

const REQUESTS: usize = 1_000;
const CLICKS: usize = 200;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture on a release build"]
async fn chat_fan_out_throughput_and_update_latency() {
    let (slack_api, feishu_api, wecom_api) = (
        slack::start().await,
        feishu::start().await,
        wecom::start().await,
    );
    let mut hub = HubProcess::unstarted();
    let file = hub.path().join("ghl.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[[slack]]
name = "ops"
bot_token = "{}"
signing_secret = "{}"
api_base = "{}/api"
[[slack.route]]
to = ["C1"]
[[feishu]]
name = "cn"
app_id = "{}"
app_secret = "{}"
encrypt_key = "{}"
verification_token = "{}"
base_url = "{}"
[[feishu.route]]
to = ["oc_ops"]
[[wecom]]
name = "corp"
corp_id = "{}"
agent_id = {}
secret = "{}"
token = "{}"
encoding_aes_key = "{}"
base_url = "{}"
[[wecom.route]]
to = ["zhangsan"]
"#,
            slack::BOT_TOKEN,
            slack::SIGNING_SECRET,
            slack_api.url,
            feishu::APP_ID,
            feishu::APP_SECRET,
            feishu::ENCRYPT_KEY,
            feishu::VERIFICATION_TOKEN,
            feishu_api.url,
            wecom::CORP_ID,
            wecom::AGENT_ID,
            wecom::SECRET,
            wecom::TOKEN,
            wecom::AES_KEY,
            wecom_api.url
        ),
    )
    .unwrap();
    let file = file.display().to_string();
    hub.set_extra(&["--config", &file], &[]);
    hub.spawn("127.0.0.1:0");
    let key = hub.key("a", "agent");
    let http = reqwest::Client::new();

    // 1,000 requests, 32 at a time; until every card of every request was sent.
    let started = Instant::now();
    let mut created = Vec::new();
    for chunk in (0..REQUESTS).collect::<Vec<_>>().chunks(32) {
        let sends = chunk.iter().map(|n| {
            let body = json!({"task_id": "t", "conversation_id": format!("c{n}"),
                              "request_id": format!("r{n}"), "loop_type": "approval",
                              "platform": "bench", "metadata": {}, "context": {"question": "Go?"}});
            http.post(format!("{}/api/v1/humanloop/request", hub.base))
                .bearer_auth(&key)
                .json(&body)
                .send()
        });
        for reply in futures_util::future::join_all(sends).await {
            assert!(reply.unwrap().status().is_success());
        }
        created.extend(chunk.iter().copied());
    }
    slack_api
        .until_count("POST", "/api/chat.postMessage", REQUESTS)
        .await;
    feishu_api
        .until_count("POST", "/open-apis/im/v1/messages", REQUESTS)
        .await;
    wecom_api
        .until_count("POST", "/cgi-bin/message/send", REQUESTS)
        .await;
    let took = started.elapsed();
    println!(
        "fan-out: {REQUESTS} requests × 3 channels = {} deliveries in {:.2} s: {:.0} deliveries/s",
        REQUESTS * 3,
        took.as_secs_f64(),
        (REQUESTS * 3) as f64 / took.as_secs_f64()
    );

    // A click in Slack, then until the Feishu and the WeCom card of that request are updated.
    let ids: Vec<String> = slack_api
        .calls_to("/api/chat.postMessage")
        .iter()
        .take(CLICKS)
        .map(|c| {
            let blocks = c.json["blocks"].as_array().unwrap();
            let actions = blocks.iter().find(|b| b["type"] == "actions").unwrap();
            actions["elements"][0]["value"].as_str().unwrap().to_owned()
        })
        .collect();
    let mut latencies = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let payload = json!({"type": "block_actions", "user": {"id": "U1"}, "trigger_id": "t",
            "container": {"channel_id": "C1", "message_ts": "1.1"},
            "actions": [{"action_id": "approve", "value": id}]});
        let body = format!("payload={}", urlencode(&payload.to_string()));
        let ts = now().to_string();
        let signature = sign(slack::SIGNING_SECRET, &ts, body.as_bytes());
        let clicked = Instant::now();
        let reply = http
            .post(format!("{}/channels/slack/ops/interactions", hub.base))
            .header("x-slack-request-timestamp", ts)
            .header("x-slack-signature", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success());
        let feishu_done = feishu_api
            .until_count("PATCH", "/open-apis/im/v1/messages/", n + 1)
            .await;
        let wecom_done = wecom_api
            .until_count("POST", "/cgi-bin/message/update_template_card", n + 1)
            .await;
        latencies.push(feishu_done.max(wecom_done) - clicked);
    }
    latencies.sort();
    println!(
        "click in Slack → the Feishu and WeCom cards updated: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({CLICKS} clicks)",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
