//! STS calls against a 127.0.0.1 server serving documented response shapes (testdata/sts) and
//! recorded real ones (shared conformance data): the request on the wire, the parsed answer,
//! the error lines, and that no secret leaks into any of them.

mod common;
mod support;

use std::path::PathBuf;

use eks_token::credentials::Credentials;
use eks_token::env::Env;
use eks_token::secret::Secret;
use eks_token::sts::{
    assume_role, assume_role_with_web_identity, get_caller_identity, AssumeRoleParams,
    CallerIdentity, StsEndpoint, WebIdentityParams,
};
use eks_token::transport::Transport;
use eks_token::Error;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use support::{closed_port, Received, Reply, Server};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2024-01-02 03:04:05 UTC);
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN//+==";
const MFA_CODE: &str = "918273";
const WEB_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl";
const ROLE: &str = "arn:aws:iam::123456789012:role/admin";

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/sts")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn transport() -> Transport {
    Transport::new(&Env::default(), None).unwrap()
}

fn endpoint(server: &Server) -> StsEndpoint {
    StsEndpoint::new(server.url("/"), "us-west-2")
}

fn source_creds(token: bool) -> Credentials {
    let mut c = Credentials::new("AKIDEXAMPLE", SECRET_KEY);
    if token {
        c.session_token = Some(Secret::new(SESSION_TOKEN));
    }
    c.source = "profile 'dev'".into();
    c
}

fn role_params() -> AssumeRoleParams {
    AssumeRoleParams {
        role_arn: ROLE.into(),
        session_name: "eks-token-1704164645".into(),
        external_id: Some("ext/id 42".into()),
        duration_seconds: Some(900),
        mfa: Some((
            "arn:aws:iam::123456789012:mfa/alice".into(),
            Secret::new(MFA_CODE),
        )),
        source_identity: Some("alice".into()),
    }
}

fn web_params() -> WebIdentityParams {
    WebIdentityParams {
        role_arn: ROLE.into(),
        session_name: "pod-session".into(),
        web_identity_token: Secret::new(WEB_TOKEN),
        duration_seconds: None,
    }
}

/// Check a received request's SigV4 `Authorization` header the way STS would: rebuild the
/// canonical request from what arrived on the wire and recompute the signature.
fn verify_signature(got: &Received, secret: &str, region: &str) {
    let auth = got.header("authorization").expect("signed");
    let rest = auth
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .expect(auth);
    let (credential, rest) = rest.split_once(", SignedHeaders=").unwrap();
    let (signed_headers, signature) = rest.split_once(", Signature=").unwrap();
    let scope = credential.split_once('/').unwrap().1;
    let amz_date = got.header("x-amz-date").unwrap();
    let date = &amz_date[..8];
    assert_eq!(scope, format!("{date}/{region}/sts/aws4_request"));
    let mut canonical = format!("{}\n/\n\n", got.method);
    for name in signed_headers.split(';') {
        let value = got
            .header(name)
            .unwrap_or_else(|| panic!("signed header {name} not sent"));
        canonical.push_str(&format!("{name}:{}\n", value.trim()));
    }
    canonical.push_str(&format!(
        "\n{signed_headers}\n{}",
        hex::encode(Sha256::digest(&got.body))
    ));
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let mac = |key: &[u8], data: &str| {
        let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
        m.update(data.as_bytes());
        m.finalize().into_bytes().to_vec()
    };
    let mut key = mac(format!("AWS4{secret}").as_bytes(), date);
    for part in [region, "sts", "aws4_request"] {
        key = mac(&key, part);
    }
    assert_eq!(
        signature,
        hex::encode(mac(&key, &to_sign)),
        "signature does not verify"
    );
}

#[test]
fn assume_role_sends_a_signed_form_post() {
    let server = Server::start(vec![Reply::xml(200, &fixture("assume-role.xml"))]);
    let creds = assume_role(
        &transport(),
        &endpoint(&server),
        &source_creds(true),
        &role_params(),
        NOW,
    )
    .unwrap();

    let got = &server.requests()[0];
    assert_eq!((got.method.as_str(), got.target.as_str()), ("POST", "/"));
    assert_eq!(
        got.header("content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert_eq!(
        got.header("host"),
        Some(format!("127.0.0.1:{}", server.port()).as_str())
    );
    let expected = [
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", ROLE),
        ("RoleSessionName", "eks-token-1704164645"),
        ("ExternalId", "ext/id 42"),
        ("DurationSeconds", "900"),
        ("SerialNumber", "arn:aws:iam::123456789012:mfa/alice"),
        ("TokenCode", MFA_CODE),
        ("SourceIdentity", "alice"),
    ];
    let form = got.form();
    assert_eq!(
        form,
        expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    );
    // Spaces are %20 and reserved characters are escaped, as the SDKs send them.
    assert!(
        got.body_text().contains("&ExternalId=ext%2Fid%2042&"),
        "{}",
        got.body_text()
    );

    let auth = got.header("authorization").unwrap();
    assert!(
        auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-west-2/sts/aws4_request, "
        ),
        "{auth}"
    );
    assert!(
        auth.contains(
            ", SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature="
        ),
        "{auth}"
    );
    assert_eq!(got.header("x-amz-date"), Some("20240102T030405Z"));
    assert_eq!(got.header("x-amz-security-token"), Some(SESSION_TOKEN));
    verify_signature(got, SECRET_KEY, "us-west-2");

    // The AWS documentation's example answer.
    assert_eq!(creds.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(
        creds.secret_access_key.expose(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    );
    let token = creds.session_token.as_ref().unwrap().expose();
    assert!(
        token.starts_with("AQoDYXdzEPT//////////wEXAMPLEtc764"),
        "{token}"
    );
    assert!(token.ends_with("ICCR/oLxBA=="), "{token}");
    assert!(!token.contains(char::is_whitespace));
    assert_eq!(creds.expiry, Some(datetime!(2019-11-09 13:34:41 UTC)));
    assert!(
        creds
            .source
            .contains("arn:aws:sts::123456789012:assumed-role/demo/TestAR"),
        "{}",
        creds.source
    );
}

#[test]
fn assume_role_minimal_form_matches_the_rust_sdk() {
    // The body smithy-rs's AssumeRole provider sent, as recorded in its e2e_assume_role test.
    let server = Server::start(vec![Reply::xml(200, &fixture("assume-role.xml"))]);
    let params = AssumeRoleParams {
        role_arn: "arn:aws:iam::123456789:role/integration-test".into(),
        session_name: "assume-role-provider-session".into(),
        ..AssumeRoleParams::default()
    };
    assume_role(
        &transport(),
        &endpoint(&server),
        &source_creds(false),
        &params,
        NOW,
    )
    .unwrap();
    let got = &server.requests()[0];
    assert_eq!(
        got.body_text(),
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789%3Arole%2Fintegration-test&RoleSessionName=assume-role-provider-session"
    );
    let auth = got.header("authorization").unwrap();
    assert!(
        auth.contains("SignedHeaders=content-type;host;x-amz-date, "),
        "{auth}"
    );
    assert_eq!(got.header("x-amz-security-token"), None);
    verify_signature(got, SECRET_KEY, "us-west-2");
}

#[test]
fn web_identity_is_an_unsigned_form_post() {
    let server = Server::start(vec![Reply::xml(
        200,
        &fixture("assume-role-with-web-identity.xml"),
    )]);
    let creds =
        assume_role_with_web_identity(&transport(), &endpoint(&server), &web_params()).unwrap();
    let got = &server.requests()[0];
    assert_eq!(got.method, "POST");
    assert_eq!(got.header("authorization"), None);
    assert_eq!(got.header("x-amz-date"), None);
    assert_eq!(
        got.header("content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    assert_eq!(
        got.form_field("Action").as_deref(),
        Some("AssumeRoleWithWebIdentity")
    );
    assert_eq!(got.form_field("Version").as_deref(), Some("2011-06-15"));
    assert_eq!(got.form_field("RoleArn").as_deref(), Some(ROLE));
    assert_eq!(
        got.form_field("RoleSessionName").as_deref(),
        Some("pod-session")
    );
    assert_eq!(
        got.form_field("WebIdentityToken").as_deref(),
        Some(WEB_TOKEN)
    );
    assert_eq!(got.form_field("DurationSeconds"), None);

    assert_eq!(creds.access_key_id, "ASgeIAIOSFODNN7EXAMPLE");
    assert_eq!(
        creds.secret_access_key.expose(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    );
    assert_eq!(
        creds.session_token.as_ref().map(Secret::expose),
        Some("AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE")
    );
    assert_eq!(creds.expiry, Some(datetime!(2014-10-24 23:00:23 UTC)));
}

#[test]
fn get_caller_identity_reads_the_three_fields() {
    let server = Server::start(vec![Reply::xml(200, &fixture("get-caller-identity.xml"))]);
    let id =
        get_caller_identity(&transport(), &endpoint(&server), &source_creds(true), NOW).unwrap();
    assert_eq!(
        id,
        CallerIdentity {
            arn: "arn:aws:sts::123456789012:assumed-role/my-role-name/my-role-session-name".into(),
            account: "123456789012".into(),
            user_id: "ARO123EXAMPLE123:my-role-session-name".into(),
        }
    );
    let got = &server.requests()[0];
    assert_eq!(
        got.body_text(),
        "Action=GetCallerIdentity&Version=2011-06-15"
    );
    verify_signature(got, SECRET_KEY, "us-west-2");
}

#[test]
fn a_path_and_port_in_the_endpoint_are_signed_as_sent() {
    let server = Server::start(vec![Reply::xml(200, &fixture("get-caller-identity.xml"))]);
    let ep = StsEndpoint::new(server.url("/sts/"), "eu-central-1");
    get_caller_identity(&transport(), &ep, &source_creds(false), NOW).unwrap();
    let got = &server.requests()[0];
    assert_eq!(got.target, "/sts/");
    // verify_signature assumes path "/": check the scope and that the host carries the port.
    assert!(got
        .header("authorization")
        .unwrap()
        .contains("/eu-central-1/sts/aws4_request"));
    assert_eq!(
        got.header("host"),
        Some(format!("127.0.0.1:{}", server.port()).as_str())
    );
}

fn credentials_error(e: Error) -> (String, String) {
    match e {
        Error::Credentials { source, why } => (source, why),
        other => panic!("expected a Credentials error, got {other:?}"),
    }
}

#[test]
fn access_denied_is_one_clear_line() {
    let server = Server::start(vec![Reply::xml(403, &fixture("error-access-denied.xml"))]);
    let err = assume_role(
        &transport(),
        &endpoint(&server),
        &source_creds(true),
        &role_params(),
        NOW,
    )
    .unwrap_err();
    let (source, why) = credentials_error(err);
    assert_eq!(source, format!("sts AssumeRole (role {ROLE})"));
    assert_eq!(
        why,
        "AccessDenied: User: arn:aws:iam::123456789012:user/alice is not authorized to perform: \
         sts:AssumeRole on resource: arn:aws:iam::123456789012:role/admin"
    );
    assert_eq!(server.count(), 1, "a 403 is not retried");
}

#[test]
fn expired_or_invalid_source_credentials_get_a_hint() {
    for file in [
        "error-expired-token.xml",
        "error-invalid-client-token-id.xml",
    ] {
        let server = Server::start(vec![Reply::xml(403, &fixture(file))]);
        let err = get_caller_identity(&transport(), &endpoint(&server), &source_creds(true), NOW)
            .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("sts GetCallerIdentity: "), "{text}");
        assert!(
            text.ends_with("(the source credentials (from profile 'dev') are expired or invalid; refresh them)"),
            "{text}"
        );
    }
}

#[test]
fn entities_in_messages_are_decoded() {
    let server = Server::start(vec![Reply::xml(400, &fixture("error-validation.xml"))]);
    let err =
        assume_role_with_web_identity(&transport(), &endpoint(&server), &web_params()).unwrap_err();
    let (_, why) = credentials_error(err);
    assert!(
        why.starts_with(
            "ValidationError: 1 validation error detected: Value 'bad name!' at 'roleSessionName'"
        ),
        "{why}"
    );
}

#[test]
fn throttling_is_retried() {
    let server = Server::start(vec![
        Reply::xml(400, &fixture("error-throttling.xml")),
        Reply::xml(200, &fixture("get-caller-identity.xml")),
    ]);
    let id =
        get_caller_identity(&transport(), &endpoint(&server), &source_creds(false), NOW).unwrap();
    assert_eq!(id.account, "123456789012");
    assert_eq!(server.count(), 2);
}

#[test]
fn non_xml_errors_show_status_and_a_snippet() {
    let page = format!(
        "<html><body>Gateway says no {}</body></html>",
        "x".repeat(400)
    );
    let server = Server::start(vec![Reply::text(400, &page)]);
    let err = get_caller_identity(&transport(), &endpoint(&server), &source_creds(false), NOW)
        .unwrap_err();
    let (_, why) = credentials_error(err);
    assert!(
        why.starts_with("HTTP 400: <html><body>Gateway says no xxx"),
        "{why}"
    );
    assert!(why.len() < 220, "{why}");
}

#[test]
fn an_unreachable_endpoint_names_the_call() {
    let ep = StsEndpoint::new(format!("http://127.0.0.1:{}/", closed_port()), "us-east-1");
    let err = assume_role_with_web_identity(&transport(), &ep, &web_params()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "sts AssumeRoleWithWebIdentity (role {ROLE}): POST http://127.0.0.1:"
        )),
        "{text}"
    );
    assert!(text.contains("connection refused"), "{text}");
}

#[test]
fn a_success_without_credentials_is_an_error_that_quotes_nothing() {
    let body = format!("<AssumeRoleResponse><Credentials><AccessKeyId>ASIA</AccessKeyId>\
                        <SecretAccessKey>{SECRET_KEY}</SecretAccessKey></Credentials></AssumeRoleResponse>");
    let server = Server::start(vec![Reply::xml(200, &body)]);
    let err = assume_role(
        &transport(),
        &endpoint(&server),
        &source_creds(false),
        &role_params(),
        NOW,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("has no <Credentials><SessionToken>"),
        "{text}"
    );
    assert!(!text.contains(SECRET_KEY), "{text}");
}

#[test]
fn a_bad_endpoint_url_is_invalid_config() {
    let ep = StsEndpoint::new("sts.amazonaws.com", "us-east-1");
    let err = get_caller_identity(&transport(), &ep, &source_creds(false), NOW).unwrap_err();
    assert_eq!(
        err.to_string(),
        "STS endpoint: 'sts.amazonaws.com' is not an http:// or https:// URL"
    );
}

#[test]
fn no_secret_reaches_errors_or_debug() {
    // A broken proxy or gateway that echoes the request back in its error page.
    let echo = || {
        Server::with_handler(|req, _| {
            let mut page = format!("<html>{} ", req.body_text());
            for (k, v) in &req.headers {
                page.push_str(&format!("{k}={v} "));
            }
            Reply::text(400, &page)
        })
    };
    let secrets = [SECRET_KEY, SESSION_TOKEN, MFA_CODE, WEB_TOKEN];
    let check = |text: String| {
        for s in secrets {
            assert!(!text.contains(s), "secret leaked: {text}");
        }
    };

    let server = echo();
    let err = assume_role(
        &transport(),
        &endpoint(&server),
        &source_creds(true),
        &role_params(),
        NOW,
    )
    .unwrap_err();
    check(err.to_string());
    check(format!("{err:?}"));

    let server = echo();
    let err =
        assume_role_with_web_identity(&transport(), &endpoint(&server), &web_params()).unwrap_err();
    check(err.to_string());
    check(format!("{err:?}"));

    // Even the access key id does not get quoted back in a parse error.
    let server = Server::start(vec![Reply::xml(
        403,
        &format!("<ErrorResponse><Error><Code>X</Code><Message>{SESSION_TOKEN}</Message></Error></ErrorResponse>"),
    )]);
    let err = get_caller_identity(&transport(), &endpoint(&server), &source_creds(true), NOW)
        .unwrap_err();
    check(err.to_string());

    check(format!(
        "{:?} {:?} {:?}",
        role_params(),
        web_params(),
        source_creds(true)
    ));
    let server = Server::start(vec![Reply::xml(200, &fixture("assume-role.xml"))]);
    let creds = assume_role(
        &transport(),
        &endpoint(&server),
        &source_creds(true),
        &role_params(),
        NOW,
    )
    .unwrap();
    let debug = format!("{creds:?}");
    assert!(!debug.contains("wJalrXUtnFEMI"), "{debug}");
    assert!(!debug.contains("AQoDYXdzEPT"), "{debug}");
}

mod recorded {
    //! Real STS answers recorded by smithy-rs (shared conformance data, not copied here).
    use super::*;
    use serde_json::Value;

    fn traffic(case: &str) -> Option<Value> {
        let path = common::conformance("provider-chain/smithy-rs/test-data")?
            .join(case)
            .join("http-traffic.json");
        Some(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
    }

    /// (status, body) of the first recorded response.
    fn first_response(t: &Value) -> (u16, String) {
        let events = t["events"].as_array().unwrap();
        let status = events
            .iter()
            .find_map(|e| e["action"]["Response"]["response"]["Ok"]["status"].as_u64())
            .unwrap() as u16;
        let body = events
            .iter()
            .find_map(|e| {
                let d = &e["action"]["Data"];
                (d["direction"] == "Response")
                    .then(|| d["data"]["Utf8"].as_str().unwrap().to_string())
            })
            .unwrap();
        (status, body)
    }

    #[test]
    fn assume_role_answer() {
        let Some(t) = traffic("profile-provider/e2e_assume_role") else {
            return;
        };
        let (status, body) = first_response(&t);
        let server = Server::start(vec![Reply::xml(status, &body)]);
        let params = AssumeRoleParams {
            role_arn: "arn:aws:iam::123456789:role/integration-test".into(),
            session_name: "assume-role-provider-session".into(),
            ..AssumeRoleParams::default()
        };
        let creds = assume_role(
            &transport(),
            &endpoint(&server),
            &source_creds(false),
            &params,
            NOW,
        )
        .unwrap();
        assert_eq!(creds.access_key_id, "ASIARTESTID");
        assert_eq!(creds.secret_access_key.expose(), "TESTSECRETKEY");
        assert_eq!(
            creds.session_token.as_ref().map(Secret::expose),
            Some("TESTSESSIONTOKEN")
        );
        assert_eq!(creds.expiry, Some(datetime!(2021-08-05 19:58:02 UTC)));
        // And the request body we sent is the one the Rust SDK sent.
        let recorded = t["events"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|e| {
                let d = &e["action"]["Data"];
                (d["direction"] == "Request")
                    .then(|| d["data"]["Utf8"].as_str().unwrap().to_string())
            })
            .unwrap();
        assert_eq!(server.requests()[0].body_text(), recorded);
    }

    #[test]
    fn web_identity_rejection() {
        let Some(t) = traffic("default-credential-provider-chain/web_identity_token_invalid_jwt")
        else {
            return;
        };
        let (status, body) = first_response(&t);
        assert_eq!(status, 400);
        let server = Server::start(vec![Reply::xml(status, &body)]);
        let err = assume_role_with_web_identity(&transport(), &endpoint(&server), &web_params())
            .unwrap_err();
        let (_, why) = credentials_error(err);
        assert!(
            why.starts_with("InvalidIdentityToken: No OpenIDConnect provider found in your account for https://"),
            "{why}"
        );
        assert_eq!(server.count(), 1);
    }

    #[test]
    fn a_503_is_retried_then_succeeds() {
        let Some(t) = traffic("profile-provider/retry_on_error") else {
            return;
        };
        let events = t["events"].as_array().unwrap();
        let statuses: Vec<u64> = events
            .iter()
            .filter_map(|e| e["action"]["Response"]["response"]["Ok"]["status"].as_u64())
            .collect();
        assert_eq!(statuses, [503, 200]);
        let (_, _) = first_response(&t);
        let ok_body = events
            .iter()
            .filter_map(|e| {
                let d = &e["action"]["Data"];
                (d["direction"] == "Response")
                    .then(|| d["data"]["Utf8"].as_str().unwrap().to_string())
            })
            .find(|b| b.contains("AssumeRoleResponse"))
            .unwrap();
        let server = Server::start(vec![Reply::xml(503, ""), Reply::xml(200, &ok_body)]);
        let params = AssumeRoleParams {
            role_arn: "arn:aws:iam::123456789:role/integration-test".into(),
            session_name: "assume-role-provider-session".into(),
            ..AssumeRoleParams::default()
        };
        let creds = assume_role(
            &transport(),
            &endpoint(&server),
            &source_creds(false),
            &params,
            NOW,
        )
        .unwrap();
        assert_eq!(creds.access_key_id, "ASIARTESTID");
        assert_eq!(server.count(), 2);
    }
}
