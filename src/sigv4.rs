//! AWS Signature Version 4, from `hmac` and `sha2`: canonical request, string to sign, signing
//! key, and the two ways of attaching a signature — query presigning (the EKS token) and the
//! `Authorization` header (the STS calls). Pure functions: the time and keys are arguments.
//!
//! Checked against the aws-c-auth SigV4 suite (tests/sigv4_suite.rs).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Hex SHA-256 of the empty string: the payload hash of a GET.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Who signs, for which region and service, and when.
#[derive(Clone, Copy, Debug)]
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    pub time: OffsetDateTime,
}

/// The request to sign. `path` is as written on the wire (no query); `query` holds decoded
/// name/value pairs; `headers` must include `host`.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// Hex SHA-256 of the body (see [`sha256_hex`]; [`EMPTY_SHA256`] for none).
    pub payload_hash: String,
}

/// How to sign.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Remove `.`/`..` segments and repeated slashes from the path (every service but S3).
    pub normalize_path: bool,
    /// Sign the session token (`true`, what STS and EKS expect) or attach it after signing.
    pub sign_session_token: bool,
    /// Header signing only: add a signed `x-amz-content-sha256` header.
    pub content_sha256_header: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            normalize_path: true,
            sign_session_token: true,
            content_sha256_header: false,
        }
    }
}

/// The result of signing, with the intermediate strings for tests and `--debug`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signature: String,
    /// Presigning: the complete encoded query string, signature included.
    /// Header signing: empty.
    pub query: String,
    /// Header signing: the headers to add to the request (`X-Amz-Date`, `X-Amz-Security-Token`,
    /// `X-Amz-Content-Sha256`, `Authorization`). Presigning: empty.
    pub headers: Vec<(String, String)>,
}

/// Presign `req`: the signature and credentials travel in the query string, valid `expires` seconds.
pub fn presign(req: &Request, signer: &Signer, expires: u64, opts: Options) -> Signed {
    let amz_date = amz_date(signer.time);
    let scope = scope(signer);
    let signed_headers = signed_header_names(&req.headers);
    let mut query = req.query.clone();
    query.push(("X-Amz-Algorithm".into(), ALGORITHM.into()));
    query.push((
        "X-Amz-Credential".into(),
        format!("{}/{scope}", signer.access_key_id),
    ));
    query.push(("X-Amz-Date".into(), amz_date.clone()));
    query.push(("X-Amz-Expires".into(), expires.to_string()));
    query.push(("X-Amz-SignedHeaders".into(), signed_headers.clone()));
    let token = signer
        .session_token
        .map(|t| ("X-Amz-Security-Token".to_string(), t.to_string()));
    if opts.sign_session_token {
        query.extend(token.clone());
    }
    let canonical_query = canonical_query(&query);
    let canonical_request =
        canonical_request(req, &canonical_query, &req.headers, &signed_headers, opts);
    let (string_to_sign, signature) = sign(signer, &amz_date, &scope, &canonical_request);
    let mut full = canonical_query;
    if !opts.sign_session_token {
        if let Some((k, v)) = token {
            full = format!("{full}&{k}={}", uri_encode(&v, true));
        }
    }
    full.push_str("&X-Amz-Signature=");
    full.push_str(&signature);
    Signed {
        canonical_request,
        string_to_sign,
        signature,
        query: full,
        headers: Vec::new(),
    }
}

/// Sign `req` with an `Authorization` header.
pub fn sign_headers(req: &Request, signer: &Signer, opts: Options) -> Signed {
    let amz_date = amz_date(signer.time);
    let scope = scope(signer);
    let mut added = vec![("X-Amz-Date".to_string(), amz_date.clone())];
    if opts.content_sha256_header {
        added.push(("X-Amz-Content-Sha256".into(), req.payload_hash.clone()));
    }
    let token = signer
        .session_token
        .map(|t| ("X-Amz-Security-Token".to_string(), t.to_string()));
    if opts.sign_session_token {
        added.extend(token.clone());
    }
    let mut headers = req.headers.clone();
    headers.extend(added.iter().cloned());
    let signed_headers = signed_header_names(&headers);
    let canonical_query = canonical_query(&req.query);
    let canonical_request =
        canonical_request(req, &canonical_query, &headers, &signed_headers, opts);
    let (string_to_sign, signature) = sign(signer, &amz_date, &scope, &canonical_request);
    if !opts.sign_session_token {
        added.extend(token);
    }
    added.push((
        "Authorization".into(),
        format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
            signer.access_key_id
        ),
    ));
    Signed {
        canonical_request,
        string_to_sign,
        signature,
        query: String::new(),
        headers: added,
    }
}

/// Hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
pub fn amz_date(t: OffsetDateTime) -> String {
    let t = crate::timestamp::utc(t);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// SigV4 URI encoding: everything but `A-Z a-z 0-9 - _ . ~` becomes `%XX` (upper-case hex);
/// `/` is kept when `encode_slash` is false.
pub fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if !encode_slash => out.push('/'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
        }
    }
    out
}

/// Decode `%XX` escapes (and nothing else: `+` stays `+`). Invalid escapes are kept as written.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn scope(signer: &Signer) -> String {
    let date = &amz_date(signer.time)[..8];
    format!("{date}/{}/{}/aws4_request", signer.region, signer.service)
}

fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
        .collect();
    pairs.sort();
    let parts: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.join("&")
}

/// Lower-cased, sorted, de-duplicated header names joined by `;`.
fn signed_header_names(headers: &[(String, String)]) -> String {
    let mut names: Vec<String> = headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names.join(";")
}

fn canonical_request(
    req: &Request,
    canonical_query: &str,
    headers: &[(String, String)],
    signed_headers: &str,
    opts: Options,
) -> String {
    let path = if opts.normalize_path {
        normalize_path(&req.path)
    } else {
        req.path.clone()
    };
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        uri_encode(&path, false)
    };
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let values: Vec<String> = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }
    format!(
        "{}\n{path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{}",
        req.method, req.payload_hash
    )
}

/// Remove empty, `.` and `..` segments (RFC 3986 dot-segment removal, with repeated slashes
/// collapsed as the AWS suite expects). A trailing slash is kept.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    let mut out = String::from("/");
    out.push_str(&segments.join("/"));
    if trailing && !segments.is_empty() {
        out.push('/');
    }
    out
}

fn sign(signer: &Signer, amz_date: &str, scope: &str, canonical_request: &str) -> (String, String) {
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let key = signing_key(
        signer.secret_access_key,
        &amz_date[..8],
        signer.region,
        signer.service,
    );
    let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    (string_to_sign, signature)
}

/// The derived key: HMAC chain over date, region, service and `aws4_request`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_dot_segments_and_slashes() {
        assert_eq!(normalize_path("/example1/example2/../.."), "/");
        assert_eq!(normalize_path("//example//"), "/example/");
        assert_eq!(normalize_path("/./example"), "/example");
        assert_eq!(normalize_path("/a/b/."), "/a/b/");
        assert_eq!(normalize_path(""), "/");
    }

    #[test]
    fn encodes_reserved_bytes_upper_case() {
        assert_eq!(uri_encode("a b/ሴ~", false), "a%20b/%E1%88%B4~");
        assert_eq!(uri_encode("a/b", true), "a%2Fb");
        assert_eq!(percent_decode("%E1%88%B4=%zz"), "ሴ=%zz");
    }

    #[test]
    fn signing_key_matches_the_aws_documentation_example() {
        // From the AWS General Reference "Examples of how to derive a signing key" page.
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }
}
