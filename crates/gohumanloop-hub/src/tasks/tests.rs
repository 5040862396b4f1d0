use serde_json::{json, Value};

use super::*;

fn upload_of(conversations: Value) -> TaskSync {
    serde_json::from_value(json!({
        "task_id": "t1",
        "conversations": conversations,
        "timestamp": "2025-08-25T10:00:00.123456",
        "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux 6"}
    }))
    .unwrap()
}

fn upload(requests: Value) -> TaskSync {
    upload_of(json!([{"conversation_id": "c1", "provider_id": "p", "requests": requests}]))
}

fn request(id: &str, status: &str) -> Value {
    json!({"request_id": id, "status": status, "loop_type": "approval", "response": {}})
}

fn merged(stored: Option<&str>, upload: &TaskSync) -> String {
    merge(stored, upload).unwrap().conversations
}

#[test]
fn the_same_upload_twice_gives_the_same_snapshot() {
    let u = upload(json!([request("r1", "pending")]));
    let once = merged(None, &u);
    let twice = merged(Some(&once), &u);
    assert_eq!(once, twice);
}

#[test]
fn newer_request_state_replaces_older_and_new_requests_are_added() {
    let first = merged(None, &upload(json!([request("r1", "pending")])));
    let second = merged(
        Some(&first),
        &upload(json!([request("r1", "approved"), request("r2", "pending")])),
    );
    let second: Value = serde_json::from_str(&second).unwrap();
    let requests = second[0]["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["status"], "approved");
    assert_eq!(requests[1]["request_id"], "r2");
}

#[test]
fn a_conversation_listed_twice_in_one_upload_is_merged_once() {
    let u = upload_of(json!([
        {"conversation_id": "c1", "provider_id": null, "requests": [request("r1", "pending")]},
        {"conversation_id": "c1", "provider_id": "p2", "requests": [request("r1", "approved"), request("r2", "pending")]},
    ]));
    let merged: Value = serde_json::from_str(&merged(None, &u)).unwrap();
    assert_eq!(merged.as_array().unwrap().len(), 1);
    assert_eq!(merged[0]["provider_id"], "p2");
    let requests = merged[0]["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0]["status"], "approved");
}

/// `n` conversations `c{from}`… with two requests each.
fn conversations(from: usize, n: usize) -> Value {
    (from..from + n)
        .map(|i| {
            json!({"conversation_id": format!("c{i}"), "provider_id": "p",
                   "requests": [request(&format!("r{i}a"), "pending"), request(&format!("r{i}b"), "pending")]})
        })
        .collect()
}

/// The work of merging `n` new conversations and `n` changed ones into a snapshot of `2n`.
fn work(n: usize) -> u64 {
    let stored = merged(None, &upload_of(conversations(0, 2 * n)));
    let mut incoming = conversations(2 * n, n);
    let changed = conversations(0, n);
    incoming
        .as_array_mut()
        .unwrap()
        .extend(changed.as_array().unwrap().iter().cloned());
    merge(Some(&stored), &upload_of(incoming)).unwrap().steps
}

#[test]
fn merging_takes_work_linear_in_the_snapshot_and_the_upload() {
    let (small, large) = (work(300), work(1_200));
    // A search per incoming conversation (the old merge) makes 4× the input 16× the work.
    assert!(
        large <= 4 * small + 16,
        "4× the input took {large} steps against {small}"
    );
    // One conversation sent many times over, with a new request each time.
    let repeated = |n: usize| {
        let many: Value = (0..n)
            .map(|i| json!({"conversation_id": "c", "provider_id": "p", "requests": [request(&format!("r{i}"), "pending")]}))
            .collect();
        merge(None, &upload_of(many)).unwrap().steps
    };
    assert!(repeated(4_000) <= 4 * repeated(1_000) + 16);
}

#[test]
fn snapshots_past_the_limits_are_refused() {
    let too_many = upload_of(conversations(0, MAX_CONVERSATIONS + 1));
    match merge(None, &too_many) {
        Err(SyncError::TooManyConversations { count, .. }) => {
            assert_eq!(count, MAX_CONVERSATIONS + 1)
        }
        other => panic!("{other:?}"),
    }
    let big_response = json!({"text": "x".repeat(MAX_SNAPSHOT_BYTES / 4)});
    let big = |id: &str| {
        json!([{"conversation_id": id, "provider_id": "p",
                "requests": [{"request_id": id, "status": "approved", "loop_type": "approval", "response": big_response}]}])
    };
    let mut stored = merged(None, &upload_of(big("a")));
    for id in ["b", "c"] {
        stored = merged(Some(&stored), &upload_of(big(id)));
    }
    match merge(Some(&stored), &upload_of(big("d"))) {
        Err(SyncError::TooLarge { bytes, .. }) => assert!(bytes > MAX_SNAPSHOT_BYTES),
        other => panic!("{other:?}"),
    }
}

#[test]
fn equal_uploads_have_equal_digests_and_different_ones_differ() {
    let a = upload(json!([request("r1", "pending")]));
    let b = upload(json!([request("r1", "approved")]));
    assert_eq!(digest(&a.conversations), digest(&a.clone().conversations));
    assert_ne!(digest(&a.conversations), digest(&b.conversations));
}
