//! The binary end to end: a clean environment, HOME in a temp folder, and what kubectl would
//! see on stdout, stderr and the exit code.

mod support;

use eks_token::credentials::Credentials;
use eks_token::token;
use std::path::Path;
use std::process::{Command, Output};
use time::OffsetDateTime;

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

struct Run {
    out: Output,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8(self.out.stdout.clone()).unwrap()
    }
    fn stderr(&self) -> String {
        String::from_utf8(self.out.stderr.clone()).unwrap()
    }
    fn code(&self) -> i32 {
        self.out.status.code().unwrap()
    }
    fn json(&self) -> serde_json::Value {
        assert_eq!(self.code(), 0, "stderr: {}", self.stderr());
        serde_json::from_str(&self.stdout())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout()))
    }
    fn token(&self) -> String {
        self.json()["status"]["token"].as_str().unwrap().to_string()
    }
    /// A failure: the given exit code, nothing on stdout, one line on stderr, no secret.
    fn failed(&self, code: i32) -> String {
        assert_eq!(
            self.code(),
            code,
            "stdout: {} stderr: {}",
            self.stdout(),
            self.stderr()
        );
        assert_eq!(self.stdout(), "", "stdout must be empty on failure");
        let err = self.stderr();
        assert_eq!(
            err.lines().filter(|l| !l.contains("warning:")).count(),
            1,
            "one line: {err}"
        );
        assert_no_secret(&err);
        err
    }
}

fn assert_no_secret(text: &str) {
    for s in [SECRET, TOKEN, "s3cr3t-in-file", "tok-in-file"] {
        assert!(!text.contains(s), "a secret leaked: {text}");
    }
}

fn run(home: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_eks-token"))
        .args(args)
        .env_clear()
        .env("HOME", home)
        // Never ask this machine's metadata address: tests stay off the network.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    Run { out }
}

fn home_with(config: &str, credentials: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".aws")).unwrap();
    std::fs::write(home.path().join(".aws/config"), config).unwrap();
    std::fs::write(home.path().join(".aws/credentials"), credentials).unwrap();
    home
}

const ENV_KEYS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", AKID),
    ("AWS_SECRET_ACCESS_KEY", SECRET),
];

fn verify(token: &str, cluster: &str, akid: &str, secret: &str) -> token::Decoded {
    verify_with(token, cluster, Credentials::new(akid, secret))
}

fn verify_with(token: &str, cluster: &str, creds: Credentials) -> token::Decoded {
    token::verify(token, cluster, Some(&creds), OffsetDateTime::now_utc()).unwrap()
}

#[test]
fn env_keys_mint_a_verifiable_exec_credential() {
    let home = tempfile::tempdir().unwrap();
    let r = run(
        home.path(),
        ENV_KEYS,
        &["--cluster-name", "demo", "--region", "us-west-2"],
    );
    let v = r.json();
    assert_eq!(r.stderr(), "", "nothing on stderr when all is well");
    assert_eq!(v["kind"], "ExecCredential");
    assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1beta1");
    let exp = v["status"]["expirationTimestamp"].as_str().unwrap();
    assert!(exp.len() == 20 && exp.ends_with('Z'), "{exp}");
    let d = verify(&r.token(), "demo", AKID, SECRET);
    assert_eq!(d.host, "sts.us-west-2.amazonaws.com");
    assert_eq!(d.param("X-Amz-Security-Token"), None);
}

#[test]
fn token_only_prints_just_the_token() {
    let home = tempfile::tempdir().unwrap();
    let mut env = ENV_KEYS.to_vec();
    env.push(("AWS_SESSION_TOKEN", TOKEN));
    let r = run(
        home.path(),
        &env,
        &["-c", "demo", "--region", "eu-west-1", "--token-only"],
    );
    assert_eq!(r.code(), 0);
    let out = r.stdout();
    assert!(out.starts_with("k8s-aws-v1.") && out.lines().count() == 1);
    let mut creds = Credentials::new(AKID, SECRET);
    creds.session_token = Some(TOKEN.into());
    let d = verify_with(out.trim(), "demo", creds);
    assert_eq!(d.param("X-Amz-Security-Token"), Some(TOKEN));
}

#[test]
fn the_three_command_line_shapes_agree() {
    let home = tempfile::tempdir().unwrap();
    let mut env = ENV_KEYS.to_vec();
    env.push(("AWS_REGION", "ap-southeast-2"));
    for args in [
        &["-c", "prod"][..],
        &["token", "-i", "prod"][..],
        &[
            "eks",
            "get-token",
            "--cluster-name",
            "prod",
            "--output",
            "json",
        ][..],
        &[
            "--region",
            "ap-southeast-2",
            "eks",
            "get-token",
            "--cluster-name",
            "prod",
        ][..],
    ] {
        let r = run(home.path(), &env, args);
        let d = verify(&r.token(), "prod", AKID, SECRET);
        assert_eq!(d.host, "sts.ap-southeast-2.amazonaws.com", "{args:?}");
    }
    let env2 = [
        ENV_KEYS,
        &[("KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID", "from-env")],
    ]
    .concat();
    verify(
        &run(home.path(), &env2, &["token"]).token(),
        "from-env",
        AKID,
        SECRET,
    );
}

/// One kubeconfig user entry, many clusters: each cluster's exec extension names its cluster,
/// region and profile, and the profile's keys sign the token.
#[test]
fn one_user_entry_serves_clusters_in_different_regions_and_profiles() {
    let home = home_with(
        "[profile dev]\nregion = us-east-2\n[profile prod]\nregion = eu-central-1\n",
        "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = devsecret\n\
         [prod]\naws_access_key_id = AKIAPROD\naws_secret_access_key = prodsecret\n",
    );
    let exec = |config: &str, server: &str| {
        format!(
            r#"{{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{{"interactive":false,
            "cluster":{{"server":"{server}","config":{config}}}}}}}"#
        )
    };
    // Environment keys are ignored once the cluster names its profile.
    let prod = exec(
        r#"{"clusterName":"prod-eu","profile":"prod"}"#,
        "https://AB12.gr7.eu-central-1.eks.amazonaws.com",
    );
    let env = [ENV_KEYS, &[("KUBERNETES_EXEC_INFO", prod.as_str())]].concat();
    let r = run(home.path(), &env, &[]);
    assert_eq!(r.json()["apiVersion"], "client.authentication.k8s.io/v1");
    let d = verify(&r.token(), "prod-eu", "AKIAPROD", "prodsecret");
    assert_eq!(d.host, "sts.eu-central-1.amazonaws.com");
    // Region from the cluster config beats the profile's; the server URL's beats the profile's.
    let dev = exec(
        r#"{"clusterName":"dev-1","profile":"dev","region":"ap-northeast-1"}"#,
        "https://x.example.com",
    );
    let d = verify(
        &run(home.path(), &[("KUBERNETES_EXEC_INFO", dev.as_str())], &[]).token(),
        "dev-1",
        "AKIADEV",
        "devsecret",
    );
    assert_eq!(d.host, "sts.ap-northeast-1.amazonaws.com");
    let dev2 = exec(
        r#"{"clusterName":"dev-2","profile":"dev"}"#,
        "https://CD34.yl4.us-west-1.eks.amazonaws.com",
    );
    let d = verify(
        &run(home.path(), &[("KUBERNETES_EXEC_INFO", dev2.as_str())], &[]).token(),
        "dev-2",
        "AKIADEV",
        "devsecret",
    );
    assert_eq!(d.host, "sts.us-west-1.amazonaws.com");
    // A flag beats the cluster config.
    let r = run(
        home.path(),
        &[("KUBERNETES_EXEC_INFO", dev2.as_str())],
        &["-c", "other", "--profile", "prod"],
    );
    verify(&r.token(), "other", "AKIAPROD", "prodsecret");
}

#[test]
fn exec_info_versions_and_warnings() {
    let home = tempfile::tempdir().unwrap();
    let with = |info: &str| {
        run(
            home.path(),
            &[ENV_KEYS, &[("KUBERNETES_EXEC_INFO", info)]].concat(),
            &["-c", "c", "--region", "us-east-1"],
        )
    };
    let r = with(r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#);
    assert_eq!(
        r.json()["apiVersion"],
        "client.authentication.k8s.io/v1alpha1"
    );
    assert!(r.stderr().contains("deprecated"));
    let r = with("{not json");
    assert_eq!(
        r.json()["apiVersion"],
        "client.authentication.k8s.io/v1beta1"
    );
    assert!(r
        .stderr()
        .contains("KUBERNETES_EXEC_INFO is not valid JSON"));
    // Malformed and needed: the error says so.
    let r = run(
        home.path(),
        &[ENV_KEYS, &[("KUBERNETES_EXEC_INFO", "{not json")]].concat(),
        &[],
    );
    let err = r.failed(2);
    assert!(
        err.contains("KUBERNETES_EXEC_INFO was set but is not valid JSON"),
        "{err}"
    );
}

#[test]
fn no_region_uses_the_global_endpoint_with_a_note() {
    let home = tempfile::tempdir().unwrap();
    let r = run(home.path(), ENV_KEYS, &["-c", "c"]);
    let d = verify(&r.token(), "c", AKID, SECRET);
    assert_eq!(d.host, "sts.amazonaws.com");
    assert!(d
        .param("X-Amz-Credential")
        .unwrap()
        .contains("/us-east-1/sts/"));
    assert!(r.stderr().contains("global STS endpoint"));
}

#[test]
fn bad_input_fails_cleanly() {
    let home = home_with(
        "[profile broken]\nregion = us-east-1\n",
        "[half]\naws_secret_access_key = s3cr3t-in-file\naws_session_token = tok-in-file\n",
    );
    let h = home.path();
    // No credentials: say where we looked.
    let err = run(h, &[], &["-c", "c", "--region", "us-east-1"]).failed(1);
    assert!(
        err.contains("no AWS credentials") && err.contains("environment"),
        "{err}"
    );
    // Unknown profile: named.
    let err = run(h, &[], &["-c", "c", "--profile", "nope"]).failed(1);
    assert!(err.contains("'nope'") && err.contains("not found"), "{err}");
    let err = run(h, &[("AWS_PROFILE", "ghost")], &["-c", "c"]).failed(1);
    assert!(
        err.contains("'ghost'") && err.contains("AWS_PROFILE"),
        "{err}"
    );
    // Half a key pair: the missing key named, with the file and line of the other.
    let err = run(h, &[], &["-c", "c", "--profile", "half"]).failed(1);
    assert!(
        err.contains("no aws_access_key_id") && err.contains("credentials:2"),
        "{err}"
    );
    let err = run(h, &[("AWS_ACCESS_KEY_ID", AKID)], &["-c", "c"]).failed(1);
    assert!(err.contains("AWS_SECRET_ACCESS_KEY"), "{err}");
    // No cluster: usage.
    let err = run(h, ENV_KEYS, &[]).failed(2);
    assert!(err.contains("--cluster-name"), "{err}");
    // Implausible values never reach a header.
    let err = run(h, ENV_KEYS, &["-c", "bad\u{7}name"]).failed(2);
    assert!(err.contains("cluster name"), "{err}");
    let err = run(h, ENV_KEYS, &["-c", "c", "--region", "us east"]).failed(2);
    assert!(err.contains("--region"), "{err}");
    let err = run(
        h,
        &[ENV_KEYS, &[("AWS_REGION", "../x")]].concat(),
        &["-c", "c"],
    )
    .failed(1);
    assert!(err.contains("AWS_REGION"), "{err}");
    let err = run(
        h,
        ENV_KEYS,
        &[
            "-c",
            "c",
            "-r",
            "arn:aws:iam::1:role/r",
            "--session-name",
            "a b",
        ],
    )
    .failed(2);
    assert!(err.contains("session name"), "{err}");
    // Usage errors exit 2 with a hint.
    let err = run(h, ENV_KEYS, &["--bogus"]).failed(2);
    assert!(err.contains("--help"), "{err}");
}

#[test]
fn malformed_config_names_file_and_line() {
    let home = home_with("[profile ok]\nregion = us-east-1\n[profile bad\n", "");
    let err = run(home.path(), ENV_KEYS, &["-c", "c"]).failed(1);
    assert!(err.contains(".aws/config:3"), "{err}");
}

#[test]
fn debug_explains_without_secrets() {
    let home = home_with("", "[p]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s3cr3t-in-file\naws_session_token = tok-in-file\n");
    let r = run(
        home.path(),
        &[ENV_KEYS, &[("AWS_SESSION_TOKEN", TOKEN)]].concat(),
        &["-c", "c", "--region", "us-east-1", "--debug"],
    );
    assert_eq!(r.code(), 0);
    let err = r.stderr();
    assert!(
        err.contains("debug:") && err.contains(AKID) && err.contains("sts.us-east-1.amazonaws.com"),
        "{err}"
    );
    assert_no_secret(&err);
    let r = run(
        home.path(),
        &[("EKS_TOKEN_DEBUG", "1")],
        &["-c", "c", "--region", "us-east-1", "--profile", "p"],
    );
    assert_eq!(r.code(), 0);
    assert!(r.stderr().contains("AKIAFILE"));
    assert_no_secret(&r.stderr());
}

#[test]
fn verify_subcommand_reads_stdin() {
    use std::io::Write;
    let home = tempfile::tempdir().unwrap();
    let minted = run(home.path(), ENV_KEYS, &["-c", "c", "--region", "us-east-1"]).stdout();
    let mut child = Command::new(env!("CARGO_BIN_EXE_eks-token"))
        .args(["verify", "-c", "c", "--region", "us-east-1"])
        .env_clear()
        .env("HOME", home.path())
        .envs(ENV_KEYS.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(minted.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok:"));
    let r = run(
        home.path(),
        ENV_KEYS,
        &["verify", "-c", "other", "--region", "us-east-1", &minted],
    );
    assert!(r.failed(1).contains("signature does not match"));
}

#[test]
fn help_and_version() {
    let home = tempfile::tempdir().unwrap();
    let r = run(home.path(), &[], &["--help"]);
    assert_eq!(r.code(), 0);
    assert!(r.stdout().contains("--cluster-name") && r.stdout().contains("Precedence"));
    let r = run(home.path(), &[], &["--version"]);
    assert_eq!(
        r.stdout(),
        format!("eks-token {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// A kubeconfig shared with CI names a profile the runner lacks: its own credentials are used,
/// with a warning. A profile typed on the command line must exist.
#[test]
fn a_missing_cluster_profile_is_only_a_hint() {
    let home = tempfile::tempdir().unwrap();
    let info = r#"{"apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{"config":{"clusterName":"prod","profile":"prod-admin","region":"us-east-1"}}}}"#;
    let r = run(
        home.path(),
        &[ENV_KEYS, &[("KUBERNETES_EXEC_INFO", info)]].concat(),
        &[],
    );
    verify(&r.token(), "prod", AKID, SECRET);
    assert!(
        r.stderr().contains("profile 'prod-admin'")
            && r.stderr().contains("as if the cluster named none")
    );
    // The profile is then chosen as usual: AWS_PROFILE, else default (with its keys).
    let home2 = home_with(
        "[profile ci]\nregion = eu-west-1\n",
        "[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = cisecret\n",
    );
    let r = run(
        home2.path(),
        &[("KUBERNETES_EXEC_INFO", info), ("AWS_PROFILE", "ci")],
        &[],
    );
    verify(&r.token(), "prod", "AKIACI", "cisecret");
    let home3 = home_with(
        "",
        "[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = defsecret\n",
    );
    let r = run(home3.path(), &[("KUBERNETES_EXEC_INFO", info)], &[]);
    verify(&r.token(), "prod", "AKIADEF", "defsecret");
    let r = run(
        home.path(),
        &[ENV_KEYS, &[("KUBERNETES_EXEC_INFO", info)]].concat(),
        &["--profile", "prod-admin"],
    );
    assert!(r.failed(1).contains("not found"));
}

/// `verify` rejects what the EKS control plane would: a token for a host that is not AWS STS.
#[test]
fn verify_rejects_a_token_for_another_host() {
    let home = tempfile::tempdir().unwrap();
    for (url, says) in [
        ("http://evil.example.com:8080", "not an https URL"),
        ("https://evil.example.com", "not an AWS STS endpoint"),
        (
            "https://sts.us-east-1.amazonaws.com:8443",
            "not an AWS STS endpoint",
        ),
        ("https://sts.us-east-1.amazonaws.com/other", "path is not /"),
    ] {
        let env = [ENV_KEYS, &[("AWS_ENDPOINT_URL_STS", url)]].concat();
        let minted = run(
            home.path(),
            &env,
            &["-c", "c", "--region", "us-east-1", "--token-only"],
        )
        .stdout();
        let r = run(
            home.path(),
            &env,
            &["verify", "-c", "c", "--region", "us-east-1", minted.trim()],
        );
        let err = r.failed(1);
        assert!(err.contains(says), "{url}: {err}");
    }
}

#[test]
fn a_broken_access_key_id_is_refused_before_it_reaches_a_url() {
    let home = home_with("", "[p]\naws_access_key_id = AKIAFIRST\n  SECONDLINE\naws_secret_access_key = s3cr3t-in-file\n");
    let err = run(
        home.path(),
        &[],
        &["-c", "c", "--region", "us-east-1", "--profile", "p"],
    )
    .failed(1);
    assert!(
        err.contains("profile 'p'") && err.contains("line breaks"),
        "{err}"
    );
}

/// An expiry at the edge of the calendar (9999-12-31T23:00:00-05:00 is past year 9999 in UTC)
/// from a credential source is clamped, cached and printed without a crash.
#[test]
fn an_expiry_at_the_end_of_time_does_not_crash() {
    let home = process_profile("ASIAEDGE", "9999-12-31T23:00:00-05:00");
    for _ in 0..2 {
        let r = run(
            home.path(),
            &[],
            &[
                "-c",
                "c",
                "--region",
                "us-east-1",
                "--profile",
                "p",
                "--debug",
            ],
        );
        let v = r.json();
        let exp = v["status"]["expirationTimestamp"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(exp.ends_with('Z') && exp.len() == 20, "{exp}");
        assert_no_secret(&r.stderr());
    }
}

/// Two setups with the same profile name and command (a helper that reads its own config, as
/// `aws configure export-credentials` does) never share a cache entry.
#[test]
fn credential_process_entries_are_per_config_file() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("export.sh");
    let exp = (OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nid=$(sed -n 's/^# customer //p' \"$AWS_CONFIG_FILE\")\n\
             echo \"{{\\\"Version\\\":1,\\\"AccessKeyId\\\":\\\"ASIA$id\\\",\\\"SecretAccessKey\\\":\\\"s3cr3t-in-file\\\",\
             \\\"SessionToken\\\":\\\"tok-in-file\\\",\\\"Expiration\\\":\\\"{exp}\\\"}}\"\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut akids = Vec::new();
    for customer in ["CUSTA", "CUSTB"] {
        let config = home.path().join(format!("{customer}.config"));
        std::fs::write(
            &config,
            format!(
                "# customer {customer}\n[default]\ncredential_process = {}\n",
                script.display()
            ),
        )
        .unwrap();
        let cfg = config.display().to_string();
        let r = run(
            home.path(),
            &[("AWS_CONFIG_FILE", cfg.as_str())],
            &["-c", "c", "--region", "us-east-1"],
        );
        let d = token::decode(&r.token()).unwrap();
        akids.push(
            d.param("X-Amz-Credential")
                .unwrap()
                .split('/')
                .next()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(akids, ["ASIACUSTA", "ASIACUSTB"]);
}

/// Credentials that expire within two minutes cannot back a token kubectl would hold: refused.
#[test]
fn credentials_about_to_expire_are_refused() {
    let exp = (OffsetDateTime::now_utc() + time::Duration::seconds(30))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let home = process_profile("ASIASOON", &exp);
    let err = run(
        home.path(),
        &[],
        &["-c", "c", "--region", "us-east-1", "--profile", "p"],
    )
    .failed(1);
    assert!(err.contains("too soon to sign a token"), "{err}");
}

/// After `aws sso logout` (the CLI's token cache file is gone), cached SSO role credentials are
/// not reused: the user is told to log in again.
#[test]
fn sso_logout_is_not_outlived_by_the_cache() {
    let expiry_ms = (OffsetDateTime::now_utc() + time::Duration::hours(8)).unix_timestamp() * 1000;
    let body = format!(
        r#"{{"roleCredentials":{{"accessKeyId":"ASIASSO","secretAccessKey":"s3cr3t-in-file","sessionToken":"tok-in-file","expiration":{expiry_ms}}}}}"#
    );
    let server = support::Server::start(vec![support::Reply::text(200, &body)]);
    let home = home_with(
        "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
        "",
    );
    let token_file = eks_token::credentials::sso::cache_path(home.path(), "corp");
    std::fs::create_dir_all(token_file.parent().unwrap()).unwrap();
    let login_expiry = (OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    std::fs::write(
        &token_file,
        format!(r#"{{"accessToken":"sso-access-token-value","expiresAt":"{login_expiry}","region":"us-east-1","startUrl":"https://corp.awsapps.com/start"}}"#),
    )
    .unwrap();
    let url = server.url("");
    let env = [("AWS_ENDPOINT_URL_SSO", url.as_str())];
    let args = ["-c", "c", "--region", "us-east-1", "--profile", "dev"];
    let r = run(home.path(), &env, &args);
    verify_with(&r.token(), "c", {
        let mut c = Credentials::new("ASIASSO", "s3cr3t-in-file");
        c.session_token = Some("tok-in-file".into());
        c
    });
    assert_eq!(server.count(), 1);
    // Cached: no second call while logged in.
    run(home.path(), &env, &args).token();
    assert_eq!(server.count(), 1);
    // Logged out: the cache is not used, and the way back is named.
    std::fs::remove_file(&token_file).unwrap();
    let err = run(home.path(), &env, &args).failed(1);
    assert!(err.contains("aws sso login"), "{err}");
    assert!(!err.contains("sso-access-token-value"));
}

/// A HOME whose profile `p` gets credentials from a `credential_process` printing `akid`
/// (secret `s3cr3t-in-file`, token `tok-in-file`) expiring at `expiration`.
fn process_profile(akid: &str, expiration: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let home = home_with("", "");
    let script = home.path().join("p.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho '{{\"Version\":1,\"AccessKeyId\":\"{akid}\",\"SecretAccessKey\":\"s3cr3t-in-file\",\
             \"SessionToken\":\"tok-in-file\",\"Expiration\":\"{expiration}\"}}'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        format!("[profile p]\ncredential_process = {}\n", script.display()),
    )
    .unwrap();
    home
}
