//! Database URLs as tests build them: connection options added to a URL's query.

/// `url` with `query` (`key=value&…`, already encoded) added to its query string: after `&`
/// when the URL has one already, else after `?`.
pub fn with_query(url: &str, query: &str) -> String {
    let join = if url.contains('?') { '&' } else { '?' };
    format!("{url}{join}{query}")
}

#[cfg(test)]
mod tests {
    use super::with_query;

    #[test]
    fn a_query_is_started_or_continued() {
        assert_eq!(with_query("postgres://h/db", "a=1"), "postgres://h/db?a=1");
        assert_eq!(
            with_query("postgres://h/db?a=1", "b=2"),
            "postgres://h/db?a=1&b=2"
        );
    }
}
