//! `ghl bench --inbox-requests N --inbox-user NAME`: fills the store up to N more requests (a
//! quarter of them rejected, a fifth of them with a deadline, each one asking to pay an invoice
//! of one of 500 vendors), signs in to the web inbox, and times its pages and searches: what the
//! hub reports it spent (`Server-Timing`) and what the client waited (loopback included). A page
//! that is not 2xx, or comes without a `Server-Timing` the benchmark can read, fails the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::Method;
use serde_json::json;

use super::raw::RawClient;
use super::{for_each, ms, percentile};

/// The inbox part of `ghl bench`.
#[derive(Args)]
pub struct InboxArgs {
    /// How many requests to add before timing the inbox (0: skip this part).
    #[arg(long, default_value_t = 0)]
    pub inbox_requests: u32,
    /// The account that signs in (make it with `ghl users create`).
    #[arg(long, default_value = "bench")]
    inbox_user: String,
    /// Its password.
    #[arg(
        long,
        env = "GHL_BENCH_PASSWORD",
        hide_env_values = true,
        default_value = ""
    )]
    inbox_password: String,
    /// How many times each page is loaded.
    #[arg(long, default_value_t = 1_000)]
    inbox_samples: u32,
}

/// Seeds, signs in, and times the inbox's pages.
pub async fn run(client: &Arc<RawClient>, run: &str, args: &InboxArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let ids: Vec<String> = (0..args.inbox_requests)
        .map(|i| format!("{run}-i{i}"))
        .collect();
    for_each(client, &ids, 64, |client, request| async move {
        let n: u64 = request
            .rsplit('i')
            .next()
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        client
            .call(
                Method::POST,
                "/api/v1/humanloop/request",
                &[],
                Some(&seeded(&request, n)),
            )
            .await?;
        Ok(())
    })
    .await?;
    let rejected: Vec<String> = ids.iter().step_by(4).cloned().collect();
    for_each(client, &rejected, 64, |client, request| async move {
        let path = format!("/api/v1/requests/{request}/reject");
        client
            .call(Method::POST, &path, &[], Some(&json!({"reason": "bench"})))
            .await?;
        Ok(())
    })
    .await?;
    println!(
        "inbox: {} requests added ({} rejected) in {:.1} s",
        ids.len(),
        rejected.len(),
        started.elapsed().as_secs_f64()
    );
    let web = WebClient::sign_in(client.base(), &args.inbox_user, &args.inbox_password).await?;
    let mut deep = "/inbox".to_owned();
    for _ in 0..20 {
        let page = web.get(&deep).await?.1;
        match older_link(&page) {
            Some(next) => deep = next,
            None => break,
        }
    }
    for (name, path) in [
        ("first page (pending first)", "/inbox".to_owned()),
        ("status=rejected", "/inbox?status=rejected".to_owned()),
        ("type=information", "/inbox?type=information".to_owned()),
        ("task=bench-7", "/inbox?task=bench-7".to_owned()),
        ("21st page", deep),
        (
            "search q=INV-4242 (few matches)",
            "/inbox?q=INV-4242".to_owned(),
        ),
        (
            "search q=vendor-17 (2% match)",
            "/inbox?q=vendor-17".to_owned(),
        ),
        (
            "search q=vendor-17 pay (2 words)",
            "/inbox?q=vendor-17+pay".to_owned(),
        ),
        (
            "search q=invoice (every request)",
            "/inbox?q=invoice".to_owned(),
        ),
    ] {
        let mut server = Vec::with_capacity(args.inbox_samples as usize);
        let mut wall = Vec::with_capacity(args.inbox_samples as usize);
        for _ in 0..args.inbox_samples {
            let sent = Instant::now();
            let (spent, _) = web.get(&path).await?;
            wall.push(sent.elapsed());
            server.push(spent);
        }
        server.sort();
        wall.sort();
        println!(
            "inbox {name}: hub p50 {:.2} ms, p99 {:.2} ms; client p50 {:.2} ms, p99 {:.2} ms ({} loads)",
            ms(percentile(&server, 0.50)),
            ms(percentile(&server, 0.99)),
            ms(percentile(&wall, 0.50)),
            ms(percentile(&wall, 0.99)),
            wall.len()
        );
    }
    Ok(())
}

/// The create body of the `n`th seeded request: its own conversation; a third each approval,
/// information and conversation; a fifth with a deadline 10 minutes to 2 hours away.
fn seeded(request: &str, n: u64) -> serde_json::Value {
    let loop_type = ["approval", "information", "conversation"][(n % 3) as usize];
    let vendor = format!("vendor-{}", n % 500);
    let amount = 100 + (n * 37) % 9_900;
    let mut body = json!({
        "task_id": format!("bench-{}", n % 100), "conversation_id": format!("{request}-c"),
        "request_id": request, "loop_type": loop_type, "platform": "bench", "metadata": {},
        "context": {
            "question": format!("Pay invoice INV-{n} of {amount} EUR to {vendor}?"),
            "message": "The agent reconciled this month's invoices and wants to pay the next one.",
            "function": {"function_name": "pay_invoice",
                "arguments": {"invoice": format!("INV-{n}"), "amount": amount, "vendor": vendor}}
        }
    });
    if n.is_multiple_of(5) {
        body["timeout"] = json!(600 + (n * 7919) % 6_600);
    }
    body
}

/// The next-page link of an inbox page.
fn older_link(page: &str) -> Option<String> {
    let at = page.find("id=\"older\"")?;
    let start = page[..at].rfind("href=\"")? + 6;
    let href = page[start..at].split('"').next()?;
    Some(href.replace("&#38;", "&").replace("&amp;", "&"))
}

/// A signed-in web session.
struct WebClient {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl WebClient {
    async fn sign_in(base: &str, user: &str, password: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let form = http
            .get(format!("{base}/login"))
            .send()
            .await
            .with_context(|| format!("GET /login: cannot reach the hub at {base}"))?;
        if !form.status().is_success() {
            bail!("GET /login: HTTP {}", form.status());
        }
        let login_cookie = cookie(&form, "ghl_login").context("no sign-in cookie")?;
        let page = form.text().await?;
        let start = page
            .find("name=\"csrf\" value=\"")
            .context("no csrf field")?
            + 19;
        let csrf = page[start..].split('"').next().unwrap_or("").to_owned();
        let reply = http
            .post(format!("{base}/login"))
            .header(COOKIE, format!("ghl_login={login_cookie}"))
            .form(&[("name", user), ("password", password), ("csrf", &csrf)])
            .send()
            .await?;
        if reply.headers().get(LOCATION).is_none() {
            bail!("cannot sign in as '{user}' (HTTP {})", reply.status());
        }
        let session = cookie(&reply, "ghl_session").context("no session cookie")?;
        Ok(Self {
            http,
            base: base.to_owned(),
            cookie: format!("ghl_session={session}"),
        })
    }

    /// The hub's own time (from `Server-Timing`) and the page; an error if the page is not
    /// 2xx or its `Server-Timing` is missing or unreadable (never taken as 0 ms).
    async fn get(&self, path: &str) -> anyhow::Result<(Duration, String)> {
        let reply = self
            .http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .with_context(|| format!("GET {path}: cannot reach the hub at {}", self.base))?;
        let status = reply.status();
        let timing = reply
            .headers()
            .get("server-timing")
            .map(|v| v.to_str().map(str::to_owned));
        let page = reply
            .text()
            .await
            .with_context(|| format!("GET {path}: HTTP {status}, the page did not arrive"))?;
        if !status.is_success() {
            bail!("GET {path}: HTTP {status}: {}", super::raw::shown(&page));
        }
        let spent = match timing {
            None => bail!(
                "GET {path}: HTTP {status} without a Server-Timing header (the hub's own time \
                 per page is what this part measures)"
            ),
            Some(Err(_)) => bail!("GET {path}: a Server-Timing header that is not text"),
            Some(Ok(value)) => server_timing(&value).with_context(|| {
                format!("GET {path}: a Server-Timing header without a duration: '{value}'")
            })?,
        };
        Ok((spent, page))
    }
}

/// The duration (`dur=`, in ms) of a `Server-Timing` value such as `app;dur=1.25`: the first
/// metric that has one; `None` without a finite, non-negative one.
fn server_timing(value: &str) -> Option<Duration> {
    value.split(',').find_map(|metric| {
        let dur = metric
            .split(';')
            .skip(1)
            .find_map(|p| p.trim().strip_prefix("dur="))?;
        let ms: f64 = dur.trim().trim_matches('"').parse().ok()?;
        (ms.is_finite() && ms >= 0.0).then(|| Duration::from_secs_f64(ms / 1000.0))
    })
}

fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_server_timing_durations() {
        assert_eq!(
            server_timing("app;dur=1.50"),
            Some(Duration::from_micros(1_500))
        );
        assert_eq!(
            server_timing("cache;desc=hit, app;dur=2"),
            Some(Duration::from_millis(2))
        );
        assert_eq!(server_timing("app"), None);
        assert_eq!(server_timing("app;dur="), None);
        assert_eq!(server_timing("app;dur=abc"), None);
        assert_eq!(server_timing("app;dur=-1"), None);
        assert_eq!(server_timing("app;dur=NaN"), None);
        assert_eq!(server_timing(""), None);
    }
}
