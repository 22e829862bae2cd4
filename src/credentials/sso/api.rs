//! The two Identity Center calls, over the injected [`Http`]: the portal's GetRoleCredentials
//! (`GET /federation/credentials`, bearer token in `x-amz-sso_bearer_token`) and SSO OIDC's
//! CreateToken with the refresh-token grant (`POST /token`). Both retry as the transport does
//! (5xx, 429, throttling, connection failures; bounded). Error text never carries a token: server messages are
//! dropped when they echo one.

use std::time::Duration;

use time::OffsetDateTime;

use crate::credentials::Credentials;
use crate::http::{Http, HttpRequest, HttpResponse};
use crate::secret::Secret;
use crate::text::{clean, code_and_message};
use crate::transport::{send_with_retries, RetryPolicy};

/// Timeouts and retries for both calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Bounds each call, all attempts together (see [`RetryPolicy`]); the portal is across
    /// the internet, so more generous than a local agent's.
    pub timeout: Duration,
    /// 3 attempts on 5xx, 429, throttling codes and connection failures (the SDKs' standard).
    pub retry: RetryPolicy,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
        }
    }
}

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// HTTP 401: the token was refused (expired or signed out); `detail` is `: code: message`.
    Unauthorized(String),
    /// HTTP 403: no access to this account and role (or a stale session).
    Forbidden(String),
    /// Anything else, as one line.
    Other(String),
}

/// Sends `req` with the transport's retry rules; the last response of any status.
fn send(http: &dyn Http, req: &HttpRequest, policy: &Policy) -> Result<HttpResponse, String> {
    send_with_retries(http, req, policy.retry, &std::thread::sleep).map_err(|e| {
        format!(
            "no response from {}: {e}",
            req.url.split('?').next().unwrap_or("")
        )
    })
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `: Code: message` from an AWS JSON error (code from `x-amzn-ErrorType`, `__type` or
/// `code`/`error`; message from `message`/`Message`/`error_description`), or empty. Dropped
/// when it contains any of `secrets`.
fn error_detail(resp: &HttpResponse, secrets: &[&str]) -> String {
    let body: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| body.get(n).and_then(|v| v.as_str()))
            .map(str::to_string)
    };
    // `UnauthorizedException:http://internal…` and `com.amazon…#UnauthorizedException` forms.
    let code = resp
        .header("x-amzn-errortype")
        .map(str::to_string)
        .or_else(|| field(&["__type", "code", "Code", "error"]))
        .map(|c| {
            let c = c.split(':').next().unwrap_or_default();
            clean(c.rsplit('#').next().unwrap_or_default())
        })
        .filter(|c| !c.is_empty());
    let message = field(&["message", "Message", "error_description"]).map(|m| clean(&m));
    let text = code_and_message(code, message);
    if secrets.iter().any(|s| !s.is_empty() && text.contains(s)) {
        String::new()
    } else {
        text
    }
}

/// GetRoleCredentials against the portal at `base` (`https://portal.sso.<region>.<suffix>`).
/// The credentials' `source` is left empty for the caller.
pub fn get_role_credentials(
    http: &dyn Http,
    base: &str,
    account_id: &str,
    role_name: &str,
    token: &Secret,
    policy: &Policy,
) -> Result<Credentials, CallError> {
    let url = format!(
        "{base}/federation/credentials?account_id={}&role_name={}",
        query_value(account_id),
        query_value(role_name)
    );
    let mut req = HttpRequest::new("GET", url)
        .header("x-amz-sso_bearer_token", token.expose())
        .header("Accept", "application/json");
    req.timeout = policy.timeout;
    let resp = send(http, &req, policy).map_err(CallError::Other)?;
    let secrets = [token.expose()];
    match resp.status {
        200..=299 => parse_role_credentials(&resp.body).map_err(CallError::Other),
        401 => Err(CallError::Unauthorized(error_detail(&resp, &secrets))),
        403 => Err(CallError::Forbidden(error_detail(&resp, &secrets))),
        s => Err(CallError::Other(format!(
            "GetRoleCredentials failed: HTTP {s}{}",
            error_detail(&resp, &secrets)
        ))),
    }
}

/// Parses `{"roleCredentials":{accessKeyId, secretAccessKey, sessionToken, expiration}}`
/// (`expiration` in epoch milliseconds).
pub fn parse_role_credentials(body: &[u8]) -> Result<Credentials, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        format!(
            "the GetRoleCredentials response is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let rc = v
        .get("roleCredentials")
        .filter(|r| r.is_object())
        .ok_or("the GetRoleCredentials response has no roleCredentials")?;
    let text = |name: &str| -> Result<&str, String> {
        match rc.get(name) {
            Some(serde_json::Value::String(s)) if !s.is_empty() => Ok(s.as_str()),
            Some(serde_json::Value::String(_)) | None | Some(serde_json::Value::Null) => {
                Err(format!("the GetRoleCredentials response has no {name}"))
            }
            Some(_) => Err(format!(
                "{name} in the GetRoleCredentials response is not a string"
            )),
        }
    };
    let mut c = Credentials::new(text("accessKeyId")?, text("secretAccessKey")?);
    c.session_token = Some(Secret::new(text("sessionToken")?));
    let millis = rc
        .get("expiration")
        .and_then(|e| e.as_i64())
        .ok_or("the GetRoleCredentials response has no numeric expiration")?;
    c.expiry = Some(
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).map_err(
            |_| format!("expiration {millis} in the GetRoleCredentials response is out of range"),
        )?,
    );
    Ok(c)
}

/// A token from CreateToken.
#[derive(Clone, Debug)]
pub struct NewToken {
    pub access_token: Secret,
    pub expires_in: Duration,
    /// A rotated refresh token, when the service sent one.
    pub refresh_token: Option<Secret>,
}

/// The refresh-token grant of SSO OIDC CreateToken against `base` (`https://oidc.<region>…`).
pub fn create_token(
    http: &dyn Http,
    base: &str,
    client_id: &str,
    client_secret: &Secret,
    refresh_token: &Secret,
    policy: &Policy,
) -> Result<NewToken, String> {
    let body = serde_json::json!({
        "clientId": client_id,
        "clientSecret": client_secret.expose(),
        "grantType": "refresh_token",
        "refreshToken": refresh_token.expose(),
    });
    let mut req = HttpRequest::new("POST", format!("{base}/token"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json");
    req.body = serde_json::to_vec(&body).unwrap_or_default();
    req.timeout = policy.timeout;
    let resp = send(http, &req, policy)?;
    let secrets = [client_secret.expose(), refresh_token.expose()];
    if !(200..300).contains(&resp.status) {
        return Err(format!(
            "CreateToken failed: HTTP {}{}",
            resp.status,
            error_detail(&resp, &secrets)
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&resp.body)
        .map_err(|_| "the CreateToken response is not valid JSON".to_string())?;
    let access_token = v
        .get("accessToken")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .ok_or("the CreateToken response has no accessToken")?;
    let expires_in = v
        .get("expiresIn")
        .and_then(|e| e.as_u64())
        .filter(|&e| e > 0)
        .ok_or("the CreateToken response has no positive expiresIn")?;
    Ok(NewToken {
        access_token: Secret::new(access_token),
        expires_in: Duration::from_secs(expires_in),
        refresh_token: v
            .get("refreshToken")
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .map(Secret::new),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::container::tests::{ok, FakeHttp};
    use crate::http::HttpError;
    use time::macros::datetime;

    const FAST: Policy = Policy {
        timeout: Duration::from_secs(1),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        },
    };
    const CREDS: &str = r#"{"roleCredentials":{"accessKeyId":"ASIARTESTID","secretAccessKey":"TESTSECRETKEY",
        "sessionToken":"TESTSESSIONTOKEN","expiration":1651516560000}}"#;

    #[test]
    fn request_shape_and_parse() {
        let http = FakeHttp::new(vec![ok(200, CREDS)]);
        let c = get_role_credentials(
            &http,
            "https://p",
            "0123",
            "Role+x/y",
            &Secret::new("tok"),
            &FAST,
        )
        .unwrap();
        assert_eq!(c.access_key_id, "ASIARTESTID");
        assert_eq!(c.secret_access_key.expose(), "TESTSECRETKEY");
        assert_eq!(c.session_token.unwrap().expose(), "TESTSESSIONTOKEN");
        assert_eq!(c.expiry, Some(datetime!(2022-05-02 18:36:00 UTC)));
        let seen = http.seen.borrow();
        assert_eq!(seen[0].method, "GET");
        assert_eq!(
            seen[0].url,
            "https://p/federation/credentials?account_id=0123&role_name=Role%2Bx%2Fy"
        );
        assert!(seen[0]
            .headers
            .contains(&("x-amz-sso_bearer_token".to_string(), "tok".to_string())));
        assert_eq!(seen[0].timeout, FAST.timeout);
    }

    #[test]
    fn statuses() {
        let unauthorized = HttpResponse {
            status: 401,
            headers: vec![(
                "x-amzn-ErrorType".into(),
                "UnauthorizedException:http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/".into(),
            )],
            body: br#"{"message":"Session token not found or invalid"}"#.to_vec(),
        };
        let http = FakeHttp::new(vec![Ok(unauthorized)]);
        let err =
            get_role_credentials(&http, "https://p", "1", "r", &Secret::new("tok-123"), &FAST);
        assert_eq!(
            err.unwrap_err(),
            CallError::Unauthorized(
                ": UnauthorizedException: Session token not found or invalid".into()
            )
        );
        let http = FakeHttp::new(vec![ok(
            403,
            r#"{"__type":"a.b#ForbiddenException","message":"No access"}"#,
        )]);
        let err = get_role_credentials(&http, "https://p", "1", "r", &Secret::new("tok"), &FAST);
        assert_eq!(
            err.unwrap_err(),
            CallError::Forbidden(": ForbiddenException: No access".into())
        );
        let http = FakeHttp::new(vec![ok(404, r#"{"message":"No such role"}"#)]);
        let err = get_role_credentials(&http, "https://p", "1", "r", &Secret::new("tok"), &FAST);
        assert_eq!(
            err.unwrap_err(),
            CallError::Other("GetRoleCredentials failed: HTTP 404: No such role".into())
        );
        assert_eq!(http.seen.borrow().len(), 1, "4xx is not retried");
    }

    #[test]
    fn retries_are_bounded() {
        let http = FakeHttp::new(vec![
            ok(500, ""),
            Err(HttpError("reset".into())),
            ok(200, CREDS),
        ]);
        assert!(
            get_role_credentials(&http, "https://p", "1", "r", &Secret::new("t"), &FAST).is_ok()
        );
        let http = FakeHttp::new(vec![
            ok(429, ""),
            ok(503, ""),
            ok(503, "{}"),
            ok(200, CREDS),
        ]);
        let err = get_role_credentials(&http, "https://p", "1", "r", &Secret::new("t"), &FAST)
            .unwrap_err();
        assert_eq!(
            err,
            CallError::Other("GetRoleCredentials failed: HTTP 503".into())
        );
        assert_eq!(http.seen.borrow().len(), 3);
        let http = FakeHttp::new(vec![]);
        let err = get_role_credentials(&http, "https://p", "1", "r", &Secret::new("t"), &FAST)
            .unwrap_err();
        assert!(
            matches!(err, CallError::Other(m) if m.starts_with("no response from https://p/federation/credentials:"))
        );
    }

    #[test]
    fn echoed_secrets_are_dropped() {
        let http = FakeHttp::new(vec![ok(400, r#"{"message":"bad token tok-SECRET"}"#)]);
        let err = get_role_credentials(
            &http,
            "https://p",
            "1",
            "r",
            &Secret::new("tok-SECRET"),
            &FAST,
        );
        assert_eq!(
            err.unwrap_err(),
            CallError::Other("GetRoleCredentials failed: HTTP 400".into())
        );
        let http = FakeHttp::new(vec![ok(
            400,
            r#"{"error":"invalid_grant","error_description":"refresh rt-SECRET revoked"}"#,
        )]);
        let err = create_token(
            &http,
            "https://o",
            "cid",
            &Secret::new("cs"),
            &Secret::new("rt-SECRET"),
            &FAST,
        )
        .unwrap_err();
        assert_eq!(err, "CreateToken failed: HTTP 400");
    }

    #[test]
    fn bad_credential_bodies_name_fields_only() {
        let cases = [
            ("nope TESTSECRETKEY", "not valid JSON"),
            ("{}", "no roleCredentials"),
            (
                r#"{"roleCredentials":{"secretAccessKey":"TESTSECRETKEY"}}"#,
                "no accessKeyId",
            ),
            (
                r#"{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"TESTSECRETKEY"}}"#,
                "no sessionToken",
            ),
            (
                r#"{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"TESTSECRETKEY","sessionToken":"s"}}"#,
                "numeric expiration",
            ),
            (
                r#"{"roleCredentials":{"accessKeyId":"A","secretAccessKey":"TESTSECRETKEY","sessionToken":"s","expiration":9223372036854775807}}"#,
                "out of range",
            ),
        ];
        for (body, want) in cases {
            let err = parse_role_credentials(body.as_bytes()).unwrap_err();
            assert!(
                err.contains(want) && !err.contains("TESTSECRETKEY"),
                "{body}: {err}"
            );
        }
    }

    #[test]
    fn create_token_request_and_response() {
        let http = FakeHttp::new(vec![
            ok(500, ""),
            ok(
                200,
                r#"{"accessToken":"new","expiresIn":28800,"refreshToken":"rt2","tokenType":"Bearer"}"#,
            ),
        ]);
        let t = create_token(
            &http,
            "https://oidc.x",
            "cid",
            &Secret::new("cs"),
            &Secret::new("rt"),
            &FAST,
        )
        .unwrap();
        assert_eq!(t.access_token.expose(), "new");
        assert_eq!(t.expires_in, Duration::from_secs(28800));
        assert_eq!(t.refresh_token.unwrap().expose(), "rt2");
        let seen = http.seen.borrow();
        assert_eq!(
            (seen[1].method.as_str(), seen[1].url.as_str()),
            ("POST", "https://oidc.x/token")
        );
        let body: serde_json::Value = serde_json::from_slice(&seen[1].body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"clientId":"cid","clientSecret":"cs","grantType":"refresh_token","refreshToken":"rt"})
        );
        let http = FakeHttp::new(vec![ok(200, r#"{"expiresIn":1}"#)]);
        let err = create_token(
            &http,
            "https://o",
            "c",
            &Secret::new("cs"),
            &Secret::new("rt"),
            &FAST,
        );
        assert!(err.unwrap_err().contains("no accessToken"));
    }
}
