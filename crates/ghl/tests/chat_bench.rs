//! The chat channels' benchmark (not a test: `#[ignore]`, no timed assertion), against the
//! local fakes on loopback through a release `ghl serve`: how many deliveries per second for
//! 1,000 requests fanned out to Slack, Feishu and WeCom, and how long from a click in Slack
//! until the Feishu and WeCom cards of the request are updated (p50/p99).
//! Run: `cargo test --release -p ghl --test chat_bench -- --ignored --nocapture`
//! (`scripts/bench.sh` does, with GHL_BENCH_CHAT=1).

mod chat;
mod common;

use std::time::{Duration, Instant};

use chat::{feishu, now, slack, wecom};
use serde_json::json;

const REQUESTS: usize = 1_000;
const CLICKS: usize = 200;

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
    let tables = [
        slack::table(&slack_api, &["C1"], &[]),
        feishu::table(&feishu_api, &["oc_ops"], &[]),
        wecom::table(&wecom_api, &["zhangsan"], &[]),
    ];
    let (hub, key) = chat::serve(&tables);
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
        .map(|c| slack::request_id_of(&c.json))
        .collect();
    let mut latencies = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let click = slack::click("approve", id, "U1", "C1", "1.1");
        let stamp = now();
        let (body, signature) = slack::signed_form(&click, stamp);
        let clicked = Instant::now();
        let (status, _) = slack::send(&hub.base, body, stamp, &signature).await;
        assert_eq!(status, 200);
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
