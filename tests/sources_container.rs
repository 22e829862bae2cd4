//! Container credentials (ECS / EKS Pod Identity): the smithy-rs URI conformance table, the
//! smithy-rs recorded ECS/EKS exchanges, and real HTTP against a 127.0.0.1 server.

mod common;
#[path = "support/sources_server.rs"]
mod support;

use std::time::{Duration, Instant};

use common::conformance;
use eks_token::credentials::container::{self, Authorization, ContainerConfig};
use eks_token::env::{Env, Fs, RealFs, RootedFs};
use serde_json::Value;
use support::{Replay, Reply, Server, TcpHttp};
use time::macros::datetime;
use time::OffsetDateTime;

const NOW: OffsetDateTime = datetime!(2024-01-01 00:00 UTC);
const BODY: &str = r#"{"AccessKeyId":"ASIALOCAL","SecretAccessKey":"localSECRET","Token":"localTOKEN",
    "Expiration":"2024-01-01T06:00:00Z","AccountId":"111122223333"}"#;

#[test]
fn smithy_rs_ecs_uri_table() {
    let Some(path) = conformance("provider-chain/smithy-rs/test-data/ecs-tests.json") else {
        return;
    };
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let tests = v["tests"].as_array().unwrap();
    let mut passed = 0;
    for t in tests {
        let docs = t["docs"].as_str().unwrap();
        let env = Env::from_pairs(
            t["env"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())),
        );
        let got = container::endpoint_from_env(&env);
        if let Some(want) = t["result"].get("Ok") {
            assert_eq!(got.unwrap().as_deref(), want.as_str(), "{docs}");
        } else {
            let want = t["result"]["ErrorContains"].as_str().unwrap();
            match got {
                // smithy-rs reports "not configured" as an error; for us it is Ok(None).
                Ok(None) => assert!(want.contains("No environment variables"), "{docs}"),
                Ok(Some(u)) => panic!("{docs}: expected an error ({want}), got {u}"),
                Err(e) => assert!(
                    e.to_string().contains("does not specify a host"),
                    "{docs}: {e}"
                ),
            }
        }
        passed += 1;
    }
    assert_eq!(passed, 11);
    eprintln!("ecs-tests.json: {passed}/{} passed", tests.len());
}

/// smithy-rs `default-credential-provider-chain` fixtures for this source, replayed.
#[test]
fn smithy_rs_recorded_ecs_and_eks_exchanges() {
    let Some(root) =
        conformance("provider-chain/smithy-rs/test-data/default-credential-provider-chain")
    else {
        return;
    };
    let cases = [
        "ecs_credentials",
        "eks_pod_identity_credentials",
        "eks_pod_identity_no_token_file",
    ];
    for case in cases {
        let dir = root.join(case);
        let read = |f: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
        };
        let env_json = read("env.json");
        let env = Env::from_pairs(
            env_json
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())),
        );
        let replay = Replay::from_file(&dir.join("http-traffic.json"));
        let fs = RootedFs(dir.join("fs"));
        let token_file = fs
            .read_to_string(std::path::Path::new("/token.jwt"))
            .unwrap();
        let mut config = ContainerConfig::from_env(&env).unwrap().unwrap();
        config.retry_delay = Duration::ZERO;
        let got = container::fetch(&config, &fs, &replay);
        let result = &read("test-case.json")["result"];
        if let Some(want) = result.get("Ok") {
            let got = got.unwrap_or_else(|e| panic!("{case}: {e}"));
            let c = &got.credentials;
            assert_eq!(
                c.access_key_id,
                want["access_key_id"].as_str().unwrap(),
                "{case}"
            );
            assert_eq!(
                c.secret_access_key.expose(),
                want["secret_access_key"].as_str().unwrap()
            );
            assert_eq!(
                c.session_token.as_ref().map(|t| t.expose()),
                want["session_token"].as_str()
            );
            assert_eq!(
                c.expiry.unwrap().unix_timestamp(),
                want["expiry"].as_i64().unwrap()
            );
            assert_eq!(got.account_id.as_deref(), want["account_id"].as_str());
            // Through `resolve` with a clock before the recorded expiry.
            let resolved = container::resolve(
                &config,
                &fs,
                &Replay::from_file(&dir.join("http-traffic.json")),
                datetime!(2009-01-01 00:00 UTC),
            )
            .unwrap();
            assert_eq!(resolved.access_key_id, c.access_key_id);
        } else {
            let err = got.expect_err(case).to_string();
            assert!(
                err.contains("/token.jwt") && err.contains("not found"),
                "{case}: {err}"
            );
        }
        assert!(
            replay.problems.lock().unwrap().is_empty(),
            "{case}: {:?}",
            replay.problems
        );
        // The recording leaves the header out; check that the token file's text was sent.
        if let Some(token) = token_file {
            let seen = replay.seen_header("authorization");
            assert_eq!(seen, [Some(token)], "{case}");
        }
        if result.get("Ok").is_some() {
            assert!(replay.unused().is_empty(), "{case}: {:?}", replay.unused());
        }
    }
    eprintln!("recorded ECS/EKS fixtures: {} replayed", cases.len());
}

#[test]
fn eks_style_full_uri_with_a_token_file_over_real_http() {
    let server = Server::start(|req| {
        if req.header("authorization") == Some("pod-identity-jwt") {
            Reply::Send(200, BODY.to_string())
        } else {
            Reply::Send(
                401,
                r#"{"code":"Unauthorized","message":"bad token"}"#.to_string(),
            )
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "pod-identity-jwt").unwrap();
    let env = Env::from_pairs([
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/v1/credentials", server.base()),
        ),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            token.display().to_string(),
        ),
    ]);
    let c = container::resolve_from_env(&env, &RealFs, &TcpHttp, NOW)
        .unwrap()
        .unwrap();
    assert_eq!(c.access_key_id, "ASIALOCAL");
    assert_eq!(c.secret_access_key.expose(), "localSECRET");
    assert_eq!(c.session_token.unwrap().expose(), "localTOKEN");
    assert_eq!(c.expiry, Some(datetime!(2024-01-01 06:00 UTC)));
    let seen = server.seen();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("GET", "/v1/credentials")
    );
    assert_eq!(seen[0].header("accept"), Some("application/json"));

    // The file is read again on the next call: a rotated token is picked up.
    std::fs::write(&token, "rotated").unwrap();
    let err = container::resolve_from_env(&env, &RealFs, &TcpHttp, NOW)
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 401: Unauthorized: bad token"), "{err}");
    assert!(!err.contains("rotated"), "{err}");
}

fn local_config(server: &Server, path: &str) -> ContainerConfig {
    ContainerConfig {
        url: format!("{}{path}", server.base()),
        authorization: Authorization::None,
        timeout: Duration::from_millis(300),
        attempts: 3,
        retry_delay: Duration::from_millis(10),
    }
}

#[test]
fn server_errors_are_retried() {
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let server =
        Server::start(
            move |_| match calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                0 => Reply::Send(500, "oops".into()),
                1 => Reply::Send(503, "".into()),
                _ => Reply::Send(200, BODY.into()),
            },
        );
    let c = container::resolve(&local_config(&server, "/c"), &RealFs, &TcpHttp, NOW).unwrap();
    assert_eq!(c.access_key_id, "ASIALOCAL");
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn a_silent_endpoint_costs_attempts_times_timeout() {
    let server = Server::start(|_| Reply::Hang(Duration::from_secs(3)));
    let config = local_config(&server, "/c");
    let started = Instant::now();
    let err = container::resolve(&config, &RealFs, &TcpHttp, NOW)
        .unwrap_err()
        .to_string();
    let took = started.elapsed();
    assert!(err.contains("no response after 3 attempts"), "{err}");
    assert!(took >= Duration::from_millis(900), "{took:?}");
    assert!(took < Duration::from_millis(2000), "{took:?}");
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn a_refused_connection_is_an_error_naming_the_endpoint() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = Env::from_pairs([(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        format!("http://127.0.0.1:{port}/creds"),
    )]);
    let mut config = ContainerConfig::from_env(&env).unwrap().unwrap();
    config.retry_delay = Duration::from_millis(1);
    let err = container::resolve(&config, &RealFs, &TcpHttp, NOW)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "container credentials endpoint http://127.0.0.1:{port}/creds: no response"
        )),
        "{err}"
    );
}
