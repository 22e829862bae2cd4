//! The AWS shared-file suites (see ../shared/conformance/README.md §3): the SEP parser suite
//! (smithy-python copy, 118 cases), smithy-rs's parser suite (65), and three file-location
//! suites (Linux cases; Windows cases are counted as skipped). Error cases only check that an
//! error is returned: the texts differ between SDKs.

mod common;

use eks_token::env::Env;
use eks_token::profile::{locate, parse, Files, Profile, ProfileSet};
use eks_token::Error;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// A suite file from the conformance folder; `None` (loudly) when absent.
fn conformance(file: &str) -> Option<Value> {
    let path = common::conformance("profile")?.join(file);
    Some(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
}

fn parse_input(input: &Value) -> eks_token::Result<ProfileSet> {
    let text = |k: &str| input.get(k).and_then(Value::as_str);
    parse(
        text("configFile").map(|t| (Path::new("/home/.aws/config"), t)),
        text("credentialsFile").map(|t| (Path::new("/home/.aws/credentials"), t)),
    )
}

/// A section map as JSON. `nested`: sub-property blocks as objects (SEP); else their raw
/// text (smithy-rs, which does not parse sub-properties).
fn to_json(sections: &BTreeMap<String, Profile>, nested: bool) -> Value {
    let mut out = Map::new();
    for (name, p) in sections {
        let mut props = Map::new();
        for k in p.keys() {
            let v = match p.sub_keys(k) {
                Some(subs) if nested => subs
                    .map(|s| (s.to_string(), json!(p.sub(k, s).unwrap())))
                    .collect::<Map<_, _>>()
                    .into(),
                _ => json!(p.get(k).unwrap()),
            };
            props.insert(k.to_string(), v);
        }
        out.insert(name.clone(), props.into());
    }
    out.into()
}

/// Run every case; returns (passed, failures as text).
fn run_parser_suite(file: &str, smithy_rs: bool) -> Option<(usize, Vec<String>)> {
    let suite = conformance(file)?;
    let mut passed = 0;
    let mut failures = vec![];
    for case in suite["tests"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let got = parse_input(&case["input"]);
        let mut want = case["output"].clone();
        if smithy_rs && want.get("config").is_some() {
            want = want["config"].clone();
        }
        let ok = match (&got, want.get("errorContaining")) {
            (Err(e), Some(_)) => matches!(e, Error::ConfigFile { .. }),
            (Ok(set), None) => {
                let (sso_key, nested) = if smithy_rs {
                    ("sso_sessions", false)
                } else {
                    ("ssoSessions", true)
                };
                let profiles_ok = want
                    .get("profiles")
                    .is_none_or(|w| *w == to_json(&set.profiles, nested));
                let sso_ok = want
                    .get(sso_key)
                    .is_none_or(|w| *w == to_json(&set.sso_sessions, nested));
                profiles_ok && sso_ok
            }
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            let got = got.map(|s| {
                (
                    to_json(&s.profiles, !smithy_rs),
                    to_json(&s.sso_sessions, !smithy_rs),
                )
            });
            failures.push(format!("{name}\n    want {want}\n    got  {got:?}"));
        }
    }
    Some((passed, failures))
}

fn report(suite: &str, passed: usize, failures: &[String]) {
    eprintln!("{suite}: {passed} passed, {} failed", failures.len());
    assert!(
        failures.is_empty(),
        "{suite} failures:\n{}",
        failures.join("\n")
    );
}

#[test]
fn sep_parser_suite() {
    let Some((passed, failures)) =
        run_parser_suite("sep-smithy-python/config-file-parser-tests.json", false)
    else {
        return;
    };
    report("SEP parser suite", passed, &failures);
    assert_eq!(passed, 118);
}

#[test]
fn smithy_rs_parser_suite() {
    let Some((passed, failures)) = run_parser_suite("smithy-rs/profile-parser-tests.json", true)
    else {
        return;
    };
    report("smithy-rs parser suite", passed, &failures);
    assert_eq!(passed, 65);
}

/// Linux cases only. `"ignored"` means unset (README). A `languageSpecificHome` case stands
/// for the runtime's own lookup (getpwuid) when HOME is unset: we have none, so we check that
/// `locate` fails with an `Invalid` error asking for HOME, and count the case as skipped.
fn run_location_suite(file: &str) -> Option<(usize, usize, usize)> {
    let suite = conformance(file)?;
    let (mut passed, mut skipped, mut total) = (0, 0, 0);
    for case in suite["tests"].as_array().unwrap() {
        total += 1;
        let name = case["name"].as_str().unwrap();
        if case["platform"] != "linux" {
            skipped += 1;
            continue;
        }
        let env = Env::from_pairs(
            case["environment"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, v)| *v != "ignored")
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string())),
        );
        let lang_home = case.get("languageSpecificHome").filter(|h| *h != "ignored");
        let got = locate(&env);
        if lang_home.is_some() {
            assert!(matches!(got, Err(Error::Invalid { .. })), "{name}: {got:?}");
            assert!(got.unwrap_err().to_string().contains("set HOME"), "{name}");
            skipped += 1;
            continue;
        }
        let want = Files {
            config: case["configLocation"].as_str().unwrap().into(),
            credentials: case["credentialsLocation"].as_str().unwrap().into(),
        };
        assert_eq!(got.as_ref().ok(), Some(&want), "{name}: {got:?}");
        passed += 1;
    }
    eprintln!("{file}: {passed} passed, {skipped} skipped of {total}");
    Some((passed, skipped, total))
}

#[test]
fn sep_location_suite() {
    if let Some(counts) = run_location_suite("sep-smithy-python/config-file-location-tests.json") {
        assert_eq!(counts, (3, 7, 10));
    }
}

#[test]
fn smithy_rs_location_suite() {
    if let Some(counts) = run_location_suite("smithy-rs/file-location-tests.json") {
        assert_eq!(counts, (4, 5, 9));
    }
}

#[test]
fn ruby_location_suite() {
    if let Some(counts) = run_location_suite("aws-sdk-ruby-branch/config-file-location-tests.json")
    {
        assert_eq!(counts, (4, 7, 11));
    }
}
