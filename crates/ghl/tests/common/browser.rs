//! Real headless Chromium through chromedriver (Debian's `chromium` and `chromium-driver`), for
//! the web inbox tests; and a place to keep screenshots.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The browser itself, not Debian's `/usr/bin/chromium`: that wrapper is a shell script that
/// sources `/etc/chromium.d` (and prints `[: …: unexpected operator` on some machines) only to
/// add switches that the sessions below set themselves.
const CHROMIUM: &str = "/usr/lib/chromium/chromium";

/// How long a wait below may take before the test fails: it only bounds a hang (a page load on
/// a loaded 2-core CI machine, with Chromium and the hub sharing it, has taken over 10 s).
const LIMIT: Duration = Duration::from_secs(60);

/// A running chromedriver; each [`Driver::session`] is a separate browser (own profile, own
/// cookies).
pub struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// Starts chromedriver on a free loopback port. `None` (the test reports itself skipped)
    /// when Chromium is not installed.
    pub fn start() -> Option<Self> {
        let present =
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
        if !present {
            gohumanloop_testkit::skip(
                "Chromium is not installed (apt-get install chromium chromium-driver; \
                 scripts/test.sh does it)",
            );
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(CHROMEDRIVER)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let driver = Driver { child, url };
        gohumanloop_testkit::until_blocking("chromedriver listening", LIMIT, || {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok()
        });
        Some(driver)
    }

    /// A new headless browser window of `width`×`height`.
    pub async fn session(&self, width: u32, height: u32) -> Client {
        self.session_with(width, height, &[]).await
    }

    /// [`Driver::session`] with more Chromium switches (e.g. `--force-dark-mode`).
    pub async fn session_with(&self, width: u32, height: u32, extra: &[&str]) -> Client {
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=en-US",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--window-size={width},{height}"));
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": CHROMIUM, "args": args}),
        );
        let rustls = ClientBuilder::rustls().expect("rustls connector");
        let mut builder = rustls;
        builder
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Driver {
    /// A browser whose page (the viewport) is exactly `width`×`height` CSS pixels: Chromium
    /// keeps a window at least 500 pixels wide and takes its frame off the height, so the size
    /// is emulated (DevTools' device metrics); `phone` adds the mobile layout (the viewport
    /// meta tag is honoured). `extra`: more switches, e.g. `--force-dark-mode`.
    pub async fn sized(&self, width: u32, height: u32, phone: bool, extra: &[&str]) -> Client {
        let client = self.session_with(width.max(500), height, extra).await;
        self.resize(&client, width, height, phone).await;
        client
    }

    /// Emulates a `width`×`height` viewport in an open browser (see [`Driver::sized`]).
    pub async fn resize(&self, client: &Client, width: u32, height: u32, phone: bool) {
        self.cdp(
            client,
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone}),
        )
        .await;
    }

    /// Runs `script` in every page the browser loads from now on, before the page's own
    /// scripts (DevTools' `Page.addScriptToEvaluateOnNewDocument`).
    pub async fn before_each_page(&self, client: &Client, script: &str) {
        self.cdp(
            client,
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": script}),
        )
        .await;
    }

    /// One DevTools command through chromedriver (`POST /session/{id}/goog/cdp/execute`, on
    /// loopback); its result.
    pub async fn cdp(&self, client: &Client, cmd: &str, params: Value) -> Value {
        let session = client.session_id().await.unwrap().expect("an open session");
        let reply = reqwest::Client::new()
            .post(format!("{}/session/{session}/goog/cdp/execute", self.url))
            .json(&json!({"cmd": cmd, "params": params}))
            .send()
            .await
            .expect("chromedriver answers");
        let ok = reply.status().is_success();
        let body: Value = reply.json().await.expect("chromedriver's JSON");
        assert!(ok, "{cmd}: {body}");
        body["value"].clone()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where screenshots go: `test-artifacts/screenshots/` at the workspace root.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-artifacts/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves a screenshot of the whole window as `name.png`.
pub async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
}

/// Waits (at most [`LIMIT`]) for an element.
pub async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(LIMIT)
        .every(Duration::from_millis(100))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

/// Runs `script` until it returns `true` (at most [`LIMIT`]).
pub async fn wait_until(client: &Client, script: &str) {
    let what = format!("the page to make this true: {script}");
    gohumanloop_testkit::until(&what, LIMIT, || async {
        (client.execute(script, vec![]).await.ok()? == Value::Bool(true)).then_some(())
    })
    .await;
}

/// The text of an element.
pub async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

/// Types into a field after clearing it.
pub async fn fill(client: &Client, css: &str, value: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Clicks an element. The page it was clicked on is marked: [`wait_for_page`] waits for the
/// page the click leads to, even one at the same address (a form posted back to its page).
pub async fn click(client: &Client, css: &str) {
    let element = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    // Marked only once found: a click that fails leaves the page as it was.
    client
        .execute("window.__ghlClickedHere = true; return true;", vec![])
        .await
        .unwrap();
    element.click().await.unwrap();
}

/// Runs a script (`return …`) in the page; its value.
pub async fn js(client: &Client, script: &str) -> Value {
    client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Runs a script with arguments (`arguments[0]`, …); its value.
pub async fn js_with(client: &Client, script: &str, args: Vec<Value>) -> Value {
    client
        .execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

/// Presses keys on the keyboard, one after the other, wherever the focus is (WebDriver key
/// actions: real key events, not a script). Special keys: [`fantoccini::key::Key`] as `char`.
pub async fn press(client: &Client, keys: &str) {
    let mut actions = KeyActions::new("keyboard".into());
    for key in keys.chars() {
        actions = actions
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
    }
    client.perform_actions(actions).await.unwrap();
}

/// Waits (at most [`LIMIT`]) until the browser shows a loaded page at `path` (and, when given,
/// with this query) that is not a page [`click`] was used on: after a click, the page it
/// leads to. Errors while a page is being replaced count as "not yet".
pub async fn wait_for_page(client: &Client, path: &str, query: Option<&str>) {
    let script = "return location.pathname === arguments[0] && \
                  (arguments[1] === null || location.search === arguments[1]) && \
                  document.readyState === 'complete' && !window.__ghlClickedHere;";
    let args = vec![json!(path), json!(query)];
    let what = format!("a loaded page at {path} {query:?}");
    // The kit's wait, bounded from outside so that the failure can say where the browser is.
    let found = tokio::time::timeout(
        LIMIT,
        gohumanloop_testkit::until(&what, 2 * LIMIT, || async {
            (client.execute(script, args.clone()).await.ok()? == Value::Bool(true)).then_some(())
        }),
    )
    .await;
    if found.is_err() {
        let url = client.current_url().await.map(|u| u.to_string());
        let clicked = client
            .execute("return !!window.__ghlClickedHere;", vec![])
            .await;
        panic!(
            "not at {path} {query:?} within {LIMIT:?} (at {url:?}; still the page clicked on: \
             {clicked:?})"
        );
    }
}

/// Whether the page is no wider than the window (nothing makes it scroll sideways).
pub async fn fits_width(client: &Client) -> bool {
    js(
        client,
        "return document.documentElement.scrollWidth <= window.innerWidth;",
    )
    .await
        == Value::Bool(true)
}
