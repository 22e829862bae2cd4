//! URL syntax, split as written: `scheme://authority` + rest, and `[userinfo@]host[:port]`.
//! Total and policy-free: which schemes, hosts and ports are fine, and what an error says, is
//! each caller's call (endpoint overrides, container/IMDS endpoints, routing, EKS server URLs).

/// `scheme://authority[/?#rest]` as `(scheme, authority, rest)`; `None` without `://`.
pub(crate) fn split(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, after) = url.split_once("://")?;
    let (authority, rest) = split_authority(after);
    Some((scheme, authority, rest))
}

/// What follows `://`, split at the first `/`, `?` or `#`: `(authority, rest)`.
pub(crate) fn split_authority(after_scheme: &str) -> (&str, &str) {
    after_scheme.split_at(
        after_scheme
            .find(['/', '?', '#'])
            .unwrap_or(after_scheme.len()),
    )
}

/// An authority's host and what follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HostPort<'a> {
    /// As written; an IPv6 literal without its brackets. May be empty.
    pub host: &'a str,
    /// Whether the host was written `[...]`.
    pub bracketed: bool,
    /// After the host: `""` or `":port"`; after a `]`, anything (junk for the caller to judge).
    pub tail: &'a str,
}

impl<'a> HostPort<'a> {
    /// The text after the host's `:` (possibly empty); `None` when `tail` does not start so.
    pub fn port(&self) -> Option<&'a str> {
        self.tail.strip_prefix(':')
    }
}

/// Splits `[userinfo@]host[:port]`, dropping user info (callers that refuse it check the
/// authority for `@` first). Without brackets the host ends at the first `:`. `None` only for
/// a `[` without `]`.
pub(crate) fn host_port(authority: &str) -> Option<HostPort<'_>> {
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = hostport.strip_prefix('[') {
        let (host, tail) = v6.split_once(']')?;
        return Some(HostPort {
            host,
            bracketed: true,
            tail,
        });
    }
    let end = hostport.find(':').unwrap_or(hostport.len());
    let (host, tail) = hostport.split_at(end);
    Some(HostPort {
        host,
        bracketed: false,
        tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_scheme_authority_rest() {
        assert_eq!(
            split("HTTPS://u:p@h:1/a?b#c"),
            Some(("HTTPS", "u:p@h:1", "/a?b#c"))
        );
        assert_eq!(split("http://h?x"), Some(("http", "h", "?x")));
        assert_eq!(split("http://h#x/y"), Some(("http", "h", "#x/y")));
        assert_eq!(split("x://"), Some(("x", "", "")));
        assert_eq!(split("h/a://b"), Some(("h/a", "b", "")));
        assert_eq!(split("no scheme"), None);
    }

    #[test]
    fn splits_host_and_port() {
        let hp = |h, b, t| {
            Some(HostPort {
                host: h,
                bracketed: b,
                tail: t,
            })
        };
        assert_eq!(host_port("h"), hp("h", false, ""));
        assert_eq!(host_port("a@b@h:80"), hp("h", false, ":80"));
        assert_eq!(host_port("h:1:2"), hp("h", false, ":1:2"));
        assert_eq!(host_port("h:"), hp("h", false, ":"));
        assert_eq!(host_port(""), hp("", false, ""));
        assert_eq!(host_port("[::1]:8080"), hp("::1", true, ":8080"));
        assert_eq!(host_port("[::1]x"), hp("::1", true, "x"));
        assert_eq!(host_port("[]"), hp("", true, ""));
        assert_eq!(host_port("[::1"), None);
        assert_eq!(host_port("[::1]:80").and_then(|h| h.port()), Some("80"));
        assert_eq!(host_port("[::1]x").and_then(|h| h.port()), None);
        assert_eq!(host_port("h").and_then(|h| h.port()), None);
    }
}
