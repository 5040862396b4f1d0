//! The identity of a call: a function and its arguments, hashed over a canonical form, so that
//! an approval can be bound to exactly the call it was given for. The hub stamps this hash on
//! every approval of a function call (`call_hash` in the response); a guard compares it with the
//! call it is about to run.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The hex SHA-256 of `function`, a NUL byte, and `arguments` as canonical JSON (object keys
/// sorted at every level, no spaces; numbers as serde_json writes them). Two calls hash alike
/// exactly when they name the same function and their arguments are equal as JSON, whatever the
/// order of their keys.
pub fn call_hash(function: &str, arguments: &Value) -> String {
    let mut canonical = String::new();
    write_canonical(arguments, &mut canonical);
    let mut digest = Sha256::new();
    digest.update(function.as_bytes());
    digest.update([0u8]);
    digest.update(canonical.as_bytes());
    digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (n, key) in keys.into_iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(item) = map.get(key) {
                    write_canonical(item, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::call_hash;

    #[test]
    fn key_order_does_not_matter_but_every_value_and_the_function_do() {
        let a = call_hash(
            "pay",
            &json!({"to": "acme", "amount": 10, "memo": {"b": 1, "a": [1, 2]}}),
        );
        let b = call_hash(
            "pay",
            &json!({"memo": {"a": [1, 2], "b": 1}, "amount": 10, "to": "acme"}),
        );
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(
            a,
            call_hash(
                "pay",
                &json!({"to": "acme", "amount": 11, "memo": {"b": 1, "a": [1, 2]}})
            )
        );
        assert_ne!(
            a,
            call_hash(
                "pay",
                &json!({"to": "acme", "amount": 10, "memo": {"b": 1, "a": [2, 1]}})
            )
        );
        assert_ne!(
            a,
            call_hash(
                "refund",
                &json!({"to": "acme", "amount": 10, "memo": {"b": 1, "a": [1, 2]}})
            )
        );
        // The separator keeps the function name and the arguments apart.
        assert_ne!(call_hash("a", &json!("b")), call_hash("a\"b", &json!("")));
    }

    #[test]
    fn the_hash_is_sha256_of_the_documented_canonical_form() {
        // Computed independently: printf 'pay\0{"amount":10,"to":"acme"}' | sha256sum
        let expected = std::process::Command::new("sh")
            .arg("-c")
            .arg(r#"printf 'pay\000{"amount":10,"to":"acme"}' | sha256sum"#)
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.split_whitespace().next().map(str::to_owned));
        let Some(expected) = expected else {
            panic!("sha256sum is needed for this test");
        };
        assert_eq!(
            call_hash("pay", &json!({"to": "acme", "amount": 10})),
            expected
        );
    }
}
