//! The AWS partitions (aws, aws-cn, aws-us-gov, the ISO clouds, aws-eusc) and the SDKs'
//! `aws.partition(region)` lookup: explicit region list first, then each partition's region
//! pattern, then `aws` for anything else.
//!
//! Data transcribed from smithy-rs `aws/codegen-aws-sdk/src/main/resources/default-partitions.json`
//! (commit cc516139262dcc05394f149bfaebb83b2da25f5b), the same `partitions.json` botocore,
//! aws-sdk-go-v2 and aws-sdk-js-v3 ship. That version is the newest seen: it has aws-eusc,
//! `mx`/`il` in the aws pattern, and dual-stack suffixes for every ISO partition.

/// One partition's `outputs` plus what decides membership.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub name: &'static str,
    pub dns_suffix: &'static str,
    pub dual_stack_dns_suffix: &'static str,
    pub supports_fips: bool,
    pub supports_dual_stack: bool,
    pub implicit_global_region: &'static str,
    /// `regionRegex` is always `^(<alternatives>)\-\w+\-\d+$`; these are the alternatives.
    pub region_prefixes: &'static [&'static str],
    /// The partition's explicit `regions` keys.
    pub regions: &'static [&'static str],
}

/// In partitions.json order; the `aws` entry doubles as the fallback.
pub static PARTITIONS: &[Partition] = &[
    Partition {
        name: "aws",
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "us-east-1",
        region_prefixes: &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"],
        regions: &[
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "aws-global",
            "ca-central-1",
            "ca-west-1",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "il-central-1",
            "me-central-1",
            "me-south-1",
            "mx-central-1",
            "sa-east-1",
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
        ],
    },
    Partition {
        name: "aws-cn",
        dns_suffix: "amazonaws.com.cn",
        dual_stack_dns_suffix: "api.amazonwebservices.com.cn",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "cn-northwest-1",
        region_prefixes: &["cn"],
        regions: &["aws-cn-global", "cn-north-1", "cn-northwest-1"],
    },
    Partition {
        name: "aws-eusc",
        dns_suffix: "amazonaws.eu",
        dual_stack_dns_suffix: "api.amazonwebservices.eu",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "eusc-de-east-1",
        region_prefixes: &["eusc-de"],
        regions: &["eusc-de-east-1"],
    },
    Partition {
        name: "aws-iso",
        dns_suffix: "c2s.ic.gov",
        dual_stack_dns_suffix: "api.aws.ic.gov",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "us-iso-east-1",
        region_prefixes: &["us-iso"],
        regions: &["aws-iso-global", "us-iso-east-1", "us-iso-west-1"],
    },
    Partition {
        name: "aws-iso-b",
        dns_suffix: "sc2s.sgov.gov",
        dual_stack_dns_suffix: "api.aws.scloud",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "us-isob-east-1",
        region_prefixes: &["us-isob"],
        regions: &["aws-iso-b-global", "us-isob-east-1"],
    },
    Partition {
        name: "aws-iso-e",
        dns_suffix: "cloud.adc-e.uk",
        dual_stack_dns_suffix: "api.cloud-aws.adc-e.uk",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "eu-isoe-west-1",
        region_prefixes: &["eu-isoe"],
        regions: &["aws-iso-e-global", "eu-isoe-west-1"],
    },
    Partition {
        name: "aws-iso-f",
        dns_suffix: "csp.hci.ic.gov",
        dual_stack_dns_suffix: "api.aws.hci.ic.gov",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "us-isof-south-1",
        region_prefixes: &["us-isof"],
        regions: &["aws-iso-f-global", "us-isof-east-1", "us-isof-south-1"],
    },
    Partition {
        name: "aws-us-gov",
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
        supports_fips: true,
        supports_dual_stack: true,
        implicit_global_region: "us-gov-west-1",
        region_prefixes: &["us-gov"],
        regions: &["aws-us-gov-global", "us-gov-east-1", "us-gov-west-1"],
    },
];

/// The partition `region` belongs to; unknown regions fall into the first (`aws`) entry, as
/// the SDKs do. `table` is never empty in practice; an empty one yields the built-in `aws`.
pub(crate) fn lookup<'t>(table: &'t [Partition], region: &str) -> &'t Partition {
    match known_in(table, region) {
        Some(p) => p,
        None => table.first().unwrap_or(&AWS_FALLBACK),
    }
}

/// The partition that names `region` explicitly or whose pattern matches it; `None` for a
/// region no partition claims.
pub(crate) fn known_in<'t>(table: &'t [Partition], region: &str) -> Option<&'t Partition> {
    table
        .iter()
        .find(|p| p.regions.contains(&region))
        .or_else(|| table.iter().find(|p| matches_pattern(p, region)))
}

static AWS_FALLBACK: Partition = Partition {
    name: "aws",
    dns_suffix: "amazonaws.com",
    dual_stack_dns_suffix: "api.aws",
    supports_fips: true,
    supports_dual_stack: true,
    implicit_global_region: "us-east-1",
    region_prefixes: &[],
    regions: &[],
};

/// `^(prefix)\-\w+\-\d+$` without a regex engine: `\w` cannot contain `-`, so after the prefix
/// exactly one more `-` splits a word from a number.
fn matches_pattern(p: &Partition, region: &str) -> bool {
    p.region_prefixes.iter().any(|prefix| {
        let Some(rest) = region
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix('-'))
        else {
            return false;
        };
        let Some((word, number)) = rest.split_once('-') else {
            return false;
        };
        !word.is_empty()
            && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit())
    })
}
