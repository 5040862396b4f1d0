//! `ghl ask --terminal` as a separate process: piped stdin for every loop type and both
//! languages' keywords, end of input, deadlines, usage errors, and a real pseudo-terminal.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const GHL: &str = env!("CARGO_BIN_EXE_ghl");

/// Runs `ghl ask --terminal --json KIND TEXT [extra]` with `input` on stdin.
fn ask(kind: &str, input: &str, extra: &[&str]) -> (i32, Value, String) {
    let mut child = Command::new(GHL)
        .args([
            "ask",
            "--terminal",
            "--json",
            kind,
            "Delete the staging database?",
        ])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ghl starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(stdout).unwrap();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (
        status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn approval_keywords_in_both_languages() {
    for word in ["approve", "YES", "y", "同意", "批准"] {
        let (code, json, stderr) = ask("approval", &format!("{word}\n"), &[]);
        assert_eq!(code, 0, "{word}: {stderr}");
        assert_eq!(json["status"], "approved", "{word}");
        assert_eq!(json["responded_by"], "terminal_user");
        assert!(
            stderr.contains("Delete the staging database?"),
            "the question is shown: {stderr}"
        );
        assert!(stderr.contains("Please enter your decision (approve/reject):"));
    }
    for word in ["reject", "No", "n", "拒绝", "不同意"] {
        let (code, json, stderr) = ask("approval", &format!("{word}\nnot today\n"), &[]);
        assert_eq!(code, 1, "{word}: {stderr}");
        assert_eq!(json["status"], "rejected");
        assert_eq!(json["response"], "not today");
        assert!(stderr.contains("Please enter the reason for rejection:"));
    }
}

#[test]
fn chinese_prompts_with_lang_zh() {
    let (code, json, stderr) = ask("approval", "好吗\n拒绝\n风险太高\n", &["--lang", "zh"]);
    assert_eq!((code, json["response"].as_str()), (1, Some("风险太高")));
    for said in [
        "请输入您的决定",
        "输入无效",
        "请输入拒绝的理由：",
        "您的决定已记录：rejected",
    ] {
        assert!(stderr.contains(said), "{said} missing in {stderr}");
    }
    let (code, _, stderr) = ask("conversation", "exit\n", &["--lang", "zh"]);
    assert_eq!(code, 0);
    assert!(stderr.contains("请输入您的回复"), "{stderr}");
}

#[test]
fn invalid_answers_are_asked_again() {
    let (code, json, stderr) = ask("approval", "perhaps\n\nnot approve\napprove\n", &[]);
    assert_eq!((code, json["status"].as_str()), (0, Some("approved")));
    assert_eq!(
        stderr
            .matches("Invalid input, please enter 'approve' or 'reject'")
            .count(),
        3
    );
}

#[test]
fn information_and_conversation() {
    let (code, json, _) = ask("info", "the password is in the vault\n", &[]);
    assert_eq!(code, 0);
    assert_eq!(
        (json["status"].as_str(), json["loop_type"].as_str()),
        (Some("completed"), Some("information"))
    );
    assert_eq!(json["response"], "the password is in the vault");
    let (code, json, _) = ask("information", "上海\n", &[]);
    assert_eq!((code, json["response"].as_str()), (0, Some("上海")));

    let (code, json, stderr) = ask("conversation", "let's talk\n", &[]);
    assert_eq!((code, json["status"].as_str()), (0, Some("inprogress")));
    assert!(stderr.contains("(type 'exit' to end conversation)"));
    for word in ["exit", "QUIT", "结束", "退出"] {
        let (code, json, _) = ask("conversation", &format!("{word}\n"), &[]);
        assert_eq!(
            (code, json["status"].as_str()),
            (0, Some("completed")),
            "{word}"
        );
    }
}

#[test]
fn end_of_input_is_an_error_not_a_hang() {
    for (kind, input) in [
        ("approval", ""),
        ("approval", "reject\n"),
        ("info", ""),
        ("conversation", ""),
    ] {
        let (code, json, _) = ask(kind, input, &[]);
        assert_eq!(code, 3, "{kind} {input:?}");
        assert_eq!(json["status"], "error");
        assert_eq!(json["error"], "end of input on the terminal");
    }
}

#[test]
fn a_deadline_with_no_answer_exits_2() {
    // stdin stays open and silent: only the deadline can end this.
    let mut child = Command::new(GHL)
        .args([
            "ask",
            "--terminal",
            "--json",
            "approval",
            "quick!",
            "--timeout",
            "1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _keep_open = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["status"].as_str(), json["error"].as_str()),
        (Some("expired"), Some("Request timed out"))
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has timed out after 1 seconds"), "{stderr}");
    assert!(
        stderr.contains("left] Please enter your decision"),
        "the time left is shown: {stderr}"
    );
}

#[test]
fn plain_output_is_the_answer_text() {
    let mut child = Command::new(GHL)
        .args(["ask", "--terminal", "info", "Which region?"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"eu-west-1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "eu-west-1\n");
}

#[test]
fn usage_errors_exit_3_and_version_exits_0() {
    let run = |args: &[&str]| {
        Command::new(GHL)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    for bad in [
        &["ask", "--terminal", "maybe", "x"][..],
        &["ask", "--terminal", "approval", "x", "--timeout", "0"],
        &["ask", "--terminal", "approval", "x", "--timeout", "soon"],
        &["bogus"],
    ] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(3), "{bad:?}");
        assert!(!out.stderr.is_empty());
    }
    let out = run(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("ghl {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_real_pseudo_terminal() {
    let mut p = rexpect::spawn(
        &format!("{GHL} ask --terminal approval 'Restart prod?' --json"),
        Some(10_000),
    )
    .expect("ghl starts on a pty");
    p.exp_string("Restart prod?").unwrap();
    // On a real terminal the section titles are coloured.
    p.exp_string("\x1b[94m=== END ===\x1b[0m").unwrap();
    p.exp_string("Please enter your decision (approve/reject):")
        .unwrap();
    p.send_line("nope").unwrap();
    p.exp_string("Invalid input").unwrap();
    p.send_line("不同意").unwrap();
    p.exp_string("Please enter the reason for rejection:")
        .unwrap();
    p.send_line("wait for the freeze to end").unwrap();
    p.exp_string("Your decision has been recorded: rejected")
        .unwrap();
    p.exp_string("\"response\":\"wait for the freeze to end\"")
        .unwrap();
    match p.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, code) => assert_eq!(code, 1),
        other => panic!("unexpected end: {other:?}"),
    }
}

#[test]
fn no_colour_on_a_terminal_when_no_color_is_set() {
    let mut command = std::process::Command::new(GHL);
    command
        .args(["ask", "--terminal", "approval", "Restart prod?"])
        .env("NO_COLOR", "1");
    let mut p = rexpect::session::spawn_command(command, Some(10_000)).expect("ghl on a pty");
    let shown = p
        .exp_string("Please enter your decision (approve/reject):")
        .unwrap();
    assert!(shown.contains("=== END ==="), "{shown:?}");
    assert!(!shown.contains('\u{1b}'), "NO_COLOR: {shown:?}");
    p.send_line("approve").unwrap();
    match p.process().wait().unwrap() {
        rexpect::process::WaitStatus::Exited(_, code) => assert_eq!(code, 0),
        other => panic!("unexpected end: {other:?}"),
    }
}
