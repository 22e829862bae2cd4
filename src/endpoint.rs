//! Region → partition → endpoint, as the AWS SDKs' endpoint rules resolve it: STS (regional,
//! legacy global, `aws-global`, FIPS, dual-stack, endpoint override) and the services with
//! the same rule shape (SSO `portal.sso`, SSO-OIDC `oidc`). Also the region of an EKS API
//! server URL, and the region-name check. Pure functions, no I/O.
//!
//! The rules followed are the STS endpoint rule set (smithy-rs `aws/sdk/aws-models/sts.json`
//! commit 71a327308f7717af0984cb87fd0efdc42125bb95, botocore
//! `botocore/data/sts/2011-06-15/endpoint-rule-set-1.json`) and the SSO / SSO-OIDC rule sets
//! (botocore `data/sso/2019-06-10`, `data/sso-oidc/2019-06-10`). One deliberate difference:
//! with no region at all, STS resolves to the global endpoint (as aws-iam-authenticator does)
//! instead of the rules' "Missing Region" error.

mod partition;
mod url;

#[cfg(test)]
mod tests;

pub use partition::{Partition, PARTITIONS};

use crate::error::{Error, Result};

/// The STS global endpoint, and the region it is signed for.
pub const STS_GLOBAL_URL: &str = "https://sts.amazonaws.com";
pub const STS_GLOBAL_SIGNING_REGION: &str = "us-east-1";

/// Regions that `sts_regional_endpoints = legacy` sends to the global endpoint: exactly the
/// `UseGlobalEndpoint` list in the STS rule set (verified against its 16 test cases).
pub const STS_LEGACY_GLOBAL_REGIONS: [&str; 16] = [
    "ap-northeast-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "aws-global",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// What the caller resolved from flags, environment and profile.
#[derive(Clone, Copy, Debug, Default)]
pub struct EndpointConfig<'a> {
    pub region: Option<&'a str>,
    /// AWS_USE_FIPS_ENDPOINT / use_fips_endpoint.
    pub use_fips: bool,
    /// AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint.
    pub use_dualstack: bool,
    /// AWS_STS_REGIONAL_ENDPOINTS / sts_regional_endpoints = legacy (STS only).
    pub legacy_global: bool,
    /// `(url, where it came from)`, e.g. `("http://127.0.0.1:5000", "AWS_ENDPOINT_URL_STS")`.
    pub url_override: Option<(&'a str, &'a str)>,
}

/// A resolved endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `scheme://host[:port][/base path]`, no trailing slash.
    pub url: String,
    /// The `Host` header: host, plus `:port` when not the scheme's default.
    pub host: String,
    /// The SigV4 signing region.
    pub signing_region: String,
}

/// The STS endpoint for `cfg`.
pub fn sts(cfg: &EndpointConfig) -> Result<Endpoint> {
    resolve(PARTITIONS, "sts", cfg, true)
}

/// The endpoint of a regional service with the STS/SSO rule shape: `service_prefix` is the
/// host prefix, e.g. `"portal.sso"` or `"oidc"` → `https://portal.sso.<region>.<suffix>`.
/// `legacy_global` is ignored; a region is required (unless the URL is overridden).
pub fn service(service_prefix: &str, cfg: &EndpointConfig) -> Result<Endpoint> {
    resolve(PARTITIONS, service_prefix, cfg, false)
}

/// The partition of `region` (unknown regions: `aws`).
pub fn partition(region: &str) -> &'static Partition {
    partition::lookup(PARTITIONS, region)
}

/// Is `host` (no port) an AWS STS endpoint: `sts.amazonaws.com`, or `sts` / `sts-fips` +
/// `.<region>.` + a partition's domain or dual-stack domain? What the EKS control plane accepts
/// in a token, checked by `eks-token verify`.
pub fn is_sts_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    if host == "sts.amazonaws.com" {
        return true;
    }
    let Some(rest) = host
        .strip_prefix("sts.")
        .or_else(|| host.strip_prefix("sts-fips."))
    else {
        return false;
    };
    PARTITIONS.iter().any(|p| {
        [p.dns_suffix, p.dual_stack_dns_suffix]
            .iter()
            .any(|suffix| {
                rest.strip_suffix(suffix)
                    .and_then(|r| r.strip_suffix('.'))
                    .is_some_and(region_ok)
            })
    })
}

/// Checks that `region` is a plausible region name (lowercase letters, digits, inner `-`;
/// 1..=64 bytes) before it goes into a host name. Errors name `origin`.
pub fn validate_region(region: &str, origin: &str) -> Result<()> {
    if region_ok(region) {
        return Ok(());
    }
    let why = if region.is_empty() {
        "the region is empty; set one such as us-west-2".to_string()
    } else if region.len() > 64 {
        format!("region {} is longer than 64 characters", url::shown(region))
    } else {
        format!(
            "{} is not a valid AWS region name (lowercase letters, digits and '-', e.g. us-west-2)",
            url::shown(region)
        )
    };
    Err(Error::invalid(origin, why))
}

fn region_ok(region: &str) -> bool {
    (1..=64).contains(&region.len())
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

/// The region in an EKS API server URL: `https://<id>.<label>.<region>.eks.<dnsSuffix>` (IPv4
/// clusters) or `https://<id>.<label>.<region>.<dualStackDnsSuffix>` (dual-stack clusters), for
/// every partition, with any port and path. `None` for anything else, including a region no
/// partition claims.
pub fn region_from_eks_server(server_url: &str) -> Option<String> {
    let host = server_host(server_url)?;
    for p in PARTITIONS {
        for (suffix, tail) in [
            (p.dns_suffix, format!(".eks.{}", p.dns_suffix)),
            (
                p.dual_stack_dns_suffix,
                format!(".{}", p.dual_stack_dns_suffix),
            ),
        ] {
            let Some(front) = host.strip_suffix(tail.as_str()) else {
                continue;
            };
            let Some((cluster, region)) = front.rsplit_once('.') else {
                continue;
            };
            if cluster.split('.').any(str::is_empty) || !region_ok(region) {
                continue;
            }
            // aws and aws-us-gov share suffixes: the region's own partition must own this one.
            let owner = partition::known_in(PARTITIONS, region);
            if owner.is_some_and(|o| o.dns_suffix == suffix || o.dual_stack_dns_suffix == suffix) {
                return Some(region.to_string());
            }
        }
    }
    None
}

/// The lowercase host of a server URL (scheme optional; user info, port, path dropped).
fn server_host(server_url: &str) -> Option<String> {
    let after_scheme = server_url.split_once("://").map_or(server_url, |(_, a)| a);
    let (authority, _) = crate::url::split_authority(after_scheme);
    let hp = crate::url::host_port(authority)?;
    if hp.bracketed || !hp.port().unwrap_or("").bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let host = hp.host;
    let host = host.strip_suffix('.').unwrap_or(host);
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    ok.then(|| host.to_ascii_lowercase())
}

/// The rule tree shared by STS, SSO and SSO-OIDC, over a partition `table` (tests pass older
/// tables). `sts` adds the legacy-global branch, `aws-global` and the no-region global endpoint.
fn resolve(table: &[Partition], prefix: &str, cfg: &EndpointConfig, sts: bool) -> Result<Endpoint> {
    let (fips, dual) = (cfg.use_fips, cfg.use_dualstack);
    let prefix_ok = !prefix.is_empty()
        && prefix
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
    if !prefix_ok {
        return Err(Error::invalid(
            "endpoint",
            format!("{} is not a service host prefix", url::shown(prefix)),
        ));
    }

    // An override wins over everything, but the rules refuse it with FIPS or dual-stack.
    if let Some((raw, origin)) = cfg.url_override {
        if fips {
            return Err(Error::invalid(
                origin,
                "Invalid Configuration: FIPS and custom endpoint are not supported; \
                 unset AWS_USE_FIPS_ENDPOINT / use_fips_endpoint or the endpoint URL",
            ));
        }
        if dual {
            return Err(Error::invalid(
                origin,
                "Invalid Configuration: Dualstack and custom endpoint are not supported; \
                 unset AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint or the endpoint URL",
            ));
        }
        let base = url::parse(raw, origin)?;
        let signing_region = match cfg.region {
            Some(r) => {
                validate_region(r, "region")?;
                r.to_string()
            }
            // SigV4 needs some region; us-east-1 is what the global endpoint uses.
            None => STS_GLOBAL_SIGNING_REGION.to_string(),
        };
        return Ok(Endpoint {
            url: base.url,
            host: base.host,
            signing_region,
        });
    }

    let Some(region) = cfg.region else {
        if sts && !fips && !dual {
            return Ok(global_sts());
        }
        let why = if sts {
            "Invalid Configuration: Missing Region; FIPS and dual-stack STS endpoints are \
             regional: set --region, AWS_REGION or the profile's region"
        } else {
            "Invalid Configuration: Missing Region; set --region, AWS_REGION or the profile's \
             region"
        };
        return Err(Error::invalid(format!("{prefix} endpoint"), why));
    };
    validate_region(region, "region")?;
    let p = partition::lookup(table, region);
    let regional = |host_prefix: &str, suffix: &str| {
        let host = format!("{host_prefix}.{region}.{suffix}");
        Endpoint {
            url: format!("https://{host}"),
            host,
            signing_region: region.to_string(),
        }
    };
    let unsupported = |rule: &str, fix: &str| {
        Error::invalid(
            format!("{prefix} endpoint"),
            format!("{rule} (region {region}, partition {}); {fix}", p.name),
        )
    };

    if sts && cfg.legacy_global && !fips && !dual {
        if STS_LEGACY_GLOBAL_REGIONS.contains(&region) {
            return Ok(global_sts());
        }
        return Ok(regional(prefix, p.dns_suffix));
    }
    let fips_prefix = format!("{prefix}-fips");
    if fips && dual {
        if p.supports_fips && p.supports_dual_stack {
            return Ok(regional(&fips_prefix, p.dual_stack_dns_suffix));
        }
        return Err(unsupported(
            "FIPS and DualStack are enabled, but this partition does not support one or both",
            "unset AWS_USE_FIPS_ENDPOINT / use_fips_endpoint or AWS_USE_DUALSTACK_ENDPOINT / \
             use_dualstack_endpoint",
        ));
    }
    if fips {
        if !p.supports_fips {
            return Err(unsupported(
                "FIPS is enabled but this partition does not support FIPS",
                "unset AWS_USE_FIPS_ENDPOINT / use_fips_endpoint",
            ));
        }
        // GovCloud's ordinary endpoints are already FIPS endpoints.
        if p.name == "aws-us-gov" {
            return Ok(regional(prefix, p.dns_suffix));
        }
        return Ok(regional(&fips_prefix, p.dns_suffix));
    }
    if dual {
        if p.supports_dual_stack {
            return Ok(regional(prefix, p.dual_stack_dns_suffix));
        }
        return Err(unsupported(
            "DualStack is enabled but this partition does not support DualStack",
            "unset AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint",
        ));
    }
    if sts && region == "aws-global" {
        return Ok(global_sts());
    }
    Ok(regional(prefix, p.dns_suffix))
}

fn global_sts() -> Endpoint {
    Endpoint {
        url: STS_GLOBAL_URL.to_string(),
        host: "sts.amazonaws.com".to_string(),
        signing_region: STS_GLOBAL_SIGNING_REGION.to_string(),
    }
}
