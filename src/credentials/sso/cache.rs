//! The SSO token cache the AWS CLI writes at `~/.aws/sso/cache/<sha1>.json`: where it is, what
//! is in it, whether the token can and should be refreshed, and how a refreshed token is written
//! back (atomically, mode 0600, every field we do not know kept as it was).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::sha1;
use crate::secret::Secret;
use crate::text::{clean, json_text};
use crate::timestamp::rfc3339_seconds;

/// Refresh a token with less than this left (smithy-rs `REFRESH_BUFFER_TIME`, botocore's
/// `_REFRESH_WINDOW`, the JS SDK's `EXPIRE_WINDOW_MS`: all 5 minutes).
pub const REFRESH_WINDOW: Duration = Duration::minutes(5);

/// `<home>/.aws/sso/cache/<sha1 hex of key>.json`.
pub fn cache_path(home: &Path, key: &str) -> PathBuf {
    home.join(".aws")
        .join("sso")
        .join("cache")
        .join(format!("{}.json", sha1::hex_digest(key.as_bytes())))
}

/// One cache file, parsed. Debug never shows the tokens or the client secret.
#[derive(Clone)]
pub struct CachedToken {
    pub access_token: Secret,
    pub expires_at: OffsetDateTime,
    pub refresh_token: Option<Secret>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub registration_expires_at: Option<OffsetDateTime>,
    pub region: Option<String>,
    pub start_url: Option<String>,
    /// The whole document, so a rewrite keeps fields this version does not know.
    doc: Map<String, Value>,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("expires_at", &self.expires_at)
            .field("has_refresh_token", &self.refresh_token.is_some())
            .field("client_id", &self.client_id)
            .field("registration_expires_at", &self.registration_expires_at)
            .field("region", &self.region)
            .field("start_url", &self.start_url)
            .finish()
    }
}

/// Parses a cache file. Errors name fields, never values of secret ones. Keys are matched
/// case-insensitively, as smithy-rs does.
pub fn parse(text: &str) -> Result<CachedToken, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(doc) = v else {
        return Err("is not a JSON object".into());
    };
    let text = |name: &str| -> Result<Option<String>, String> {
        let field = doc.iter().find(|(k, _)| k.eq_ignore_ascii_case(name));
        json_text(field.map(|(_, v)| v))
            .map(|t| t.map(str::to_string))
            .map_err(|()| format!("has a {name} that is not a string"))
    };
    let time = |name: &str| -> Result<Option<OffsetDateTime>, String> {
        text(name)?
            .map(|s| {
                parse_time(&s)
                    .ok_or_else(|| format!("has {name} {:?}, which is not a date-time", clean(&s)))
            })
            .transpose()
    };
    let access_token = text("accessToken")?.ok_or("has no accessToken")?;
    let expires_at = time("expiresAt")?.ok_or("has no expiresAt")?;
    Ok(CachedToken {
        access_token: Secret::new(access_token),
        expires_at,
        refresh_token: text("refreshToken")?.map(Secret::new),
        client_id: text("clientId")?,
        client_secret: text("clientSecret")?.map(Secret::new),
        registration_expires_at: time("registrationExpiresAt")?,
        region: text("region")?,
        start_url: text("startUrl")?,
        doc,
    })
}

/// RFC 3339 (`2019-11-14T04:05:45Z`, fractions and offsets too), or the
/// `2019-11-14T04:05:45UTC` form AWS CLI v2 wrote before 2.1.14.
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let z = format!("{}Z", s.strip_suffix("UTC")?);
    OffsetDateTime::parse(&z, &Rfc3339).ok()
}

/// What to do with a cached token at `now`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Valid for more than the refresh window (or not refreshable and not yet expired).
    Use,
    /// Expiring soon or expired, and refreshable.
    Refresh,
    /// Expired and not refreshable; the reason, for the error.
    Expired(String),
}

impl CachedToken {
    /// `refreshable` is false for the legacy form: the CLI refreshes only `sso_session` tokens.
    pub fn plan(&self, now: OffsetDateTime, refreshable: bool) -> Plan {
        let expired = self.expires_at <= now;
        let soon = self.expires_at.saturating_sub(REFRESH_WINDOW) <= now;
        let blocker = if !refreshable {
            Some("profiles without sso_session cannot be refreshed".to_string())
        } else if self.refresh_token.is_none() {
            Some("the cache has no refresh token".to_string())
        } else if self.client_id.is_none() || self.client_secret.is_none() {
            Some("the cache has no client registration".to_string())
        } else {
            match self.registration_expires_at {
                None => Some("the cache has no registrationExpiresAt".to_string()),
                Some(t) if t <= now => Some(format!(
                    "the client registration expired at {}",
                    rfc3339_seconds(t)
                )),
                Some(_) => None,
            }
        };
        match (expired, soon, blocker) {
            (true, _, Some(why)) => Plan::Expired(format!(
                "the SSO token expired at {} and {why}",
                rfc3339_seconds(self.expires_at)
            )),
            (_, true, None) => Plan::Refresh,
            _ => Plan::Use,
        }
    }

    /// The file's new text after a refresh: the new token and expiry (and refresh token when
    /// one came back), region and start URL set, all other fields kept.
    pub fn refreshed(
        &self,
        access_token: &Secret,
        expires_at: OffsetDateTime,
        refresh_token: Option<&Secret>,
        region: &str,
        start_url: &str,
    ) -> Vec<u8> {
        let mut doc = self.doc.clone();
        let mut set = |key: &str, value: String| {
            doc.retain(|k, _| !k.eq_ignore_ascii_case(key));
            doc.insert(key.to_string(), Value::String(value));
        };
        set("accessToken", access_token.expose().to_string());
        set("expiresAt", rfc3339_seconds(expires_at));
        if let Some(r) = refresh_token {
            set("refreshToken", r.expose().to_string());
        }
        set("region", region.to_string());
        set("startUrl", start_url.to_string());
        serde_json::to_vec(&Value::Object(doc)).unwrap_or_default()
    }
}

/// Writes `bytes` to `path` so that readers see the old file or the new one, never half of
/// either, and only the owner can read it: a 0600 temporary file in the same folder, synced,
/// then renamed over `path`.
pub fn write_private_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
    let tmp = dir.join(format!(
        ".{}.{}.{nanos}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut f = options.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// The shape of the smithy-rs `sso_credentials` fixture's cache file.
    const FULL: &str = r#"{
        "accessToken": "secret-access-token",
        "expiresAt": "2199-11-14T04:05:45Z",
        "refreshToken": "secret-refresh-token",
        "clientId": "ABCDEFG323242423121312312312312312",
        "clientSecret": "ABCDE123",
        "registrationExpiresAt": "2199-03-06T19:53:17Z",
        "region": "us-east-1",
        "startUrl": "https://d-abc123.awsapps.com/start",
        "someFutureField": {"kept": [1, 2]}
    }"#;

    #[test]
    fn path_is_sha1_of_the_key() {
        assert_eq!(
            cache_path(Path::new("/home"), "https://ssotest.awsapps.com/start"),
            Path::new("/home/.aws/sso/cache/dace00cba5f8355ec9d274ceb2bcebdfbeed0e12.json")
        );
    }

    #[test]
    fn parses_every_field() {
        let t = parse(FULL).unwrap();
        assert_eq!(t.access_token.expose(), "secret-access-token");
        assert_eq!(t.expires_at, datetime!(2199-11-14 04:05:45 UTC));
        assert_eq!(
            t.refresh_token.as_ref().unwrap().expose(),
            "secret-refresh-token"
        );
        assert_eq!(
            t.client_id.as_deref(),
            Some("ABCDEFG323242423121312312312312312")
        );
        assert_eq!(t.client_secret.as_ref().unwrap().expose(), "ABCDE123");
        assert_eq!(
            t.registration_expires_at,
            Some(datetime!(2199-03-06 19:53:17 UTC))
        );
        assert_eq!(t.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            t.start_url.as_deref(),
            Some("https://d-abc123.awsapps.com/start")
        );
        let debug = format!("{t:?}");
        for secret in ["secret-access-token", "secret-refresh-token", "ABCDE123"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }

    /// Forms seen in real caches: the `…UTC` of early CLI v2 (terraform-provider-aws #22176,
    /// aws-sdk-rust #438), `+00:00` and milliseconds (cyberduck #15257, yawsso #86).
    #[test]
    fn expiry_forms() {
        let want = datetime!(2021-12-11 07:18:18 UTC);
        assert_eq!(parse_time("2021-12-11T07:18:18UTC"), Some(want));
        assert_eq!(parse_time("2021-12-11T07:18:18Z"), Some(want));
        assert_eq!(parse_time("2021-12-11T07:18:18+00:00"), Some(want));
        assert_eq!(
            parse_time("2023-03-16T15:11:53.540Z"),
            Some(datetime!(2023-03-16 15:11:53.540 UTC))
        );
        assert_eq!(parse_time("2021-12-11 07:18:18"), None);
        assert_eq!(parse_time("UTC"), None);
        assert_eq!(
            rfc3339_seconds(datetime!(2021-12-11 07:18:18.9 +02:00)),
            "2021-12-11T05:18:18Z"
        );
    }

    #[test]
    fn errors_name_fields_never_secret_values() {
        let cases = [
            ("not json secret-x", "not valid JSON"),
            ("[\"secret-x\"]", "not a JSON object"),
            (
                r#"{"expiresAt":"2199-01-01T00:00:00Z"}"#,
                "has no accessToken",
            ),
            (r#"{"accessToken":"secret-x"}"#, "has no expiresAt"),
            (
                r#"{"accessToken":"secret-x","expiresAt":"soon"}"#,
                "expiresAt \"soon\"",
            ),
            (
                r#"{"accessToken":["secret-x"],"expiresAt":"x"}"#,
                "accessToken that is not a string",
            ),
            (
                r#"{"accessToken":"a","expiresAt":"2199-01-01T00:00:00Z","refreshToken":7}"#,
                "refreshToken that is not a string",
            ),
        ];
        for (text, want) in cases {
            let err = parse(text).unwrap_err();
            assert!(
                err.contains(want) && !err.contains("secret-x"),
                "{text}: {err}"
            );
        }
    }

    #[test]
    fn refresh_plan() {
        let mut t = parse(FULL).unwrap();
        t.registration_expires_at = Some(datetime!(2300-01-01 00:00 UTC));
        let exp = t.expires_at;
        assert_eq!(t.plan(exp - Duration::minutes(6), true), Plan::Use);
        assert_eq!(t.plan(exp - Duration::minutes(4), true), Plan::Refresh);
        assert_eq!(t.plan(exp + Duration::hours(1), true), Plan::Refresh);
        // Legacy form: used until it expires, then an error.
        assert_eq!(t.plan(exp - Duration::minutes(4), false), Plan::Use);
        assert!(matches!(t.plan(exp, false), Plan::Expired(_)));

        let no_refresh =
            parse(r#"{"accessToken":"a","expiresAt":"2030-01-01T00:00:00Z"}"#).unwrap();
        let later = datetime!(2030-01-01 00:00:01 UTC);
        match no_refresh.plan(later, true) {
            Plan::Expired(why) => assert!(why.contains("no refresh token"), "{why}"),
            p => panic!("{p:?}"),
        }
        let mut stale_registration = t.clone();
        stale_registration.registration_expires_at = Some(datetime!(2020-01-01 00:00 UTC));
        match stale_registration.plan(exp, true) {
            Plan::Expired(why) => assert!(
                why.contains("registration expired at 2020-01-01T00:00:00Z"),
                "{why}"
            ),
            p => panic!("{p:?}"),
        }
        // Not yet expired but unrefreshable: still usable.
        assert_eq!(
            stale_registration.plan(exp - Duration::minutes(1), true),
            Plan::Use
        );
    }

    #[test]
    fn refreshed_document_keeps_unknown_fields() {
        let t = parse(FULL).unwrap();
        let out = t.refreshed(
            &Secret::new("new-token"),
            datetime!(2200-01-01 00:00 UTC),
            None,
            "us-east-1",
            "https://d-abc123.awsapps.com/start",
        );
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["accessToken"], "new-token");
        assert_eq!(v["expiresAt"], "2200-01-01T00:00:00Z");
        assert_eq!(v["refreshToken"], "secret-refresh-token");
        assert_eq!(v["clientSecret"], "ABCDE123");
        assert_eq!(v["someFutureField"]["kept"][1], 2);
        let again = parse(std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(again.access_token.expose(), "new-token");
    }

    #[cfg(unix)]
    #[test]
    fn atomic_private_write() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_private_atomic(&dir.path().join("missing/x.json"), b"x").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
