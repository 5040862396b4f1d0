//! The hub's modules depend on each other without a cycle: read from the sources, each
//! top-level module's `crate::…` paths (outside comments) are its edges.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn sources(dir: &Path, found: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

/// Module → the modules it names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in files {
        let relative = path.trim_start_matches(&format!("{}/", root.display()));
        let module = relative
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (at, _) in code.match_indices("crate::") {
                let target: String = code[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !target.is_empty() && target != module {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
    }
    edges
}

/// A cycle through `from`, if any (depth-first).
fn cycle(
    edges: &BTreeMap<String, BTreeSet<String>>,
    path: &mut Vec<String>,
) -> Option<Vec<String>> {
    let last = path.last()?.clone();
    for next in edges.get(&last).into_iter().flatten() {
        if let Some(at) = path.iter().position(|m| m == next) {
            let mut found = path[at..].to_vec();
            found.push(next.clone());
            return Some(found);
        }
        path.push(next.clone());
        if let Some(found) = cycle(edges, path) {
            return Some(found);
        }
        path.pop();
    }
    None
}

#[test]
fn the_hub_has_no_import_cycle() {
    let edges = graph();
    assert!(
        edges.get("web").is_some_and(|e| e.contains("core")),
        "the sources were read: {edges:?}"
    );
    for module in edges.keys() {
        let found = cycle(&edges, &mut vec![module.clone()]);
        assert_eq!(found, None, "an import cycle; the graph: {edges:#?}");
    }
    // The core does not know how it is reached.
    for low in ["core", "store", "record", "audit"] {
        for high in ["api", "web", "channels", "server"] {
            assert!(
                !edges.get(low).is_some_and(|e| e.contains(high)),
                "{low} must not depend on {high}"
            );
        }
    }
    // Channels serve their own routes and pages; they do not borrow the inbox's or the API's.
    for high in ["api", "web"] {
        assert!(
            !edges.get("channels").is_some_and(|e| e.contains(high)),
            "channels must not depend on {high}: {:?}",
            edges.get("channels")
        );
    }
}
