//! Promises of README.md, docs/src/hub.md, docs/src/operations.md and docs/src/cli.md about the
//! `ghl` binary itself, each proved by running it on SQLite files in temporary folders:
//!
//! - shutdown: "`Ctrl-C` (SIGINT) or SIGTERM stops it cleanly: long-polls and event streams end
//!   at once, open requests get up to 5 seconds to finish, and the process exits with 0";
//! - upgrades: "The hub applies its schema migrations at start, before it serves anything" and
//!   "an older `ghl` refuses to open a database that a newer one has migrated";
//! - logs: "`RUST_LOG` is not read. A filter that does not parse stops the start with exit
//!   code 3";
//! - keys: "A random key is `ghl_` followed by 64 hex digits (244 random bits)", "`list` …
//!   never the keys themselves", "A key already in use is refused";
//! - accounts: `ghl users create | list | grant | passwd | disable | enable`, "3 error (a taken
//!   name, an unknown account, a short password…)";
//! - errors: "followed by the message and its causes — never a debugging dump".

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use gohumanloop_testkit::http::post_json;
use gohumanloop_testkit::process::{
    ghl, ghl_binary, last_line, listening_url, parked_waiters, HubProcess,
};
use gohumanloop_testkit::until;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bounds a wait that ends at once when things work (only against a hang).
const LIMIT: Duration = Duration::from_secs(60);

/// A SQLite database in a folder of its own: (the folder, its `sqlite://` URL, its file).
fn database() -> (tempfile::TempDir, String, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("ghl.db");
    let url = format!("sqlite://{}", path.display());
    (dir, url, path)
}

/// Text of a stream of a finished command.
fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `ghl ARGS` with `input` on its stdin, to completion.
fn ghl_with_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(ghl_binary())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ghl runs");
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(input.as_bytes())
        .expect("ghl reads its stdin");
    child.wait_with_output().expect("ghl ends")
}

/// Waits (at most [`LIMIT`]) for `child` to exit and returns its output; kills it and fails if
/// it does not — for a `ghl serve` that must refuse to start, where a regression would serve on.
fn exit_of(mut child: Child) -> Output {
    let deadline = Instant::now() + LIMIT;
    while child.try_wait().expect("a child to wait for").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("the killed child");
            panic!(
                "still running after {LIMIT:?}: stdout {}\nstderr {}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
        std::thread::sleep(gohumanloop_testkit::wait::STEP);
    }
    child.wait_with_output().expect("its output")
}

/// `ghl serve --addr 127.0.0.1:0 ARGS` with `envs`, expected to exit by itself.
fn serve_exit(args: &[&str], envs: &[(&str, &str)]) -> Output {
    let child = Command::new(ghl_binary())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(args)
        .env_remove("GHL_LOG")
        .env_remove("RUST_LOG")
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ghl serve starts");
    exit_of(child)
}

/// Sends SIGTERM to `child`.
fn sigterm(child: &Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "SIGTERM sent");
}

/// A running `ghl serve`, killed (SIGKILL) when dropped: a test that fails half-way leaves no
/// hub behind. (`Child::kill` does nothing to a child already waited for.)
struct Serving(Child);

impl Serving {
    /// Starts `ghl serve --addr 127.0.0.1:0 --db DB ARGS` with its stdout piped (for
    /// [`listening_url`]) and its log written to `log` (or dropped).
    fn start(db: &str, args: &[&str], envs: &[(&str, &str)], log: Option<&Path>) -> Self {
        let stderr = match log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("a log file")),
            None => Stdio::null(),
        };
        let child = Command::new(ghl_binary())
            .args(["serve", "--addr", "127.0.0.1:0", "--db", db])
            .args(args)
            .env_remove("GHL_LOG")
            .env_remove("RUST_LOG")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("ghl serve starts");
        Self(child)
    }

    /// Waits (at most [`LIMIT`]) for it to exit; its exit status.
    fn exit(&mut self) -> std::process::ExitStatus {
        gohumanloop_testkit::until_blocking("ghl serve to exit", LIMIT, || {
            self.0.try_wait().expect("the hub's state")
        })
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The original protocol's create of an approval.
fn create_body(cid: &str, rid: &str) -> Value {
    json!({"task_id": "t", "conversation_id": cid, "request_id": rid, "loop_type": "approval",
           "context": {"question": "Ship it?"}, "platform": "test", "metadata": {}})
}

/// Opens a `POST /api/v1/humanloop/request` of `length` bytes with `Expect: 100-continue` and
/// returns once the hub has answered `100 Continue` — that is, once its handler is reading the
/// body: the request is open.
async fn open_upload(addr: &str, key: &str, length: usize) -> tokio::net::TcpStream {
    let mut socket = tokio::net::TcpStream::connect(addr)
        .await
        .expect("the hub accepts");
    let head = format!(
        "POST /api/v1/humanloop/request HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {length}\r\nExpect: 100-continue\r\n\r\n"
    );
    socket
        .write_all(head.as_bytes())
        .await
        .expect("the head is sent");
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(LIMIT, socket.read(&mut byte))
            .await
            .expect("the hub answers the Expect header")
            .expect("the connection holds");
        assert_eq!(n, 1, "the connection closed: {}", text(&seen));
        seen.push(byte[0]);
    }
    assert!(
        seen.starts_with(b"HTTP/1.1 100 Continue"),
        "{}",
        text(&seen)
    );
    socket
}

/// SIGTERM to a real `ghl serve` with a long-poll parked (`wait=300`), an event stream open, a
/// request whose body is still arriving and another whose body would take some 25 s more:
///
/// - the long-poll is answered (200, its current `pending` state) and the stream ends cleanly,
///   both while the hub is still draining (the process is alive: they were ended by the
///   shutdown, not cut by the exit);
/// - the request whose body is completed after that gets its answer (200, `success`) and is
///   stored: open requests get time to finish;
/// - the hub exits with 0 no sooner than 5 s after the SIGTERM (the unfinished request's 5
///   seconds; a causal bound: the hub's timer starts after the signal) and no later than 15 s
///   (the promised 5 s plus 10 s for a loaded machine; the unfinished body would take ~25 s).
///
/// Checked that it can fail (each change undone at once): with `Hub::begin_shutdown` not called
/// in `serve.rs`, the long-poll was cut by the exit and this test failed; with `DRAIN`
/// (crates/gohumanloop-hub/src/server/mod.rs) at 0 s, the late request got no answer and it
/// failed; at 60 s the hub outlived the 15 s bound and it failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_long_polls_and_streams_at_once_and_gives_open_requests_5_seconds() {
    let (dir, db, path) = database();
    let key = last_line(ghl(
        &[
            "keys", "create", "--db", &db, "--tenant", "a", "--name", "agent",
        ],
        &[],
    ));
    let mut hub = Serving::start(&db, &[], &[], Some(&dir.path().join("serve.log")));
    let base = listening_url(&mut hub.0);
    let addr = base.trim_start_matches("http://").to_owned();
    let created = post_json(
        &format!("{base}/api/v1/humanloop/request"),
        &key,
        &create_body("c", "r"),
    )
    .await;
    assert_eq!(created["success"], true, "{created}");

    // A long-poll, parked.
    let poll_url = format!(
        "{base}/api/v1/humanloop/status?conversation_id=c&request_id=r&platform=test&wait=300"
    );
    let poll_key = key.clone();
    let poll = tokio::spawn(async move {
        let reply = reqwest::Client::new()
            .get(poll_url)
            .bearer_auth(poll_key)
            .send()
            .await?;
        let status = reply.status();
        let body: Value = reply.json().await?;
        Ok::<_, reqwest::Error>((status, body))
    });
    until("the long-poll parked", LIMIT, || async {
        (parked_waiters(&base).await? >= 1).then_some(())
    })
    .await;
    // An event stream, open.
    let mut stream = reqwest::Client::new()
        .get(format!("{base}/api/v1/events"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    // A request whose last byte is held back, and one whose body trickles (40 KiB/s, well
    // above the hub's 8 KiB/s minimum: a slow client, not a stalled one) for some 25 s.
    let late_body = create_body("c-late", "r-late").to_string().into_bytes();
    let mut late = open_upload(&addr, &key, late_body.len()).await;
    late.write_all(&late_body[..late_body.len() - 1])
        .await
        .expect("most of the body");
    let mut hung = open_upload(&addr, &key, 1_000_000).await;
    let trickle = tokio::spawn(async move {
        // Pacing a slow client, bounded: 245 pieces of 4 KiB at most.
        for _ in 0..245 {
            if hung.write_all(&[b' '; 4096]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });

    let term = Instant::now();
    sigterm(&hub.0);
    let (status, polled) = tokio::time::timeout(LIMIT, poll)
        .await
        .expect("the long-poll ends")
        .expect("the polling task")
        .expect("the long-poll is answered, not cut");
    assert_eq!(status, reqwest::StatusCode::OK, "{polled}");
    assert_eq!(
        (&polled["success"], &polled["status"]),
        (&json!(true), &json!("pending")),
        "{polled}"
    );
    let ended = tokio::time::timeout(LIMIT, gohumanloop_testkit::http::read_to_end(&mut stream))
        .await
        .expect("the stream ends");
    assert!(ended.is_ok(), "the stream ended cleanly: {ended:?}");
    let streams_ended = term.elapsed();
    assert!(
        hub.0.try_wait().expect("the hub's state").is_none(),
        "the long-poll and the stream ended while the hub drained, {streams_ended:?} after \
         SIGTERM — not by its exit"
    );

    // The held-back request completes after the shutdown began, and is answered.
    late.write_all(&late_body[late_body.len() - 1..])
        .await
        .expect("the last byte");
    let mut reply = Vec::new();
    tokio::time::timeout(LIMIT, late.read_to_end(&mut reply))
        .await
        .expect("the late request's answer")
        .expect("the connection holds until the answer");
    let reply = text(&reply);
    assert!(reply.starts_with("HTTP/1.1 200 "), "{reply}");
    assert!(
        reply.ends_with(r#"{"success":true,"error":null}"#),
        "{reply}"
    );

    // Blocking (for the exit's moment): the trickling task goes on on the other worker.
    let exited = tokio::task::block_in_place(|| hub.exit());
    let took = term.elapsed();
    assert_eq!(exited.code(), Some(0), "exit code");
    assert!(
        took >= Duration::from_secs(5),
        "exited {took:?} after SIGTERM: the open request did not get its 5 s"
    );
    assert!(
        took <= Duration::from_secs(15),
        "exited {took:?} after SIGTERM, more than 5 s + 10 s for a loaded machine"
    );
    trickle.await.expect("the trickling task");
    eprintln!("streams ended {streams_ended:?} after SIGTERM, the hub exited after {took:?}");

    // The late request was stored.
    assert_eq!(
        sql_i64(
            &path,
            "SELECT count(*) FROM requests WHERE request_id = 'r-late'"
        )
        .await,
        1
    );
}

/// Runs a query giving one integer on the SQLite file at `path`.
async fn sql_i64(path: &Path, query: &'static str) -> i64 {
    use sqlx::Connection;
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("the database opens");
    let value: i64 = sqlx::query_scalar(query)
        .fetch_one(&mut conn)
        .await
        .expect("the query runs");
    conn.close().await.expect("closed");
    value
}

/// Runs statements on the SQLite file at `path`.
async fn sql_run(path: &Path, statements: &[&'static str]) {
    use sqlx::Connection;
    let url = format!("sqlite://{}", path.display());
    let mut conn = sqlx::SqliteConnection::connect(&url)
        .await
        .expect("the database opens");
    for statement in statements {
        sqlx::query(*statement)
            .execute(&mut conn)
            .await
            .expect("the statement runs");
    }
    conn.close().await.expect("closed");
}

/// The hub's SQLite migrations (`crates/gohumanloop-hub/migrations/sqlite`).
fn migrations_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../gohumanloop-hub/migrations/sqlite")
}

/// The newest migration's version: the highest number among the migration files.
fn newest_migration() -> i64 {
    std::fs::read_dir(migrations_dir())
        .expect("the migrations folder")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.split('_').next()?.parse::<i64>().ok()
        })
        .max()
        .expect("some migrations")
}

/// The files of a stopped SQLite database (the main file and, if any, its WAL) as bytes.
fn database_files(path: &Path) -> (Vec<u8>, Vec<u8>) {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    (
        std::fs::read(path).expect("the database file"),
        std::fs::read(wal).unwrap_or_default(),
    )
}

/// A database at the schema before the newest migration is brought up to date by `ghl serve`
/// before it says it listens (and so before it serves anything), and by `ghl keys list` too.
///
/// Checked that it can fail (undone at once): with the `migrate!` run taken out of
/// `SqliteStore::open`, the schema stayed one migration behind and this test failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_are_applied_at_start_before_anything_is_served() {
    let newest = newest_migration();
    let migrator = sqlx::migrate::Migrator::new(migrations_dir().as_path())
        .await
        .expect("the migrations load");
    for command in ["serve", "keys"] {
        let (_dir, db, path) = database();
        {
            use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
            use std::str::FromStr;
            let options = SqliteConnectOptions::from_str(&db)
                .expect("a URL")
                .create_if_missing(true);
            let pool = SqlitePool::connect_with(options)
                .await
                .expect("a new database");
            migrator
                .run_to(newest - 1, &pool)
                .await
                .expect("the older schema");
            pool.close().await;
        }
        let version = "SELECT max(version) FROM _sqlx_migrations WHERE success";
        assert_eq!(sql_i64(&path, version).await, newest - 1);
        if command == "serve" {
            let mut hub = Serving::start(&db, &[], &[], None);
            listening_url(&mut hub.0);
            // Read at once: the listening line comes after the migrations.
            assert_eq!(sql_i64(&path, version).await, newest, "ghl serve");
            sigterm(&hub.0);
            let exited = tokio::task::block_in_place(|| hub.exit());
            assert!(exited.success());
        } else {
            let out = ghl(&["keys", "list", "--db", &db], &[]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(sql_i64(&path, version).await, newest, "ghl keys list");
        }
    }
}

/// A database that a newer `ghl` migrated (a migration this binary does not know is recorded
/// in `_sqlx_migrations`) is refused: `ghl serve` exits 3 without listening, saying it cannot
/// open the database and naming the unknown migration; `ghl keys`, `ghl users` and
/// `ghl audit verify` refuse it too (3); and the database file is left byte for byte as it was.
///
/// Checked that it can fail (undone at once): with `set_ignore_missing(true)` on the migrator in
/// `SqliteStore::open`, `ghl serve` served the newer database and this test failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_ghl_refuses_a_newer_database_and_leaves_it_as_it_was() {
    let (_dir, db, path) = database();
    let made = ghl(&["keys", "create", "--db", &db, "--name", "agent"], &[]);
    assert!(made.status.success(), "{}", text(&made.stderr));
    sql_run(
        &path,
        &["INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
           VALUES (9999, 'from a newer ghl', 1, X'00', 0)"],
    )
    .await;
    let before = database_files(&path);

    let refused = tokio::task::spawn_blocking({
        let db = db.clone();
        move || serve_exit(&["--db", &db], &[])
    })
    .await
    .expect("the serving task");
    let stderr = text(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{stderr}");
    assert!(
        !text(&refused.stdout).contains("listening on"),
        "it did not serve"
    );
    assert!(
        stderr.contains(&format!("ghl: cannot open the database {db}")),
        "{stderr}"
    );
    assert!(stderr.contains("migration 9999"), "{stderr}");
    assert!(stderr.contains("migrated by a newer ghl"), "{stderr}");

    for args in [
        vec!["keys", "list"],
        vec!["keys", "create", "--name", "another"],
        vec!["users", "list"],
        vec!["audit", "verify"],
    ] {
        let mut all = args.clone();
        all.extend(["--db", &db]);
        let out = ghl(&all, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(stderr.contains("migration 9999"), "{args:?}: {stderr}");
    }

    let after = database_files(&path);
    assert!(before.0 == after.0, "the database file is unchanged");
    assert!(
        after.1.is_empty() || before.1 == after.1,
        "nothing was written to its log"
    );
}

/// Environment variables for a command.
type Env<'a> = &'a [(&'a str, &'a str)];

/// A log filter that does not parse stops `ghl serve` with exit 3 and a message naming it — given
/// by `--log-level`, by `GHL_LOG`, or by the configuration file's `log_level`, and under
/// `--check-config`; it never serves.
///
/// Checked that it can fail (undone at once): with `telemetry::init` falling back to `info` on a
/// filter that does not parse, `ghl serve` served and this test failed.
#[test]
fn a_log_filter_that_does_not_parse_stops_the_start_with_3() {
    let (dir, db, _) = database();
    let bad = "info,gohumanloop_hub=loudest";
    let config = dir.path().join("ghl.toml");
    std::fs::write(&config, format!("log_level = \"{bad}\"\n")).expect("a config file");
    let config = config.display().to_string();
    let cases: [(&[&str], Env); 4] = [
        (&["--log-level", bad], &[]),
        (&[], &[("GHL_LOG", bad)]),
        (&["--config", &config], &[]),
        (&["--log-level", bad, "--check-config"], &[]),
    ];
    for (args, envs) in cases {
        let mut all = vec!["--db", db.as_str()];
        all.extend(args);
        let out = serve_exit(&all, envs);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?} {envs:?}: {stderr}");
        assert!(
            !text(&out.stdout).contains("listening on"),
            "{args:?} {envs:?}"
        );
        assert!(stderr.contains(bad), "the filter is named: {stderr}");
    }
}

/// Starts `ghl serve` with `args` and `envs` (and `RUST_LOG` / `GHL_LOG` only as given), its log
/// written to a file; stops it with SIGTERM; its whole log.
fn serve_log(args: &[&str], envs: &[(&str, &str)]) -> String {
    let (dir, db, _) = database();
    let log = dir.path().join("serve.log");
    let mut hub = Serving::start(&db, args, envs, Some(&log));
    listening_url(&mut hub.0);
    sigterm(&hub.0);
    assert_eq!(hub.exit().code(), Some(0));
    std::fs::read_to_string(log).expect("the log")
}

/// `RUST_LOG` is not read: with `RUST_LOG=off` the default `info` log is still written (the
/// `connection caps` line at start, `shutting down` at the end), and with `RUST_LOG=trace`
/// beside `--log-level warn` no `INFO`, `DEBUG` or `TRACE` line appears.
///
/// Checked that it can fail (undone at once): with `telemetry::init` taking
/// `EnvFilter::try_from_default_env()` first, the `RUST_LOG=off` run logged nothing and this test
/// failed.
#[test]
fn rust_log_is_not_read() {
    let log = serve_log(&[], &[("RUST_LOG", "off")]);
    for wanted in ["connection caps", "shutting down"] {
        assert!(log.contains(wanted), "{wanted}: {log}");
    }
    let log = serve_log(&["--log-level", "warn"], &[("RUST_LOG", "trace")]);
    for level in [" INFO ", " DEBUG ", " TRACE "] {
        assert!(!log.contains(level), "{level}: {log}");
    }
}

/// Whether `key` is `ghl_` followed by 64 lower-case hex digits.
fn is_random_key(key: &str) -> bool {
    key.len() == 68
        && key.starts_with("ghl_")
        && key[4..]
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

/// `ghl keys create` prints, alone on the last line of stdout, `ghl_` and 64 hex digits; 40 keys
/// are all different; and their digits carry 244 random bits: every digit varies over the keys
/// (at least 4 of 16 values seen in 40 keys; a fixed or nearly fixed digit fails) except four —
/// the UUID v4 version digits (always `4`) and variant digits (`8`, `9`, `a` or `b`: 2 bits) of
/// the two halves: 60 × 4 + 2 × 2 = 244.
///
/// Checked that it can fail (undone at once): with `keys::generate` making its second half of
/// zeros, this test failed at the first of those digits.
#[test]
fn a_random_key_is_ghl_and_64_hex_digits_with_244_random_bits() {
    let (_dir, db, _) = database();
    let keys: Vec<String> = (0..40)
        .map(|n| {
            let out = ghl(
                &["keys", "create", "--db", &db, "--name", &format!("k{n}")],
                &[],
            );
            let stderr = text(&out.stderr);
            assert!(stderr.contains("created"), "{stderr}");
            last_line(out)
        })
        .collect();
    for key in &keys {
        assert!(is_random_key(key), "{key:?}");
    }
    let distinct: HashSet<&String> = keys.iter().collect();
    assert_eq!(distinct.len(), keys.len(), "all different");
    for position in 0..64 {
        let seen: HashSet<char> = keys
            .iter()
            .map(|k| k[4..].chars().nth(position).expect("64 digits"))
            .collect();
        match position {
            12 | 44 => assert_eq!(seen, HashSet::from(['4']), "digit {position}"),
            16 | 48 => {
                assert!(
                    seen.iter().all(|c| "89ab".contains(*c)) && seen.len() >= 2,
                    "digit {position}: {seen:?}"
                )
            }
            _ => assert!(seen.len() >= 4, "digit {position}: {seen:?}"),
        }
    }
}

/// `ghl keys list` shows every key's row but never a key — neither a random key nor one set
/// with `--key`, nor more than a third of one; `create --key` with a key already in use is
/// refused with exit 3 and a message, also for another tenant, and nothing is added.
///
/// Checked that it can fail (each change undone at once): with `keys::prefix` keeping the whole
/// key, the list showed the keys and this test failed; with `ghl keys create` ignoring the
/// store's refusal, the duplicate exited 0 and it failed.
#[test]
fn keys_list_never_shows_a_key_and_a_key_in_use_is_refused() {
    let (_dir, db, _) = database();
    let mut keys: Vec<String> = (0..3)
        .map(|n| {
            last_line(ghl(
                &["keys", "create", "--db", &db, "--name", &format!("k{n}")],
                &[],
            ))
        })
        .collect();
    let own = "gohumanloop-own-key-0123456789";
    assert_eq!(
        last_line(ghl(
            &["keys", "create", "--db", &db, "--name", "own", "--key", own],
            &[]
        )),
        own
    );
    keys.push(own.to_owned());

    for (tenant, taken) in [
        ("default", own),
        ("other", own),
        ("other", keys[0].as_str()),
    ] {
        let out = ghl(
            &[
                "keys", "create", "--db", &db, "--tenant", tenant, "--name", "dup", "--key", taken,
            ],
            &[],
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{tenant}: {stderr}");
        assert!(stderr.starts_with("ghl: "), "{stderr}");
        assert!(stderr.contains("already in use"), "{stderr}");
        assert!(
            !text(&out.stdout).contains(taken),
            "a refused key is not printed"
        );
    }

    let out = ghl(&["keys", "list", "--db", &db], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["ID", "TENANT", "NAME", "PREFIX", "CREATED", "REVOKED"]
    );
    assert_eq!(lines.len(), 1 + keys.len(), "one row per key: {stdout}");
    assert!(!stdout.contains("dup"), "nothing was added: {stdout}");
    for key in &keys {
        let third = key.chars().count() / 3;
        let beyond: String = key.chars().take(third + 1).collect();
        assert!(
            !stdout.contains(&beyond) && !stderr.contains(&beyond),
            "more than a third of {key} is shown: {stdout}"
        );
        let prefix: String = key.chars().take(third.min(12)).collect();
        assert!(stdout.contains(&prefix), "{prefix}: {stdout}");
    }
}

/// One row of `ghl users list` by name: its whitespace-separated columns.
fn user_row(db: &str, name: &str) -> Option<Vec<String>> {
    let out = ghl(&["users", "list", "--db", db], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .find(|cols| cols.get(1).map(String::as_str) == Some(name))
}

/// The status of a sign-in to the web inbox at `base`: 303 signed in, 401 refused.
async fn sign_in_status(base: &str, name: &str, password: &str) -> u16 {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let form = http
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("the sign-in page");
    let cookies: Vec<String> = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    let page = form.text().await.expect("the page");
    let start = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    let csrf = page[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned();
    http.post(format!("{base}/login"))
        .header("cookie", cookies.join("; "))
        .form(&[("name", name), ("password", password), ("csrf", &csrf)])
        .send()
        .await
        .expect("the sign-in answers")
        .status()
        .as_u16()
}

/// Asserts `out` is the failure of a `ghl users` command: exit 3, one line `ghl: …` naming
/// `what`, nothing on stdout.
fn refused(out: &Output, what: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{what}: {stderr}");
    assert!(
        stderr.starts_with("ghl: ") && stderr.trim_end().lines().count() == 1,
        "{stderr}"
    );
    assert!(stderr.contains(what), "{what}: {stderr}");
    assert_eq!(text(&out.stdout), "", "{what}");
}

/// `ghl users` on the database of a running hub: `create` (random password printed once, or
/// one from stdin), `list` (ID, NAME, ROLE, CREATED, STATE, TENANTS), `grant`, `passwd`,
/// `disable`, `enable` — each seen in `list` and at the web inbox's sign-in — and exit 3 with a
/// message for a taken name, an unknown account (`grant`, `passwd`, `disable`, `enable`) and a
/// password shorter than 10 characters (9 refused, 10 taken).
///
/// Checked that it can fail (each change undone at once): with `set_disabled`'s "no account"
/// check taken out of `users.rs`, `disable nobody` exited 0 and this test failed; with
/// `MIN_PASSWORD_LEN` at 9, the 9-character password was taken and it failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_commands_manage_accounts_and_exit_3_on_bad_input() {
    let hub = HubProcess::start();
    let db = hub.db_url();
    let base = hub.base.clone();
    let run = |args: &[&str]| {
        let mut all = vec!["users"];
        all.extend(args);
        all.extend(["--db", db.as_str()]);
        ghl(&all, &[])
    };
    let run_stdin = |args: &[&str], input: &str| {
        let mut all = vec!["users"];
        all.extend(args);
        all.extend(["--db", db.as_str()]);
        ghl_with_stdin(&all, input)
    };

    // create: a random password alone on the last line, or one from stdin (not printed).
    let root_password = last_line(run(&["create", "--role", "admin", "root"]));
    assert!(root_password.chars().count() >= 10, "{root_password}");
    let first = "0123456789"; // exactly 10 characters: taken
    let made = run_stdin(
        &["create", "--tenant", "a", "alice", "--password-stdin"],
        &format!("{first}\n"),
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert_eq!(text(&made.stdout), "", "a given password is not printed");
    refused(
        &run_stdin(
            &["create", "alice", "--password-stdin"],
            "another-password\n",
        ),
        "taken",
    );
    refused(
        &run_stdin(&["create", "bob", "--password-stdin"], "012345678\n"),
        "at least 10 characters",
    );
    assert_eq!(
        user_row(&db, "bob"),
        None,
        "no account for a short password"
    );

    // list.
    let out = run(&["list"]);
    assert!(out.status.success());
    let header = text(&out.stdout);
    assert_eq!(
        header
            .lines()
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>()),
        Some(vec!["ID", "NAME", "ROLE", "CREATED", "STATE", "TENANTS"])
    );
    let root = user_row(&db, "root").expect("root is listed");
    assert_eq!(
        (root[2].as_str(), root[4].as_str(), root[5].as_str()),
        ("admin", "active", "(all)")
    );
    let alice = user_row(&db, "alice").expect("alice is listed");
    assert_eq!(
        (alice[2].as_str(), alice[4].as_str(), alice[5].as_str()),
        ("approver", "active", "a")
    );
    assert_eq!(sign_in_status(&base, "alice", first).await, 303);

    // grant.
    assert!(run(&["grant", "--tenant", "b", "alice"]).status.success());
    assert_eq!(user_row(&db, "alice").expect("alice")[5], "a,b");
    refused(&run(&["grant", "--tenant", "b", "nobody"]), "nobody");

    // passwd: the old password stops working, the new one works.
    let second = "a-new-password-for-alice";
    let changed = run_stdin(
        &["passwd", "alice", "--password-stdin"],
        &format!("{second}\n"),
    );
    assert!(changed.status.success(), "{}", text(&changed.stderr));
    assert_eq!(sign_in_status(&base, "alice", first).await, 401);
    assert_eq!(sign_in_status(&base, "alice", second).await, 303);
    let random = last_line(run(&["passwd", "root"]));
    assert_ne!(random, root_password);
    assert_eq!(sign_in_status(&base, "root", &random).await, 303);
    refused(
        &run_stdin(
            &["passwd", "nobody", "--password-stdin"],
            "long-enough-password\n",
        ),
        "nobody",
    );
    refused(
        &run_stdin(&["passwd", "alice", "--password-stdin"], "short\n"),
        "at least 10 characters",
    );
    assert_eq!(
        sign_in_status(&base, "alice", second).await,
        303,
        "unchanged"
    );

    // disable and enable.
    assert!(run(&["disable", "alice"]).status.success());
    assert_eq!(user_row(&db, "alice").expect("alice")[4], "disabled");
    assert_eq!(sign_in_status(&base, "alice", second).await, 401);
    assert!(run(&["enable", "alice"]).status.success());
    assert_eq!(user_row(&db, "alice").expect("alice")[4], "active");
    assert_eq!(sign_in_status(&base, "alice", second).await, 303);
    refused(&run(&["disable", "nobody"]), "nobody");
    refused(&run(&["enable", "nobody"]), "nobody");
}

/// What a debugging dump looks like: Rust's `Debug` of an error or an I/O error, anyhow's
/// multi-line report, a backtrace, a panic.
const DUMP_SHAPES: [&str; 7] = [
    "Error {",
    "Os {",
    "kind:",
    "backtrace",
    "panicked",
    "Caused by",
    "RUST_BACKTRACE",
];

/// Asserts `out` failed with 3 and a message — not a dump — on stderr; every line of it starting
/// with `prefix` when given (usage errors are clap's own text).
fn a_message(case: &str, out: &Output, prefix: Option<&str>, names: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{case}: {stderr}");
    assert!(!stderr.trim().is_empty(), "{case}: a message");
    for shape in DUMP_SHAPES {
        assert!(
            !stderr.to_lowercase().contains(&shape.to_lowercase()),
            "{case}: {shape:?} in {stderr}"
        );
    }
    if let Some(prefix) = prefix {
        assert!(
            stderr.lines().all(|l| l.starts_with(prefix)),
            "{case}: every line starts with {prefix:?}: {stderr}"
        );
    }
    assert!(stderr.contains(names), "{case}: names {names:?}: {stderr}");
}

/// Errors are a message (`ghl: …` / `ghl respond: …` with its causes), never a debugging dump:
/// a bad flag value, a database that cannot be opened (a missing folder; a PostgreSQL server
/// that does not answer), a configuration file that is missing or wrong, an unknown account, a
/// hub that cannot be reached.
///
/// Checked that it can fail (undone at once): with `main.rs`'s `report_error` printing
/// `{e:?}` (anyhow's debugging report), this test failed at the first runtime error
/// ("Caused by").
#[test]
fn errors_are_a_message_never_a_debugging_dump() {
    let (dir, db, _) = database();
    let missing = dir.path().join("no-such-folder/ghl.db");
    let missing = format!("sqlite://{}", missing.display());
    let unreachable = "postgres://ghl@127.0.0.1:1/ghl";
    let bad_toml = dir.path().join("bad.toml");
    std::fs::write(&bad_toml, "colour = \"red\"\naddr = [\n").expect("a config file");
    let bad_toml = bad_toml.display().to_string();
    let unknown_keys = dir.path().join("unknown.toml");
    std::fs::write(&unknown_keys, "colour = \"red\"\nworkers = 0\n").expect("a config file");
    let unknown_keys = unknown_keys.display().to_string();
    let nowhere = dir.path().join("nowhere.toml").display().to_string();

    // Usage errors: clap's message, exit 3.
    a_message(
        "bad --workers",
        &serve_exit(&["--workers", "many", "--db", &db], &[]),
        None,
        "--workers",
    );
    a_message(
        "bad --role",
        &ghl(
            &["users", "create", "--db", &db, "--role", "boss", "x"],
            &[],
        ),
        None,
        "--role",
    );
    // Runtime errors: one message per line, `ghl: …`.
    let cases: Vec<(&str, Output, &str)> = vec![
        (
            "serve on a missing folder",
            serve_exit(&["--db", &missing], &[]),
            "cannot open the database",
        ),
        (
            "keys on a missing folder",
            ghl(&["keys", "list", "--db", &missing], &[]),
            "cannot open the database",
        ),
        (
            "users on an unreachable PostgreSQL",
            ghl(&["users", "list", "--db", unreachable], &[]),
            "cannot open the database",
        ),
        (
            "a configuration file that does not exist",
            serve_exit(&["--db", &db, "--config", &nowhere], &[]),
            "nowhere.toml",
        ),
        (
            "a configuration file that does not parse",
            serve_exit(&["--db", &db, "--config", &bad_toml], &[]),
            "bad.toml",
        ),
        (
            "a configuration file with unknown keys and bad values",
            serve_exit(&["--db", &db, "--config", &unknown_keys], &[]),
            "colour: no such setting",
        ),
        (
            "an unknown account",
            ghl(&["users", "disable", "--db", &db, "nobody"], &[]),
            "no account named 'nobody'",
        ),
        (
            "a key with a space",
            ghl(&["keys", "create", "--db", &db, "--key", "a b"], &[]),
            "no spaces",
        ),
    ];
    for (case, out, names) in &cases {
        a_message(case, out, Some("ghl: "), names);
    }
    // A command that talks to a hub says so in its own name.
    let out = ghl(
        &[
            "respond",
            "--hub",
            "http://127.0.0.1:1",
            "--key",
            "k",
            "r-1",
            "approve",
        ],
        &[],
    );
    a_message(
        "respond to a hub that is not there",
        &out,
        Some("ghl respond: "),
        "127.0.0.1:1",
    );
}
