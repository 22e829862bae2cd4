//! Identical to `aws eks get-token`: awscli mints a token, and eks-token, given the same keys,
//! cluster, endpoint and awscli's own signing time, must produce the same URL: same host and
//! path, same parameters with the same values, same signature. Only the parameter order differs:
//! botocore appends X-Amz-Security-Token after X-Amz-SignedHeaders, we write the sorted
//! canonical order, as aws-iam-authenticator (Go) does. awscli comes from the project's venv
//! (tests/scripts/ci-venv.sh --awscli) or PATH.

mod common;

use eks_token::credentials::Credentials;
use eks_token::token::{self, Target};
use std::path::PathBuf;
use std::process::Command;
use time::PrimitiveDateTime;

fn aws() -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv/bin/aws");
    let found = std::env::var_os("EKS_TOKEN_AWS_CLI")
        .map(PathBuf::from)
        .or_else(|| venv.exists().then_some(venv))
        .or_else(|| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|d| PathBuf::from(d).join("aws"))
                .find(|p| p.exists())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("EKS_TOKEN_REQUIRE_AWSCLI").is_none(),
            "awscli not found"
        );
        common::skip_note("awscli not found (run tests/scripts/ci-venv.sh --awscli)");
    }
    found
}

fn awscli_token(aws: &PathBuf, env: &[(&str, &str)], args: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(aws)
        .args(["eks", "get-token"])
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["status"]["token"].as_str().unwrap().to_string()
}

type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

#[test]
fn same_url_as_aws_eks_get_token() {
    let Some(aws) = aws() else { return };
    let akid = "AKIAIOSFODNN7EXAMPLE";
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let session = "FwoGZXIvYXdzEXAMPLE/session+token==";
    // (region, extra environment, expected STS host)
    let cases: [Case; 4] = [
        ("us-west-2", &[], "sts.us-west-2.amazonaws.com"),
        (
            "eu-central-1",
            &[("AWS_SESSION_TOKEN", session)],
            "sts.eu-central-1.amazonaws.com",
        ),
        ("cn-north-1", &[], "sts.cn-north-1.amazonaws.com.cn"),
        (
            "us-gov-west-1",
            &[("AWS_SESSION_TOKEN", session)],
            "sts.us-gov-west-1.amazonaws.com",
        ),
    ];
    for (region, extra, host) in cases {
        let env = [
            &[
                ("AWS_ACCESS_KEY_ID", akid),
                ("AWS_SECRET_ACCESS_KEY", secret),
            ],
            extra,
        ]
        .concat();
        let theirs = token::decode(&awscli_token(
            &aws,
            &env,
            &["--cluster-name", "parity", "--region", region],
        ))
        .unwrap();
        assert_eq!(theirs.host, host, "{region}");
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let signed_at = PrimitiveDateTime::parse(theirs.param("X-Amz-Date").unwrap(), format)
            .unwrap()
            .assume_utc();
        let mut creds = Credentials::new(akid, secret);
        creds.session_token = extra.first().map(|(_, t)| (*t).into());
        let url = format!("https://{host}");
        let target = Target {
            url: &url,
            host,
            signing_region: region,
        };
        let ours = token::decode(&token::encode(&token::presigned_url(
            "parity", &target, &creds, signed_at,
        )))
        .unwrap();
        let base = |u: &str| u.split_once('?').unwrap().0.to_string();
        assert_eq!(base(&ours.url), base(&theirs.url), "{region}");
        let sorted = |d: &token::Decoded| {
            let mut p = d.params.clone();
            p.sort();
            p
        };
        assert_eq!(
            sorted(&ours),
            sorted(&theirs),
            "{region}: our parameters differ from awscli's"
        );
        assert!(ours.param("X-Amz-Signature").is_some());
    }
}
