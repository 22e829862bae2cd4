//! Public endpoint API: partition lookup, STS/service resolution edges, endpoint overrides,
//! EKS server URLs and region validation.

use eks_token::endpoint::{
    partition, region_from_eks_server, service, sts, validate_region, Endpoint, EndpointConfig,
    PARTITIONS, STS_LEGACY_GLOBAL_REGIONS,
};
use eks_token::Error;

fn region(r: &str) -> EndpointConfig<'_> {
    EndpointConfig {
        region: Some(r),
        ..Default::default()
    }
}

fn with_override<'a>(url: &'a str, region: Option<&'a str>) -> EndpointConfig<'a> {
    EndpointConfig {
        region,
        url_override: Some((url, "AWS_ENDPOINT_URL_STS")),
        ..Default::default()
    }
}

// --- partitions (golden values: smithy-rs default-partitions.json @ cc516139) ---

#[test]
fn partition_table_matches_partitions_json() {
    let want = [
        ("aws", "amazonaws.com", "api.aws", "us-east-1"),
        (
            "aws-cn",
            "amazonaws.com.cn",
            "api.amazonwebservices.com.cn",
            "cn-northwest-1",
        ),
        (
            "aws-eusc",
            "amazonaws.eu",
            "api.amazonwebservices.eu",
            "eusc-de-east-1",
        ),
        ("aws-iso", "c2s.ic.gov", "api.aws.ic.gov", "us-iso-east-1"),
        (
            "aws-iso-b",
            "sc2s.sgov.gov",
            "api.aws.scloud",
            "us-isob-east-1",
        ),
        (
            "aws-iso-e",
            "cloud.adc-e.uk",
            "api.cloud-aws.adc-e.uk",
            "eu-isoe-west-1",
        ),
        (
            "aws-iso-f",
            "csp.hci.ic.gov",
            "api.aws.hci.ic.gov",
            "us-isof-south-1",
        ),
        ("aws-us-gov", "amazonaws.com", "api.aws", "us-gov-west-1"),
    ];
    assert_eq!(PARTITIONS.len(), want.len());
    for (p, (name, dns, dual, global)) in PARTITIONS.iter().zip(want) {
        assert_eq!(
            (
                p.name,
                p.dns_suffix,
                p.dual_stack_dns_suffix,
                p.implicit_global_region
            ),
            (name, dns, dual, global)
        );
        assert!(p.supports_fips && p.supports_dual_stack, "{name}");
        // Every partition's own implicit global region maps back to it.
        assert_eq!(partition(global).name, name);
    }
}

#[test]
fn explicit_regions_map_to_their_partition() {
    for (r, name) in [
        ("us-west-2", "aws"),
        ("aws-global", "aws"),
        ("mx-central-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("aws-cn-global", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("aws-us-gov-global", "aws-us-gov"),
        ("us-iso-west-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-isoe-west-1", "aws-iso-e"),
        ("us-isof-east-1", "aws-iso-f"),
        ("eusc-de-east-1", "aws-eusc"),
    ] {
        assert_eq!(partition(r).name, name, "{r}");
    }
}

#[test]
fn region_patterns_catch_future_regions() {
    for (r, name) in [
        ("us-east-3", "aws"),
        ("il-central-2", "aws"),
        ("ap-southeast-9", "aws"),
        ("cn-south-7", "aws-cn"),
        ("us-gov-central-4", "aws-us-gov"),
        ("us-iso-north-2", "aws-iso"),
        ("us-isob-west-1", "aws-iso-b"),
        ("eu-isoe-north-3", "aws-iso-e"),
        ("us-isof-west-9", "aws-iso-f"),
        ("eusc-de-west-2", "aws-eusc"),
    ] {
        assert_eq!(partition(r).name, name, "{r}");
    }
}

#[test]
fn unknown_regions_fall_into_aws() {
    for r in [
        "",
        "local",
        "xx-foo-1",
        "eusc-fr-east-1",
        "us-east",
        "us-east-1a",
        "cn-north-x",
    ] {
        assert_eq!(partition(r).name, "aws", "{r}");
    }
}

// --- STS beyond the rule-set suite ---

#[test]
fn no_region_means_the_global_endpoint_signed_for_us_east_1() {
    let ep = sts(&EndpointConfig::default()).unwrap();
    assert_eq!(
        ep,
        Endpoint {
            url: "https://sts.amazonaws.com".into(),
            host: "sts.amazonaws.com".into(),
            signing_region: "us-east-1".into(),
        }
    );
}

#[test]
fn no_region_with_fips_or_dual_stack_is_an_error() {
    for (fips, dual) in [(true, false), (false, true), (true, true)] {
        let cfg = EndpointConfig {
            use_fips: fips,
            use_dualstack: dual,
            ..Default::default()
        };
        let e = sts(&cfg).unwrap_err();
        assert!(matches!(e, Error::Invalid { .. }));
        assert!(e.to_string().contains("AWS_REGION"), "{e}");
    }
}

#[test]
fn legacy_mode_sends_exactly_the_sixteen_regions_to_the_global_endpoint() {
    assert_eq!(STS_LEGACY_GLOBAL_REGIONS.len(), 16);
    for p in PARTITIONS {
        for r in p.regions {
            let cfg = EndpointConfig {
                legacy_global: true,
                ..region(r)
            };
            let ep = sts(&cfg).unwrap();
            if STS_LEGACY_GLOBAL_REGIONS.contains(r) {
                assert_eq!(
                    (ep.url.as_str(), ep.signing_region.as_str()),
                    ("https://sts.amazonaws.com", "us-east-1")
                );
            } else {
                assert_eq!(ep.url, format!("https://sts.{r}.{}", p.dns_suffix), "{r}");
                assert_eq!(ep.signing_region, *r);
            }
        }
    }
}

#[test]
fn legacy_mode_is_ignored_with_fips() {
    let cfg = EndpointConfig {
        legacy_global: true,
        use_fips: true,
        ..region("us-east-1")
    };
    assert_eq!(
        sts(&cfg).unwrap().url,
        "https://sts-fips.us-east-1.amazonaws.com"
    );
}

#[test]
fn sts_rejects_a_malformed_region_instead_of_building_a_host_from_it() {
    for bad in ["evil.com/", "us-west-2\n", "US-WEST-2", "a b"] {
        assert!(
            matches!(sts(&region(bad)), Err(Error::Invalid { .. })),
            "{bad:?}"
        );
    }
}

// --- other services (rule sets: botocore data/sso, data/sso-oidc 2019-06-10) ---

#[test]
fn sso_oidc_follows_the_same_shape() {
    let url = |r: &str, fips, dual| {
        let cfg = EndpointConfig {
            use_fips: fips,
            use_dualstack: dual,
            ..region(r)
        };
        service("oidc", &cfg).unwrap().url
    };
    assert_eq!(
        url("eu-west-1", false, false),
        "https://oidc.eu-west-1.amazonaws.com"
    );
    assert_eq!(
        url("eu-west-1", true, false),
        "https://oidc-fips.eu-west-1.amazonaws.com"
    );
    assert_eq!(
        url("us-gov-west-1", true, false),
        "https://oidc.us-gov-west-1.amazonaws.com"
    );
    assert_eq!(
        url("cn-north-1", false, true),
        "https://oidc.cn-north-1.api.amazonwebservices.com.cn"
    );
}

#[test]
fn services_need_a_region_and_have_no_global_endpoint() {
    let e = service("portal.sso", &EndpointConfig::default()).unwrap_err();
    assert!(e.to_string().contains("Missing Region"), "{e}");
    // aws-global and legacy mode are STS-only.
    let cfg = EndpointConfig {
        legacy_global: true,
        ..region("aws-global")
    };
    assert_eq!(
        service("portal.sso", &cfg).unwrap().url,
        "https://portal.sso.aws-global.amazonaws.com"
    );
}

// --- endpoint override ---

#[test]
fn override_keeps_a_non_default_port_in_url_and_host() {
    let ep = sts(&with_override("http://127.0.0.1:5000", Some("us-west-2"))).unwrap();
    assert_eq!(ep.url, "http://127.0.0.1:5000");
    assert_eq!(ep.host, "127.0.0.1:5000");
    assert_eq!(ep.signing_region, "us-west-2");
}

#[test]
fn override_normalises_case_default_port_and_trailing_slash() {
    let cases = [
        (
            "https://STS.Example.COM:443/",
            "https://sts.example.com",
            "sts.example.com",
        ),
        ("HTTP://localhost:80", "http://localhost", "localhost"),
        (
            "http://localhost:443",
            "http://localhost:443",
            "localhost:443",
        ),
        (
            "https://proxy.internal:8443/sts/",
            "https://proxy.internal:8443/sts",
            "proxy.internal:8443",
        ),
        ("http://[::1]:8080", "http://[::1]:8080", "[::1]:8080"),
        ("https://[FE80::1]", "https://[fe80::1]", "[fe80::1]"),
        (
            "https://vpce-0a1b.sts.us-west-2.vpce.amazonaws.com",
            "https://vpce-0a1b.sts.us-west-2.vpce.amazonaws.com",
            "vpce-0a1b.sts.us-west-2.vpce.amazonaws.com",
        ),
    ];
    for (raw, url, host) in cases {
        let ep = sts(&with_override(raw, None)).unwrap();
        assert_eq!((ep.url.as_str(), ep.host.as_str()), (url, host), "{raw}");
        assert_eq!(ep.signing_region, "us-east-1");
    }
}

#[test]
fn override_wins_over_legacy_mode_and_region() {
    let cfg = EndpointConfig {
        legacy_global: true,
        ..with_override("https://example.com", Some("us-west-1"))
    };
    assert_eq!(sts(&cfg).unwrap().url, "https://example.com");
}

#[test]
fn bad_overrides_are_invalid_and_name_their_origin() {
    let bad = [
        "",
        "sts.amazonaws.com",
        "ftp://example.com",
        "https://",
        "https://:443",
        "https://host:",
        "https://host:0",
        "https://host:65536",
        "https://host:12a",
        "https://host:1:2",
        "https://ho st",
        "https://host\n",
        " https://host",
        "https://host/?x=1",
        "https://host#frag",
        "https://bad..host",
        "https://hóst",
        "https://host//x",
        "https://[::1",
        "https://[]",
        "https://[zz::1]",
        "https://[::1]x",
        "https://host/\u{7f}",
    ];
    for raw in bad {
        let e = sts(&with_override(raw, Some("us-west-2"))).unwrap_err();
        match &e {
            Error::Invalid { what, .. } => assert_eq!(what, "AWS_ENDPOINT_URL_STS", "{raw:?}"),
            other => panic!("{raw:?}: {other:?}"),
        }
        assert!(!e.to_string().contains('\n'), "{raw:?}: one line");
    }
}

#[test]
fn user_info_in_an_override_is_refused_and_never_echoed() {
    let e = sts(&with_override(
        "https://AKIDEXAMPLE:s3cr3t@example.com",
        None,
    ))
    .unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(shown.contains("user info"), "{shown}");
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("AKIDEXAMPLE"),
        "{shown}"
    );
}

#[test]
fn override_with_fips_or_dual_stack_follows_the_rules_error() {
    let cfg = EndpointConfig {
        use_fips: true,
        ..with_override("https://example.com", Some("us-east-1"))
    };
    let line = sts(&cfg).unwrap_err().to_string();
    assert!(
        line.starts_with("AWS_ENDPOINT_URL_STS: Invalid Configuration: FIPS and custom endpoint"),
        "{line}"
    );
}

// --- EKS API server URLs (shapes from the EKS user guide, "Cluster API server endpoint") ---

#[test]
fn region_from_eks_server_for_every_partition() {
    let cases = [
        (
            "https://ABCDEF0123456789ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com",
            "us-west-2",
        ),
        (
            "https://0123456789ABCDEF0123456789ABCDEF.sk1.us-east-1.eks.amazonaws.com:443/",
            "us-east-1",
        ),
        (
            "https://A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6.yl4.eu-central-1.eks.amazonaws.com/api/v1",
            "eu-central-1",
        ),
        (
            "https://A1B2C3.yl4.cn-north-1.eks.amazonaws.com.cn",
            "cn-north-1",
        ),
        (
            "https://A1B2C3.sk1.cn-northwest-1.eks.amazonaws.com.cn",
            "cn-northwest-1",
        ),
        (
            "https://A1B2C3.gr7.us-gov-west-1.eks.amazonaws.com",
            "us-gov-west-1",
        ),
        (
            "https://A1B2C3.gr7.us-iso-east-1.eks.c2s.ic.gov",
            "us-iso-east-1",
        ),
        (
            "https://A1B2C3.gr7.us-isob-east-1.eks.sc2s.sgov.gov",
            "us-isob-east-1",
        ),
        (
            "https://A1B2C3.gr7.eu-isoe-west-1.eks.cloud.adc-e.uk",
            "eu-isoe-west-1",
        ),
        (
            "https://A1B2C3.gr7.us-isof-south-1.eks.csp.hci.ic.gov",
            "us-isof-south-1",
        ),
        (
            "https://A1B2C3.gr7.eusc-de-east-1.eks.amazonaws.eu",
            "eusc-de-east-1",
        ),
        // Dual-stack (IPv6) clusters: <cluster>.<region>.api.aws and the China equivalent.
        ("https://A1B2C3.gr7.us-west-2.api.aws", "us-west-2"),
        (
            "https://A1B2C3.gr7.cn-north-1.api.amazonwebservices.com.cn",
            "cn-north-1",
        ),
        // A future region that matches its partition's pattern.
        (
            "https://A1B2C3.gr7.us-east-7.eks.amazonaws.com",
            "us-east-7",
        ),
        (
            "https://A1B2C3.GR7.US-WEST-2.EKS.AMAZONAWS.COM.",
            "us-west-2",
        ),
        ("A1B2C3.gr7.ap-south-1.eks.amazonaws.com:443", "ap-south-1"),
    ];
    for (url, want) in cases {
        assert_eq!(region_from_eks_server(url).as_deref(), Some(want), "{url}");
    }
}

#[test]
fn region_from_eks_server_rejects_other_hosts() {
    for url in [
        "",
        "https://kubernetes.default.svc",
        "https://10.0.0.1:6443",
        "https://[fd00::1]:443",
        "https://A1B2C3.gr7.eks.amazonaws.com",
        "https://us-west-2.eks.amazonaws.com",
        "https://A1B2C3..us-west-2.eks.amazonaws.com",
        "https://A1B2C3.gr7.notaregion.eks.amazonaws.com",
        "https://A1B2C3.gr7.cn-north-1.eks.amazonaws.com",
        "https://A1B2C3.gr7.us-west-2.eks.amazonaws.com.cn",
        "https://A1B2C3.gr7.us-west-2.eks.amazonaws.com.evil.example",
        "https://A1B2C3.gr7.us-west-2.eks.amazonaws.com:x",
        "https://A1B2C3.gr7.us-west-2.amazonaws.com",
        "https://A1B2C3.gr7.us-iso-east-1.eks.amazonaws.com",
        "https://A1B2C3.gr7.us_west_2.eks.amazonaws.com",
    ] {
        assert_eq!(region_from_eks_server(url), None, "{url}");
    }
}

// --- region validation ---

#[test]
fn validate_region_accepts_real_names() {
    for r in [
        "us-west-2",
        "aws-global",
        "eusc-de-east-1",
        "us-isof-south-1",
        "a",
        &"a".repeat(64),
    ] {
        validate_region(r, "AWS_REGION").unwrap();
    }
}

#[test]
fn validate_region_rejects_and_names_the_origin() {
    let long = "a".repeat(65);
    for r in [
        "",
        " us-west-2",
        "us-west-2 ",
        "us west 2",
        "us-west-2\n",
        "us-\u{1b}[31m",
        "US-WEST-2",
        "us_west_2",
        "-us-west-2",
        "us-west-2-",
        "us.west.2",
        "üs-west-2",
        &long,
    ] {
        let e = validate_region(r, "profile 'dev' region").unwrap_err();
        let Error::Invalid { what, why } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(what, "profile 'dev' region");
        let line = e.to_string();
        assert!(!line.chars().any(char::is_control), "{line:?}");
        assert!(why.len() < 200, "{why}");
    }
}

// --- totality: odd input never panics ---

#[test]
fn odd_input_never_panics() {
    let pieces = [
        "",
        "https://",
        "http://",
        "://",
        "[",
        "]",
        ":",
        "::",
        "@",
        "/",
        "?",
        "#",
        ".",
        "..",
        "-",
        "%",
        "é",
        "\u{0}",
        "\n",
        " ",
        "65535",
        "99999",
        "a",
        "us-west-2",
        ".eks.amazonaws.com",
        ".api.aws",
        "[::1]",
        "xn--",
        "\u{200b}",
    ];
    for a in pieces {
        for b in pieces {
            for c in pieces {
                let s = format!("{a}{b}{c}");
                let _ = region_from_eks_server(&s);
                let _ = validate_region(&s, "x");
                let _ = partition(&s);
                let _ = sts(&with_override(&s, Some(&s)));
                let _ = sts(&region(&s));
                let _ = service(&s, &region("us-west-2"));
            }
        }
    }
}

#[test]
fn sts_hosts_are_recognised_in_every_partition() {
    use eks_token::endpoint::is_sts_host;
    for h in [
        "sts.amazonaws.com",
        "sts.us-west-2.amazonaws.com",
        "sts-fips.us-east-1.amazonaws.com",
        "sts.eu-west-1.api.aws",
        "sts.cn-north-1.amazonaws.com.cn",
        "sts.us-gov-west-1.amazonaws.com",
        "sts.us-iso-east-1.c2s.ic.gov",
        "sts.us-isob-east-1.sc2s.sgov.gov",
        "sts.eusc-de-east-1.amazonaws.eu",
    ] {
        assert!(is_sts_host(h), "{h}");
    }
    for h in [
        "evil.example.com",
        "sts.evil.com",
        "sts.amazonaws.com.evil.com",
        "sts..amazonaws.com",
        "127.0.0.1",
        "sts.us-west-2.amazonaws.com.",
        "xsts.us-west-2.amazonaws.com",
    ] {
        assert!(!is_sts_host(h), "{h}");
    }
}
