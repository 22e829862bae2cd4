//! The aws-c-auth SigV4 suite (../shared/conformance/sigv4): every case, query and header signing,
//! compared step by step (canonical request, string to sign, signature) and on the signed request.

mod common;

use eks_token::sigv4::{self, Options, Request, Signer};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

struct Case {
    name: String,
    req: Request,
    body: Vec<u8>,
    ctx: serde_json::Value,
}

/// Parse `request.txt`: request line (split on the last space: paths may hold raw spaces),
/// `Name:value` headers with indented continuation lines, blank line, body.
fn parse_request(text: &str) -> (Request, Vec<u8>) {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let first = lines.next().unwrap();
    let (method, rest) = first.split_once(' ').unwrap();
    let target = &rest[..rest.rfind(' ').unwrap()];
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (sigv4::percent_decode(k), sigv4::percent_decode(v))
        })
        .collect();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = headers.last_mut().unwrap();
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (k, v) = line.split_once(':').unwrap();
            headers.push((k.to_string(), v.to_string()));
        }
    }
    let req = Request {
        method: method.to_string(),
        path: path.to_string(),
        query,
        headers,
        payload_hash: String::new(),
    };
    (req, body.as_bytes().to_vec())
}

fn load(dir: &Path) -> Case {
    let (mut req, body) = parse_request(&fs::read_to_string(dir.join("request.txt")).unwrap());
    let ctx: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("context.json")).unwrap()).unwrap();
    req.payload_hash = if ctx["sign_body"].as_bool().unwrap() {
        sigv4::sha256_hex(&body)
    } else {
        sigv4::EMPTY_SHA256.to_string()
    };
    Case {
        name: dir.file_name().unwrap().to_string_lossy().into_owned(),
        req,
        body,
        ctx,
    }
}

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file)).unwrap()
}

fn with_signer<T>(case: &Case, f: impl FnOnce(&Signer, Options) -> T) -> T {
    let c = &case.ctx["credentials"];
    let time = OffsetDateTime::parse(case.ctx["timestamp"].as_str().unwrap(), &Rfc3339).unwrap();
    let signer = Signer {
        access_key_id: c["access_key_id"].as_str().unwrap(),
        secret_access_key: c["secret_access_key"].as_str().unwrap(),
        session_token: c["token"].as_str(),
        region: case.ctx["region"].as_str().unwrap(),
        service: case.ctx["service"].as_str().unwrap(),
        time,
    };
    let opts = Options {
        normalize_path: case.ctx["normalize"].as_bool().unwrap(),
        sign_session_token: !case.ctx["omit_session_token"].as_bool().unwrap_or(false),
        content_sha256_header: case.ctx["sign_body"].as_bool().unwrap(),
    };
    f(&signer, opts)
}

/// The decoded parameter set of a query (the suite writes some values raw, some encoded).
fn query_set(q: &str) -> BTreeSet<String> {
    q.split('&').map(sigv4::percent_decode).collect()
}

fn cases() -> Vec<Case> {
    let Some(dir) = common::conformance("sigv4") else {
        return Vec::new();
    };
    let mut dirs: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| load(d)).collect()
}

#[test]
fn query_signing_matches_every_case() {
    let cases = cases();
    for case in &cases {
        let dir = common::conformance("sigv4").unwrap().join(&case.name);
        let expires = case.ctx["expiration_in_seconds"].as_u64().unwrap();
        let signed = with_signer(case, |s, o| sigv4::presign(&case.req, s, expires, o));
        let n = &case.name;
        assert_eq!(
            signed.canonical_request,
            read(&dir, "query-canonical-request.txt"),
            "{n}"
        );
        assert_eq!(
            signed.string_to_sign,
            read(&dir, "query-string-to-sign.txt"),
            "{n}"
        );
        assert_eq!(signed.signature, read(&dir, "query-signature.txt"), "{n}");
        // The signed request line: same parameter set (the suite's order is not canonical).
        let line = read(&dir, "query-signed-request.txt");
        let target = line.lines().next().unwrap();
        let target = &target[..target.rfind(' ').unwrap()];
        let want = target.split_once('?').unwrap().1;
        assert_eq!(query_set(&signed.query), query_set(want), "{n}");
    }
    eprintln!(
        "sigv4 query signing: {} of {} cases pass",
        cases.len(),
        cases.len()
    );
    if common::conformance("sigv4").is_some() {
        assert_eq!(cases.len(), 38, "the suite has 38 cases");
    }
}

#[test]
fn header_signing_matches_every_case() {
    let cases = cases();
    for case in &cases {
        let dir = common::conformance("sigv4").unwrap().join(&case.name);
        let signed = with_signer(case, |s, o| sigv4::sign_headers(&case.req, s, o));
        let n = &case.name;
        assert_eq!(
            signed.canonical_request,
            read(&dir, "header-canonical-request.txt"),
            "{n}"
        );
        assert_eq!(
            signed.string_to_sign,
            read(&dir, "header-string-to-sign.txt"),
            "{n}"
        );
        assert_eq!(signed.signature, read(&dir, "header-signature.txt"), "{n}");
        // Every header we add appears, with the same value, in the suite's signed request.
        let want = read(&dir, "header-signed-request.txt");
        let want: BTreeSet<(String, String)> = want
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        for (k, v) in &signed.headers {
            let got = (k.to_ascii_lowercase(), v.clone());
            assert!(
                want.contains(&got),
                "{n}: {k}:{v} not in the signed request"
            );
        }
        let _ = &case.body;
    }
    eprintln!(
        "sigv4 header signing: {} of {} cases pass",
        cases.len(),
        cases.len()
    );
}

/// smithy-rs extras: already-encoded path segments are encoded again (non-S3 double encoding).
#[test]
fn percent_encoded_path_is_encoded_again() {
    let Some(dir) = common::conformance("sigv4-smithy-rs-extras/double-encode-path") else {
        return;
    };
    let (mut req, _) = parse_request(&read(&dir, "request.txt"));
    req.payload_hash = sigv4::EMPTY_SHA256.into();
    let want = read(&dir, "header-canonical-request.txt");
    let want_path = want.lines().nth(1).unwrap();
    let signer = Signer {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token: None,
        region: "us-east-1",
        service: "service",
        time: OffsetDateTime::UNIX_EPOCH,
    };
    let got = sigv4::sign_headers(&req, &signer, Options::default());
    assert_eq!(got.canonical_request.lines().nth(1).unwrap(), want_path);
    assert!(want_path.contains("%25"), "the vector double-encodes");
}
