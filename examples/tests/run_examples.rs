//! The examples run as programs, answered on piped stdin.

mod common;

use common::{run_example, succeeded};

/// Runs the example with `input` on stdin; its exit status, stdout and stderr.
fn run_with(name: &str, input: &str) -> std::process::Output {
    run_example(name, &[], &[], input)
}

/// Runs the example, which must succeed; its stdout.
fn run(name: &str, input: &str) -> String {
    succeeded(name, &run_with(name, input))
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

#[test]
fn an_example_without_input_says_why_in_words() {
    let out = run_with("terminal_conversation", "");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: Conversation ended with status error: end of input"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("ConversationBroken") && !stderr.contains("transcript"),
        "no Debug dump: {stderr}"
    );
}

/// `scripts/test.sh` checks its own summary by running this test with the variable set: it must
/// then fail, and the script must still print its closing line and exit non-zero.
#[test]
fn fails_on_purpose_when_asked() {
    assert!(
        std::env::var_os("GHL_TEST_FAIL_ON_PURPOSE").is_none(),
        "failing on purpose (GHL_TEST_FAIL_ON_PURPOSE is set)"
    );
}

/// `scripts/test.sh` checks that a skip is counted and fails the run, with this test: with the
/// variable set it reports itself skipped, as a test whose service is missing does.
#[test]
fn skips_on_purpose_when_asked() {
    if std::env::var_os("GHL_TEST_SKIP_ON_PURPOSE").is_some() {
        gohumanloop_testkit::skip("skipping on purpose (GHL_TEST_SKIP_ON_PURPOSE is set)");
    }
}
