//! `ghl completions` and `ghl man`: the scripts load in real bash, zsh and fish and complete
//! `ghl`'s subcommands and flags; the man pages render with man(1).

use std::path::Path;
use std::process::{Command, Output};

const GHL: &str = env!("CARGO_BIN_EXE_ghl");

/// Runs `ghl ARGS`, which must succeed; its stdout.
fn ghl(args: &[&str]) -> String {
    let out = Command::new(GHL).args(args).output().expect("ghl runs");
    assert!(
        out.status.success(),
        "ghl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Writes `ghl completions SHELL` into `dir`; the file's path.
fn completion_script(shell: &str, dir: &Path) -> String {
    let path = dir.join(format!("ghl.{shell}"));
    std::fs::write(&path, ghl(&["completions", shell])).unwrap();
    path.display().to_string()
}

/// Runs `shell ARGS`; `None` (the test reports itself skipped) when the shell is not installed
/// (scripts/test.sh installs zsh and fish).
fn shell(shell: &str, args: &[&str]) -> Option<Output> {
    match Command::new(shell).args(args).output() {
        Ok(out) => Some(out),
        Err(e) => {
            gohumanloop_testkit::skip(format_args!("{shell} is not installed ({e})"));
            None
        }
    }
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn bash_completes_subcommands_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = completion_script("bash", dir.path());
    // What bash's programmable completion does on <TAB>: set COMP_WORDS/COMP_CWORD, call the
    // function registered for `ghl`, read COMPREPLY.
    let complete = |words: &str| {
        let program = format!(
            "source {script}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}; \
             $(complete -p ghl | sed -E 's/.*-F ([^ ]+).*/\\1/') ghl \"${{COMP_WORDS[-1]}}\" \
             \"${{COMP_WORDS[-2]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        stdout(&shell("bash", &["-c", &program]).expect("bash is always there"))
    };
    let subcommands = complete("ghl s");
    assert!(
        subcommands.lines().any(|l| l == "serve"),
        "'ghl s<TAB>' offers serve: {subcommands}"
    );
    let flags = complete("ghl inbox --w");
    assert!(
        flags.lines().any(|l| l == "--wait"),
        "'ghl inbox --w<TAB>' offers --wait: {flags}"
    );
    let shells = complete("ghl completions \"\"");
    for name in ["bash", "zsh", "fish"] {
        assert!(shells.lines().any(|l| l == name), "{name} in {shells}");
    }
}

#[test]
fn zsh_loads_the_completion_function() {
    let dir = tempfile::tempdir().unwrap();
    let script = completion_script("zsh", dir.path());
    let Some(syntax) = shell("zsh", &["-n", &script]) else {
        return;
    };
    stdout(&syntax);
    // Loaded after compinit, the script registers its function for `ghl`.
    let program = format!(
        "autoload -Uz compinit && compinit -u -D && source {script} && print -r -- $_comps[ghl]"
    );
    let registered = stdout(&shell("zsh", &["-f", "-c", &program]).unwrap());
    assert_eq!(registered.trim(), "_ghl");
    let text = std::fs::read_to_string(&script).unwrap();
    for word in ["serve", "respond", "--wait", "--quiet"] {
        assert!(text.contains(word), "the zsh script knows {word}");
    }
}

#[test]
fn fish_completes_subcommands_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let script = completion_script("fish", dir.path());
    let complete = |line: &str| {
        let program = format!("source {script}; complete --do-complete '{line}'");
        shell("fish", &["--no-config", "-c", &program]).map(|out| stdout(&out))
    };
    let Some(subcommands) = complete("ghl s") else {
        return;
    };
    assert!(
        subcommands.lines().any(|l| l.starts_with("serve\t")),
        "'ghl s<TAB>' offers serve: {subcommands}"
    );
    let flags = complete("ghl inbox --w").unwrap();
    assert!(
        flags.lines().any(|l| l.starts_with("--wait")),
        "'ghl inbox --w<TAB>' offers --wait: {flags}"
    );
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = Command::new(GHL)
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'tcsh'"));
}

#[test]
fn man_pages_render_with_man() {
    let page = ghl(&["man"]);
    assert!(page.contains(".TH ghl 1"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("ghl.1");
    std::fs::write(&main, &page).unwrap();
    let rendered = Command::new("man")
        .arg("-l")
        .arg(&main)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .output()
        .expect("man is installed");
    let text = stdout(&rendered);
    assert!(text.contains("NAME") && text.contains("ghl - "), "{text}");
    for sub in ["serve", "ask", "inbox", "respond", "completions", "man"] {
        assert!(text.contains(sub), "ghl(1) lists {sub}:\n{text}");
    }

    let pages = dir.path().join("pages");
    let out = Command::new(GHL)
        .args(["man", "--dir"])
        .arg(&pages)
        .output()
        .unwrap();
    assert!(out.status.success());
    for file in ["ghl.1", "ghl-serve.1", "ghl-keys-create.1", "ghl-inbox.1"] {
        assert!(pages.join(file).is_file(), "{file} written");
    }
    let serve = std::fs::read_to_string(pages.join("ghl-serve.1")).unwrap();
    assert!(
        serve.contains("GHL_DB"),
        "the serve page names its variables"
    );
    let respond = std::fs::read_to_string(pages.join("ghl-respond.1")).unwrap();
    assert!(
        respond.contains("reject: Reject any request (TEXT: the reason, required)"),
        "the respond page says a rejection needs its reason: {respond}"
    );
}
