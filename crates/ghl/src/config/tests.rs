//! The configuration file's parsers.

use std::time::Duration;

use toml::Table;

use super::syntax_error;
use super::webhook::{check_url, duration};

#[test]
fn durations_take_units() {
    assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
    assert_eq!(duration("5s"), Ok(Duration::from_secs(5)));
    assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
    assert_eq!(duration("1d"), Ok(Duration::from_secs(86_400)));
    assert_eq!(duration("7"), Ok(Duration::from_secs(7)));
    assert!(duration("5 minutes").is_err());
    assert!(duration("m").is_err());
    assert!(duration("-5s").is_err());
}

fn syntax(text: &str) -> String {
    let e = text.parse::<Table>().unwrap_err();
    syntax_error(text, &e)
}

#[test]
fn syntax_errors_say_where_and_why_without_the_line() {
    assert_eq!(
        syntax("addr = [\n"),
        "not valid TOML at line 1, column 9: unclosed array, expected `]`"
    );
    assert_eq!(
        syntax("a = 1\n# é\nx = \"é\\q\"\n"),
        "not valid TOML at line 3, column 8: missing escaped value, expected `b`, `e`, `f`, \
         `n`, `r`, `\\`, `\"`, `x`, `u`, `U`"
    );
    assert!(!syntax("secret = \"whsec_c2VjcmV0\n").contains("c2VjcmV0"));
}

#[test]
fn urls_are_http_with_a_host_and_no_password() {
    assert_eq!(check_url("https://tools.example.com/ghl"), Ok(()));
    assert_eq!(check_url("http://127.0.0.1:9/x"), Ok(()));
    for bad in [
        "",
        "ftp://example.com",
        "https://",
        "mailto:a@b.c",
        "example.com/x",
    ] {
        assert!(check_url(bad).is_err(), "{bad}");
    }
    assert!(check_url("https://bot:pw@example.com/").is_err());
    assert!(check_url("https://bot@example.com/").is_err());
}
