//! EC2 instance metadata (IMDSv2) credentials: the instance profile's role.
//!
//! Flow: PUT `/latest/api/token`, then GET the role name from
//! `/latest/meta-data/iam/security-credentials-extended/` (falling back to the legacy
//! `/security-credentials/` when the extended API answers 404), then GET `…/<role>`.
//!
//! Choices (see the README):
//! - No IMDSv1 fallback, as smithy-rs: in a pod whose hop limit blocks the token, v1 would hand
//!   out the node's role, which is what the hop limit is there to prevent.
//! - A machine without IMDS costs at most about 2 s: 1 s per attempt, one retry of the token
//!   call, and only when the first attempt used up its time (a refusal or an unreachable network
//!   comes back at once and is not retried). No answer at all means "not configured" (`Ok(None)`).
//! - Token answers: 403 is an error (IMDS turned off for the instance, as in smithy-rs); 404 and
//!   405 mean "not an IMDSv2 service here" and give `Ok(None)`.
//! - No role attached (404 on the role listing) is `Ok(None)`, as in the SDKs.
//! - Expired credentials from IMDS are used with their expiry moved to now + 10 minutes: IMDS
//!   keeps serving the last credentials during an outage and AWS accepts them (the SDKs' "static
//!   stability").

use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::container::{parse_credentials_json, parse_http_url, JsonCredentials};
use crate::credentials::Credentials;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::http::{Http, HttpError, HttpRequest, HttpResponse};
use crate::text::clean;

pub const ENV_DISABLED: &str = "AWS_EC2_METADATA_DISABLED";
pub const ENV_ENDPOINT: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
pub const ENV_ENDPOINT_MODE: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
pub const ENV_PROFILE_NAME: &str = "AWS_EC2_INSTANCE_PROFILE_NAME";

pub const IPV4_ENDPOINT: &str = "http://169.254.169.254";
pub const IPV6_ENDPOINT: &str = "http://[fd00:ec2::254]";

pub const TOKEN_PATH: &str = "/latest/api/token";
pub const EXTENDED_PATH: &str = "/latest/meta-data/iam/security-credentials-extended/";
pub const LEGACY_PATH: &str = "/latest/meta-data/iam/security-credentials/";
const TOKEN_TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const TOKEN_TTL: &str = "21600";

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(100);
/// Token call: one retry at most, so an absent IMDS costs at most 2 × the timeout.
const TOKEN_ATTEMPTS: u32 = 2;
/// Metadata calls, once IMDS has answered: 5xx and transport failures are retried.
const GET_ATTEMPTS: u32 = 3;
/// How far expired IMDS credentials are pushed out (smithy-rs: 10–15 min, botocore: 5–10 min).
const STALE_EXTENSION: time::Duration = time::Duration::minutes(10);

/// The IMDS settings that come from the profile (and from code or flags), as raw strings. The
/// environment beats the profile; the explicit overrides beat both, except that the endpoint
/// variable beats `mode_override` (as smithy-rs orders them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImdsConfig<'a> {
    /// `ec2_metadata_service_endpoint`
    pub endpoint: Option<&'a str>,
    /// `ec2_metadata_service_endpoint_mode`
    pub endpoint_mode: Option<&'a str>,
    /// `ec2_instance_profile_name`
    pub instance_profile_name: Option<&'a str>,
    /// `disable_ec2_metadata` (the JS and PHP SDKs' profile twin of `AWS_EC2_METADATA_DISABLED`)
    pub disabled: Option<&'a str>,
    /// An endpoint set by code or a flag.
    pub endpoint_override: Option<&'a str>,
    /// An endpoint mode set by code or a flag.
    pub mode_override: Option<&'a str>,
}

/// Resolved, validated IMDS settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImdsSettings {
    pub disabled: bool,
    /// Base URL without a trailing slash, e.g. `http://169.254.169.254`.
    pub endpoint: String,
    /// Skips the role-name lookup when set.
    pub instance_profile_name: Option<String>,
    pub timeout: Duration,
    pub retry_delay: Duration,
}

impl ImdsSettings {
    pub fn resolve(env: &Env, config: &ImdsConfig) -> Result<ImdsSettings> {
        let disabled = match env.get(ENV_DISABLED) {
            Some(v) => v.eq_ignore_ascii_case("true"),
            None => config
                .disabled
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
        };
        let mut settings = ImdsSettings {
            disabled,
            endpoint: IPV4_ENDPOINT.to_string(),
            instance_profile_name: None,
            timeout: DEFAULT_TIMEOUT,
            retry_delay: DEFAULT_RETRY_DELAY,
        };
        if disabled {
            // Nothing else is read: a bad endpoint must not fail a source that is off.
            return Ok(settings);
        }
        settings.endpoint = resolve_endpoint(env, config)?;
        let name = match env.get(ENV_PROFILE_NAME) {
            Some(n) => Some((ENV_PROFILE_NAME, n)),
            None => config
                .instance_profile_name
                .map(|n| ("ec2_instance_profile_name in the profile", n.trim())),
        };
        if let Some((what, name)) = name {
            if !is_role_name(name) {
                return Err(Error::invalid(
                    what,
                    format!("'{}' is not an instance profile role name", clean(name)),
                ));
            }
            settings.instance_profile_name = Some(name.to_string());
        }
        Ok(settings)
    }

    /// The URL of `path` (which starts with '/') on this endpoint.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint)
    }
}

fn resolve_endpoint(env: &Env, config: &ImdsConfig) -> Result<String> {
    let explicit = config
        .endpoint_override
        .map(|e| ("the IMDS endpoint override", e))
        .or_else(|| env.get(ENV_ENDPOINT).map(|e| (ENV_ENDPOINT, e)))
        .or_else(|| {
            config
                .endpoint
                .map(|e| ("ec2_metadata_service_endpoint in the profile", e.trim()))
        });
    if let Some((what, endpoint)) = explicit {
        parse_http_url(endpoint)
            .map_err(|why| Error::invalid(what, format!("'{endpoint}' {why}")))?;
        return Ok(endpoint.trim_end_matches('/').to_string());
    }
    let mode = config
        .mode_override
        .map(|m| ("the IMDS endpoint mode override", m))
        .or_else(|| env.get(ENV_ENDPOINT_MODE).map(|m| (ENV_ENDPOINT_MODE, m)))
        .or_else(|| {
            config.endpoint_mode.map(|m| {
                (
                    "ec2_metadata_service_endpoint_mode in the profile",
                    m.trim(),
                )
            })
        });
    match mode {
        None => Ok(IPV4_ENDPOINT.to_string()),
        Some((_, m)) if m.eq_ignore_ascii_case("ipv4") => Ok(IPV4_ENDPOINT.to_string()),
        Some((_, m)) if m.eq_ignore_ascii_case("ipv6") => Ok(IPV6_ENDPOINT.to_string()),
        Some((what, m)) => Err(Error::invalid(
            what,
            format!(
                "`{}` is not a valid endpoint mode; use IPv4 or IPv6",
                clean(m)
            ),
        )),
    }
}

/// IAM role names: 1–128 of `[A-Za-z0-9+=,.@_-]`. Checked because the name goes into a path.
fn is_role_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// Credentials from the instance profile, `Ok(None)` when IMDS is disabled, absent or the
/// instance has no role. `now` only decides whether to extend stale credentials.
pub fn resolve(
    settings: &ImdsSettings,
    http: &dyn Http,
    now: OffsetDateTime,
) -> Result<Option<Credentials>> {
    Ok(fetch(settings, http)?.map(|(role, parsed)| {
        let mut creds = parsed.credentials;
        if let Some(expiry) = creds.expiry {
            if expiry <= now {
                creds.expiry = Some(now.checked_add(STALE_EXTENSION).unwrap_or(now));
            }
        }
        creds.source = format!("EC2 instance metadata (role '{role}')");
        creds
    }))
}

/// The role name and the parsed credentials, with the account ID the extended API serves.
pub fn fetch(
    settings: &ImdsSettings,
    http: &dyn Http,
) -> Result<Option<(String, JsonCredentials)>> {
    if settings.disabled {
        return Ok(None);
    }
    let Some(token) = fetch_token(settings, http)? else {
        return Ok(None);
    };
    let client = Client {
        settings,
        http,
        token: &token,
    };
    let mut api = Api::Unknown;
    if let Some(name) = &settings.instance_profile_name {
        return match client.credentials(name, &mut api)? {
            Some(creds) => Ok(Some((name.clone(), creds))),
            None => Err(client.error(format!(
                "instance profile role '{name}' (from {ENV_PROFILE_NAME} or \
                 ec2_instance_profile_name) was not found in instance metadata"
            ))),
        };
    }
    let mut rediscovered = false;
    loop {
        let Some(name) = client.role_name(&mut api)? else {
            return Ok(None);
        };
        match client.credentials(&name, &mut api)? {
            Some(creds) => return Ok(Some((name, creds))),
            // The instance profile changed between the two calls: look it up once more.
            None if !rediscovered => rediscovered = true,
            None => {
                return Err(client.error(format!(
                    "role '{name}' was listed but its credentials were not found (HTTP 404)"
                )))
            }
        }
    }
}

/// Which credentials API the instance serves; learnt from the first 404.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Api {
    Unknown,
    Extended,
    Legacy,
}

fn fetch_token(settings: &ImdsSettings, http: &dyn Http) -> Result<Option<String>> {
    let mut req =
        HttpRequest::new("PUT", settings.url(TOKEN_PATH)).header(TOKEN_TTL_HEADER, TOKEN_TTL);
    req.timeout = settings.timeout;
    let source = source_name(settings);
    for attempt in 1..=TOKEN_ATTEMPTS {
        let last = attempt == TOKEN_ATTEMPTS;
        let started = Instant::now();
        match http.send(&req) {
            Ok(resp) if resp.status == 200 => {
                let token = resp.text().trim().to_string();
                if token.is_empty() || token.chars().any(|c| c.is_control()) {
                    return Err(Error::credentials(
                        source,
                        "IMDS returned an unusable session token",
                    ));
                }
                return Ok(Some(token));
            }
            Ok(resp) if resp.status >= 500 && !last => {}
            Ok(resp) if resp.status == 403 => {
                return Err(Error::credentials(
                    source,
                    "the session token request was refused (HTTP 403): instance metadata is \
                     turned off for this instance, or the request went through a proxy; set \
                     AWS_EC2_METADATA_DISABLED=true to skip it",
                ))
            }
            Ok(resp) if resp.status == 404 || resp.status == 405 => return Ok(None),
            Ok(resp) => {
                return Err(Error::credentials(
                    source,
                    format!("the session token request failed with HTTP {}", resp.status),
                ))
            }
            // Only an attempt that used up its time is retried: a refusal is final.
            Err(_) if !last && started.elapsed() >= settings.timeout / 2 => {}
            Err(_) => return Ok(None),
        }
        std::thread::sleep(settings.retry_delay);
    }
    Ok(None)
}

fn source_name(settings: &ImdsSettings) -> String {
    format!("EC2 instance metadata at {}", settings.endpoint)
}

struct Client<'a> {
    settings: &'a ImdsSettings,
    http: &'a dyn Http,
    token: &'a str,
}

impl Client<'_> {
    fn error(&self, why: impl Into<String>) -> Error {
        Error::credentials(source_name(self.settings), why)
    }

    /// The body of a GET, `None` on 404.
    fn get(&self, path: &str) -> Result<Option<HttpResponse>> {
        let mut req =
            HttpRequest::new("GET", self.settings.url(path)).header(TOKEN_HEADER, self.token);
        req.timeout = self.settings.timeout;
        let mut failure: Option<HttpError> = None;
        for attempt in 1..=GET_ATTEMPTS {
            if attempt > 1 {
                std::thread::sleep(self.settings.retry_delay);
            }
            match self.http.send(&req) {
                Ok(resp) if resp.status == 200 => return Ok(Some(resp)),
                Ok(resp) if resp.status == 404 => return Ok(None),
                Ok(resp) if resp.status >= 500 && attempt < GET_ATTEMPTS => {}
                Ok(resp) if resp.status == 401 => {
                    return Err(self.error(format!(
                        "GET {path}: the session token was rejected (HTTP 401)"
                    )))
                }
                Ok(resp) => {
                    return Err(self.error(format!("GET {path} failed with HTTP {}", resp.status)))
                }
                Err(e) => failure = Some(e),
            }
        }
        let why = failure.map_or_else(|| "no answer".to_string(), |e| e.to_string());
        Err(self.error(format!(
            "GET {path}: no response after {GET_ATTEMPTS} attempts: {why}"
        )))
    }

    /// The instance's role name, `None` when no role is attached.
    fn role_name(&self, api: &mut Api) -> Result<Option<String>> {
        let listed = match api {
            Api::Legacy => self.get(LEGACY_PATH)?,
            Api::Extended => self.get(EXTENDED_PATH)?,
            Api::Unknown => match self.get(EXTENDED_PATH)? {
                Some(resp) => {
                    *api = Api::Extended;
                    Some(resp)
                }
                None => {
                    *api = Api::Legacy;
                    self.get(LEGACY_PATH)?
                }
            },
        };
        let Some(resp) = listed else {
            return Ok(None);
        };
        let text = resp.text();
        let Some(name) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
            return Ok(None);
        };
        if !is_role_name(name) {
            return Err(self.error(format!(
                "the role listing returned '{}', not a role name",
                clean(name)
            )));
        }
        Ok(Some(name.to_string()))
    }

    /// The role's credentials, `None` on 404 from every API tried.
    fn credentials(&self, name: &str, api: &mut Api) -> Result<Option<JsonCredentials>> {
        let resp = match api {
            Api::Legacy => self.get(&format!("{LEGACY_PATH}{name}"))?,
            Api::Extended | Api::Unknown => match self.get(&format!("{EXTENDED_PATH}{name}"))? {
                Some(resp) => Some(resp),
                None => self.get(&format!("{LEGACY_PATH}{name}"))?,
            },
        };
        let Some(resp) = resp else {
            return Ok(None);
        };
        parse_credentials_json(&resp.body)
            .map(Some)
            .map_err(|why| self.error(format!("role '{name}': {why}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::container::tests::{ok, FakeHttp};
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-01-01 00:00 UTC);
    const CREDS: &str = r#"{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS",
        "SecretAccessKey":"imdsSECRET","Token":"imdsTOKEN","Expiration":"2024-01-01T06:00:00Z",
        "AccountId":"123456789012"}"#;

    fn settings(pairs: &[(&str, &str)], config: ImdsConfig) -> Result<ImdsSettings> {
        ImdsSettings::resolve(&Env::from_pairs(pairs.iter().copied()), &config)
    }

    fn fast() -> ImdsSettings {
        let mut s = settings(&[], ImdsConfig::default()).unwrap();
        s.retry_delay = Duration::ZERO;
        s.timeout = Duration::from_millis(40);
        s
    }

    fn urls(http: &FakeHttp) -> Vec<String> {
        http.seen
            .borrow()
            .iter()
            .map(|r| format!("{} {}", r.method, r.url.trim_start_matches(IPV4_ENDPOINT)))
            .collect()
    }

    #[test]
    fn happy_path_extended_api() {
        let http = FakeHttp::new(vec![ok(200, "tok\n"), ok(200, "my-role\n"), ok(200, CREDS)]);
        let c = resolve(&fast(), &http, NOW).unwrap().unwrap();
        assert_eq!(c.access_key_id, "ASIAIMDS");
        assert_eq!(c.secret_access_key.expose(), "imdsSECRET");
        assert_eq!(c.session_token.as_ref().unwrap().expose(), "imdsTOKEN");
        assert_eq!(c.expiry, Some(datetime!(2024-01-01 06:00 UTC)));
        assert_eq!(c.source, "EC2 instance metadata (role 'my-role')");
        assert_eq!(
            urls(&http),
            [
                "PUT /latest/api/token",
                "GET /latest/meta-data/iam/security-credentials-extended/",
                "GET /latest/meta-data/iam/security-credentials-extended/my-role",
            ]
        );
        let seen = http.seen.borrow();
        assert_eq!(
            seen[0].headers,
            [(TOKEN_TTL_HEADER.to_string(), "21600".to_string())]
        );
        assert_eq!(
            seen[1].headers,
            [(TOKEN_HEADER.to_string(), "tok".to_string())]
        );
        assert_eq!(
            seen[2].headers,
            [(TOKEN_HEADER.to_string(), "tok".to_string())]
        );
    }

    #[test]
    fn legacy_api_fallback_is_sticky() {
        let http = FakeHttp::new(vec![
            ok(200, "tok"),
            ok(404, ""),
            ok(200, "r"),
            ok(200, CREDS),
        ]);
        assert!(resolve(&fast(), &http, NOW).unwrap().is_some());
        assert_eq!(
            urls(&http),
            [
                "PUT /latest/api/token",
                "GET /latest/meta-data/iam/security-credentials-extended/",
                "GET /latest/meta-data/iam/security-credentials/",
                "GET /latest/meta-data/iam/security-credentials/r",
            ]
        );
    }

    #[test]
    fn no_role_is_not_configured() {
        let http = FakeHttp::new(vec![ok(200, "tok"), ok(404, ""), ok(404, "")]);
        assert_eq!(resolve(&fast(), &http, NOW).unwrap(), None);
        let http = FakeHttp::new(vec![ok(200, "tok"), ok(200, "\n")]);
        assert_eq!(resolve(&fast(), &http, NOW).unwrap(), None);
    }

    #[test]
    fn disabled_makes_no_request() {
        for v in ["true", "TRUE", "True"] {
            let s = settings(&[(ENV_DISABLED, v)], ImdsConfig::default()).unwrap();
            let http = FakeHttp::new(vec![]);
            assert_eq!(resolve(&s, &http, NOW).unwrap(), None);
            assert!(http.seen.borrow().is_empty());
        }
        let s = settings(
            &[(ENV_DISABLED, "false")],
            ImdsConfig {
                disabled: Some("true"),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(!s.disabled, "the environment beats the profile");
        let s = settings(
            &[],
            ImdsConfig {
                disabled: Some("true"),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(s.disabled);
        // A broken endpoint does not matter when IMDS is off.
        let s = settings(
            &[(ENV_DISABLED, "true"), (ENV_ENDPOINT, "not a uri")],
            ImdsConfig::default(),
        );
        assert!(s.unwrap().disabled);
    }

    #[test]
    fn token_403_is_an_error_404_405_are_absent() {
        let http = FakeHttp::new(vec![ok(403, "")]);
        let err = resolve(&fast(), &http, NOW).unwrap_err().to_string();
        assert!(err.contains("403") && err.contains(ENV_DISABLED), "{err}");
        assert_eq!(http.seen.borrow().len(), 1);
        for status in [404, 405] {
            let http = FakeHttp::new(vec![ok(status, "")]);
            assert_eq!(resolve(&fast(), &http, NOW).unwrap(), None);
            assert_eq!(http.seen.borrow().len(), 1);
        }
        let http = FakeHttp::new(vec![ok(400, "")]);
        assert!(resolve(&fast(), &http, NOW).is_err());
    }

    #[test]
    fn token_5xx_is_retried_once() {
        let http = FakeHttp::new(vec![
            ok(503, ""),
            ok(200, "t"),
            ok(200, "r"),
            ok(200, CREDS),
        ]);
        assert!(resolve(&fast(), &http, NOW).unwrap().is_some());
        let http = FakeHttp::new(vec![ok(503, ""), ok(503, ""), ok(200, "t")]);
        let err = resolve(&fast(), &http, NOW).unwrap_err().to_string();
        assert!(err.contains("HTTP 503"), "{err}");
        assert_eq!(http.seen.borrow().len(), 2);
    }

    #[test]
    fn a_fast_transport_failure_is_not_retried() {
        let http = FakeHttp::new(vec![]);
        assert_eq!(resolve(&fast(), &http, NOW).unwrap(), None);
        assert_eq!(http.seen.borrow().len(), 1);
    }

    /// Fails each request after sleeping its whole timeout, like an unanswered SYN.
    struct Blackhole(std::cell::Cell<u32>);
    impl Http for Blackhole {
        fn send(&self, req: &HttpRequest) -> std::result::Result<HttpResponse, HttpError> {
            self.0.set(self.0.get() + 1);
            std::thread::sleep(req.timeout);
            Err(HttpError("timed out".into()))
        }
    }

    #[test]
    fn a_timed_out_token_call_is_retried_once_then_absent() {
        let http = Blackhole(std::cell::Cell::new(0));
        let s = fast();
        let started = Instant::now();
        assert_eq!(resolve(&s, &http, NOW).unwrap(), None);
        assert_eq!(http.0.get(), 2);
        assert!(started.elapsed() < s.timeout * 2 + Duration::from_millis(500));
    }

    #[test]
    fn the_default_budget_is_about_two_seconds() {
        let s = settings(&[], ImdsConfig::default()).unwrap();
        assert_eq!(s.timeout * TOKEN_ATTEMPTS, Duration::from_secs(2));
    }

    #[test]
    fn metadata_5xx_is_retried() {
        let http = FakeHttp::new(vec![
            ok(200, "t"),
            ok(503, ""),
            ok(200, "r"),
            ok(500, ""),
            ok(500, ""),
            ok(200, CREDS),
        ]);
        assert!(resolve(&fast(), &http, NOW).unwrap().is_some());
        assert_eq!(http.seen.borrow().len(), 6);
    }

    #[test]
    fn configured_name_skips_the_listing_and_404_is_an_error() {
        let mut s = settings(&[(ENV_PROFILE_NAME, "named")], ImdsConfig::default()).unwrap();
        s.retry_delay = Duration::ZERO;
        let http = FakeHttp::new(vec![ok(200, "t"), ok(404, ""), ok(200, CREDS)]);
        let c = resolve(&s, &http, NOW).unwrap().unwrap();
        assert_eq!(c.source, "EC2 instance metadata (role 'named')");
        assert_eq!(
            urls(&http),
            [
                "PUT /latest/api/token",
                "GET /latest/meta-data/iam/security-credentials-extended/named",
                "GET /latest/meta-data/iam/security-credentials/named",
            ]
        );
        let http = FakeHttp::new(vec![ok(200, "t"), ok(404, ""), ok(404, "")]);
        let err = resolve(&s, &http, NOW).unwrap_err().to_string();
        assert!(
            err.contains("'named'") && err.contains("not found"),
            "{err}"
        );
    }

    #[test]
    fn a_changed_role_is_looked_up_once_more() {
        let http = FakeHttp::new(vec![
            ok(200, "t"),
            ok(200, "old"),
            ok(404, ""),
            ok(404, ""),
            ok(200, "new"),
            ok(200, CREDS),
        ]);
        let c = resolve(&fast(), &http, NOW).unwrap().unwrap();
        assert_eq!(c.source, "EC2 instance metadata (role 'new')");
    }

    #[test]
    fn bad_role_names_are_refused() {
        let err = settings(&[(ENV_PROFILE_NAME, "../x")], ImdsConfig::default()).unwrap_err();
        assert!(err.to_string().starts_with(ENV_PROFILE_NAME), "{err}");
        let http = FakeHttp::new(vec![ok(200, "t"), ok(200, "a/b")]);
        assert!(resolve(&fast(), &http, NOW).is_err());
    }

    #[test]
    fn error_codes_and_bad_json_are_errors_without_secrets() {
        let body =
            r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"cannot assume","Token":"sekrit"}"#;
        let http = FakeHttp::new(vec![ok(200, "t"), ok(200, "r"), ok(200, body)]);
        let err = resolve(&fast(), &http, NOW).unwrap_err().to_string();
        assert!(
            err.contains("AssumeRoleUnauthorizedAccess") && !err.contains("sekrit"),
            "{err}"
        );
        let http = FakeHttp::new(vec![ok(200, "t"), ok(200, "r"), ok(200, "{sekrit")]);
        let err = resolve(&fast(), &http, NOW).unwrap_err().to_string();
        assert!(
            err.contains("not valid JSON") && !err.contains("sekrit"),
            "{err}"
        );
    }

    #[test]
    fn stale_credentials_are_extended() {
        let http = FakeHttp::new(vec![ok(200, "t"), ok(200, "r"), ok(200, CREDS)]);
        let later = datetime!(2024-01-02 00:00 UTC);
        let c = resolve(&fast(), &http, later).unwrap().unwrap();
        assert_eq!(c.expiry, Some(datetime!(2024-01-02 00:10 UTC)));
    }

    #[test]
    fn endpoint_precedence() {
        let cfg = ImdsConfig {
            endpoint: Some("http://profile:1"),
            endpoint_mode: Some("IPv6"),
            ..Default::default()
        };
        assert_eq!(settings(&[], cfg).unwrap().endpoint, "http://profile:1");
        assert_eq!(
            settings(&[(ENV_ENDPOINT, "http://env:2/")], cfg)
                .unwrap()
                .endpoint,
            "http://env:2"
        );
        let only_mode = ImdsConfig {
            endpoint_mode: Some("IPv6"),
            ..Default::default()
        };
        assert_eq!(settings(&[], only_mode).unwrap().endpoint, IPV6_ENDPOINT);
        assert_eq!(
            settings(&[(ENV_ENDPOINT_MODE, "ipv4")], only_mode)
                .unwrap()
                .endpoint,
            IPV4_ENDPOINT
        );
        let err = settings(&[(ENV_ENDPOINT_MODE, "IPv7")], ImdsConfig::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: `IPv7` is not a valid endpoint mode; use IPv4 or IPv6"
        );
        let err = settings(
            &[],
            ImdsConfig {
                endpoint: Some("nope"),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("ec2_metadata_service_endpoint in the profile"),
            "{err}"
        );
    }
}
