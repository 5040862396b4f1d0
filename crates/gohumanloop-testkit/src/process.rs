//! `ghl serve` as a real process on loopback, on a real SQLite file, with keys and accounts
//! made by `ghl keys create` and `ghl users create`; `ghl` commands run to completion; the web
//! inbox's sign-in.
//!
//! The `ghl` binary is the one `cargo test` built beside the running test (`target/<profile>/
//! ghl`), or the one `GHL_TEST_GHL` names.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// The `ghl` binary the helpers run: `GHL_TEST_GHL`, else `ghl` in the folder `cargo test`
/// builds into (the running test's `target/<profile>`).
pub fn ghl_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("GHL_TEST_GHL") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test knows its own path");
    // target/<profile>/deps/<test binary>
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("a test binary lives in target/<profile>/deps");
    profile.join("ghl")
}

/// Runs `ghl ARGS` to completion.
pub fn ghl(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(ghl_binary());
    command
        .args(args)
        .env_remove("GHL_HUB")
        .env_remove("GHL_API_KEY");
    for (k, v) in envs {
        command.env(k, v);
    }
    command.output().expect("ghl runs")
}

/// The last line of a successful command's stdout (where `ghl` prints a new key or password).
pub fn last_line(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_owned()
}

/// `ghl serve` as a process of its own on loopback, on a SQLite file in a folder of its own,
/// killed (SIGKILL) when dropped.
pub struct HubProcess {
    /// The folder of its database (and of anything else the test keeps beside it).
    pub dir: tempfile::TempDir,
    /// Its URL once started (`http://127.0.0.1:PORT`).
    pub base: String,
    child: Option<Child>,
    extra_args: Vec<String>,
    envs: Vec<(String, String)>,
    log_level: String,
    /// What it wrote on stderr (its log), kept once [`HubProcess::keep_log`] asked for it.
    log: Option<Arc<Mutex<String>>>,
}

impl HubProcess {
    /// Starts `ghl serve` on a free port with a new database.
    pub fn start() -> Self {
        Self::start_with(&[], &[])
    }

    /// Starts `ghl serve` with more arguments and environment variables.
    pub fn start_with(extra_args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut hub = Self::unstarted();
        hub.extra_args = extra_args.iter().map(|a| a.to_string()).collect();
        hub.envs = envs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        hub.spawn("127.0.0.1:0");
        hub
    }

    /// A folder for a hub's database, with no hub running yet ([`HubProcess::spawn`] starts it).
    pub fn unstarted() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            base: String::new(),
            child: None,
            extra_args: Vec::new(),
            envs: Vec::new(),
            log_level: "warn".into(),
            log: None,
        }
    }

    /// The arguments and environment every later [`HubProcess::spawn`] adds.
    pub fn set_extra(&mut self, args: &[&str], envs: &[(&str, &str)]) {
        self.extra_args = args.iter().map(|a| a.to_string()).collect();
        self.envs = envs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    }

    /// Its database's URL (`sqlite://…/ghl.db`).
    pub fn db_url(&self) -> String {
        format!("sqlite://{}", self.db_path().display())
    }

    /// Its database's file.
    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("ghl.db")
    }

    /// Later [`HubProcess::spawn`]s log at `level` (`--log-level`, default `warn`), and what
    /// they log is kept for [`HubProcess::log`].
    pub fn keep_log(&mut self, level: &str) {
        self.log_level = level.to_owned();
        self.log.get_or_insert_with(Default::default);
    }

    /// What the hub has logged (its stderr) since [`HubProcess::keep_log`], over every start.
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .map(|log| log.lock().expect("the log").clone())
            .unwrap_or_default()
    }

    /// Starts (again) on `addr`; waits for the `listening on` line.
    pub fn spawn(&mut self, addr: &str) {
        let stderr = if self.log.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        };
        let mut child = Command::new(ghl_binary())
            .args([
                "serve",
                "--addr",
                addr,
                "--db",
                &self.db_url(),
                "--log-level",
                &self.log_level,
            ])
            .args(&self.extra_args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("ghl serve starts");
        if let (Some(log), Some(stderr)) = (&self.log, child.stderr.take()) {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut log = log.lock().expect("the log");
                    log.push_str(&line);
                    log.push('\n');
                }
            });
        }
        self.base = listening_url(&mut child);
        self.child = Some(child);
    }

    /// The port it listens on (to restart on the same one).
    pub fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }

    /// `ghl keys create`; returns the key (the last line of stdout).
    pub fn key(&self, tenant: &str, name: &str) -> String {
        let out = ghl(
            &[
                "keys",
                "create",
                "--db",
                &self.db_url(),
                "--tenant",
                tenant,
                "--name",
                name,
            ],
            &[],
        );
        last_line(out)
    }

    /// `ghl users create` (random password); returns the password (the last line of stdout).
    pub fn user(&self, name: &str, role: &str, tenants: &[&str]) -> String {
        let db = self.db_url();
        let mut args = vec!["users", "create", "--db", &db, "--role", role, name];
        for tenant in tenants {
            args.extend(["--tenant", tenant]);
        }
        let out = ghl(&args, &[]);
        last_line(out)
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Its folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The status of `GET {base}/inbox` with the session `cookie`, no redirect followed: 200 while
/// the session is good, 303 (to the sign-in) otherwise.
pub async fn inbox_status(base: &str, cookie: &str) -> u16 {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{base}/inbox"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Signs `name` in on the web inbox at `base` (the sign-in form, its CSRF token and cookie);
/// the `Cookie:` value of the session.
pub async fn web_sign_in(base: &str, name: &str, password: &str) -> String {
    let (status, cookies) = web_sign_in_attempt(base, name, password).await;
    assert_eq!(status, 303, "{name} signs in");
    cookies
}

/// Tries to sign `name` in on the web inbox at `base` as a browser does (the sign-in form, its
/// CSRF token and cookie): the status of the form's POST (303 when it worked) and the
/// `Cookie:` value it set.
pub async fn web_sign_in_attempt(base: &str, name: &str, password: &str) -> (u16, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookies = |reply: &reqwest::Response| {
        reply
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let form = http.get(format!("{base}/login")).send().await.unwrap();
    let form_cookies = cookies(&form);
    let page = form.text().await.unwrap();
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    let csrf = page[start..].split('"').next().unwrap().to_owned();
    let signed_in = http
        .post(format!("{base}/login"))
        .header("cookie", form_cookies)
        .form(&[("name", name), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    (signed_in.status().as_u16(), cookies(&signed_in))
}

/// The URL in the `listening on URL` line of a `ghl serve` started with its stdout piped (the
/// rest of its stdout is read and dropped); panics if the line does not come within 60 s.
pub fn listening_url(child: &mut Child) -> String {
    try_listening_url(child).expect("ghl serve says where it listens")
}

/// [`listening_url`], or `None` if the process ends or says nothing of it within 60 s.
pub fn try_listening_url(child: &mut Child) -> Option<String> {
    let stdout = child.stdout.take().expect("ghl serve's stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("listening on ").nth(1) {
                let url = rest.split_whitespace().next().unwrap_or("").to_owned();
                let _ = tx.send(url);
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).ok()
}

/// How many agents wait on the hub at `base` now: its `ghl_waiters` gauge (`GET /metrics`);
/// `None` when it cannot be read. Once it counts an agent, an answer is sure to wake it.
pub async fn parked_waiters(base: &str) -> Option<u64> {
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("ghl_waiters "))?
        .trim()
        .parse()
        .ok()?;
    Some(value as u64)
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
