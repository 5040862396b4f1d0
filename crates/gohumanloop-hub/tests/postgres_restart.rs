//! PostgreSQL restarted under two hub nodes: while it is down the hub answers JSON 503s and
//! `/health` says so; it recovers by itself when the server is back; nothing acknowledged is
//! lost; and an agent waiting on one node wakes when the other node records the answer right
//! after the restart — whether or not the notification reached the waiter's node, its feed
//! reads the log after it reconnects. A PostgreSQL server of its own (the test stops it), run
//! as the `postgres` user (`initdb` refuses root).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use gohumanloop_hub::store::{self, Store};
use gohumanloop_hub::{api, keys, Hub};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A throwaway PostgreSQL server on a free loopback port.
struct Server {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    /// `None` (the test reports itself skipped) without PostgreSQL's programs.
    fn new() -> Option<Self> {
        let bin = std::env::var_os("GHL_TEST_PG_BIN")
            .map(PathBuf::from)
            .or_else(|| {
                let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
                    .ok()?
                    .filter_map(|e| Some(e.ok()?.path().join("bin")))
                    .filter(|bin| bin.join("initdb").exists())
                    .collect();
                found.sort();
                found.pop()
            });
        let Some(bin) = bin else {
            gohumanloop_testkit::skip(
                "no PostgreSQL programs (set GHL_TEST_PG_BIN; scripts/test.sh installs them)",
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        as_postgres_owner(dir.path());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Self {
            bin,
            data,
            port,
            _dir: dir,
        };
        server.run(
            "initdb",
            &["-D", path(&server.data), "-U", "postgres", "--auth=trust"],
        );
        server.start();
        Some(server)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn start(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off",
            self.port,
            path(self.data.parent().unwrap())
        );
        let log = self.data.parent().unwrap().join("log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                path(&self.data),
                "-l",
                path(&log),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
    }

    fn stop(&self) {
        self.run(
            "pg_ctl",
            &["-D", path(&self.data), "-m", "fast", "-w", "stop"],
        );
    }

    /// Runs one of PostgreSQL's programs as the `postgres` user.
    fn run(&self, program: &str, args: &[&str]) {
        let status = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program))
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{program} {args:?}: {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", path(&self.data), "-m", "immediate", "stop"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Hands a folder to the `postgres` user.
fn as_postgres_owner(dir: &Path) {
    let status = Command::new("chown")
        .args(["postgres", path(dir)])
        .status()
        .unwrap();
    assert!(status.success(), "chown postgres {dir:?}");
}

/// A hub node on the server, served on loopback.
async fn node(url: &str) -> (String, std::sync::Arc<dyn Store>) {
    let store = store::open(url).await.unwrap();
    let hub = Hub::start(store.clone()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(gohumanloop_hub::server::serve(
        listener,
        api::router(hub),
        std::future::pending(),
    ));
    (base, store)
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http.request(method, url).bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status();
    (status, reply.json().await.unwrap())
}

fn create_body(rid: &str) -> Value {
    json!({"task_id": "t", "conversation_id": "c", "request_id": rid, "loop_type": "approval",
           "context": {"message": "restart"}, "platform": "p"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_database_loses_nothing_and_wakes_every_waiter() {
    let Some(server) = Server::new() else { return };
    let ((a, store), (b, _)) = (node(&server.url()).await, node(&server.url()).await);
    let key = keys::generate();
    store
        .add_key("t", "agent", &keys::prefix(&key), &keys::hash(&key))
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let post = reqwest::Method::POST;
    let create = |base: &str, rid: &str| {
        call(
            &http,
            post.clone(),
            format!("{base}/api/v1/humanloop/request"),
            &key,
            Some(create_body(rid)),
        )
    };
    assert_eq!(create(&a, "r0").await.0, StatusCode::OK);
    let waiter = {
        let (http, url, key) = (
            http.clone(),
            format!(
                "{a}/api/v1/humanloop/status?conversation_id=c&request_id=r0&platform=p&wait=60"
            ),
            key.clone(),
        );
        tokio::spawn(async move { call(&http, reqwest::Method::GET, url, &key, None).await })
    };

    server.stop();
    let (status, body) = create(&a, "r1").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["success"], false, "{body}");
    let health = http.get(format!("{a}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        health.json::<Value>().await.unwrap()["status"],
        "unavailable"
    );

    server.start();
    // Recovers by itself: the first create that goes through after the restart.
    gohumanloop_testkit::until(
        "a create after the restart",
        Duration::from_secs(60),
        || async {
            let (status, body) = create(&a, "r2").await;
            if status != StatusCode::OK {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            }
            (status == StatusCode::OK).then_some(())
        },
    )
    .await;
    let health = http.get(format!("{a}/health")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // The answer lands on the other node, right after the restart.
    let (status, body) = call(
        &http,
        post.clone(),
        format!("{b}/api/v1/requests/r0/approve"),
        &key,
        Some(json!({"reason": "after the restart"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = tokio::time::timeout(Duration::from_secs(30), waiter)
        .await
        .expect("the waiter on the first node wakes")
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "approved", "{body}");
    // Acknowledged: there; refused: not there.
    let status_of = |rid: &str| {
        call(
            &http,
            reqwest::Method::GET,
            format!("{b}/api/v1/humanloop/status?conversation_id=c&request_id={rid}&platform=p"),
            &key,
            None,
        )
    };
    assert_eq!(status_of("r0").await.1["status"], "approved");
    assert_eq!(status_of("r2").await.1["status"], "pending");
    assert_eq!(
        status_of("r1").await.1["success"],
        false,
        "the refused create is not there"
    );
    assert_eq!(
        store.verify_audit().await.unwrap(),
        gohumanloop_hub::audit::ChainCheck::Intact(3)
    );
}
