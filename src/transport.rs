//! The real [`Http`]: ureq over rustls (ring), with embedded Mozilla roots so a static binary in
//! a `FROM scratch` image needs no /etc/ssl. Owns proxy routing ([`proxy_for`]), the CA bundle
//! (which replaces the roots, as the SDKs do) and the retry policy ([`send_with_retries`]).
//!
//! ureq's own proxy-from-environment is not used: it takes the first variable for every
//! scheme, proxies loopback and does not trim `NO_PROXY`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::{Duration, Instant};

use ureq::http;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::http::{Http, HttpError, HttpRequest, HttpResponse};

/// Responses larger than this are cut off: no credential endpoint sends more than a few KiB.
const MAX_BODY: u64 = 1 << 20;

const PROXY_VARS: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// The ureq client. Cheap to share; connections are pooled between requests.
pub struct Transport {
    agent: ureq::Agent,
    /// Only the proxy variables, so `Debug` or a stray clone cannot carry anything else.
    proxy_env: Env,
    ca_bundle: Option<String>,
}

impl fmt::Debug for Transport {
    // Proxy URLs may hold a password: show none of them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("ca_bundle", &self.ca_bundle)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A client reading its proxy settings from `env`. `ca_bundle` (a path, for messages, and
    /// the PEM bytes) replaces the embedded roots; the caller resolves `AWS_CA_BUNDLE` or the
    /// profile's `ca_bundle`.
    pub fn new(env: &Env, ca_bundle: Option<(&Path, &[u8])>) -> Result<Transport> {
        let roots = match ca_bundle {
            None => RootCerts::WebPki,
            Some((path, pem)) => RootCerts::new_with_certs(&parse_bundle(path, pem)?),
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .user_agent(concat!("eks-token/", env!("CARGO_PKG_VERSION")))
            .tls_config(TlsConfig::builder().root_certs(roots).build())
            .build();
        let proxy_env = Env::from_pairs(
            PROXY_VARS
                .iter()
                .filter_map(|n| env.get(n).map(|v| (*n, v))),
        );
        Ok(Transport {
            agent: ureq::Agent::new_with_config(config),
            proxy_env,
            ca_bundle: ca_bundle.map(|(p, _)| p.display().to_string()),
        })
    }

    fn proxy(&self, url: &str) -> Result<Option<ureq::Proxy>, HttpError> {
        let Some((var, value)) = proxy_setting(&self.proxy_env, url) else {
            return Ok(None);
        };
        // The value is not echoed: it may carry a password.
        let proxy = ureq::Proxy::new(value).map_err(|_| {
            HttpError(format!(
                "{var} is not a valid proxy URL (expected http://host:port)"
            ))
        })?;
        match proxy.protocol() {
            ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https => Ok(Some(proxy)),
            _ => Err(HttpError(format!(
                "{var}: only http:// and https:// proxies are supported"
            ))),
        }
    }
}

impl Http for Transport {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
        let shown = strip_query(&req.url);
        // Name the proxy variable (never its value: it may hold a password), so a dead proxy
        // is not mistaken for a dead endpoint.
        let via = proxy_setting(&self.proxy_env, &req.url)
            .map(|(var, _)| format!(" (via the proxy in {var})"))
            .unwrap_or_default();
        let fail = |why: String| HttpError(format!("{} {shown}{via}: {why}", req.method));
        let proxy = self.proxy(&req.url)?;

        let method = http::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| fail("invalid HTTP method".into()))?;
        let uri: http::Uri = req.url.parse().map_err(|_| fail("invalid URL".into()))?;
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in &req.headers {
            // Values are never shown: they hold signatures and tokens.
            let n = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| fail(format!("invalid header name '{name}'")))?;
            let v = http::HeaderValue::from_str(value)
                .map_err(|_| fail(format!("invalid value for header '{name}'")))?;
            builder = builder.header(n, v);
        }
        let request = builder
            .body(req.body.clone())
            .map_err(|_| fail("cannot build the request".into()))?;
        let request = self
            .agent
            .configure_request(request)
            .proxy(proxy)
            .timeout_global(Some(req.timeout))
            .timeout_connect(Some(req.timeout))
            .build();

        let response = self
            .agent
            .run(request)
            .map_err(|e| fail(describe(&e, req.timeout, &req.url)))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .into_body()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| fail(describe(&e, req.timeout, &req.url)))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

/// The certificates of a PEM bundle; anything unreadable is an error naming the file.
fn parse_bundle(path: &Path, pem: &[u8]) -> Result<Vec<Certificate<'static>>> {
    let bad = |why: String| Error::invalid(format!("CA bundle {}", path.display()), why);
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => return Err(bad(format!("not a valid PEM file ({e})"))),
        }
    }
    if certs.is_empty() {
        return Err(bad(
            "contains no PEM certificate (-----BEGIN CERTIFICATE-----); \
             check AWS_CA_BUNDLE or the profile's ca_bundle"
                .into(),
        ));
    }
    Ok(certs)
}

/// One line saying why no response came back, in words a user can act on.
fn describe(e: &ureq::Error, timeout: Duration, url: &str) -> String {
    use std::io::ErrorKind;
    let text = match e {
        ureq::Error::Timeout(_) => format!("timed out after {}", fmt_duration(timeout)),
        ureq::Error::HostNotFound => "host not found (DNS lookup failed)".into(),
        ureq::Error::Io(io) if io.kind() == ErrorKind::ConnectionRefused => {
            "connection refused".into()
        }
        ureq::Error::Io(io) if io.kind() == ErrorKind::TimedOut => {
            format!("timed out after {}", fmt_duration(timeout))
        }
        ureq::Error::Rustls(t) => tls_failed(&t.to_string()),
        // rustls reports handshake failures through the stream as InvalidData.
        ureq::Error::Io(io) if io.kind() == ErrorKind::InvalidData && io.get_ref().is_some() => {
            tls_failed(&io.get_ref().map(|e| e.to_string()).unwrap_or_default())
        }
        ureq::Error::ConnectProxyFailed(why) => format!("proxy CONNECT failed: {why}"),
        other => other.to_string(),
    };
    // ureq may quote the URL; a query string is never shown.
    match url.split_once('?') {
        Some((_, query)) if !query.is_empty() => text.replace(query, "…"),
        _ => text,
    }
}

fn tls_failed(why: &str) -> String {
    if why.contains("certificate") {
        format!(
            "TLS failed: {why} (behind a TLS-intercepting proxy, point AWS_CA_BUNDLE at its CA)"
        )
    } else {
        format!("TLS failed: {why}")
    }
}

fn fmt_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

fn strip_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

// ---------------------------------------------------------------------------------------------
// URLs and proxies

/// The parts of an absolute URL that routing and signing need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlParts {
    /// Lower case.
    pub scheme: String,
    /// Lower case, without IPv6 brackets.
    pub host: String,
    /// The explicit port, or the scheme's default (80, 443).
    pub port: u16,
    /// Whether `port` is the scheme's default.
    pub default_port: bool,
    /// The path as written (at least `/`), without query or fragment.
    pub path: String,
}

impl UrlParts {
    /// The `Host` header value: the host, bracketed if IPv6, with the port unless default.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.default_port {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// Split an `http://` or `https://` URL; `None` for anything else.
pub fn split_url(url: &str) -> Option<UrlParts> {
    let (scheme, authority, tail) = crate::url::split(url.trim())?;
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let path = match tail.split(['?', '#']).next() {
        Some(p) if p.starts_with('/') => p.to_string(),
        _ => "/".to_string(),
    };
    // Lenient: user info is dropped and junk after `[v6]` ignored; this only routes and signs.
    let hp = crate::url::host_port(authority)?;
    if hp.host.is_empty() {
        return None;
    }
    let port = match hp.port() {
        None | Some("") => default,
        Some(p) => p.parse().ok()?,
    };
    Some(UrlParts {
        scheme,
        host: hp.host.to_ascii_lowercase(),
        port,
        default_port: port == default,
        path,
    })
}

/// The proxy URL to use for `url`, or `None` to connect directly.
///
/// * `https://` uses `HTTPS_PROXY`, then `https_proxy`; `http://` uses `HTTP_PROXY`, then
///   `http_proxy` (upper case first, as Go and the AWS Go SDK do). `ALL_PROXY` is not read.
/// * Loopback (127.0.0.0/8, ::1, `localhost`, `*.localhost`) and the instance/container
///   metadata addresses (169.254.169.254, 169.254.170.2, 169.254.170.23, fd00:ec2::254,
///   fd00:ec2::23) are never proxied.
/// * `NO_PROXY`/`no_proxy` (upper case first) is a comma list, spaces trimmed, case-insensitive:
///   `*` alone matches everything; `example.com`, `.example.com` and `*.example.com` all match
///   `example.com` and its subdomains (as curl and Python do); IP addresses match exactly and
///   `10.0.0.0/8`-style CIDR blocks by prefix (IPv6 without brackets, or `[v6]:port`); any
///   entry may end in `:port` to match that port only. No DNS lookups are made.
pub fn proxy_for(env: &Env, url: &str) -> Option<String> {
    proxy_setting(env, url).map(|(_, v)| v.to_string())
}

/// [`proxy_for`] with the name of the variable the proxy came from.
fn proxy_setting<'a>(env: &'a Env, url: &str) -> Option<(&'a str, &'a str)> {
    let u = split_url(url)?;
    let names: [&str; 2] = match u.scheme.as_str() {
        "https" => ["HTTPS_PROXY", "https_proxy"],
        _ => ["HTTP_PROXY", "http_proxy"],
    };
    let (var, value) = env.first(&names)?;
    let value = value.trim();
    if value.is_empty() || never_proxied(&u.host) {
        return None;
    }
    if let Some((_, list)) = env.first(&["NO_PROXY", "no_proxy"]) {
        if no_proxy_matches(list, &u.host, u.port) {
            return None;
        }
    }
    Some((var, value))
}

const METADATA_V4: [Ipv4Addr; 3] = [
    Ipv4Addr::new(169, 254, 169, 254),
    Ipv4Addr::new(169, 254, 170, 2),
    Ipv4Addr::new(169, 254, 170, 23),
];
const METADATA_V6: [Ipv6Addr; 2] = [
    Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254),
    Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23),
];

/// Loopback and metadata hosts: a proxy could not reach them, or must not see their secrets.
fn never_proxied(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback() || METADATA_V4.contains(&v4),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback()
                || METADATA_V6.contains(&v6)
                || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

/// Whether a `NO_PROXY` list sends `host:port` direct (see [`proxy_for`] for the rules).
fn no_proxy_matches(list: &str, host: &str, port: u16) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host_ip = host.parse::<IpAddr>().ok();
    list.split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let Some((pattern, entry_port)) = split_entry_port(&entry) else {
                return false;
            };
            if entry_port.is_some_and(|p| p != port) {
                return false;
            }
            match host_ip {
                Some(ip) => ip_matches(pattern, ip),
                None => domain_matches(pattern, &host),
            }
        })
}

/// `pattern[:port]`: the port is split off only where it cannot be part of an IPv6 address.
/// `None` for an unreadable port (the entry is ignored, as Go does).
fn split_entry_port(entry: &str) -> Option<(&str, Option<u16>)> {
    if let Some(v6) = entry.strip_prefix('[') {
        let (addr, after) = v6.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(p) => Some((addr, Some(p.parse().ok()?))),
            None if after.is_empty() => Some((addr, None)),
            None => None,
        };
    }
    match entry.matches(':').count() {
        1 => {
            let (h, p) = entry.split_once(':')?;
            Some((h, Some(p.parse().ok()?)))
        }
        _ => Some((entry, None)),
    }
}

fn ip_matches(pattern: &str, ip: IpAddr) -> bool {
    let Some((net, bits)) = pattern.split_once('/') else {
        return pattern.parse::<IpAddr>().is_ok_and(|p| p == ip);
    };
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

fn domain_matches(pattern: &str, host: &str) -> bool {
    let domain = pattern
        .strip_prefix("*.")
        .or_else(|| pattern.strip_prefix('.'))
        .unwrap_or(pattern)
        .trim_end_matches('.');
    if domain.is_empty() || domain.contains(['*', '/']) {
        return false;
    }
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

// ---------------------------------------------------------------------------------------------
// Retries

/// How often and how patiently to retry.
///
/// Worst case, the whole call takes the request's `timeout` plus the sleeps: the timeout is a
/// budget shared by all attempts (each attempt gets what is left, and no retry starts once it
/// is spent), so a hanging endpoint costs one timeout, not `max_attempts` of them. With the
/// defaults and a 5 s request timeout that is at most 5 s + 100 ms + 200 ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Sleep after the first failure; doubled after each further one.
    pub base_delay: Duration,
    /// Cap on one sleep.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The sleep after failed attempt number `attempt` (1-based): 100 ms, 200 ms, 400 ms… capped.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// Error codes that mean "slow down" or "try again" (the AWS SDKs' standard retry list, plus
/// STS's IDPCommunicationError for web identity).
const RETRYABLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "RequestTimeout",
    "RequestTimeoutException",
    "IDPCommunicationError",
];

/// Whether a response is worth another attempt: 500, 502, 503, 504, 429, or an error body
/// naming a throttling or transient code. Other 4xx never are.
pub fn is_retryable(resp: &HttpResponse) -> bool {
    match resp.status {
        429 | 500 | 502 | 503 | 504 => true,
        s if s >= 400 => {
            error_code(&resp.body).is_some_and(|c| RETRYABLE_CODES.contains(&c.as_str()))
        }
        _ => false,
    }
}

/// The AWS error code in an XML (`<Code>`) or JSON (`__type`, `code`) error body.
pub fn error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    if let Some(start) = text.find("<Code>") {
        let rest = &text[start + "<Code>".len()..];
        let code = rest.split('<').next()?.trim();
        return (!code.is_empty()).then(|| code.to_string());
    }
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let code = ["__type", "code", "Code"]
        .iter()
        .find_map(|k| json.get(k)?.as_str())?;
    // `__type` may be `namespace#Code`.
    let code = code.rsplit('#').next().unwrap_or(code).trim();
    (!code.is_empty()).then(|| code.to_string())
}

/// Send `req`, retrying connection failures and retryable responses (see [`is_retryable`])
/// with deterministic exponential delays through `sleep`. Returns the last response or error.
/// `req.timeout` bounds all attempts together (see [`RetryPolicy`]).
pub fn send_with_retries(
    http: &dyn Http,
    req: &HttpRequest,
    policy: RetryPolicy,
    sleep: &dyn Fn(Duration),
) -> Result<HttpResponse, HttpError> {
    let start = Instant::now();
    let mut attempt_req = req.clone();
    let mut attempt = 1;
    loop {
        let outcome = http.send(&attempt_req);
        let retry = match &outcome {
            Ok(resp) => is_retryable(resp),
            Err(_) => true,
        };
        if !retry || attempt >= policy.max_attempts {
            return outcome;
        }
        let delay = policy.delay(attempt);
        let left = req
            .timeout
            .checked_sub(start.elapsed())
            .and_then(|t| t.checked_sub(delay))
            .filter(|t| !t.is_zero());
        let Some(left) = left else {
            return outcome;
        };
        sleep(delay);
        attempt_req.timeout = left;
        attempt += 1;
    }
}

/// A [`Transport`] built on first use: most runs mint from keys already at hand and never touch
/// the network, so they should not pay for loading roots or reading a CA bundle.
pub struct LazyTransport {
    env: Env,
    /// `(path, where it was configured)` of the CA bundle, if any.
    ca_bundle: Option<(std::path::PathBuf, String)>,
    built: std::cell::OnceCell<std::result::Result<Transport, String>>,
}

impl LazyTransport {
    pub fn new(env: &Env, ca_bundle: Option<(std::path::PathBuf, String)>) -> LazyTransport {
        LazyTransport {
            env: env.clone(),
            ca_bundle,
            built: std::cell::OnceCell::new(),
        }
    }

    fn get(&self) -> std::result::Result<&Transport, HttpError> {
        let built = self.built.get_or_init(|| {
            let pem = match &self.ca_bundle {
                None => None,
                Some((path, origin)) => Some(
                    std::fs::read(path)
                        .map_err(|e| format!("CA bundle {} (from {origin}): {e}", path.display()))
                        .map(|bytes| (path.clone(), bytes))?,
                ),
            };
            Transport::new(
                &self.env,
                pem.as_ref().map(|(p, b)| (p.as_path(), b.as_slice())),
            )
            .map_err(|e| e.to_string())
        });
        built.as_ref().map_err(|e| HttpError(e.clone()))
    }
}

impl Http for LazyTransport {
    fn send(&self, req: &HttpRequest) -> std::result::Result<HttpResponse, HttpError> {
        self.get()?.send(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    const P: &str = "http://proxy.corp:3128";

    fn via(pairs: &[(&str, &str)], url: &str) -> Option<String> {
        proxy_for(&env(pairs), url)
    }

    #[test]
    fn split_url_parts() {
        let u = split_url("https://sts.us-west-2.amazonaws.com/").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.port, u.path.as_str()),
            ("https", "sts.us-west-2.amazonaws.com", 443, "/")
        );
        assert_eq!(u.host_header(), "sts.us-west-2.amazonaws.com");
        let u = split_url("HTTP://User:pw@[FD00:EC2::23]:8080/a/b?x=1#f").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.port, u.path.as_str()),
            ("http", "fd00:ec2::23", 8080, "/a/b")
        );
        assert_eq!(u.host_header(), "[fd00:ec2::23]:8080");
        let u = split_url("https://h:443?x").unwrap();
        assert_eq!((u.port, u.default_port, u.path.as_str()), (443, true, "/"));
        assert_eq!(split_url("https://h:99999/"), None);
        assert_eq!(split_url("ftp://h/"), None);
        assert_eq!(split_url("https:///x"), None);
        assert_eq!(split_url("no scheme"), None);
    }

    #[test]
    fn scheme_picks_its_own_variable() {
        let e = [("HTTPS_PROXY", "http://s:1"), ("HTTP_PROXY", "http://p:2")];
        assert_eq!(
            via(&e, "https://sts.amazonaws.com/").as_deref(),
            Some("http://s:1")
        );
        assert_eq!(
            via(&e, "http://example.com/").as_deref(),
            Some("http://p:2")
        );
        // An https URL never falls back to HTTP_PROXY, nor http to HTTPS_PROXY.
        assert_eq!(
            via(&[("HTTP_PROXY", P)], "https://sts.amazonaws.com/"),
            None
        );
        assert_eq!(via(&[("HTTPS_PROXY", P)], "http://example.com/"), None);
        assert_eq!(via(&[("ALL_PROXY", P)], "https://sts.amazonaws.com/"), None);
    }

    #[test]
    fn lower_case_variables_and_precedence() {
        assert_eq!(
            via(&[("https_proxy", P)], "https://a.com/").as_deref(),
            Some(P)
        );
        assert_eq!(
            via(&[("http_proxy", P)], "http://a.com/").as_deref(),
            Some(P)
        );
        let e = [
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:1"),
        ];
        assert_eq!(via(&e, "https://a.com/").as_deref(), Some("http://upper:1"));
        // Empty counts as unset; whitespace is trimmed.
        let e = [("HTTPS_PROXY", ""), ("https_proxy", " http://lower:1 ")];
        assert_eq!(via(&e, "https://a.com/").as_deref(), Some("http://lower:1"));
        assert_eq!(via(&[("HTTPS_PROXY", "  ")], "https://a.com/"), None);
    }

    #[test]
    fn loopback_and_metadata_are_never_proxied() {
        let e = [("HTTPS_PROXY", P), ("HTTP_PROXY", P)];
        for url in [
            "http://127.0.0.1:8080/",
            "http://127.9.8.7/",
            "http://localhost/",
            "http://LOCALHOST.:80/",
            "http://svc.localhost/",
            "http://[::1]:1234/",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.169.254/latest/api/token",
            "http://169.254.170.2/v2/credentials/x",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::254]/latest/api/token",
            "http://[fd00:ec2::23]/v1/credentials",
            "https://localhost:8443/",
        ] {
            assert_eq!(via(&e, url), None, "{url}");
        }
        // Neighbours of those addresses are ordinary hosts.
        for url in [
            "http://169.254.169.253/",
            "http://[fd00:ec2::255]/",
            "http://128.0.0.1/",
            "http://localhost.example.com/",
            "http://mylocalhost/",
        ] {
            assert_eq!(via(&e, url).as_deref(), Some(P), "{url}");
        }
    }

    fn bypassed(no_proxy: &str, url: &str) -> bool {
        via(
            &[
                ("HTTPS_PROXY", P),
                ("HTTP_PROXY", P),
                ("NO_PROXY", no_proxy),
            ],
            url,
        )
        .is_none()
    }

    #[test]
    fn no_proxy_star_and_list_trimming() {
        assert!(bypassed("*", "https://sts.amazonaws.com/"));
        assert!(bypassed(" a.com , *  ", "https://b.com/"));
        assert!(bypassed("a.com,  b.com  ,c.com", "https://b.com/"));
        assert!(bypassed(",,b.com,", "https://b.com/"));
        assert!(!bypassed("a.com,c.com", "https://b.com/"));
        assert!(!bypassed("", "https://b.com/"));
        assert!(!bypassed(" , ", "https://b.com/"));
        // `*` inside a name is not a wildcard.
        assert!(!bypassed("*.com.x", "https://b.com/"));
    }

    #[test]
    fn no_proxy_domains_match_themselves_and_subdomains() {
        for pattern in [
            "example.com",
            ".example.com",
            "*.example.com",
            "EXAMPLE.com.",
        ] {
            assert!(bypassed(pattern, "https://example.com/"), "{pattern}");
            assert!(bypassed(pattern, "https://sts.example.com/"), "{pattern}");
            assert!(bypassed(pattern, "https://a.b.Example.COM/"), "{pattern}");
            assert!(!bypassed(pattern, "https://notexample.com/"), "{pattern}");
            assert!(!bypassed(pattern, "https://example.com.evil/"), "{pattern}");
        }
        assert!(bypassed(
            "amazonaws.com",
            "https://sts.us-east-1.amazonaws.com/"
        ));
        assert!(!bypassed(
            "sts.amazonaws.com",
            "https://sts.us-east-1.amazonaws.com/"
        ));
        // The lower-case variable works too; the upper-case one wins.
        let e = [("HTTPS_PROXY", P), ("no_proxy", "a.com")];
        assert_eq!(via(&e, "https://a.com/"), None);
        let e = [
            ("HTTPS_PROXY", P),
            ("NO_PROXY", "b.com"),
            ("no_proxy", "a.com"),
        ];
        assert_eq!(via(&e, "https://a.com/").as_deref(), Some(P));
    }

    #[test]
    fn no_proxy_ports() {
        assert!(bypassed("example.com:443", "https://example.com/"));
        assert!(bypassed("example.com:443", "https://x.example.com:443/"));
        assert!(!bypassed("example.com:8443", "https://example.com/"));
        assert!(bypassed("example.com:8443", "https://example.com:8443/"));
        assert!(bypassed("example.com:80", "http://example.com/"));
        assert!(bypassed("10.1.2.3:8080", "http://10.1.2.3:8080/"));
        assert!(!bypassed("10.1.2.3:8080", "http://10.1.2.3/"));
        assert!(bypassed("[2001:db8::1]:443", "https://[2001:db8::1]/"));
        assert!(!bypassed("[2001:db8::1]:80", "https://[2001:db8::1]/"));
        // An unreadable port makes the entry match nothing.
        assert!(!bypassed("example.com:http", "http://example.com/"));
    }

    #[test]
    fn no_proxy_ip_literals_and_cidr() {
        assert!(bypassed("10.1.2.3", "http://10.1.2.3/"));
        assert!(!bypassed("10.1.2.3", "http://10.1.2.4/"));
        assert!(bypassed("10.0.0.0/8", "https://10.200.3.4/"));
        assert!(!bypassed("10.0.0.0/8", "https://11.0.0.1/"));
        assert!(bypassed("192.168.0.0/16", "https://192.168.44.1/"));
        assert!(bypassed("0.0.0.0/0", "https://8.8.8.8/"));
        assert!(bypassed("2001:db8::1", "https://[2001:db8::1]/"));
        assert!(bypassed("[2001:db8::1]", "https://[2001:db8::1]/"));
        assert!(bypassed("2001:db8::/32", "https://[2001:db8:ffff::1]/"));
        assert!(!bypassed("2001:db8::/32", "https://[2001:db9::1]/"));
        // Malformed CIDR, mixed families, and names never match IPs (no DNS).
        assert!(!bypassed("10.0.0.0/33", "https://10.0.0.1/"));
        assert!(!bypassed("10.0.0.0/8", "https://[::a00:1]/"));
        assert!(!bypassed("0.0.1", "https://10.0.0.1/"));
        assert!(!bypassed("10.0.0.1", "https://host.corp/"));
    }

    #[test]
    fn non_http_urls_get_no_proxy() {
        assert_eq!(via(&[("HTTPS_PROXY", P)], "file:///etc/passwd"), None);
        assert_eq!(via(&[("HTTPS_PROXY", P)], "garbage"), None);
    }

    #[test]
    fn bad_bundle_names_the_file() {
        let err = parse_bundle(Path::new("/etc/ca.pem"), b"hello world").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("CA bundle /etc/ca.pem: "), "{text}");
        assert!(text.contains("no PEM certificate"), "{text}");
        let broken = b"-----BEGIN CERTIFICATE-----\n!!!notbase64!!!\n-----END CERTIFICATE-----\n";
        let text = parse_bundle(Path::new("/x.pem"), broken)
            .unwrap_err()
            .to_string();
        assert!(
            text.starts_with("CA bundle /x.pem: not a valid PEM file"),
            "{text}"
        );
    }

    #[test]
    fn delays_double_and_cap() {
        let p = RetryPolicy::default();
        let ms = |n| p.delay(n).as_millis();
        assert_eq!(
            [ms(1), ms(2), ms(3), ms(4), ms(5)],
            [100, 200, 400, 800, 1000]
        );
        assert_eq!(p.delay(100), Duration::from_secs(1));
        assert_eq!(p.delay(0), Duration::from_millis(100));
    }

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    const THROTTLED: &str = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
                             <Message>Rate exceeded</Message></Error></ErrorResponse>";

    #[test]
    fn what_is_retryable() {
        for s in [429, 500, 502, 503, 504] {
            assert!(is_retryable(&resp(s, "")), "{s}");
        }
        for s in [200, 301, 400, 401, 403, 404, 501] {
            assert!(!is_retryable(&resp(s, "")), "{s}");
        }
        assert!(is_retryable(&resp(400, THROTTLED)));
        assert!(is_retryable(&resp(
            400,
            r#"{"__type":"com.amazon#ThrottlingException"}"#
        )));
        assert!(is_retryable(&resp(
            400,
            r#"{"code":"TooManyRequestsException"}"#
        )));
        let denied = "<ErrorResponse><Error><Code>AccessDenied</Code></Error></ErrorResponse>";
        assert!(!is_retryable(&resp(403, denied)));
        // A throttling word in a success body is not an error.
        assert!(!is_retryable(&resp(200, THROTTLED)));
    }

    /// Replays canned outcomes and records the timeouts it was given.
    struct Script {
        outcomes: RefCell<Vec<Result<HttpResponse, HttpError>>>,
        timeouts: RefCell<Vec<Duration>>,
    }

    impl Script {
        fn new(mut outcomes: Vec<Result<HttpResponse, HttpError>>) -> Script {
            outcomes.reverse();
            Script {
                outcomes: RefCell::new(outcomes),
                timeouts: RefCell::new(vec![]),
            }
        }
        fn calls(&self) -> usize {
            self.timeouts.borrow().len()
        }
    }

    impl Http for Script {
        fn send(&self, req: &HttpRequest) -> Result<HttpResponse, HttpError> {
            self.timeouts.borrow_mut().push(req.timeout);
            self.outcomes
                .borrow_mut()
                .pop()
                .unwrap_or_else(|| Err(HttpError("script ran out".into())))
        }
    }

    fn run(script: &Script, policy: RetryPolicy) -> (Result<HttpResponse, HttpError>, Vec<u128>) {
        let slept = RefCell::new(vec![]);
        let req = HttpRequest::new("POST", "https://sts.amazonaws.com/");
        let out = send_with_retries(script, &req, policy, &|d| {
            slept.borrow_mut().push(d.as_millis())
        });
        (out, slept.into_inner())
    }

    #[test]
    fn retries_5xx_then_succeeds() {
        let s = Script::new(vec![
            Ok(resp(503, "")),
            Ok(resp(500, "")),
            Ok(resp(200, "ok")),
        ]);
        let (out, slept) = run(&s, RetryPolicy::default());
        assert_eq!(out.unwrap().status, 200);
        assert_eq!(slept, [100, 200]);
        assert_eq!(s.calls(), 3);
    }

    #[test]
    fn retries_connection_errors_and_throttling() {
        let s = Script::new(vec![
            Err(HttpError("connection refused".into())),
            Ok(resp(400, THROTTLED)),
            Ok(resp(200, "")),
        ]);
        let (out, _) = run(&s, RetryPolicy::default());
        assert_eq!(out.unwrap().status, 200);
        assert_eq!(s.calls(), 3);
    }

    #[test]
    fn never_retries_other_4xx() {
        let s = Script::new(vec![Ok(resp(403, "denied")), Ok(resp(200, ""))]);
        let (out, slept) = run(&s, RetryPolicy::default());
        assert_eq!(out.unwrap().status, 403);
        assert!(slept.is_empty());
        assert_eq!(s.calls(), 1);
    }

    #[test]
    fn gives_up_after_max_attempts_with_the_last_outcome() {
        let s = Script::new(vec![
            Ok(resp(500, "1")),
            Ok(resp(500, "2")),
            Ok(resp(502, "3")),
            Ok(resp(200, "")),
        ]);
        let (out, slept) = run(&s, RetryPolicy::default());
        assert_eq!(out.unwrap().status, 502);
        assert_eq!(slept, [100, 200]);
        assert_eq!(s.calls(), 3);
        let s = Script::new(vec![Err(HttpError("a".into())), Err(HttpError("b".into()))]);
        let one = RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        };
        assert_eq!(run(&s, one).0.unwrap_err().0, "a");
    }

    #[test]
    fn later_attempts_get_the_rest_of_the_budget() {
        let s = Script::new(vec![Ok(resp(500, "")), Ok(resp(200, ""))]);
        let (_, _) = run(&s, RetryPolicy::default());
        let t = s.timeouts.borrow();
        assert_eq!(t[0], Duration::from_secs(5));
        assert!(t[1] <= Duration::from_millis(4900), "{:?}", t[1]);
        assert!(t[1] > Duration::from_secs(4), "{:?}", t[1]);
    }

    #[test]
    fn no_retry_when_the_budget_is_spent() {
        let s = Script::new(vec![Ok(resp(500, "")), Ok(resp(200, ""))]);
        let mut req = HttpRequest::new("GET", "http://127.0.0.1/");
        req.timeout = Duration::from_millis(50);
        let n = Cell::new(0);
        let out = send_with_retries(&s, &req, RetryPolicy::default(), &|_| n.set(n.get() + 1));
        assert_eq!(out.unwrap().status, 500);
        assert_eq!((s.calls(), n.get()), (1, 0));
    }

    #[test]
    fn transport_debug_hides_proxy_credentials() {
        let e = env(&[("HTTPS_PROXY", "http://user:hunter2@proxy:3128")]);
        let t = Transport::new(&e, None).unwrap();
        let text = format!("{t:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn bad_proxy_values_name_the_variable_not_the_value() {
        let e = env(&[("HTTPS_PROXY", "http://user:hunter2@pro xy:3128")]);
        let t = Transport::new(&e, None).unwrap();
        let err = t.proxy("https://sts.amazonaws.com/").unwrap_err().0;
        assert!(
            err.starts_with("HTTPS_PROXY is not a valid proxy URL"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        let e = env(&[("https_proxy", "socks5://proxy:1080")]);
        let t = Transport::new(&e, None).unwrap();
        let err = t.proxy("https://sts.amazonaws.com/").unwrap_err().0;
        assert!(
            err.starts_with("https_proxy: only http:// and https://"),
            "{err}"
        );
    }
}
