//! Container credentials: the ECS task-role endpoint and the EKS Pod Identity agent.
//!
//! Configured only by environment variables, as in the SDKs:
//! `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (appended to `http://169.254.170.2`) wins over
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI`. A full URI must be `https`, or `http` to a loopback
//! address, `localhost`, or the ECS/EKS agent addresses 169.254.170.2, 169.254.170.23 and
//! fd00:ec2::23. Host names other than `localhost` are NOT resolved to check for loopback (the
//! Rust SDK does): a check-time lookup proves nothing about the address the transport connects
//! to later, and the CLI (botocore) refuses them too.
//!
//! The `Authorization` header comes from the file named by
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (re-read on every call: the EKS agent rotates it),
//! else from `AWS_CONTAINER_AUTHORIZATION_TOKEN`. This module also owns the small URL checker and
//! the JSON credential parser that the IMDS source shares.

use crate::text::{clean, code_and_message, json_text};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::credentials::Credentials;
use crate::env::{Env, Fs};
use crate::error::{Error, Result};
use crate::http::{Http, HttpRequest, HttpResponse};
use crate::secret::Secret;
use crate::timestamp::rfc3339;

pub const ENV_RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
pub const ENV_FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
pub const ENV_AUTH_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
pub const ENV_AUTH_TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

/// Where a relative URI is rooted (the ECS task metadata endpoint).
pub const ECS_BASE: &str = "http://169.254.170.2";

/// Per-attempt timeout: the agent is local, so 2 s is generous (botocore and smithy-rs use 2 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// Attempts on a 5xx, a 429 or a transport failure (botocore: 3).
pub const DEFAULT_ATTEMPTS: u32 = 3;
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(200);

const ECS_V4: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2));
const EKS_V4: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 170, 23));
const EKS_V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x23));

/// Where the `Authorization` header value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorization {
    None,
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`, checked when the config is built.
    Token(Secret),
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read (and checked) on every call.
    File(PathBuf),
}

/// A configured container endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerConfig {
    pub url: String,
    pub authorization: Authorization,
    /// Bounds each attempt (connect + response).
    pub timeout: Duration,
    pub attempts: u32,
    pub retry_delay: Duration,
}

impl ContainerConfig {
    /// The endpoint from the environment; `Ok(None)` when neither URI variable is set.
    pub fn from_env(env: &Env) -> Result<Option<ContainerConfig>> {
        let Some(url) = endpoint_from_env(env)? else {
            return Ok(None);
        };
        let authorization = if let Some(path) = env.get(ENV_AUTH_TOKEN_FILE) {
            Authorization::File(PathBuf::from(path))
        } else if let Some(token) = env.get(ENV_AUTH_TOKEN) {
            check_header_value(token).map_err(|why| Error::invalid(ENV_AUTH_TOKEN, why))?;
            Authorization::Token(Secret::new(token))
        } else {
            Authorization::None
        };
        Ok(Some(ContainerConfig {
            url,
            authorization,
            timeout: DEFAULT_TIMEOUT,
            attempts: DEFAULT_ATTEMPTS,
            retry_delay: DEFAULT_RETRY_DELAY,
        }))
    }

    /// A short name for messages and `Credentials::source` (no query string: it may be opaque).
    pub fn describe(&self) -> String {
        let shown = self.url.split('?').next().unwrap_or("");
        let eks = parse_http_url(&self.url)
            .ok()
            .and_then(|u| u.host.parse::<IpAddr>().ok())
            .is_some_and(|ip| ip == EKS_V4 || ip == EKS_V6);
        if eks {
            format!("EKS Pod Identity agent {shown}")
        } else {
            format!("container credentials endpoint {shown}")
        }
    }
}

/// The credentials URL the environment configures: `Ok(None)` when not configured, an error when
/// a URI variable is set but unusable.
pub fn endpoint_from_env(env: &Env) -> Result<Option<String>> {
    if let Some(rel) = env.get(ENV_RELATIVE_URI) {
        if !rel.starts_with('/') {
            return Err(Error::invalid(
                ENV_RELATIVE_URI,
                format!("'{rel}' must be a path starting with '/'"),
            ));
        }
        let url = format!("{ECS_BASE}{rel}");
        parse_http_url(&url).map_err(|why| Error::invalid(ENV_RELATIVE_URI, why))?;
        return Ok(Some(url));
    }
    let Some(full) = env.get(ENV_FULL_URI) else {
        return Ok(None);
    };
    // Shown without its query, which may carry a token.
    let shown = clean(full.split('?').next().unwrap_or_default());
    let parsed = parse_http_url(full)
        .map_err(|why| Error::invalid(ENV_FULL_URI, format!("'{shown}' {why}")))?;
    if parsed.scheme_is_https() || is_allowed_http_host(parsed.host) {
        Ok(Some(full.to_string()))
    } else {
        Err(Error::invalid(
            ENV_FULL_URI,
            format!(
                "'{shown}': plain http is allowed only to a loopback address, localhost, \
                 169.254.170.2, 169.254.170.23 or [fd00:ec2::23]; use https"
            ),
        ))
    }
}

fn is_allowed_http_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback() || ip == ECS_V4 || ip == EKS_V4 || ip == EKS_V6)
}

/// Credentials from the container endpoint the environment names; `Ok(None)` when none is set.
pub fn resolve_from_env(
    env: &Env,
    fs: &dyn Fs,
    http: &dyn Http,
    now: OffsetDateTime,
) -> Result<Option<Credentials>> {
    match ContainerConfig::from_env(env)? {
        Some(config) => resolve(&config, fs, http, now).map(Some),
        None => Ok(None),
    }
}

/// Fetches credentials from a configured endpoint; expired ones are an error.
pub fn resolve(
    config: &ContainerConfig,
    fs: &dyn Fs,
    http: &dyn Http,
    now: OffsetDateTime,
) -> Result<Credentials> {
    let source = config.describe();
    let mut creds = fetch(config, fs, http)?.credentials;
    if let Some(expiry) = creds.expiry {
        if expiry <= now {
            return Err(Error::credentials(
                source,
                format!("returned credentials that expired at {}", rfc3339(expiry)),
            ));
        }
    }
    creds.source = source;
    Ok(creds)
}

/// One exchange with the endpoint, retrying 5xx, 429 and transport failures; the parsed body
/// (with the account ID the agents send).
pub fn fetch(config: &ContainerConfig, fs: &dyn Fs, http: &dyn Http) -> Result<JsonCredentials> {
    let source = config.describe();
    let mut req = HttpRequest::new("GET", config.url.clone()).header("Accept", "application/json");
    req.timeout = config.timeout;
    let token = authorization_value(&config.authorization, fs)?;
    if let Some(token) = &token {
        req = req.header("Authorization", token.expose());
    }
    let attempts = config.attempts.max(1);
    let mut attempt = 0;
    let resp = loop {
        attempt += 1;
        let last = attempt >= attempts;
        match http.send(&req) {
            Ok(resp) if (200..300).contains(&resp.status) => break resp,
            Ok(resp) if !last && (resp.status >= 500 || resp.status == 429) => {}
            Ok(resp) => {
                let detail = error_detail(&resp, token.as_ref());
                return Err(Error::credentials(
                    source,
                    format!("HTTP {}{detail}", resp.status),
                ));
            }
            Err(_) if !last => {}
            Err(e) => {
                return Err(Error::credentials(
                    source,
                    format!("no response after {attempts} attempts: {e}"),
                ))
            }
        }
        std::thread::sleep(config.retry_delay);
    };
    parse_credentials_json(&resp.body).map_err(|why| Error::credentials(source, why))
}

fn authorization_value(auth: &Authorization, fs: &dyn Fs) -> Result<Option<Secret>> {
    match auth {
        Authorization::None => Ok(None),
        Authorization::Token(t) => Ok(Some(t.clone())),
        Authorization::File(path) => {
            let what = || format!("{ENV_AUTH_TOKEN_FILE} ({})", path.display());
            let text = match fs.read_to_string(path) {
                Ok(Some(text)) => text,
                Ok(None) => return Err(Error::invalid(what(), "file not found")),
                Err(e) => return Err(Error::invalid(what(), format!("cannot read it: {e}"))),
            };
            check_header_value(&text).map_err(|why| Error::invalid(what(), why))?;
            Ok(Some(Secret::new(text)))
        }
    }
}

/// A token must be one header line: CR or LF would let it inject headers. Never echoes it.
fn check_header_value(token: &str) -> std::result::Result<(), String> {
    if token.is_empty() {
        return Err("the token is empty".into());
    }
    if token.contains(['\r', '\n']) {
        return Err("the token contains a line break (CR or LF); remove it".into());
    }
    if token.chars().any(|c| c != '\t' && c.is_control()) {
        return Err("the token contains a control character".into());
    }
    Ok(())
}

/// `: code: message` from an error body, when it is the documented JSON shape. Other bodies are
/// not shown: a misbehaving server could echo our token back.
fn error_detail(resp: &HttpResponse, token: Option<&Secret>) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&resp.body) else {
        return String::new();
    };
    let field = |a: &str, b: &str| {
        v.get(a)
            .or_else(|| v.get(b))
            .and_then(|x| x.as_str())
            .map(clean)
    };
    let text = code_and_message(field("Code", "code"), field("Message", "message"));
    match token {
        Some(t) if !t.expose().is_empty() && text.contains(t.expose()) => String::new(),
        _ => text,
    }
}

/// The credential JSON served by ECS, EKS Pod Identity and IMDS, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonCredentials {
    /// `source` is left empty for the caller.
    pub credentials: Credentials,
    /// `AccountId`, when served (EKS, ECS and IMDS's extended API send it).
    pub account_id: Option<String>,
}

/// Parses `{AccessKeyId, SecretAccessKey, Token, Expiration, AccountId?}`; a `Code` other than
/// `Success` is the server's error. Errors name fields, never values: the body holds secrets.
pub fn parse_credentials_json(body: &[u8]) -> std::result::Result<JsonCredentials, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the response is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    if !v.is_object() {
        return Err("the response is not a JSON object".into());
    }
    let text = |name: &str| {
        json_text(v.get(name)).map_err(|()| format!("field {name} in the response is not a string"))
    };
    let required = |name: &str| -> std::result::Result<&str, String> {
        text(name)?.ok_or_else(|| format!("the response has no {name}"))
    };
    if let Some(code) = text("Code")?.or(text("code")?) {
        if code != "Success" {
            let message = text("Message")?
                .or(text("message")?)
                .unwrap_or("no message");
            let hint = if code == "AssumeRoleUnauthorizedAccess" {
                " (does the role trust ec2.amazonaws.com?)"
            } else {
                ""
            };
            return Err(format!(
                "the server returned error {}: {}{hint}",
                clean(code),
                clean(message)
            ));
        }
    }
    let access_key_id = required("AccessKeyId")?;
    let secret = required("SecretAccessKey")?;
    let token = required("Token")?;
    let expiration = required("Expiration")?;
    let expiry = OffsetDateTime::parse(expiration, &Rfc3339)
        .map_err(|_| format!("Expiration '{}' is not an RFC 3339 time", clean(expiration)))?;
    let mut credentials = Credentials::new(access_key_id, secret);
    credentials.session_token = Some(Secret::new(token));
    credentials.expiry = Some(expiry);
    Ok(JsonCredentials {
        credentials,
        account_id: text("AccountId")?.map(str::to_string),
    })
}

/// An `http(s)://host[:port][/path?query]` URL, split. Hosts are returned without IPv6 brackets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HttpUrl<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
    pub port: Option<u16>,
    /// Path and query, possibly empty.
    pub rest: &'a str,
}

impl HttpUrl<'_> {
    pub fn scheme_is_https(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("https")
    }
}

/// Checks the URL shapes these endpoints use. The error reads after the URL: "'x' <why>".
pub(crate) fn parse_http_url(s: &str) -> std::result::Result<HttpUrl<'_>, String> {
    if let Some(c) = s
        .chars()
        .find(|c| !c.is_ascii_graphic() || "\"<>\\^`{|}".contains(*c))
    {
        return Err(format!("is not a valid URL: invalid character {c:?} in it"));
    }
    let Some((scheme, authority, rest)) = crate::url::split(s) else {
        return Err(
            "is not a valid URL: it does not specify a host (expected http://host/...)".into(),
        );
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(format!(
            "is not a valid URL: the scheme must be http or https, not '{scheme}'"
        ));
    }
    if authority.contains('@') {
        return Err("is not a valid URL: user information (user@host) is not supported".into());
    }
    let Some(hp) = crate::url::host_port(authority) else {
        return Err("is not a valid URL: unclosed '[' in the host".into());
    };
    let host = hp.host;
    if hp.bracketed && host.parse::<Ipv6Addr>().is_err() {
        return Err(format!(
            "is not a valid URL: '{host}' is not an IPv6 address"
        ));
    }
    let port = match (hp.tail, hp.port()) {
        ("", _) => None,
        (_, Some(p)) => Some(p),
        (_, None) => return Err("is not a valid URL: junk after ']'".into()),
    };
    if host.is_empty() {
        return Err("is not a valid URL: it does not specify a host".into());
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(format!("is not a valid URL: bad port '{p}'")),
        },
    };
    Ok(HttpUrl {
        scheme,
        host,
        port,
        rest,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::io;
    use std::path::Path;
    use time::macros::datetime;

    use crate::http::HttpError;

    const NOW: OffsetDateTime = datetime!(2024-01-01 00:00 UTC);
    const BODY: &str = r#"{"AccessKeyId":"ASIAKEY","SecretAccessKey":"s3cretKEY","Token":"sessTOKEN",
        "Expiration":"2024-01-01T06:00:00Z","AccountId":"123456789012","RoleArn":"arn:x"}"#;

    /// Replays canned results in order and records every request.
    pub(crate) struct FakeHttp {
        pub(crate) replies: RefCell<Vec<std::result::Result<HttpResponse, HttpError>>>,
        pub(crate) seen: RefCell<Vec<HttpRequest>>,
    }

    impl FakeHttp {
        pub(crate) fn new(replies: Vec<std::result::Result<HttpResponse, HttpError>>) -> FakeHttp {
            FakeHttp {
                replies: RefCell::new(replies.into_iter().rev().collect()),
                seen: RefCell::new(Vec::new()),
            }
        }
    }

    impl Http for FakeHttp {
        fn send(&self, req: &HttpRequest) -> std::result::Result<HttpResponse, HttpError> {
            self.seen.borrow_mut().push(req.clone());
            self.replies
                .borrow_mut()
                .pop()
                .unwrap_or_else(|| Err(HttpError("no more replies".into())))
        }
    }

    pub(crate) fn ok(status: u16, body: &str) -> std::result::Result<HttpResponse, HttpError> {
        Ok(HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        })
    }

    struct MapFs(Vec<(&'static str, &'static str)>);
    impl Fs for MapFs {
        fn read_to_string(&self, path: &Path) -> io::Result<Option<String>> {
            Ok(self
                .0
                .iter()
                .find(|(p, _)| Path::new(p) == path)
                .map(|(_, v)| v.to_string()))
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    fn fast(mut c: ContainerConfig) -> ContainerConfig {
        c.retry_delay = Duration::ZERO;
        c
    }

    fn header<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
        req.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn relative_uri_is_rooted_at_the_ecs_agent() {
        let e = env(&[(ENV_RELATIVE_URI, "/v2/credentials/abc")]);
        assert_eq!(
            endpoint_from_env(&e).unwrap().as_deref(),
            Some("http://169.254.170.2/v2/credentials/abc")
        );
    }

    #[test]
    fn relative_uri_must_be_a_path() {
        let e = env(&[(ENV_RELATIVE_URI, "credentials")]);
        let err = endpoint_from_env(&e).unwrap_err().to_string();
        assert!(
            err.contains(ENV_RELATIVE_URI) && err.contains("'/'"),
            "{err}"
        );
    }

    #[test]
    fn full_uri_policy() {
        let allowed = [
            "https://anything.example.com/creds",
            "HTTPS://x:8443/",
            "http://127.0.0.1:8080/c",
            "http://127.5.5.5/c",
            "http://[::1]:80/c",
            "http://localhost/c",
            "http://LOCALHOST:9/c",
            "http://169.254.170.2/c",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "http://[FD00:EC2:0::23]:80/x",
        ];
        for u in allowed {
            let e = env(&[(ENV_FULL_URI, u)]);
            assert_eq!(endpoint_from_env(&e).unwrap().as_deref(), Some(u), "{u}");
        }
        let refused = [
            "http://192.168.1.1/c",
            "http://169.254.171.23/c",
            "http://[fd00:ec2::2]/c",
            "http://example.com/c",
            "http://localhost.evil.com/c",
            "ftp://127.0.0.1/c",
            "/credentials",
            "http:///c",
            "http://127.0.0.1:99999/c",
            "http://user:pw@127.0.0.1/c",
            "http://127.0.0.1/a b",
            "http://[::1/c",
        ];
        for u in refused {
            let e = env(&[(ENV_FULL_URI, u)]);
            let err = endpoint_from_env(&e).expect_err(u).to_string();
            assert!(err.starts_with(ENV_FULL_URI), "{err}");
        }
    }

    #[test]
    fn nothing_set_is_not_configured() {
        let e = env(&[(ENV_AUTH_TOKEN, "x")]);
        assert_eq!(ContainerConfig::from_env(&e).unwrap(), None);
        assert!(
            resolve_from_env(&e, &MapFs(vec![]), &FakeHttp::new(vec![]), NOW)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn success_with_token_variable() {
        let e = env(&[(ENV_RELATIVE_URI, "/creds"), (ENV_AUTH_TOKEN, "Basic abc")]);
        let http = FakeHttp::new(vec![ok(200, BODY)]);
        let c = resolve_from_env(&e, &MapFs(vec![]), &http, NOW)
            .unwrap()
            .unwrap();
        assert_eq!(c.access_key_id, "ASIAKEY");
        assert_eq!(c.secret_access_key.expose(), "s3cretKEY");
        assert_eq!(c.session_token.as_ref().unwrap().expose(), "sessTOKEN");
        assert_eq!(c.expiry, Some(datetime!(2024-01-01 06:00 UTC)));
        assert_eq!(
            c.source,
            "container credentials endpoint http://169.254.170.2/creds"
        );
        let seen = http.seen.borrow();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].method, "GET");
        assert_eq!(seen[0].url, "http://169.254.170.2/creds");
        assert_eq!(header(&seen[0], "authorization"), Some("Basic abc"));
        let config = ContainerConfig::from_env(&e).unwrap().unwrap();
        assert!(!format!("{config:?}").contains("Basic abc"));
        assert_eq!(seen[0].timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn token_file_wins_and_is_read_each_time() {
        let e = env(&[
            (ENV_FULL_URI, "http://169.254.170.23/v1/credentials"),
            (ENV_AUTH_TOKEN_FILE, "/run/token"),
            (ENV_AUTH_TOKEN, "unused"),
        ]);
        let config = fast(ContainerConfig::from_env(&e).unwrap().unwrap());
        assert_eq!(
            config.authorization,
            Authorization::File("/run/token".into())
        );
        let http = FakeHttp::new(vec![ok(200, BODY), ok(200, BODY)]);
        let c = resolve(&config, &MapFs(vec![("/run/token", "jwt-one")]), &http, NOW).unwrap();
        assert!(
            c.source.starts_with("EKS Pod Identity agent"),
            "{}",
            c.source
        );
        resolve(&config, &MapFs(vec![("/run/token", "jwt-two")]), &http, NOW).unwrap();
        let seen = http.seen.borrow();
        assert_eq!(header(&seen[0], "Authorization"), Some("jwt-one"));
        assert_eq!(header(&seen[1], "Authorization"), Some("jwt-two"));
    }

    #[test]
    fn missing_token_file_is_an_error_before_any_request() {
        let e = env(&[
            (ENV_FULL_URI, "http://169.254.170.23/v1/credentials"),
            (ENV_AUTH_TOKEN_FILE, "/token.jwt"),
        ]);
        let http = FakeHttp::new(vec![]);
        let err = resolve_from_env(&e, &MapFs(vec![]), &http, NOW)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(ENV_AUTH_TOKEN_FILE) && err.contains("/token.jwt"),
            "{err}"
        );
        assert!(http.seen.borrow().is_empty());
    }

    #[test]
    fn tokens_with_line_breaks_are_refused_without_echoing_them() {
        let e = env(&[
            (ENV_RELATIVE_URI, "/c"),
            (ENV_AUTH_TOKEN, "abc\r\nX-Evil: 1"),
        ]);
        let err = ContainerConfig::from_env(&e).unwrap_err().to_string();
        assert!(err.contains("line break") && !err.contains("Evil"), "{err}");

        let e = env(&[(ENV_RELATIVE_URI, "/c"), (ENV_AUTH_TOKEN_FILE, "/t")]);
        let http = FakeHttp::new(vec![]);
        let err = resolve_from_env(&e, &MapFs(vec![("/t", "sekrit\n")]), &http, NOW)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line break") && !err.contains("sekrit"),
            "{err}"
        );
        let err = resolve_from_env(&e, &MapFs(vec![("/t", "")]), &http, NOW)
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty"), "{err}");
        assert!(http.seen.borrow().is_empty());
    }

    #[test]
    fn retries_5xx_and_transport_errors_then_succeeds() {
        let config = fast(
            ContainerConfig::from_env(&env(&[(ENV_RELATIVE_URI, "/c")]))
                .unwrap()
                .unwrap(),
        );
        let http = FakeHttp::new(vec![
            ok(500, ""),
            Err(HttpError("connection reset".into())),
            ok(200, BODY),
        ]);
        assert!(resolve(&config, &MapFs(vec![]), &http, NOW).is_ok());
        assert_eq!(http.seen.borrow().len(), 3);
    }

    #[test]
    fn gives_up_after_the_attempts() {
        let config = fast(
            ContainerConfig::from_env(&env(&[(ENV_RELATIVE_URI, "/c")]))
                .unwrap()
                .unwrap(),
        );
        let http = FakeHttp::new(vec![ok(503, ""), ok(503, ""), ok(503, ""), ok(200, BODY)]);
        let err = resolve(&config, &MapFs(vec![]), &http, NOW)
            .unwrap_err()
            .to_string();
        assert!(err.contains("HTTP 503"), "{err}");
        assert_eq!(http.seen.borrow().len(), 3);

        let http = FakeHttp::new(vec![]);
        let err = resolve(&config, &MapFs(vec![]), &http, NOW)
            .unwrap_err()
            .to_string();
        assert!(err.contains("after 3 attempts"), "{err}");
        assert_eq!(http.seen.borrow().len(), 3);
    }

    #[test]
    fn client_errors_are_not_retried_and_show_the_server_message() {
        let config = fast(
            ContainerConfig::from_env(&env(&[(ENV_RELATIVE_URI, "/c")]))
                .unwrap()
                .unwrap(),
        );
        let http = FakeHttp::new(vec![ok(
            403,
            r#"{"code":"AccessDenied","message":"token expired"}"#,
        )]);
        let err = resolve(&config, &MapFs(vec![]), &http, NOW)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "container credentials endpoint http://169.254.170.2/c: HTTP 403: AccessDenied: token expired"
        );
        assert_eq!(http.seen.borrow().len(), 1);
    }

    #[test]
    fn an_error_body_echoing_the_token_is_hidden() {
        let e = env(&[(ENV_RELATIVE_URI, "/c"), (ENV_AUTH_TOKEN, "tok-SECRET")]);
        let config = ContainerConfig::from_env(&e).unwrap().unwrap();
        let http = FakeHttp::new(vec![ok(401, r#"{"message":"bad token tok-SECRET"}"#)]);
        let err = resolve(&config, &MapFs(vec![]), &http, NOW)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("HTTP 401") && !err.contains("SECRET"),
            "{err}"
        );
    }

    #[test]
    fn expired_credentials_are_an_error() {
        let config = ContainerConfig::from_env(&env(&[(ENV_RELATIVE_URI, "/c")]))
            .unwrap()
            .unwrap();
        let http = FakeHttp::new(vec![ok(200, BODY)]);
        let later = datetime!(2024-01-01 07:00 UTC);
        let err = resolve(&config, &MapFs(vec![]), &http, later)
            .unwrap_err()
            .to_string();
        assert!(err.contains("expired at 2024-01-01T06:00:00Z"), "{err}");
    }

    #[test]
    fn json_parsing() {
        let p = parse_credentials_json(BODY.as_bytes()).unwrap();
        assert_eq!(p.account_id.as_deref(), Some("123456789012"));
        let p = parse_credentials_json(
            br#"{"Code":"Success","AccessKeyId":"A","SecretAccessKey":"S","Token":"T",
                 "Expiration":"2025-03-12T21:53:17.832308Z","Extra":{"x":1}}"#,
        )
        .unwrap();
        assert_eq!(p.account_id, None);
        assert_eq!(
            p.credentials.expiry,
            Some(datetime!(2025-03-12 21:53:17.832308 UTC))
        );
    }

    #[test]
    fn json_errors_name_fields_never_values() {
        let cases: &[(&str, &str)] = &[
            ("not json s3cret", "not valid JSON"),
            ("[\"s3cret\"]", "not a JSON object"),
            (
                r#"{"SecretAccessKey":"s3cret","Token":"t","Expiration":"2024-01-01T00:00:00Z"}"#,
                "no AccessKeyId",
            ),
            (
                r#"{"AccessKeyId":"A","Token":"s3cret","Expiration":"2024-01-01T00:00:00Z"}"#,
                "no SecretAccessKey",
            ),
            (
                r#"{"AccessKeyId":"A","SecretAccessKey":"s3cret","Expiration":"2024-01-01T00:00:00Z"}"#,
                "no Token",
            ),
            (
                r#"{"AccessKeyId":"A","SecretAccessKey":"s3cret","Token":"t"}"#,
                "no Expiration",
            ),
            (
                r#"{"AccessKeyId":"A","SecretAccessKey":"s3cret","Token":"t","Expiration":"soon"}"#,
                "not an RFC 3339",
            ),
            (
                r#"{"AccessKeyId":"A","SecretAccessKey":["s3cret"],"Token":"t","Expiration":"x"}"#,
                "not a string",
            ),
            (
                r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"nope","Token":"s3cret"}"#,
                "trust",
            ),
        ];
        for (body, want) in cases {
            let err = parse_credentials_json(body.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{body}: {err}");
            assert!(!err.contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn url_parts() {
        let u = parse_http_url("http://[fd00:ec2::254]:8080/latest?x=1").unwrap();
        assert_eq!(
            u,
            HttpUrl {
                scheme: "http",
                host: "fd00:ec2::254",
                port: Some(8080),
                rest: "/latest?x=1"
            }
        );
        let u = parse_http_url("https://custom").unwrap();
        assert_eq!((u.host, u.port, u.rest), ("custom", None, ""));
        assert!(parse_http_url("not a uri")
            .unwrap_err()
            .contains("invalid character"));
        assert!(parse_http_url("http://h:/x").is_err());
        assert!(parse_http_url("http://[::1]x/").is_err());
        assert!(parse_http_url("http://h/é").is_err());
    }
}
