//! The small URL subset an endpoint override may use: `http(s)://host[:port][/base/path]`,
//! host a DNS name, IPv4 or `[IPv6]`. No user info, query or fragment. Total: every input
//! gives a value or a one-line error, never a panic.

use crate::error::{Error, Result};

/// A parsed override, normalised: lowercase scheme and host, default port and trailing `/`
/// dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    /// `scheme://host[:port][/path]`.
    pub url: String,
    /// The `Host` header: host plus `:port` when not the scheme's default.
    pub host: String,
}

/// Parses `raw`; errors name `origin` (the variable, key or flag it came from).
pub(crate) fn parse(raw: &str, origin: &str) -> Result<BaseUrl> {
    let bad = |why: &str| Error::invalid(origin, why);
    if raw.is_empty() {
        return Err(bad("the endpoint URL is empty"));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(&format!(
            "endpoint URL {} contains whitespace or control characters",
            shown(raw)
        )));
    }
    if !raw.is_ascii() {
        return Err(bad(&format!(
            "endpoint URL {} must be ASCII (use punycode for the host)",
            shown(raw)
        )));
    }
    let Some((scheme, authority, path)) = crate::url::split(raw) else {
        return Err(bad(&format!(
            "endpoint URL {} needs a scheme, e.g. https://sts.us-west-2.amazonaws.com",
            shown(raw)
        )));
    };
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => {
            return Err(bad(&format!(
                "endpoint URL {} must start with https:// or http://",
                shown(raw)
            )))
        }
    };
    if path.contains(['?', '#']) {
        return Err(bad(&format!(
            "endpoint URL {} must not contain a query or fragment",
            shown(raw)
        )));
    }
    if authority.contains('@') {
        // Not echoed: user info may hold a password.
        return Err(bad(
            "endpoint URL must not contain user info (user:password@)",
        ));
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| {
        bad(&format!(
            "endpoint URL {} has no valid host[:port]",
            shown(raw)
        ))
    })?;
    let host = host.to_ascii_lowercase();
    let port = match port {
        Some(p) if p == default_port => None,
        other => other,
    };
    let host_header = match port {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    let path = path.trim_end_matches('/');
    if path.contains("//") {
        return Err(bad(&format!(
            "endpoint URL {} has an empty path segment",
            shown(raw)
        )));
    }
    Ok(BaseUrl {
        url: format!("{scheme}://{host_header}{path}"),
        host: host_header,
    })
}

/// `host[:port]` or `[v6][:port]` (v6 kept in brackets); `None` when the host is empty or
/// malformed or the port is not 1..=65535.
fn split_host_port(authority: &str) -> Option<(String, Option<u16>)> {
    let hp = crate::url::host_port(authority)?;
    let host_ok = if hp.bracketed {
        !hp.host.is_empty()
            && hp.host.contains(':')
            && hp
                .host
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
    } else {
        hp.host.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    };
    if !host_ok {
        return None;
    }
    let port = match (hp.tail, hp.port()) {
        ("", _) => None,
        (_, Some(p)) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => return None,
            }
        }
        (_, None) => return None,
    };
    let host = if hp.bracketed {
        format!("[{}]", hp.host)
    } else {
        hp.host.to_string()
    };
    Some((host, port))
}

/// A value quoted for an error line: escaped, and cut to keep the line short.
pub(crate) fn shown(value: &str) -> String {
    const MAX: usize = 80;
    let mut cut: String = value.chars().take(MAX).collect();
    if value.chars().count() > MAX {
        cut.push('…');
    }
    format!("{cut:?}")
}
