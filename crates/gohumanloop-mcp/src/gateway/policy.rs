//! Which upstream tools need a human's approval: `--approve` globs, then `--allow` globs, then
//! the tool's own annotations (every tool not marked `readOnlyHint: true` needs approval).

use glob::{Pattern, PatternError};
use rmcp::model::Tool;

/// The gateway's rules for tools.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    approve: Vec<Pattern>,
    allow: Vec<Pattern>,
}

impl Policy {
    /// Rules from glob patterns on tool names (`*`, `?`, `[…]`). A tool matching an `approve`
    /// pattern always needs approval, even when it also matches an `allow` one.
    pub fn new(approve: &[String], allow: &[String]) -> Result<Self, PatternError> {
        let compile = |globs: &[String]| -> Result<Vec<Pattern>, PatternError> {
            globs.iter().map(|g| Pattern::new(g)).collect()
        };
        Ok(Self {
            approve: compile(approve)?,
            allow: compile(allow)?,
        })
    }

    /// Whether a call of `tool` waits for a human. A tool the upstream did not list (`None`)
    /// needs approval unless a pattern allows it by name.
    pub fn needs_approval(&self, name: &str, tool: Option<&Tool>) -> bool {
        if self.approve.iter().any(|p| p.matches(name)) {
            return true;
        }
        if self.allow.iter().any(|p| p.matches(name)) {
            return false;
        }
        let read_only = tool
            .and_then(|t| t.annotations.as_ref())
            .and_then(|a| a.read_only_hint)
            .unwrap_or(false);
        !read_only
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rmcp::model::{JsonObject, ToolAnnotations};

    use super::*;

    fn tool(name: &'static str, read_only: Option<bool>) -> Tool {
        let mut annotations = ToolAnnotations::new();
        annotations.read_only_hint = read_only;
        Tool::new(name, "", Arc::new(JsonObject::new())).with_annotations(annotations)
    }

    #[test]
    fn annotations_decide_when_no_pattern_matches() {
        let policy = Policy::default();
        assert!(!policy.needs_approval("read_file", Some(&tool("read_file", Some(true)))));
        assert!(policy.needs_approval("write_file", Some(&tool("write_file", Some(false)))));
        assert!(policy.needs_approval("move_file", Some(&tool("move_file", None))));
        assert!(policy.needs_approval("unlisted", None));
    }

    #[test]
    fn approve_beats_allow_and_allow_beats_annotations() {
        let policy = Policy::new(&["*_secret".into()], &["list_*".into(), "read_*".into()])
            .expect("valid globs");
        assert!(!policy.needs_approval("list_directory", Some(&tool("list_directory", None))));
        assert!(policy.needs_approval("read_secret", Some(&tool("read_secret", Some(true)))));
        assert!(!policy.needs_approval("read_file", None));
    }

    #[test]
    fn a_bad_glob_is_refused() {
        assert!(Policy::new(&["[".into()], &[]).is_err());
    }
}
