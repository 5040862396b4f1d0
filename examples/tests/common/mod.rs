//! Running the examples as programs: where `cargo test` builds them, and one run with piped
//! stdin.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `target/<profile>`, where `cargo test` builds the examples (and the workspace's binaries).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().to_owned()
}

/// `target/<profile>/examples/<name>`, built by `cargo test` alongside the tests.
pub fn example(name: &str) -> PathBuf {
    profile_dir().join("examples").join(name)
}

/// Runs the example with `args`, `envs` and `input` on stdin; its exit status and output.
pub fn run_example(name: &str, args: &[&str], envs: &[(&str, &str)], input: &str) -> Output {
    let mut child = Command::new(example(name))
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{name} should be built by cargo test: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The stdout of a run that must have succeeded.
pub fn succeeded(name: &str, out: &Output) -> String {
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
