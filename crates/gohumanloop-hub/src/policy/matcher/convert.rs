//! TOML values as JSON (so one matcher parser serves the policy file and the API), and JSON
//! equality with numbers compared as `f64`.

use serde_json::{Map, Number, Value};

/// The JSON form of a TOML value: datetimes become their text, a float JSON cannot hold
/// (NaN, infinity) becomes `null`.
pub(crate) fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(n) => Value::Number(Number::from(*n)),
        toml::Value::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect::<Map<String, Value>>(),
        ),
    }
}

/// Whether two JSON values are equal, numbers compared as `f64` (so `5` equals `5.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(k, x)| ys.get(k).is_some_and(|y| json_eq(x, y)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_every_toml_kind() {
        let value: toml::Value = toml::from_str(
            "s = \"x\"\ni = 3\nf = 1.5\nb = true\nd = 1979-05-27T07:32:00Z\na = [1, \"two\"]\nt = { k = 1 }",
        )
        .unwrap_or(toml::Value::Boolean(false));
        assert_eq!(
            toml_to_json(&value),
            json!({"s": "x", "i": 3, "f": 1.5, "b": true, "d": "1979-05-27T07:32:00Z",
                   "a": [1, "two"], "t": {"k": 1}})
        );
    }

    #[test]
    fn numbers_equal_as_floats() {
        assert!(json_eq(&json!({"a": [5]}), &json!({"a": [5.0]})));
        assert!(!json_eq(&json!({"a": 5}), &json!({"a": 6})));
        assert!(!json_eq(&json!({"a": 5}), &json!({"a": 5, "b": 1})));
        assert!(!json_eq(&json!("5"), &json!(5)));
    }
}
