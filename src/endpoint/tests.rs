//! The upstream rule-set suites (testdata/endpoint/*.json) run against the resolver, including
//! the cases that need the partition table they were written for.

use super::*;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/endpoint")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The table embedded in the aws-sdk-rust file the STS cases come from: same as today's, but
/// aws-iso and aws-iso-b without dual-stack (dualStackDnsSuffix = dnsSuffix).
fn table_2023() -> Vec<Partition> {
    PARTITIONS
        .iter()
        .cloned()
        .map(|mut p| {
            if p.name == "aws-iso" || p.name == "aws-iso-b" {
                p.supports_dual_stack = false;
                p.dual_stack_dns_suffix = p.dns_suffix;
            }
            p
        })
        .collect()
}

/// Runs one suite case; returns a description of the mismatch, if any.
fn check(case: &Value, table: &[Partition], prefix: &str, sts: bool) -> Option<String> {
    let s = |k: &str| case.get(k).and_then(Value::as_str);
    let b = |k: &str| case.get(k).and_then(Value::as_bool).unwrap_or(false);
    let cfg = EndpointConfig {
        region: s("region"),
        use_fips: b("fips"),
        use_dualstack: b("dualstack"),
        legacy_global: b("global"),
        url_override: s("endpoint").map(|u| (u, "test endpoint")),
    };
    let expect = case
        .get("eks_token_expect")
        .unwrap_or_else(|| &case["expect"]);
    let got = resolve(table, prefix, &cfg, sts);
    let doc = s("doc").unwrap_or("?");
    match (expect.get("error").and_then(Value::as_str), got) {
        (Some(msg), Err(e)) => {
            let shown = e.to_string();
            (!shown.contains(msg)).then(|| format!("{doc}: error {shown:?} lacks {msg:?}"))
        }
        (Some(msg), Ok(ep)) => Some(format!("{doc}: expected error {msg:?}, got {ep:?}")),
        (None, Err(e)) => Some(format!("{doc}: unexpected error {e}")),
        (None, Ok(ep)) => {
            let url = expect["url"].as_str().unwrap();
            // Without authSchemes the SDKs sign for the client region.
            let signing = expect
                .get("signing_region")
                .and_then(Value::as_str)
                .or(cfg.region)
                .unwrap_or(STS_GLOBAL_SIGNING_REGION);
            let host = url.trim_start_matches("https://");
            (ep.url != url || ep.signing_region != signing || ep.host != host)
                .then(|| format!("{doc}: got {ep:?}, want {url} signed for {signing}"))
        }
    }
}

#[test]
fn sts_rule_set_suite() {
    let suite = load("sts-endpoint-tests.json");
    let cases = suite["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 73);
    let old = table_2023();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let table: &[Partition] = match c.get("partitions").and_then(Value::as_str) {
                Some("2023") => &old,
                _ => PARTITIONS,
            };
            check(c, table, "sts", true)
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn sso_rule_set_suite() {
    let suite = load("sso-endpoint-tests.json");
    let cases = suite["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 40);
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| check(c, PARTITIONS, "portal.sso", false))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn iso_partitions_now_have_dual_stack() {
    // The rule templates applied to today's partitions.json dualStackDnsSuffix values.
    let cfg = |r, f| EndpointConfig {
        region: Some(r),
        use_fips: f,
        use_dualstack: true,
        ..Default::default()
    };
    let url = |r, f| sts(&cfg(r, f)).unwrap().url;
    assert_eq!(
        url("us-iso-east-1", true),
        "https://sts-fips.us-iso-east-1.api.aws.ic.gov"
    );
    assert_eq!(
        url("us-isob-east-1", false),
        "https://sts.us-isob-east-1.api.aws.scloud"
    );
    assert_eq!(
        url("eu-isoe-west-1", false),
        "https://sts.eu-isoe-west-1.api.cloud-aws.adc-e.uk"
    );
    assert_eq!(
        url("us-isof-south-1", false),
        "https://sts.us-isof-south-1.api.aws.hci.ic.gov"
    );
    assert_eq!(
        url("eusc-de-east-1", false),
        "https://sts.eusc-de-east-1.api.amazonwebservices.eu"
    );
}

#[test]
fn unsupported_partition_errors_name_the_partition_and_the_fix() {
    let old = table_2023();
    let cfg = EndpointConfig {
        region: Some("us-iso-west-1"),
        use_dualstack: true,
        ..Default::default()
    };
    let e = resolve(&old, "sts", &cfg, true).unwrap_err();
    assert!(matches!(e, Error::Invalid { .. }));
    let line = e.to_string();
    assert!(
        line.contains("aws-iso") && line.contains("us-iso-west-1"),
        "{line}"
    );
    assert!(line.contains("AWS_USE_DUALSTACK_ENDPOINT"), "{line}");

    let mut no_fips = table_2023();
    no_fips.iter_mut().for_each(|p| p.supports_fips = false);
    let cfg = EndpointConfig {
        region: Some("us-west-2"),
        use_fips: true,
        ..Default::default()
    };
    let line = resolve(&no_fips, "sts", &cfg, true)
        .unwrap_err()
        .to_string();
    assert!(line.contains("FIPS is enabled but this partition does not support FIPS"));
}
