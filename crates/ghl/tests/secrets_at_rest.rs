//! Secrets at rest: the database `ghl serve` writes holds no API key, session token or password
//! in the clear — only the SHA-256 of each key and session token (as the README promises),
//! computed here by an independent implementation (Python's `hashlib`, reading the file with
//! Python's `sqlite3`), and an Argon2id hash of each password. The database's files (WAL
//! included) are searched byte by byte for every secret.
//!
//! Checked that it can fail: with the key stored as given (`key_hash` = the key), the first
//! assertion fails.

mod common;

use common::{python, web_sign_in, HubProcess};
use serde_json::{json, Value};

/// What Python finds in the database at `path`: each key's and session's stored hash next to
/// the SHA-256 it computes of the secret, and the password hash's scheme.
fn stored(python: &str, path: &std::path::Path, key: &str, token: &str) -> Value {
    let script = r#"
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
key, token = sys.argv[2], sys.argv[3]
print(json.dumps({
    "key_hashes": [r[0] for r in db.execute("SELECT key_hash FROM api_keys")],
    "key_sha256": hashlib.sha256(key.encode()).hexdigest(),
    "session_hashes": [r[0] for r in db.execute("SELECT token_hash FROM web_sessions")],
    "token_sha256": hashlib.sha256(token.encode()).hexdigest(),
    "password_hashes": [r[0] for r in db.execute("SELECT password_hash FROM users")],
}))
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(path)
        .args([key, token])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn keys_sessions_and_passwords_are_stored_only_as_hashes() {
    let Some(python) = python() else { return };
    let mut hub = HubProcess::start();
    let key = hub.key("a", "agent");
    let password = hub.user("alice", "approver", &["a"]);
    // The key and the session in use, so that the hub has had every chance to write them.
    let created = common::post_json(
        &format!("{}/api/v1/humanloop/request", hub.base),
        &key,
        &json!({"task_id": "t", "conversation_id": "c", "request_id": "r", "loop_type": "approval",
                "context": {"message": "?"}, "platform": "p", "metadata": {}}),
    )
    .await;
    assert_eq!(created["success"], true, "{created}");
    let cookie = web_sign_in(&hub.base, "alice", &password).await;
    let token = cookie
        .split("; ")
        .find_map(|c| c.strip_prefix("ghl_session="))
        .expect("a session cookie")
        .to_owned();
    let inbox = reqwest::Client::new()
        .get(format!("{}/inbox", hub.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), 200, "the session works");
    hub.kill();

    for entry in std::fs::read_dir(hub.path()).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("ghl.db")
        {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for (what, secret) in [
            ("API key", &key),
            ("session token", &token),
            ("password", &password),
        ] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "the {what} is in {} in the clear",
                path.display()
            );
        }
    }
    let found = stored(&python, &hub.db_path(), &key, &token);
    assert_eq!(found["key_hashes"], json!([found["key_sha256"]]), "{found}");
    assert_eq!(
        found["session_hashes"],
        json!([found["token_sha256"]]),
        "{found}"
    );
    let hashes = found["password_hashes"].as_array().unwrap();
    assert_eq!(hashes.len(), 1);
    assert!(
        hashes[0].as_str().unwrap().starts_with("$argon2id$"),
        "{found}"
    );
}
