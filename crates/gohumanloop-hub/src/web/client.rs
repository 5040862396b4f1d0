//! Which client a request comes from, for the sign-in throttle: the TCP peer
//! ([`ConnectInfo`], inserted by `server`), or — when that peer is one of
//! [`WebConfig::trusted_proxies`] — the right-most `X-Forwarded-For` entry that is not a
//! trusted proxy itself. Entries left of it were written by the client and can be anything; a
//! peer that is not trusted cannot speak for anyone but itself.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;

use super::WebConfig;

/// The header a reverse proxy appends the address it got a request from to.
const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address; `None` when the request has no peer (a router called in-process),
/// which all such requests share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientAddress(pub(crate) Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        let trusted = parts
            .extensions
            .get::<WebConfig>()
            .map_or(&[][..], |config| &config.trusted_proxies[..]);
        Ok(ClientAddress(
            peer.map(|peer| client_of(peer, &parts.headers, trusted)),
        ))
    }
}

/// The client behind `peer`: see the module documentation.
fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| t.to_canonical() == *ip);
    if !is_trusted(&peer) {
        return peer;
    }
    // Several headers read as one list, in order; the proxy nearest to us wrote the last entry.
    let entries: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .collect();
    for entry in entries.iter().rev() {
        match parse(entry) {
            Some(ip) if is_trusted(&ip) => continue,
            Some(ip) => return ip,
            // Not an address: nothing left of it can be trusted either.
            None => return peer,
        }
    }
    peer
}

/// An `X-Forwarded-For` entry: `1.2.3.4`, `2001:db8::1`, `1.2.3.4:5678` or `[2001:db8::1]:80`.
fn parse(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let spoofed = forwarded(&["10.0.0.1", "10.0.0.2, 10.0.0.3"]);
        assert_eq!(
            client_of(ip("203.0.113.9"), &spoofed, &[]),
            ip("203.0.113.9")
        );
        let proxies = [ip("127.0.0.1")];
        assert_eq!(
            client_of(ip("203.0.113.9"), &spoofed, &proxies),
            ip("203.0.113.9"),
            "only a trusted proxy's header counts"
        );
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_entry_is_the_client() {
        let proxies = [ip("127.0.0.1"), ip("10.1.1.1")];
        // The client wrote "6.6.6.6" itself; the proxies appended the real addresses.
        let headers = forwarded(&["6.6.6.6, 198.51.100.7", "10.1.1.1"]);
        assert_eq!(
            client_of(ip("127.0.0.1"), &headers, &proxies),
            ip("198.51.100.7")
        );
        let with_ports = forwarded(&["[2001:db8::5]:4711, 198.51.100.8:80"]);
        assert_eq!(
            client_of(ip("127.0.0.1"), &with_ports, &proxies),
            ip("198.51.100.8")
        );
        let v6 = forwarded(&["2001:db8::5"]);
        assert_eq!(client_of(ip("127.0.0.1"), &v6, &proxies), ip("2001:db8::5"));
        // An IPv4 peer seen as an IPv6-mapped address is still the trusted proxy.
        let mapped = forwarded(&["198.51.100.9"]);
        assert_eq!(
            client_of(ip("::ffff:127.0.0.1"), &mapped, &proxies),
            ip("198.51.100.9")
        );
    }

    #[test]
    fn a_trusted_proxy_without_a_usable_header_is_the_client() {
        let proxies = [ip("127.0.0.1")];
        let peer = ip("127.0.0.1");
        assert_eq!(client_of(peer, &HeaderMap::new(), &proxies), peer);
        assert_eq!(client_of(peer, &forwarded(&["127.0.0.1"]), &proxies), peer);
        let garbage = forwarded(&["1.2.3.4, not-an-address"]);
        assert_eq!(client_of(peer, &garbage, &proxies), peer);
    }
}
