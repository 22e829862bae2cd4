//! The three STS calls eks-token makes, over any [`Http`]: AssumeRole and GetCallerIdentity
//! (SigV4 header-signed) and AssumeRoleWithWebIdentity (unsigned). They are Query-protocol
//! POSTs with a form body; the XML answers are read by hand (a handful of known elements, no
//! XML crate). STS errors become one-line [`Error::Credentials`] with a hint where one helps;
//! no secret (keys, session token, web identity token, MFA code) ever reaches an error.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::http::{Http, HttpRequest, HttpResponse};
use crate::secret::Secret;
use crate::sigv4::{self, Signer};
use crate::transport::{send_with_retries, split_url, RetryPolicy};

const VERSION: &str = "2011-06-15";
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
/// How much of a non-XML error body to show.
const SNIPPET: usize = 200;

/// Where to send STS calls and how to sign them. The endpoint module decides both (regional
/// vs global, FIPS, dual-stack, `endpoint_url` overrides).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StsEndpoint {
    /// e.g. `https://sts.us-west-2.amazonaws.com` (a path, if any, is kept and signed).
    pub url: String,
    /// The SigV4 region, e.g. `us-west-2` (`us-east-1` for the global endpoint).
    pub signing_region: String,
}

impl StsEndpoint {
    pub fn new(url: impl Into<String>, signing_region: impl Into<String>) -> StsEndpoint {
        StsEndpoint {
            url: url.into(),
            signing_region: signing_region.into(),
        }
    }
}

/// AssumeRole's parameters. `Debug` is safe: the MFA code is a [`Secret`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssumeRoleParams {
    pub role_arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    pub duration_seconds: Option<u32>,
    /// MFA device serial number (or ARN) and the current code.
    pub mfa: Option<(String, Secret)>,
    pub source_identity: Option<String>,
}

/// AssumeRoleWithWebIdentity's parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebIdentityParams {
    pub role_arn: String,
    pub session_name: String,
    pub web_identity_token: Secret,
    pub duration_seconds: Option<u32>,
}

/// Who a set of credentials belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallerIdentity {
    pub arn: String,
    pub account: String,
    pub user_id: String,
}

/// Assume `params.role_arn` with `creds`, signing at `now`.
pub fn assume_role(
    http: &dyn Http,
    endpoint: &StsEndpoint,
    creds: &Credentials,
    params: &AssumeRoleParams,
    now: OffsetDateTime,
) -> Result<Credentials> {
    let op = format!("sts AssumeRole (role {})", params.role_arn);
    let mut form = vec![
        ("Action", "AssumeRole".to_string()),
        ("Version", VERSION.to_string()),
        ("RoleArn", params.role_arn.clone()),
        ("RoleSessionName", params.session_name.clone()),
    ];
    if let Some(id) = &params.external_id {
        form.push(("ExternalId", id.clone()));
    }
    if let Some(d) = params.duration_seconds {
        form.push(("DurationSeconds", d.to_string()));
    }
    if let Some((serial, code)) = &params.mfa {
        form.push(("SerialNumber", serial.clone()));
        form.push(("TokenCode", code.expose().to_string()));
    }
    if let Some(si) = &params.source_identity {
        form.push(("SourceIdentity", si.clone()));
    }
    let mut secrets = source_secrets(creds);
    secrets.extend(params.mfa.as_ref().map(|(_, c)| c.expose()));
    let req = signed_request(endpoint, creds, &form_body(&form), now, &op)?;
    let xml = call(http, &req, &op, &secrets, Some(creds))?;
    read_credentials(&xml, &op, "sts AssumeRole")
}

/// Exchange a web identity (OIDC) token for role credentials. Unsigned: the token is the proof.
pub fn assume_role_with_web_identity(
    http: &dyn Http,
    endpoint: &StsEndpoint,
    params: &WebIdentityParams,
) -> Result<Credentials> {
    let op = format!("sts AssumeRoleWithWebIdentity (role {})", params.role_arn);
    let mut form = vec![
        ("Action", "AssumeRoleWithWebIdentity".to_string()),
        ("Version", VERSION.to_string()),
        ("RoleArn", params.role_arn.clone()),
        ("RoleSessionName", params.session_name.clone()),
        (
            "WebIdentityToken",
            params.web_identity_token.expose().to_string(),
        ),
    ];
    if let Some(d) = params.duration_seconds {
        form.push(("DurationSeconds", d.to_string()));
    }
    let url = parse_endpoint(endpoint)?;
    let mut req = HttpRequest::new("POST", endpoint.url.clone())
        .header("Host", url.host_header())
        .header("Content-Type", CONTENT_TYPE);
    req.body = form_body(&form).into_bytes();
    let xml = call(http, &req, &op, &[params.web_identity_token.expose()], None)?;
    read_credentials(&xml, &op, "sts AssumeRoleWithWebIdentity")
}

/// Ask STS who `creds` belong to.
pub fn get_caller_identity(
    http: &dyn Http,
    endpoint: &StsEndpoint,
    creds: &Credentials,
    now: OffsetDateTime,
) -> Result<CallerIdentity> {
    let op = "sts GetCallerIdentity";
    let form = [
        ("Action", "GetCallerIdentity".to_string()),
        ("Version", VERSION.to_string()),
    ];
    let req = signed_request(endpoint, creds, &form_body(&form), now, op)?;
    let xml = call(http, &req, op, &source_secrets(creds), Some(creds))?;
    let field = |name: &str| {
        xml_text(&xml, &["GetCallerIdentityResult", name])
            .ok_or_else(|| Error::credentials(op, format!("the STS answer has no <{name}>")))
    };
    Ok(CallerIdentity {
        arn: field("Arn")?,
        account: field("Account")?,
        user_id: field("UserId")?,
    })
}

fn source_secrets(creds: &Credentials) -> Vec<&str> {
    let mut s = vec![creds.secret_access_key.expose()];
    s.extend(creds.session_token.as_ref().map(Secret::expose));
    s
}

fn parse_endpoint(endpoint: &StsEndpoint) -> Result<crate::transport::UrlParts> {
    split_url(&endpoint.url).ok_or_else(|| {
        Error::invalid(
            "STS endpoint",
            format!("'{}' is not an http:// or https:// URL", endpoint.url),
        )
    })
}

/// A POST of `body` signed with SigV4 in the `Authorization` header (service `sts`).
fn signed_request(
    endpoint: &StsEndpoint,
    creds: &Credentials,
    body: &str,
    now: OffsetDateTime,
    op: &str,
) -> Result<HttpRequest> {
    let url = parse_endpoint(endpoint)?;
    if endpoint.signing_region.is_empty() {
        return Err(Error::credentials(op, "no signing region for STS"));
    }
    let host = url.host_header();
    let to_sign = sigv4::Request {
        method: "POST".into(),
        path: url.path.clone(),
        query: Vec::new(),
        headers: vec![
            ("content-type".into(), CONTENT_TYPE.into()),
            ("host".into(), host.clone()),
        ],
        payload_hash: sigv4::sha256_hex(body.as_bytes()),
    };
    let signer = Signer {
        access_key_id: &creds.access_key_id,
        secret_access_key: creds.secret_access_key.expose(),
        session_token: creds.session_token.as_ref().map(Secret::expose),
        region: &endpoint.signing_region,
        service: "sts",
        time: now,
    };
    let signed = sigv4::sign_headers(&to_sign, &signer, sigv4::Options::default());
    let mut req = HttpRequest::new("POST", endpoint.url.clone())
        .header("Host", host)
        .header("Content-Type", CONTENT_TYPE);
    req.headers.extend(signed.headers);
    req.body = body.as_bytes().to_vec();
    Ok(req)
}

/// `k=v&…`, each part URI-encoded (RFC 3986 unreserved characters kept).
fn form_body(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                sigv4::uri_encode(k, true),
                sigv4::uri_encode(v, true)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Send with retries; a 2xx body comes back as text, anything else as an error for `op`.
fn call(
    http: &dyn Http,
    req: &HttpRequest,
    op: &str,
    secrets: &[&str],
    creds: Option<&Credentials>,
) -> Result<String> {
    let outcome = send_with_retries(http, req, RetryPolicy::default(), &std::thread::sleep);
    let resp = outcome.map_err(|e| Error::credentials(op, redact(&e.0, secrets)))?;
    if (200..300).contains(&resp.status) {
        return Ok(resp.text());
    }
    Err(Error::credentials(
        op,
        redact(&explain(&resp, creds), secrets),
    ))
}

/// One line for an STS error answer: `Code: message` plus a hint, or the status and a snippet.
fn explain(resp: &HttpResponse, creds: Option<&Credentials>) -> String {
    let text = resp.text();
    let code = xml_text(&text, &["Error", "Code"]);
    let Some(code) = code.filter(|c| !c.is_empty()) else {
        // One line: runs of whitespace and control characters become one space.
        let flat = text
            .split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let snippet: String = flat.chars().take(SNIPPET).collect();
        return if snippet.is_empty() {
            format!("HTTP {} with an empty body", resp.status)
        } else {
            format!("HTTP {}: {snippet}", resp.status)
        };
    };
    // The server's words go on our one stderr line: no control characters (a newline could
    // forge a second `eks-token:` line, an escape could drive the terminal), bounded length.
    let code = crate::text::clean(&code);
    let message = crate::text::clean(
        xml_text(&text, &["Error", "Message"])
            .unwrap_or_default()
            .trim(),
    );
    let mut line = if message.is_empty() {
        code.clone()
    } else {
        format!("{code}: {message}")
    };
    let from = creds
        .map(|c| c.source.as_str())
        .filter(|s| !s.is_empty())
        .map(|s| format!(" (from {s})"))
        .unwrap_or_default();
    let hint = match code.as_str() {
        "ExpiredToken" | "InvalidClientTokenId" | "UnrecognizedClientException" => Some(format!(
            "the source credentials{from} are expired or invalid; refresh them"
        )),
        "SignatureDoesNotMatch" => Some(format!(
            "the secret access key{from} does not match its access key id"
        )),
        "RequestExpired" | "InvalidSignatureException" if creds.is_some() => {
            Some("check that the system clock is correct".into())
        }
        "ExpiredTokenException" if creds.is_none() => Some(
            "the web identity token has expired; its issuer should have refreshed the token file"
                .into(),
        ),
        _ => None,
    };
    if let Some(hint) = hint {
        line.push_str(&format!(" ({hint})"));
    }
    line
}

/// Replace every secret in `text` with `***`. Short values are left alone: replacing a
/// one-letter test secret or a 6-digit MFA code wherever it occurs would garble the message
/// and, by what it masks, hint at the value. Real keys and tokens are far longer.
fn redact(text: &str, secrets: &[&str]) -> String {
    secrets
        .iter()
        .filter(|s| s.len() >= 8)
        .fold(text.to_string(), |t, s| t.replace(s, "***"))
}

/// The credentials in an AssumeRole* answer; errors never quote the body (it holds secrets).
fn read_credentials(xml: &str, op: &str, source: &str) -> Result<Credentials> {
    let missing = |name: &str| {
        Error::credentials(
            op,
            format!("the STS answer has no <Credentials><{name}> (is the endpoint really STS?)"),
        )
    };
    // Keys and tokens never contain whitespace; a wrapped value (as in the AWS docs) is joined.
    let field = |name: &str| {
        xml_text(xml, &["Credentials", name])
            .map(|v| v.split_whitespace().collect::<String>())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| missing(name))
    };
    let access_key_id = field("AccessKeyId")?;
    let secret = field("SecretAccessKey")?;
    let token = field("SessionToken")?;
    let expiration = field("Expiration")?;
    let expiry = OffsetDateTime::parse(&expiration, &Rfc3339).map_err(|_| {
        Error::credentials(
            op,
            format!(
                "the STS answer has an unreadable Expiration '{}'",
                crate::text::clean(&expiration)
            ),
        )
    })?;
    let source = match xml_text(xml, &["AssumedRoleUser", "Arn"]) {
        Some(arn) if !arn.is_empty() => {
            format!("{source} as {}", crate::text::clean(&arn))
        }
        _ => source.to_string(),
    };
    Ok(Credentials {
        access_key_id,
        secret_access_key: Secret::new(secret),
        session_token: Some(Secret::new(token)),
        expiry: Some(expiry),
        source,
    })
}

// ---------------------------------------------------------------------------------------------
// Just enough XML

/// The decoded, trimmed text of the element reached by `path` (each step searched inside the
/// previous element), or `None` when a step is missing.
fn xml_text(xml: &str, path: &[&str]) -> Option<String> {
    let mut scope = xml;
    for name in path {
        scope = element(scope, name)?;
    }
    Some(decode_entities(scope.trim()))
}

/// The raw content of the first `<name>` element in `xml` (`""` for `<name/>`).
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}");
    let mut from = 0;
    loop {
        let at = from + xml.get(from..)?.find(&open)?;
        let after = xml.get(at + open.len()..)?;
        // `<CodeX>` is not `<Code>`: the name must end here.
        match after.chars().next()? {
            '>' => {
                let body = after.get(1..)?;
                let end = body.find(&format!("</{name}>"))?;
                return body.get(..end);
            }
            c if c == '/' || c.is_whitespace() => {
                let close = after.find('>')?;
                if after.get(..close)?.ends_with('/') {
                    return Some("");
                }
                let body = after.get(close + 1..)?;
                let end = body.find(&format!("</{name}>"))?;
                return body.get(..end);
            }
            _ => from = at + open.len(),
        }
    }
}

/// Decode the five XML entities and numeric character references; anything else is kept.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.get(1..).and_then(|r| {
            let semi = r.find(';').filter(|&i| i <= 10)?;
            let name = &r[..semi];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let num = name.strip_prefix('#')?;
                    let n = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(n)?
                }
            };
            Some((c, semi + 2))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities() {
        assert_eq!(
            decode_entities("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;"),
            "a & b <c> \"d\" 'e'"
        );
        assert_eq!(
            decode_entities("&#65;&#x42;&#X43;&#233;&#x1F600;"),
            "ABCé😀"
        );
        // Unknown, malformed or unterminated references stay as written.
        assert_eq!(
            decode_entities("&nbsp; &#xZZ; &#1114112; & x &amp"),
            "&nbsp; &#xZZ; &#1114112; & x &amp"
        );
        assert_eq!(decode_entities("&amp;amp;"), "&amp;");
        assert_eq!(decode_entities("é&amp;é"), "é&é");
    }

    #[test]
    fn elements() {
        let xml =
            r#"<R xmlns="x"><CodeX>no</CodeX><Code attr="1"> A&amp;B </Code><E/><F a="b" /></R>"#;
        assert_eq!(xml_text(xml, &["R", "Code"]).as_deref(), Some("A&B"));
        assert_eq!(xml_text(xml, &["E"]).as_deref(), Some(""));
        assert_eq!(xml_text(xml, &["F"]).as_deref(), Some(""));
        assert_eq!(xml_text(xml, &["Missing"]), None);
        assert_eq!(xml_text("<Code>unterminated", &["Code"]), None);
        assert_eq!(xml_text("<Code", &["Code"]), None);
        assert_eq!(xml_text("", &["Code"]), None);
        // Nested lookups stay inside their parent.
        let xml = "<A><Arn>outer</Arn></A><B><Arn>inner</Arn></B>";
        assert_eq!(xml_text(xml, &["B", "Arn"]).as_deref(), Some("inner"));
    }

    #[test]
    fn form_encoding() {
        let body = form_body(&[
            ("RoleArn", "arn:aws:iam::123456789012:role/a b".into()),
            ("RoleSessionName", "x+y=z,@.-_~".into()),
        ]);
        assert_eq!(
            body,
            "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fa%20b&\
             RoleSessionName=x%2By%3Dz%2C%40.-_~"
        );
    }

    #[test]
    fn redaction() {
        assert_eq!(
            redact(
                "a wJalrXUtnFEMI b FwoGZXIvYXdz",
                &["wJalrXUtnFEMI", "FwoGZXIvYXdz", ""]
            ),
            "a *** b ***"
        );
        // Short values (an MFA code, a toy secret) are not masked wherever they happen to occur.
        assert_eq!(
            redact(
                "https://sts.us-west-2.amazonaws.com 123456",
                &["s", "123456"]
            ),
            "https://sts.us-west-2.amazonaws.com 123456"
        );
    }

    #[test]
    fn server_error_text_stays_on_one_line() {
        let body = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no&#10;eks-token: forged\nline\u{1b}[31m</Message></Error></ErrorResponse>";
        let text = explain(&resp(403, body), None);
        assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text:?}");
        assert!(text.starts_with("AccessDenied: no"), "{text:?}");
    }

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn explain_errors() {
        let xml = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                   <Message>not &apos;allowed&apos;</Message></Error></ErrorResponse>";
        assert_eq!(
            explain(&resp(403, xml), None),
            "AccessDenied: not 'allowed'"
        );
        let mut c = Credentials::new("AKID", "secret");
        c.source = "profile 'dev'".into();
        let xml = "<ErrorResponse><Error><Code>ExpiredToken</Code>\
                   <Message>The security token included in the request is expired</Message>\
                   </Error></ErrorResponse>";
        assert_eq!(
            explain(&resp(403, xml), Some(&c)),
            "ExpiredToken: The security token included in the request is expired \
             (the source credentials (from profile 'dev') are expired or invalid; refresh them)"
        );
        assert_eq!(explain(&resp(502, ""), None), "HTTP 502 with an empty body");
        let html = format!("<html>\n<body>{}</body></html>", "x".repeat(300));
        let line = explain(&resp(502, &html), None);
        assert!(line.starts_with("HTTP 502: <html> <body>xxx"), "{line}");
        assert_eq!(line.chars().count(), "HTTP 502: ".len() + SNIPPET);
        let line = explain(&resp(500, "a\r\n\t  b\u{7}c"), None);
        assert_eq!(line, "HTTP 500: a b c");
    }
}
