//! The examples run as programs, answered on piped stdin.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// `target/<profile>/examples/<name>`, built by `cargo test` alongside this test.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join("examples").join(name)
}

fn run(name: &str, input: &str) -> String {
    let mut child = Command::new(example(name))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{name} should be built by cargo test: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{name} failed");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn approval_example_runs_the_tool_only_when_approved() {
    let approved = run("terminal_approval", "yes\n");
    assert!(
        approved.contains("\"path\": \"/var/cache/builds\""),
        "the arguments are shown:\n{approved}"
    );
    assert!(
        approved.contains("Agent: deleted files under /var/cache/builds"),
        "{approved}"
    );
    let rejected = run("terminal_approval", "拒绝\ndisk is fine\n");
    assert!(
        rejected.contains("Agent: not deleting anything. The human said: disk is fine"),
        "{rejected}"
    );
    assert!(!rejected.contains("Agent: deleted"));
}

#[test]
fn info_example_uses_the_answer() {
    let out = run("terminal_info", "ACME-42\n");
    assert!(out.contains("Which customer account should the refund go to?"));
    assert!(out.contains("booked to account 'ACME-42'"), "{out}");
}

#[test]
fn conversation_example_ends_on_exit() {
    let out = run("terminal_conversation", "shorter intro\n退出\n");
    assert!(
        out.contains("Noted: \"shorter intro\". Anything else?"),
        "{out}"
    );
    assert!(out.contains("the conversation had 2 turns"), "{out}");
}
