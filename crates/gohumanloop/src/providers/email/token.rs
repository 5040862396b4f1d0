//! The token that ties a reply to its request: a random 64-bit value, written as 16 hex digits
//! into the sent mail's `Message-ID` (`<ghl.TOKEN@domain>`, which replies carry back in
//! `In-Reply-To`/`References`) and into its subject (`[#TOKEN]`, for clients that drop those
//! headers). Knowing a token is also what proves a reply answers a mail that was really sent.

/// How many hex digits a token has.
pub const TOKEN_LEN: usize = 16;

/// A fresh random token.
pub fn new_token() -> String {
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    format!("{random:016x}")
}

/// The `Message-ID` of the mail that carries `token` (without the angle brackets).
pub fn message_id(token: &str, domain: &str) -> String {
    format!("ghl.{token}@{domain}")
}

/// The tag appended to a subject.
pub fn subject_tag(token: &str) -> String {
    format!("[#{token}]")
}

/// The domain of an address (`agent@example.com` → `example.com`), or a neutral one.
pub fn domain_of(address: &str) -> &str {
    match address.rsplit_once('@') {
        Some((_, domain)) if !domain.trim().is_empty() => domain.trim().trim_end_matches('>'),
        _ => "gohumanloop.local",
    }
}

fn is_token(text: &str) -> bool {
    text.len() == TOKEN_LEN && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The token of a message id we sent (`ghl.TOKEN@…`, brackets optional).
pub fn token_in_message_id(id: &str) -> Option<String> {
    let id = id.trim().trim_start_matches('<');
    let rest = id.strip_prefix("ghl.")?;
    let (token, _) = rest.split_once('@')?;
    is_token(token).then(|| token.to_ascii_lowercase())
}

/// Every token a subject carries in `[#TOKEN]` tags, first first.
pub fn tokens_in_subject(subject: &str) -> Vec<String> {
    subject
        .match_indices("[#")
        .filter_map(|(at, _)| {
            let candidate = subject.get(at + 2..at + 2 + TOKEN_LEN)?;
            let close = subject.get(at + 2 + TOKEN_LEN..)?.starts_with(']');
            (close && is_token(candidate)).then(|| candidate.to_ascii_lowercase())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_through_ids_and_subjects() {
        let token = new_token();
        assert_eq!(token.len(), TOKEN_LEN);
        assert_ne!(token, new_token());
        let id = message_id(&token, domain_of("agent@ghl.test"));
        assert_eq!(id, format!("ghl.{token}@ghl.test"));
        assert_eq!(token_in_message_id(&format!("<{id}>")), Some(token.clone()));
        let subject = format!("Re: [agent] Task t1 {}", subject_tag(&token));
        assert_eq!(tokens_in_subject(&subject), vec![token]);
    }

    #[test]
    fn look_alikes_are_not_tokens() {
        assert_eq!(token_in_message_id("<CAF=abc@mail.gmail.com>"), None);
        assert_eq!(token_in_message_id("<ghl.1234@x>"), None);
        assert_eq!(token_in_message_id("<ghl.zzzzzzzzzzzzzzzz@x>"), None);
        assert!(tokens_in_subject("[#123] [#0123456789abcdef0] [#").is_empty());
        assert_eq!(domain_of("nobody"), "gohumanloop.local");
    }
}
