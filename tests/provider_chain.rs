//! Third-party credential-chain conformance (../shared/conformance/README.md §4), replayed
//! against our chain in-process, wired as `eks_token::run` wires it (cache off):
//! - smithy-rs `assume-role-tests.json`: profile → role chain (`profile_chain::build`);
//! - smithy-rs `default-credential-provider-chain/*` and `profile-provider/*`: env.json, the
//!   case's `fs/`, and `http-traffic.json` replayed (`support/replay.rs`);
//! - aws-sdk-ruby-v4 and smithy-java precedence tables: env, config file and canned answers
//!   from each source (STS, SSO, process, container, IMDS), each source's values distinct.
//!
//! Each test prints one line per case that did not plainly pass and a summary
//! `N passed, M failed, K skipped`, then asserts that every failure is listed below as a known
//! difference (one-line reason) or as pending SSO, and that no listed case passes (so the lists
//! shrink when src/ changes). Error cases only check that an error is returned (texts differ
//! between SDKs); ours is printed next to theirs.

mod common;
#[path = "support/replay.rs"]
mod replay;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use eks_token::cli::Flags;
use eks_token::credentials::cache::LazyCache;
use eks_token::credentials::profile_chain::{self, Base, NamedSource};
use eks_token::credentials::{self, Context, Credentials};
use eks_token::env::{Env, Fs, RootedFs};
use eks_token::http::{Http, HttpError, HttpRequest, HttpResponse};
use eks_token::log::Log;
use eks_token::profile::{self, ProfileSet};
use eks_token::secret::Secret;
use eks_token::{exec_info, settings, sts, Error, Result};
use replay::{normalize_url, Recording};
use serde_json::Value;
use time::macros::{datetime, format_description};
use time::{Duration, OffsetDateTime, PrimitiveDateTime};

/// SSO cases: expected to fail until the SSO source lands ("uses SSO, which this build does not
/// read yet"). The lead empties this list then; a listed case that passes fails the test. The
/// placeholder error never counts as a pass, even where an error is expected.
const PENDING_SSO: &[&str] = &[];

/// Failures we accept, each with why. Keep short and honest: entries marked BUG wait for a src/
/// fix (the test fails once they pass, so they cannot linger).
const KNOWN: &[(&str, &str)] = &[
    (
        "credential_process",
        "the command is a shell pipeline; we split credential_process like the AWS CLI and run it \
         without a shell (smithy-rs uses sh -c)",
    ),
    (
        "credential_process_account_id_fallback",
        "same shell pipeline as credential_process",
    ),
    (
        "ruby 5",
        "role_arn beats static keys in the selected profile: smithy-rs's rule, chosen on purpose \
         (Ruby's table says keys win)",
    ),
    (
        "java 9",
        "role_arn beats static keys in the selected profile: smithy-rs's rule, chosen on purpose \
         (smithy-java says keys win)",
    ),
];

fn pending_sso(name: &str) -> bool {
    PENDING_SSO.contains(&name)
}

fn known(name: &str) -> Option<&'static str> {
    KNOWN.iter().find(|(n, _)| *n == name).map(|(_, why)| *why)
}

// ---------------------------------------------------------------------------------------------
// Tally

#[derive(Default)]
struct Tally {
    suite: String,
    passed: usize,
    lines: Vec<String>,
    failed: usize,
    unexpected: Vec<String>,
    known: usize,
    pending: usize,
    skipped: usize,
    stale: Vec<String>,
}

impl Tally {
    fn new(suite: &str) -> Tally {
        Tally {
            suite: suite.to_string(),
            ..Tally::default()
        }
    }

    fn skip(&mut self, name: &str, why: &str) {
        self.skipped += 1;
        self.lines.push(format!("  SKIP    {name}: {why}"));
    }

    /// A note printed under the case (e.g. both error texts).
    fn note(&mut self, text: String) {
        self.lines.push(format!("            {text}"));
    }

    fn record(&mut self, name: &str, outcome: std::result::Result<(), String>) {
        match (outcome, pending_sso(name), known(name)) {
            (Ok(()), false, None) => self.passed += 1,
            (Ok(()), _, _) => {
                self.passed += 1;
                self.stale.push(name.to_string());
                self.lines.push(format!(
                    "  PASS    {name}: listed as failing; remove it from the list"
                ));
            }
            (Err(e), true, _) => {
                self.failed += 1;
                self.pending += 1;
                self.lines.push(format!("  PENDING {name} (SSO): {e}"));
            }
            (Err(e), false, Some(why)) => {
                self.failed += 1;
                self.known += 1;
                self.lines
                    .push(format!("  KNOWN   {name}: {e}\n            why: {why}"));
            }
            (Err(e), false, None) => {
                self.failed += 1;
                self.unexpected.push(name.to_string());
                self.lines.push(format!("  FAIL    {name}: {e}"));
            }
        }
    }

    fn finish(self) {
        eprintln!("--- {}", self.suite);
        for l in &self.lines {
            eprintln!("{l}");
        }
        let summary = format!(
            "{}: {} passed, {} failed, {} skipped ({} known differences, {} pending SSO, {} unexpected)",
            self.suite,
            self.passed,
            self.failed,
            self.skipped,
            self.known,
            self.pending,
            self.unexpected.len()
        );
        eprintln!("{summary}");
        assert!(
            self.unexpected.is_empty(),
            "{}: unexpected failures {:?}",
            self.suite,
            self.unexpected
        );
        assert!(
            self.stale.is_empty(),
            "{}: listed as failing but pass now, update PENDING_SSO/KNOWN: {:?}",
            self.suite,
            self.stale
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The chain, wired as `eks_token::run` wires it

/// `credentials::resolve` for `env`/`fs`/`flags` at `now`, over `http`, cache off.
fn run_chain(
    env: &Env,
    fs: &dyn Fs,
    flags: &Flags,
    now: OffsetDateTime,
    http: &dyn Http,
    log: &Log,
) -> Result<Credentials> {
    let profiles = profile::load(env, fs)?;
    let exec = exec_info::parse(None);
    let settings = settings::resolve(flags, &exec, env, &profiles)?;
    let endpoint = settings::sts_endpoint(&settings, env, &profiles)?;
    let sts = sts::StsEndpoint::new(endpoint.url.clone(), endpoint.signing_region.clone());
    let cache = LazyCache::new(None);
    let mfa = |serial: &str| -> Result<Secret> {
        Err(Error::credentials(
            format!("MFA device {serial}"),
            "no terminal in tests",
        ))
    };
    let cx = Context {
        env,
        fs,
        profiles: &profiles,
        now,
        log,
        http,
        sts: &sts,
        mfa: &mfa,
        cache: &cache,
    };
    credentials::resolve(&settings, &cx)
}

/// The SSO placeholder's error is no answer, even where an error is expected.
fn sso_placeholder(got: &Result<Credentials>) -> std::result::Result<(), String> {
    match got {
        Err(e) if e.to_string().contains("which this build does not read yet") => {
            Err(format!("SSO not implemented yet: {e}"))
        }
        _ => Ok(()),
    }
}

fn flags(profile: Option<&str>) -> Flags {
    Flags {
        cluster_name: Some("c".into()),
        profile: profile.map(str::to_string),
        ..Flags::default()
    }
}

fn env_of(v: &Value) -> Env {
    Env::from_pairs(
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())),
    )
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `got` against `{access_key_id, secret_access_key, session_token?, expiry?}` (smithy-rs) or
/// `{accessKeyId, secretAccessKey, sessionToken?}` (Ruby, smithy-java); a `null` session token
/// means none.
fn compare_creds(got: &Result<Credentials>, want: &Value) -> std::result::Result<(), String> {
    let field = |a: &str, b: &str| want.get(a).or_else(|| want.get(b));
    let akid = field("access_key_id", "accessKeyId").and_then(Value::as_str);
    let c = match got {
        Ok(c) => c,
        Err(e) => return Err(format!("expected {akid:?}, got error: {e}")),
    };
    let mut diffs = Vec::new();
    if Some(c.access_key_id.as_str()) != akid {
        diffs.push(format!("access key {:?}, want {akid:?}", c.access_key_id));
    }
    let secret = field("secret_access_key", "secretAccessKey").and_then(Value::as_str);
    if Some(c.secret_access_key.expose()) != secret {
        diffs.push("secret key differs".to_string());
    }
    let token = c.session_token.as_ref().map(Secret::expose);
    match field("session_token", "sessionToken") {
        Some(Value::String(t)) if token != Some(t.as_str()) => {
            diffs.push("session token differs".to_string())
        }
        Some(Value::Null) if token.is_some() => diffs.push("a session token, want none".into()),
        None if want.get("access_key_id").is_some() && token.is_some() => {
            diffs.push("a session token, want none".into())
        }
        _ => {}
    }
    if let Some(exp) = want.get("expiry").and_then(Value::as_i64) {
        let ours = c.expiry.map(OffsetDateTime::unix_timestamp);
        if ours != Some(exp) {
            diffs.push(format!("expiry {ours:?}, want {exp}"));
        }
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("from {}: {}", c.source, diffs.join("; ")))
    }
}

// ---------------------------------------------------------------------------------------------
// 1. smithy-rs assume-role-tests.json → profile_chain::build

/// The fixture's profiles as a config file.
fn config_text(input: &Value) -> String {
    let mut text = String::new();
    let mut section = |header: String, props: &Value| {
        text.push_str(&header);
        text.push('\n');
        for (k, v) in props.as_object().unwrap() {
            text.push_str(&format!("{k} = {}\n", v.as_str().unwrap()));
        }
        text.push('\n');
    };
    for (name, props) in input["profiles"].as_object().unwrap() {
        section(format!("[profile {name}]"), props);
    }
    if let Some(sessions) = input.get("sso_sessions").and_then(Value::as_object) {
        for (name, props) in sessions {
            section(format!("[sso-session {name}]"), props);
        }
    }
    text
}

fn check_chain(
    set: &ProfileSet,
    selected: &str,
    chain: &profile_chain::Chain,
    want: &[Value],
) -> std::result::Result<(), String> {
    let (base, roles) = want.split_first().ok_or("empty expected chain")?;
    let prop = |profile: &str, key: &str| {
        set.profiles
            .get(profile)
            .and_then(|p| p.get(key))
            .map(str::to_string)
    };
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let base_ok = match (&chain.base, base) {
        (Base::StaticKeys { profile }, Value::Object(o)) if o.contains_key("AccessKey") => {
            let k = &o["AccessKey"];
            prop(profile, "aws_access_key_id") == s(k, "access_key_id")
                && prop(profile, "aws_secret_access_key") == s(k, "secret_access_key")
        }
        (Base::NamedSource { source, .. }, Value::Object(o)) if o.contains_key("NamedSource") => {
            let name = match source {
                NamedSource::Environment => "Environment",
                NamedSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
                NamedSource::EcsContainer => "EcsContainer",
            };
            o["NamedSource"] == name
        }
        (
            Base::WebIdentity {
                role_arn,
                token_file,
                session_name,
                ..
            },
            Value::Object(o),
        ) if o.contains_key("WebIdentityToken") => {
            let w = &o["WebIdentityToken"];
            Some(role_arn.clone()) == s(w, "role_arn")
                && Some(token_file.clone()) == s(w, "web_identity_token_file")
                && *session_name == s(w, "role_session_name")
        }
        (Base::Sso { profile }, Value::Object(o)) if o.contains_key("Sso") => {
            // Ours names the profile; its keys (or its sso-session's) must be the expected ones.
            let session = prop(profile, "sso_session");
            o["Sso"].as_object().unwrap().iter().all(|(k, v)| {
                let from_session = session
                    .as_ref()
                    .and_then(|n| set.sso_sessions.get(n))
                    .and_then(|p| p.get(k))
                    .map(str::to_string);
                let have = prop(profile, k).or(from_session);
                have.as_deref() == v.as_str()
            }) && profile == selected
        }
        _ => false,
    };
    if !base_ok {
        return Err(format!("base {:?}, want {base}", chain.base));
    }
    if roles.len() != chain.roles.len() {
        return Err(format!(
            "{} roles, want {}: {:?}",
            chain.roles.len(),
            roles.len(),
            chain.roles
        ));
    }
    for (ours, want) in chain.roles.iter().zip(roles) {
        let a = &want["AssumeRole"];
        if Some(ours.role_arn.clone()) != s(a, "role_arn")
            || ours.session_name != s(a, "role_session_name")
            || ours.external_id != s(a, "external_id")
        {
            return Err(format!("role step {ours:?}, want {a}"));
        }
    }
    Ok(())
}

#[test]
fn smithy_rs_assume_role_table() {
    let Some(path) =
        common::conformance("provider-chain/smithy-rs/test-data/assume-role-tests.json")
    else {
        return;
    };
    let mut tally = Tally::new("smithy-rs assume-role-tests.json");
    for case in read_json(&path).as_array().unwrap() {
        let name = case["docs"].as_str().unwrap();
        let input = &case["input"];
        let selected = input["selected_profile"].as_str().unwrap();
        let text = config_text(input);
        let set = profile::parse(Some((Path::new("/home/.aws/config"), &text)), None)
            .unwrap_or_else(|e| panic!("{name}: generated config does not parse: {e}"));
        let got = profile_chain::build(&set, selected);
        let outcome = if let Some(want) = case["output"].get("ProfileChain") {
            match &got {
                Ok(Some(chain)) => check_chain(&set, selected, chain, want.as_array().unwrap()),
                Ok(None) => Err("Ok(None): no credential settings".into()),
                Err(e) => Err(format!("error: {e}")),
            }
        } else {
            let theirs = case["output"]["Error"].as_str().unwrap();
            let names: Vec<String> = input["profiles"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .chain([selected.to_string()])
                .collect();
            match &got {
                // "No credential settings at all" is how we say smithy-rs's "did not contain
                // credential information" for the selected profile: the chain looks elsewhere.
                Ok(None) if theirs.contains("did not contain credential information") => {
                    tally.note(format!("{name}: theirs «{theirs}» | ours Ok(None)"));
                    Ok(())
                }
                Ok(other) => Err(format!("expected an error ({theirs}), got {other:?}")),
                Err(e) => {
                    let ours = e.to_string();
                    tally.note(format!("{name}: theirs «{theirs}» | ours «{ours}»"));
                    if names.iter().any(|n| ours.contains(&format!("'{n}'"))) {
                        Ok(())
                    } else {
                        Err(format!("error does not name the profile: {ours}"))
                    }
                }
            }
        };
        tally.record(name, outcome);
    }
    tally.finish();
}

// ---------------------------------------------------------------------------------------------
// 2. smithy-rs recorded cases

/// Every `YYYY-MM-DDTHH:MM:SS` in `text`, read as UTC (the fixtures use `Z` or `+00:00`).
fn timestamps(text: &str) -> Vec<OffsetDateTime> {
    let fmt = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let b = text.as_bytes();
    (0..b.len().saturating_sub(18))
        .filter(|&i| {
            b[i + 4] == b'-' && b[i + 10] == b'T' && b[i..i + 4].iter().all(u8::is_ascii_digit)
        })
        .filter_map(|i| PrimitiveDateTime::parse(text.get(i..i + 19)?, &fmt).ok())
        .map(PrimitiveDateTime::assume_utc)
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The case's clock: one hour before the earliest time its recorded responses, SSO cache files
/// and expected expiry hold. The recordings were made while all of those were still valid; our
/// container and process sources refuse credentials that have already expired.
fn clock_for(case: &Path, rec: &Recording, want: &Value) -> OffsetDateTime {
    let mut times: Vec<OffsetDateTime> = rec
        .response_bodies()
        .iter()
        .flat_map(|b| timestamps(b))
        .collect();
    for f in files_under(&case.join("fs")) {
        if f.to_string_lossy().contains("/sso/cache/") {
            times.extend(timestamps(&std::fs::read_to_string(&f).unwrap()));
        }
    }
    if let Some(exp) = want.get("expiry").and_then(Value::as_i64) {
        times.push(OffsetDateTime::from_unix_timestamp(exp).unwrap());
    }
    times
        .into_iter()
        .min()
        .map(|t| t - Duration::hours(1))
        .unwrap_or(datetime!(2021-09-01 00:00 UTC))
}

/// Replay each case folder of `suite`. `profile_only`: smithy-rs ran these through its profile
/// provider alone, not the whole chain; we select the profile as `--profile` does (from
/// AWS_PROFILE, else `default`), which skips environment keys as that provider does.
fn replay_suite(suite: &str, profile_only: bool) {
    let Some(root) = common::conformance(&format!("provider-chain/smithy-rs/test-data/{suite}"))
    else {
        return;
    };
    let mut tally = Tally::new(&format!("smithy-rs {suite}"));
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    for dir in cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let env = env_of(&read_json(&dir.join("env.json")));
        let test = read_json(&dir.join("test-case.json"));
        let result = &test["result"];
        let rec = Recording::from_file(&dir.join("http-traffic.json"));
        let now = clock_for(&dir, &rec, result.get("Ok").unwrap_or(&Value::Null));
        let fs = RootedFs(dir.join("fs"));
        let profile = profile_only.then(|| env.get("AWS_PROFILE").unwrap_or("default"));
        let log = Log::capture(true);
        let got = run_chain(&env, &fs, &flags(profile), now, &rec, &log);
        let mut outcome = if let Some(want) = result.get("Ok") {
            compare_creds(&got, want).and_then(|()| {
                let unused = rec.unused();
                if unused.is_empty() {
                    Ok(())
                } else {
                    Err(format!("recorded but not requested: {unused:?}"))
                }
            })
        } else {
            let theirs = result["ErrorContains"].as_str().unwrap();
            match &got {
                Ok(c) => Err(format!(
                    "expected an error ({theirs}), got {} from {}",
                    c.access_key_id, c.source
                )),
                Err(e) => {
                    tally.note(format!("{name}: theirs «{theirs}» | ours «{e}»"));
                    Ok(())
                }
            }
        };
        let problems = rec.problems();
        outcome = sso_placeholder(&got).and(outcome);
        if outcome.is_ok() && !problems.is_empty() {
            outcome = Err(format!("requests differ from the recording: {problems:?}"));
        }
        if outcome.is_err() {
            let unrecorded = rec.unrecorded();
            if !unrecorded.is_empty() {
                tally.note(format!("{name}: unrecorded requests {unrecorded:?}"));
            }
            for l in log.lines() {
                tally.note(format!("{name}: {l}"));
            }
        }
        tally.record(&name, outcome);
    }
    tally.finish();
}

#[test]
fn smithy_rs_default_credential_provider_chain() {
    replay_suite("default-credential-provider-chain", false);
}

#[test]
fn smithy_rs_profile_provider() {
    replay_suite("profile-provider", true);
}

// ---------------------------------------------------------------------------------------------
// 3. Cross-SDK precedence tables: canned answers from every source

const NOW: OffsetDateTime = datetime!(2024-01-01 00:00 UTC);
const EXPIRES: &str = "2024-01-01T06:00:00Z";

/// Answers each source's requests with the case's `…Response` (absent or `{"error"}`: the
/// source fails: IMDS and the container endpoint unreachable, STS `AccessDenied`).
struct Canned {
    sts: Option<Value>,
    sso: Option<Value>,
    container: Option<Value>,
    imds: Option<Value>,
    seen: Mutex<Vec<String>>,
}

impl Canned {
    fn new(input: &Value) -> Canned {
        let get = |k: &str| input.get(k).cloned();
        Canned {
            sts: get("stsResponse"),
            sso: get("ssoResponse"),
            container: get("httpResponse"),
            imds: get("imdsResponse"),
            seen: Mutex::new(vec![]),
        }
    }
}

fn ok(status: u16, body: String) -> std::result::Result<HttpResponse, HttpError> {
    Ok(HttpResponse {
        status,
        headers: vec![],
        body: body.into_bytes(),
    })
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

/// The AWS JSON credentials document (container endpoint, IMDS, credential_process).
fn json_creds(v: &Value) -> String {
    serde_json::json!({
        "Version": 1,
        "Code": "Success",
        "AccessKeyId": s(v, "accessKeyId"),
        "SecretAccessKey": s(v, "secretAccessKey"),
        "Token": s(v, "sessionToken"),
        "SessionToken": s(v, "sessionToken"),
        "AccountId": s(v, "accountId"),
        "Expiration": EXPIRES,
    })
    .to_string()
}

impl Http for Canned {
    fn send(&self, req: &HttpRequest) -> std::result::Result<HttpResponse, HttpError> {
        self.seen
            .lock()
            .unwrap()
            .push(format!("{} {}", req.method, req.url));
        let (base, path, _) = normalize_url(&req.url);
        let refused = || Err(HttpError(format!("{}: connection refused", req.url)));
        let error = |v: &Value| v.get("error").and_then(Value::as_str).map(str::to_string);
        if base == "http://169.254.169.254" {
            let Some(v) = &self.imds else {
                return refused();
            };
            if let Some(e) = error(v) {
                return Err(HttpError(e));
            }
            return match path.as_str() {
                "/latest/api/token" => ok(200, "imds-token".into()),
                "/latest/meta-data/iam/security-credentials/"
                | "/latest/meta-data/iam/security-credentials-extended/" => ok(200, "role".into()),
                "/latest/meta-data/iam/security-credentials/role"
                | "/latest/meta-data/iam/security-credentials-extended/role" => {
                    ok(200, json_creds(v))
                }
                _ => ok(404, String::new()),
            };
        }
        if base.contains("://sts.") {
            let Some(v) = &self.sts else {
                return refused();
            };
            if let Some(e) = error(v) {
                let (code, msg) = e.split_once(": ").unwrap_or(("AccessDenied", &e));
                return ok(
                    403,
                    format!(
                        "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
                         <Message>{msg}</Message></Error></ErrorResponse>"
                    ),
                );
            }
            let body = String::from_utf8_lossy(&req.body);
            let action = if body.contains("Action=AssumeRoleWithWebIdentity") {
                "AssumeRoleWithWebIdentity"
            } else {
                "AssumeRole"
            };
            return ok(
                200,
                format!(
                    "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                     <{action}Result><AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId>\
                     <Arn>arn:aws:sts::{acct}:assumed-role/r/s</Arn></AssumedRoleUser>\
                     <Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
                     <SessionToken>{}</SessionToken><Expiration>{EXPIRES}</Expiration></Credentials>\
                     </{action}Result></{action}Response>",
                    s(v, "accessKeyId"),
                    s(v, "secretAccessKey"),
                    s(v, "sessionToken"),
                    acct = s(v, "accountId"),
                ),
            );
        }
        if base.contains("://portal.sso.") {
            let Some(v) = &self.sso else {
                return refused();
            };
            let expires_ms = (NOW + Duration::hours(6)).unix_timestamp() * 1000;
            return ok(
                200,
                serde_json::json!({"roleCredentials": {
                    "accessKeyId": s(v, "accessKeyId"),
                    "secretAccessKey": s(v, "secretAccessKey"),
                    "sessionToken": s(v, "sessionToken"),
                    "expiration": expires_ms,
                }})
                .to_string(),
            );
        }
        // Anything else is the container endpoint (ECS full or relative URI).
        match &self.container {
            Some(v) if error(v).is_none() => ok(200, json_creds(v)),
            _ => refused(),
        }
    }
}

/// Files for the tables: the config under /home, any path under /some/path as the web identity
/// token (the tables name `/some/path` and `/some/path/`), and any SSO cache file as a valid
/// token for https://some.url.
struct TableFs {
    config: Option<String>,
}

impl Fs for TableFs {
    fn read_to_string(&self, path: &Path) -> std::io::Result<Option<String>> {
        let p = path.to_string_lossy();
        Ok(if p == "/home/.aws/config" {
            self.config.clone()
        } else if p.starts_with("/some/path") {
            Some("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ0ZXN0In0.".into())
        } else if p.starts_with("/home/.aws/sso/cache/") {
            Some(
                serde_json::json!({
                    "accessToken": "sso-access-token",
                    "expiresAt": "2099-01-01T00:00:00Z",
                    "region": "us-west-2",
                    "startUrl": "https://some.url",
                })
                .to_string(),
            )
        } else {
            None
        })
    }
}

/// Run one table case: `input.env` (+ HOME=/home), `input.configFiles.aws`, with its
/// `credential_process = some/process` made to print `processResponse`.
fn run_table_case(input: &Value, profile: Option<&str>) -> (Result<Credentials>, Vec<String>) {
    let mut env = env_of(input.get("env").unwrap_or(&Value::Null));
    if env.get("HOME").is_none() {
        env.set("HOME", "/home");
    }
    let mut config = input["configFiles"]
        .get("aws")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let (Some(c), Some(p)) = (&mut config, input.get("processResponse")) {
        *c = c.replace(
            "credential_process = some/process",
            &format!("credential_process = echo '{}'", json_creds(p)),
        );
    }
    let fs = TableFs { config };
    let http = Canned::new(input);
    let log = Log::capture(true);
    let got = run_chain(&env, &fs, &flags(profile), NOW, &http, &log);
    let mut trace = http.seen.lock().unwrap().clone();
    trace.extend(log.lines());
    (got, trace)
}

fn table_outcome(
    tally: &mut Tally,
    name: &str,
    got: &Result<Credentials>,
    want: Option<&Value>,
    trace: &[String],
) -> std::result::Result<(), String> {
    let outcome = sso_placeholder(got).and_then(|()| match want {
        Some(w) => compare_creds(got, w),
        None => match got {
            Ok(c) => Err(format!(
                "expected an error, got {} from {}",
                c.access_key_id, c.source
            )),
            Err(e) => {
                tally.note(format!("{name}: error as expected: «{e}»"));
                Ok(())
            }
        },
    });
    if outcome.is_err() {
        for l in trace {
            tally.note(format!("{name}: {l}"));
        }
    }
    outcome
}

#[test]
fn aws_sdk_ruby_v4_chain_table() {
    let Some(path) =
        common::conformance("provider-chain/aws-sdk-ruby-v4/credentials-provider-chain-tests.json")
    else {
        return;
    };
    let mut tally = Tally::new("aws-sdk-ruby-v4 credentials-provider-chain-tests.json");
    for case in read_json(&path).as_array().unwrap() {
        let name = format!("ruby {}", case["id"].as_str().unwrap());
        let input = &case["input"];
        let files = &input["configFiles"];
        let skip = if input.get("code").is_some() {
            Some("credentials given in code (no such input here)")
        } else if input.get("jvmSystemProperties").is_some() {
            Some("JVM system properties")
        } else if files.get("aws").is_none() && files.get("boto2").is_some() {
            Some("boto2 config file")
        } else if files.get("aws").is_none() && files.get("sdkStore").is_some() {
            Some("Windows SDK store")
        } else {
            None
        };
        if let Some(why) = skip {
            tally.skip(&name, why);
            continue;
        }
        let (got, trace) = run_table_case(input, None);
        let want = Some(&case["expected"]).filter(|v| !v.is_null());
        let outcome = table_outcome(&mut tally, &name, &got, want, &trace);
        tally.record(&name, outcome);
    }
    tally.finish();
}

#[test]
fn smithy_java_modular_chain_table() {
    let Some(path) =
        common::conformance("provider-chain/smithy-java/modular-credential-chain-tests.json")
    else {
        return;
    };
    let mut tally = Tally::new("smithy-java modular-credential-chain-tests.json");
    for case in read_json(&path).as_array().unwrap() {
        let name = format!("java {}", case["id"].as_str().unwrap());
        let input = &case["input"];
        let expected = &case["expected"];
        let has = |k: &str| input.get(k).is_some();
        let module_hint = expected["resolutionError"]["moduleSuggestions"]
            .as_array()
            .is_some_and(|m| !m.is_empty());
        let skip = if has("customProviders") {
            Some("smithy-java custom provider wiring")
        } else if has("clientIdentityResolver") || has("preloadedConfigFile") {
            Some("resolver or config passed in code")
        } else if input["identityType"] == "TokenIdentity" {
            Some("bearer-token identity; we resolve AWS credentials only")
        } else if has("invalidationIdentity") || expected.get("assemblyError").is_some() {
            Some("smithy-java chain assembly/invalidation")
        } else if module_hint {
            Some("outcome depends on a smithy-java module not being installed")
        } else {
            None
        };
        if let Some(why) = skip {
            tally.skip(&name, why);
            continue;
        }
        let (got, trace) = run_table_case(input, input["profileNameOverride"].as_str());
        let want = expected.get("resolved");
        let outcome = table_outcome(&mut tally, &name, &got, want, &trace);
        tally.record(&name, outcome);
    }
    tally.finish();
}

#[test]
fn lists_name_real_cases() {
    // A misspelt entry would silently never match: every entry must name a case.
    let Some(root) = common::conformance("provider-chain") else {
        return;
    };
    let data = root.join("smithy-rs/test-data");
    let mut names: Vec<String> = read_json(&data.join("assume-role-tests.json"))
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["docs"].as_str().unwrap().to_string())
        .collect();
    for suite in ["default-credential-provider-chain", "profile-provider"] {
        for e in std::fs::read_dir(data.join(suite)).unwrap() {
            names.push(e.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    for (prefix, file) in [
        (
            "ruby",
            "aws-sdk-ruby-v4/credentials-provider-chain-tests.json",
        ),
        ("java", "smithy-java/modular-credential-chain-tests.json"),
    ] {
        for c in read_json(&root.join(file)).as_array().unwrap() {
            names.push(format!("{prefix} {}", c["id"].as_str().unwrap()));
        }
    }
    for entry in PENDING_SSO.iter().chain(KNOWN.iter().map(|(n, _)| n)) {
        assert!(names.iter().any(|n| n == entry), "no case named {entry:?}");
    }
}
