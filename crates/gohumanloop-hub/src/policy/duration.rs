//! Durations in a policy: `"90s"`, `"30m"`, `"2h"`, `"1d"`, or a bare integer of seconds
//! (`90` or `"90"`), read into whole seconds.

/// Reads a duration written as text: digits, then optionally one unit `s`, `m`, `h` or `d`
/// (no unit: seconds). Err says why in a few words.
pub fn parse(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => (&text[..at], c),
        _ => (text, 's'),
    };
    let scale: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(format!("bad duration '{text}': unit must be s, m, h or d")),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "bad duration '{text}': expected a number and a unit, e.g. \"90s\", \"30m\", \"2h\", \"1d\""
        ));
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| format!("bad duration '{text}': too large"))
}

/// Reads a duration from a TOML value: a string for [`parse`] or a non-negative integer of
/// seconds.
pub fn from_toml(value: &toml::Value) -> Result<u64, String> {
    match value {
        toml::Value::String(text) => parse(text),
        toml::Value::Integer(n) => {
            u64::try_from(*n).map_err(|_| format!("bad duration {n}: must not be negative"))
        }
        _ => {
            Err("bad duration: expected a string like \"30m\" or an integer of seconds".to_owned())
        }
    }
}

/// Writes seconds back in the largest unit that divides them (`600` → `"10m"`), for messages.
pub fn format(secs: u64) -> String {
    match secs {
        0 => "0s".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_bare_seconds() {
        assert_eq!(parse("90s"), Ok(90));
        assert_eq!(parse("30m"), Ok(1_800));
        assert_eq!(parse("2h"), Ok(7_200));
        assert_eq!(parse("1d"), Ok(86_400));
        assert_eq!(parse("45"), Ok(45));
        assert_eq!(from_toml(&toml::Value::Integer(7)), Ok(7));
        assert_eq!(from_toml(&toml::Value::String("1h".into())), Ok(3_600));
    }

    #[test]
    fn bad_durations() {
        for bad in [
            "",
            "m",
            "5x",
            "1.5h",
            "-3s",
            "h5",
            "99999999999999999999d",
            "1 h 2",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(from_toml(&toml::Value::Integer(-1)).is_err());
        assert!(from_toml(&toml::Value::Boolean(true)).is_err());
    }

    #[test]
    fn format_round_trips() {
        for secs in [0, 1, 59, 60, 90, 600, 3_600, 5_400, 86_400, 172_800] {
            assert_eq!(parse(&format(secs)), Ok(secs));
        }
        assert_eq!(format(600), "10m");
    }
}
