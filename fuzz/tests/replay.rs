//! Replays every fuzz target's corpus (`fuzz/corpus/<target>/`) through the target's function,
//! on stable, in the normal test suite: an input that once crashed, or that the campaign found
//! interesting, keeps being run. A target whose corpus folder is missing or empty fails, so that
//! no target silently loses its corpus; a panic names the target and the file.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use gohumanloop_fuzz::TARGETS;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{target}: no corpus folder {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "{target}: the corpus folder {} is empty",
        dir.display()
    );
    files
}

#[test]
fn every_target_has_a_binary_and_a_corpus() {
    let bins = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz_targets");
    for (target, _) in TARGETS {
        assert!(
            bins.join(format!("{target}.rs")).is_file(),
            "{target}: no fuzz_targets/{target}.rs"
        );
        corpus(target);
    }
    let listed = std::fs::read_dir(&bins).unwrap().count();
    assert_eq!(listed, TARGETS.len(), "every binary is listed in TARGETS");
}

#[test]
fn every_corpus_replays_without_a_panic() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (target, run) in TARGETS {
        for file in corpus(target) {
            let data = std::fs::read(&file).unwrap();
            total += 1;
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| run(&data))) {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!("{target}: {}: {why}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} corpus files panicked:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("replayed {total} corpus files of {} targets", TARGETS.len());
}
