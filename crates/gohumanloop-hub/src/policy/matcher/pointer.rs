//! JSON pointers (RFC 6901), split into tokens once so that resolving one allocates nothing.

use serde_json::Value;

/// A checked JSON pointer: `""` (the whole value) or `/a/b/0` (`~0` is `~`, `~1` is `/`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pointer {
    tokens: Vec<String>,
}

impl Pointer {
    /// Reads a pointer; Err says why it is not one.
    pub(crate) fn parse(text: &str) -> Result<Pointer, String> {
        if text.is_empty() {
            return Ok(Pointer { tokens: Vec::new() });
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!(
                "invalid JSON pointer '{text}': must start with '/' or be \"\""
            ));
        };
        let tokens = rest
            .split('/')
            .map(|token| {
                unescape(token).ok_or_else(|| {
                    format!("invalid JSON pointer '{text}': '~' must be followed by 0 or 1")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Pointer { tokens })
    }

    /// The value the pointer finds under `root` (None: nothing there, or no root).
    pub(crate) fn resolve<'v>(&self, root: Option<&'v Value>) -> Option<&'v Value> {
        let mut here = root?;
        for token in &self.tokens {
            here = match here {
                Value::Object(map) => map.get(token)?,
                Value::Array(items) => items.get(index(token)?)?,
                _ => return None,
            };
        }
        Some(here)
    }
}

/// `~1` → `/`, `~0` → `~`; None for any other `~`.
fn unescape(token: &str) -> Option<String> {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        match c {
            '~' => match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    Some(out)
}

/// An array index token: digits without a leading zero (`0` itself is fine).
fn index(token: &str) -> Option<usize> {
    let leading_zero = token.len() > 1 && token.starts_with('0');
    if leading_zero || token.is_empty() || !token.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn find(pointer: &str, root: &Value) -> Option<Value> {
        Pointer::parse(pointer).ok()?.resolve(Some(root)).cloned()
    }

    #[test]
    fn resolves_like_serde_json() {
        let root = json!({"a": {"b": [10, {"c": true}]}, "x/y": 1, "t~": 2, "": 3});
        for pointer in [
            "", "/a", "/a/b", "/a/b/0", "/a/b/1/c", "/x~1y", "/t~0", "/", "/a/b/2", "/a/b/01",
            "/nope",
        ] {
            assert_eq!(
                find(pointer, &root),
                root.pointer(pointer).cloned(),
                "{pointer}"
            );
        }
    }

    #[test]
    fn refuses_bad_pointers() {
        assert!(Pointer::parse("amount").is_err());
        assert!(Pointer::parse("/a~2").is_err());
        assert!(Pointer::parse("/a~").is_err());
        assert!(Pointer::parse("/a/b").is_ok());
    }

    #[test]
    fn no_root_finds_nothing() {
        assert_eq!(
            Pointer::parse("")
                .ok()
                .and_then(|p| p.resolve(None).cloned()),
            None
        );
    }
}
