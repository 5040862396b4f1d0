//! The dependency rules of ARCHITECTURE.md ("Crates and dependency rules"), read from the
//! workspace's own manifests with `cargo metadata`.

use std::process::Command;

use serde_json::Value;

/// Each workspace package's declared dependencies: (package, dependency, kind); an optional
/// one's kind is suffixed `?`.
fn declared() -> Vec<(String, String, String)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .args(["--manifest-path", root])
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found = Vec::new();
    for package in metadata["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        for dep in package["dependencies"].as_array().unwrap() {
            let kind = dep["kind"].as_str().unwrap_or("normal");
            let optional = if dep["optional"] == true { "?" } else { "" };
            found.push((
                name.to_owned(),
                dep["name"].as_str().unwrap().to_owned(),
                format!("{kind}{optional}"),
            ));
        }
    }
    found
}

/// The dependencies of `package` of any of `kinds` ("normal", "dev", "build").
fn deps_of<'a>(all: &'a [(String, String, String)], package: &str, kinds: &[&str]) -> Vec<&'a str> {
    all.iter()
        .filter(|(p, _, k)| p == package && kinds.contains(&k.as_str()))
        .map(|(_, d, _)| d.as_str())
        .collect()
}

#[test]
fn the_library_has_no_server_code() {
    let all = declared();
    let deps = deps_of(&all, "gohumanloop", &["normal", "dev", "build"]);
    assert!(deps.contains(&"tokio"), "the manifest was read: {deps:?}");
    for server in [
        "gohumanloop-hub",
        "ghl",
        "axum",
        "sqlx",
        "hyper-util",
        "askama",
    ] {
        assert!(!deps.contains(&server), "gohumanloop depends on {server}");
    }
}

#[test]
fn the_hub_never_depends_on_the_cli_and_examples_only_test_against_the_hub() {
    let all = declared();
    let hub = deps_of(&all, "gohumanloop-hub", &["normal", "dev", "build"]);
    assert!(hub.contains(&"gohumanloop"), "{hub:?}");
    assert!(!hub.contains(&"ghl"), "gohumanloop-hub depends on ghl");
    let examples = deps_of(&all, "gohumanloop-examples", &["normal"]);
    assert!(examples.contains(&"gohumanloop"), "{examples:?}");
    assert!(
        !examples.contains(&"gohumanloop-hub"),
        "the examples use the library only; the hub is for their tests"
    );
}

#[test]
fn the_rig_adapter_asks_through_the_library_only() {
    let all = declared();
    let rig = deps_of(&all, "gohumanloop-rig", &["normal", "dev", "build"]);
    assert!(rig.contains(&"gohumanloop"), "{rig:?}");
    assert!(rig.contains(&"rig-agent"), "{rig:?}");
    for server in ["gohumanloop-hub", "ghl", "axum", "sqlx"] {
        assert!(
            !rig.contains(&server),
            "gohumanloop-rig depends on {server}"
        );
    }
}

#[test]
fn the_test_kit_needs_no_workspace_crate_and_only_tests_depend_on_it() {
    let all = declared();
    // Its hub helpers need the hub (feature `hub`); without features it needs none, so the
    // library's tests take it too.
    let kit = deps_of(&all, "gohumanloop-testkit", &["normal", "build"]);
    assert_eq!(kit, ["tokio"], "the kit's dependencies without features");
    let optional = deps_of(&all, "gohumanloop-testkit", &["normal?"]);
    assert!(optional.contains(&"gohumanloop-hub"), "{optional:?}");
    assert!(
        !optional.contains(&"ghl"),
        "the kit runs ghl as a process only"
    );
    for (package, dep, kind) in &all {
        if dep == "gohumanloop-testkit" {
            assert_eq!(
                kind, "dev",
                "{package} depends on the test kit outside its tests"
            );
        }
    }
}
