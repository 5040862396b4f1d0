use super::*;
use serde_json::json;

/// `items` chains of `depth` nested arrays around a number: the shape that made a 0.96 MB
/// context a 130 MB page.
fn nested(items: usize, depth: usize) -> Value {
    let chain = (0..depth).fold(json!(1), |inner, _| Value::Array(vec![inner]));
    json!({ "data": vec![chain; items] })
}

/// The text of highlighted HTML, without tags and with `"` back.
fn text_of(html: &str) -> String {
    html.split('<')
        .map(|part| part.split_once('>').map_or(part, |(_, rest)| rest))
        .collect::<String>()
        .replace("&#34;", "\"")
}

fn highlight(value: &Value) -> String {
    Budget::page(Words::En).json(value, Markup::Highlight)
}

#[test]
fn markup_in_values_and_keys_is_escaped() {
    let html = highlight(&json!({"<b>": "<script>alert(1)</script>", "n": [1, true, null]}));
    assert!(!html.contains("<script>"));
    assert!(!html.contains("<b>"));
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(html.contains(r#"<span class="j-num">1</span>"#));
    assert!(html.contains(r#"<span class="j-bool">true</span>"#));
    assert!(html.contains(r#"<span class="j-null">null</span>"#));
    let text = Budget::page(Words::En).text("a <b> & 'c' \"d\"\nline");
    assert_eq!(text, "a &#60;b&#62; &#38; &#39;c&#39; &#34;d&#34;\nline");
}

#[test]
fn the_text_without_tags_is_the_pretty_json() {
    let value = json!({"a": {"b": [1, "x\"y\\z\n\u{1}"]}, "c": {}, "d": [], "e": -2.5});
    let html = highlight(&value);
    assert_eq!(
        text_of(&html),
        serde_json::to_string_pretty(&value).unwrap()
    );
    let plain = Budget::page(Words::En).json(&value, Markup::Plain);
    assert!(!plain.contains('<'));
    assert_eq!(
        text_of(&plain),
        serde_json::to_string_pretty(&value).unwrap()
    );
}

#[test]
fn a_deeply_nested_megabyte_renders_within_one_values_budget() {
    let value = nested(4_000, 120);
    let size = serde_json::to_string(&value).unwrap().len();
    assert!(size > 900_000, "{size}");
    let mut budget = Budget::page(Words::En);
    let html = budget.json(&value, Markup::Highlight);
    // The budget, plus the closing of at most MAX_DEPTH open containers with their notices.
    assert!(html.len() < VALUE_BYTES + 8 * 1024, "{}", html.len());
    assert!(budget.folded());
    // Past MAX_DEPTH, containers are folded with their size.
    assert!(html.contains(r#"<span class="j-fold">… 1 more item</span>"#));
    // Past the budget, the rest of the big array is counted.
    let more = html
        .split(r#"<span class="j-fold">… "#)
        .filter_map(|rest| rest.split(" more items").next())
        .filter_map(|n| n.replace(',', "").parse::<usize>().ok())
        .max()
        .unwrap();
    assert!(more > 3_000 && more < 4_000, "{more}");
    assert!(html.lines().all(|l| l.len() < 2 * MAX_DEPTH + 200));
}

#[test]
fn what_fits_is_shown_whole_and_nothing_is_folded() {
    let value = nested(3, 10);
    let mut budget = Budget::page(Words::En);
    let html = budget.json(&value, Markup::Highlight);
    assert!(!budget.folded());
    assert!(!html.contains("j-fold"));
    assert_eq!(
        text_of(&html),
        serde_json::to_string_pretty(&value).unwrap()
    );
}

#[test]
fn long_strings_are_cut_and_say_how_much_is_left() {
    let long = "é".repeat(100_000);
    let mut budget = Budget::new(1_000_000, 10_000, Words::En);
    let html = budget.json(&json!({ "s": long }), Markup::Highlight);
    assert!(html.len() < 10_000 + 200, "{}", html.len());
    assert!(html.contains("…&#34;</span> <span class=\"j-fold\">… 9"));
    assert!(html.contains(" more characters</span>"));
    let text = budget.text(&long);
    assert!(text.len() < 10_000 + 100);
    let shown = text.chars().filter(|c| *c == 'é').count();
    assert!(text.ends_with(&format!("… {} more characters", grouped(100_000 - shown))));
    // Escaping counts: a string of quotes is cut by its HTML size, not its length.
    let quotes = Budget::new(1_000_000, 1_000, Words::En).text(&"\"".repeat(10_000));
    assert!(quotes.len() < 1_100, "{}", quotes.len());
}

#[test]
fn one_page_shares_its_budget_between_values() {
    let big = nested(4_000, 3);
    let mut budget = Budget::new(50_000, 30_000, Words::Zh);
    let first = budget.json(&big, Markup::Plain);
    let second = budget.json(&big, Markup::Plain);
    let third = budget.json(&big, Markup::Plain);
    assert!(first.len() < 31_000 && second.len() < 21_000);
    assert!(first.len() + second.len() + third.len() < 52_000);
    assert!(third.contains("… 另有 1 个键"), "{third}");
    assert!(!budget.row(1));
    assert!(budget.text("x").starts_with('…'));
}

#[test]
fn rows_are_charged_until_the_page_is_full() {
    let mut budget = Budget::new(1_000, 1_000, Words::En);
    assert!(!budget.folded());
    assert_eq!((0..100).take_while(|_| budget.row(300)).count(), 3);
    assert!(budget.folded());
    assert!(budget.row(100), "a smaller row still fits");
    assert_eq!(html_len("ab"), 2);
    assert_eq!(html_len("<é>"), 12);
}

#[test]
fn fold_notices_in_both_languages() {
    assert_eq!(
        Words::En.more(1_234_567, Unit::Items),
        "… 1,234,567 more items"
    );
    assert_eq!(Words::En.more(999, Unit::Turns), "… 999 more turns");
    assert_eq!(Words::En.more(1, Unit::Keys), "… 1 more key");
    assert_eq!(Words::Zh.more(1_000, Unit::Requests), "… 另有 1,000 个请求");
    assert_eq!(grouped(0), "0");
    assert_eq!(grouped(100_000), "100,000");
}

#[test]
fn pretty_text_only_when_small() {
    assert_eq!(
        pretty_within(&json!({"a": [1]}), 100).as_deref(),
        Some("{\n  \"a\": [\n    1\n  ]\n}")
    );
    assert_eq!(pretty_within(&nested(4_000, 120), 64 * 1024), None);
}
