//! Precedence, in one place. Each setting is taken from the most specific source that has it —
//! flag > cluster config from `KUBERNETES_EXEC_INFO` > region in the cluster's EKS server URL >
//! environment > profile — and remembers where it came from, so errors and `--debug` can say.

use crate::cli::Flags;
use crate::endpoint;
use crate::env::Env;
use crate::exec_info::{ApiVersion, ExecInfo};
use crate::profile::{Profile, ProfileSet};
use crate::{Error, Result};
use std::fmt;

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Flag(&'static str),
    /// A key of the cluster's exec extension (`spec.cluster.config`).
    ClusterConfig(&'static str),
    /// The region label of `spec.cluster.server`.
    ServerUrl,
    Env(&'static str),
    /// A key of a profile.
    Profile {
        profile: String,
        key: &'static str,
    },
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::ClusterConfig(key) => {
                write!(
                    f,
                    "{key} in the cluster's exec extension (KUBERNETES_EXEC_INFO)"
                )
            }
            Origin::ServerUrl => f.write_str("the cluster's server URL"),
            Origin::Env(var) => write!(f, "environment variable {var}"),
            Origin::Profile { profile, key } => write!(f, "{key} in profile '{profile}'"),
            Origin::Default => f.write_str("the default"),
        }
    }
}

/// A value and its origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    fn new(value: T, origin: Origin) -> Sourced<T> {
        Sourced { value, origin }
    }
}

/// Everything the run needs to know before it looks for credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The cluster name, or id for Outposts local clusters: the `x-k8s-aws-id` value.
    pub cluster: Sourced<String>,
    /// `None`: no region anywhere; the global STS endpoint is used.
    pub region: Option<Sourced<String>>,
    pub profile: Sourced<String>,
    pub role_arn: Option<Sourced<String>>,
    pub session_name: Option<Sourced<String>>,
    pub external_id: Option<Sourced<String>>,
    pub forward_session_name: bool,
    pub token_only: bool,
    pub api_version: ApiVersion,
    pub interactive: Option<bool>,
    pub debug: bool,
    /// Things the user should know, for stderr.
    pub warnings: Vec<String>,
}

impl Settings {
    /// Was the profile chosen for this command or cluster (flag, cluster config) rather than
    /// inherited from the shell? An explicit profile beats environment keys, as in the AWS CLI.
    pub fn profile_is_explicit(&self) -> bool {
        matches!(
            self.profile.origin,
            Origin::Flag(_) | Origin::ClusterConfig(_)
        )
    }
}

/// The first source that has a value.
fn first(
    candidates: impl IntoIterator<Item = (Option<String>, Origin)>,
) -> Option<Sourced<String>> {
    candidates
        .into_iter()
        .find_map(|(v, o)| v.map(|v| Sourced::new(v, o)))
}

fn env_value(env: &Env, name: &'static str) -> (Option<String>, Origin) {
    (env.get(name).map(str::to_string), Origin::Env(name))
}

/// Resolve every setting. `profiles` supplies the selected profile's `region`.
pub fn resolve(
    flags: &Flags,
    exec: &ExecInfo,
    env: &Env,
    profiles: &ProfileSet,
) -> Result<Settings> {
    let cfg = &exec.config;
    let cluster_id = first([
        (flags.cluster_id.clone(), Origin::Flag("--cluster-id")),
        (cfg.cluster_id.clone(), Origin::ClusterConfig("clusterId")),
    ]);
    let cluster_name = first([
        (flags.cluster_name.clone(), Origin::Flag("--cluster-name")),
        (
            cfg.cluster_name.clone(),
            Origin::ClusterConfig("clusterName"),
        ),
    ]);
    if let (
        Some(Sourced {
            origin: Origin::Flag(_),
            value: a,
        }),
        Some(Sourced {
            origin: Origin::Flag(_),
            value: b,
        }),
    ) = (&cluster_id, &cluster_name)
    {
        if a != b {
            return Err(Error::Usage(
                "give --cluster-name or --cluster-id, not both".into(),
            ));
        }
    }
    // The id names an Outposts local cluster and is what its token must carry; a flag for
    // either beats the cluster config.
    let cluster = match (cluster_id, cluster_name) {
        (Some(id), Some(name))
            if matches!(name.origin, Origin::Flag(_)) && !matches!(id.origin, Origin::Flag(_)) =>
        {
            Some(name)
        }
        (Some(id), _) => Some(id),
        (None, name) => name,
    };
    let cluster = cluster
        .or_else(|| first([env_value(env, "KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID")]))
        .ok_or_else(|| {
            let mut why = "no cluster name: pass --cluster-name NAME (or -i ID), or set clusterName in the \
                           cluster's client.authentication.k8s.io/exec extension with provideClusterInfo: true"
                .to_string();
            if let Some(m) = &exec.malformed {
                why.push_str(&format!(" (KUBERNETES_EXEC_INFO was set but {m})"));
            }
            Error::Usage(why)
        })?;
    validate_cluster(&cluster).map_err(|e| usage_if_flag(&cluster.origin, e))?;

    // A kubeconfig shared between laptops and CI names profiles a CI runner does not have:
    // there the cluster's profile is only a hint, and the profile is chosen as if the cluster
    // had named none. A profile from a flag or the environment must exist (checked later).
    let mut warnings = Vec::new();
    let cluster_profile = cfg.profile.clone().filter(|name| {
        let known = profiles.profiles.contains_key(name);
        if !known {
            warnings.push(format!(
                "profile '{name}' (from the cluster's exec extension) is not in {}; choosing the \
                 profile as if the cluster named none",
                profiles.describe_files()
            ));
        }
        known
    });
    let profile = first([
        (flags.profile.clone(), Origin::Flag("--profile")),
        (cluster_profile, Origin::ClusterConfig("profile")),
        env_value(env, "AWS_PROFILE"),
        env_value(env, "AWS_DEFAULT_PROFILE"),
    ])
    .unwrap_or_else(|| Sourced::new("default".to_string(), Origin::Default));
    let selected: Option<&Profile> = profiles.profiles.get(&profile.value);

    let region = first([
        (flags.region.clone(), Origin::Flag("--region")),
        (cfg.region.clone(), Origin::ClusterConfig("region")),
        (
            exec.server
                .as_deref()
                .and_then(endpoint::region_from_eks_server),
            Origin::ServerUrl,
        ),
        env_value(env, "AWS_REGION"),
        env_value(env, "AWS_DEFAULT_REGION"),
        (
            selected.and_then(|p| p.get("region")).map(str::to_string),
            Origin::Profile {
                profile: profile.value.clone(),
                key: "region",
            },
        ),
    ]);
    if let Some(r) = &region {
        endpoint::validate_region(&r.value, &r.origin.to_string())
            .map_err(|e| usage_if_flag(&r.origin, e))?;
    }

    let role_arn = first([
        (flags.role_arn.clone(), Origin::Flag("--role-arn")),
        (cfg.role_arn.clone(), Origin::ClusterConfig("roleArn")),
    ]);
    if let Some(r) = &role_arn {
        if !r.value.starts_with("arn:")
            || r.value.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            let e = Error::invalid(
                format!("role ARN from {}", r.origin),
                "is not an ARN (expected arn:aws:iam::ACCOUNT:role/NAME)",
            );
            return Err(usage_if_flag(&r.origin, e));
        }
    }
    let session_name = first([
        (flags.session_name.clone(), Origin::Flag("--session-name")),
        (
            cfg.session_name.clone(),
            Origin::ClusterConfig("sessionName"),
        ),
    ]);
    if let Some(n) = &session_name {
        // STS's rule for RoleSessionName: [\w+=,.@-]{2,64}.
        let ok = (2..=64).contains(&n.value.len())
            && n.value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
        if !ok {
            let e = Error::invalid(
                format!("session name from {}", n.origin),
                "must be 2 to 64 letters, digits or any of _+=,.@-",
            );
            return Err(usage_if_flag(&n.origin, e));
        }
    }
    let external_id = first([
        (flags.external_id.clone(), Origin::Flag("--external-id")),
        (cfg.external_id.clone(), Origin::ClusterConfig("externalId")),
    ]);
    Ok(Settings {
        cluster,
        region,
        profile,
        role_arn,
        session_name,
        external_id,
        forward_session_name: flags.forward_session_name,
        token_only: flags.token_only,
        api_version: exec.api_version,
        interactive: exec.interactive,
        debug: flags.debug
            || env
                .get("EKS_TOKEN_DEBUG")
                .is_some_and(|v| v != "0" && v != "false"),
        warnings,
    })
}

/// The STS endpoint for the token, from the region and the endpoint settings.
pub fn sts_endpoint(
    settings: &Settings,
    env: &Env,
    profiles: &ProfileSet,
) -> Result<endpoint::Endpoint> {
    let profile = profiles.profiles.get(&settings.profile.value);
    let ep = EndpointSettings::resolve("sts", env, profile, profiles)?;
    let legacy = first([
        env_value(env, "AWS_STS_REGIONAL_ENDPOINTS"),
        (
            profile
                .and_then(|p| p.get("sts_regional_endpoints"))
                .map(str::to_string),
            Origin::Profile {
                profile: settings.profile.value.clone(),
                key: "sts_regional_endpoints",
            },
        ),
    ]);
    let legacy_global = match legacy {
        None => false,
        Some(v) => match v.value.to_ascii_lowercase().as_str() {
            "legacy" => true,
            "regional" => false,
            _ => {
                return Err(Error::invalid(
                    v.origin.to_string(),
                    format!("must be \"regional\" or \"legacy\", not {:?}", v.value),
                ))
            }
        },
    };
    endpoint::sts(&endpoint::EndpointConfig {
        region: settings.region.as_ref().map(|r| r.value.as_str()),
        use_fips: ep.use_fips,
        use_dualstack: ep.use_dualstack,
        legacy_global,
        url_override: ep
            .url
            .as_ref()
            .map(|u| (u.value.as_str(), u.origin_label.as_str())),
    })
}

/// The CA bundle replacing the built-in roots: `AWS_CA_BUNDLE`, else the profile's `ca_bundle`
/// (path, and where it was set).
pub fn ca_bundle(
    settings: &Settings,
    env: &Env,
    profiles: &ProfileSet,
) -> Option<(std::path::PathBuf, String)> {
    let profile = profiles.profiles.get(&settings.profile.value);
    first([
        env_value(env, "AWS_CA_BUNDLE"),
        (
            profile.and_then(|p| p.get("ca_bundle")).map(str::to_string),
            Origin::Profile {
                profile: settings.profile.value.clone(),
                key: "ca_bundle",
            },
        ),
    ])
    .map(|s| (std::path::PathBuf::from(s.value), s.origin.to_string()))
}

/// An endpoint URL given by configuration, with a label saying where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfiguredUrl {
    pub value: String,
    pub origin_label: String,
}

/// Endpoint settings for one service, from the environment and the selected profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndpointSettings {
    pub use_fips: bool,
    pub use_dualstack: bool,
    pub url: Option<ConfiguredUrl>,
}

impl EndpointSettings {
    /// `service_id` as the SDKs spell it in variables and `[services]` sections: `sts`, `sso`,
    /// `sso_oidc`. URL precedence (AWS "service-specific endpoints"): `AWS_ENDPOINT_URL_<ID>` >
    /// `AWS_ENDPOINT_URL` > the profile's `[services]` section `<id>.endpoint_url` > the
    /// profile's `endpoint_url`; none when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` or the
    /// profile's `ignore_configured_endpoint_urls` is true.
    pub fn resolve(
        service_id: &str,
        env: &Env,
        profile: Option<&Profile>,
        profiles: &ProfileSet,
    ) -> Result<EndpointSettings> {
        let pname = profile.map(|p| p.name.clone()).unwrap_or_default();
        let flag = |var: &'static str, key: &'static str| -> Result<bool> {
            let v = first([
                env_value(env, var),
                (
                    profile.and_then(|p| p.get(key)).map(str::to_string),
                    Origin::Profile {
                        profile: pname.clone(),
                        key,
                    },
                ),
            ]);
            match v {
                None => Ok(false),
                Some(v) => parse_bool(&v),
            }
        };
        let use_fips = flag("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")?;
        let use_dualstack = flag("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint")?;
        let url = if flag(
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "ignore_configured_endpoint_urls",
        )? {
            None
        } else {
            let var = format!("AWS_ENDPOINT_URL_{}", service_id.to_ascii_uppercase());
            let services = profile
                .and_then(|p| p.get("services"))
                .and_then(|name| profiles.services.get(name).map(|s| (name, s)));
            let found = env
                .get(&var)
                .map(|v| (v, var.clone()))
                .or_else(|| {
                    env.get("AWS_ENDPOINT_URL")
                        .map(|v| (v, "AWS_ENDPOINT_URL".to_string()))
                })
                .or_else(|| {
                    services.and_then(|(name, s)| {
                        s.sub(service_id, "endpoint_url")
                            .map(|v| (v, format!("{service_id}.endpoint_url in [services {name}]")))
                    })
                })
                .or_else(|| {
                    profile.and_then(|p| {
                        p.get("endpoint_url")
                            .map(|v| (v, format!("endpoint_url in profile '{}'", p.name)))
                    })
                });
            found.map(|(v, label)| ConfiguredUrl {
                value: v.to_string(),
                origin_label: label,
            })
        };
        Ok(EndpointSettings {
            use_fips,
            use_dualstack,
            url,
        })
    }
}

fn parse_bool(v: &Sourced<String>) -> Result<bool> {
    match v.value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::invalid(
            v.origin.to_string(),
            format!("must be true or false, not {:?}", v.value),
        )),
    }
}

/// A bad value typed on the command line is a usage error (exit 2); from anywhere else it is
/// a failure (exit 1).
fn usage_if_flag(origin: &Origin, e: Error) -> Error {
    match origin {
        Origin::Flag(_) => Error::Usage(e.to_string()),
        _ => e,
    }
}

/// A cluster name or id goes into a signed header: printable ASCII, no spaces, at most 255.
fn validate_cluster(c: &Sourced<String>) -> Result<()> {
    let v = &c.value;
    if v.is_empty() || v.len() > 255 || !v.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            format!("cluster name from {}", c.origin),
            "must be 1 to 255 printable ASCII characters without spaces (an EKS cluster name or id)",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec_info;

    fn profiles(config: &str) -> ProfileSet {
        crate::profile::parse(Some((std::path::Path::new("/c"), config)), None).unwrap()
    }

    fn flags(f: impl FnOnce(&mut Flags)) -> Flags {
        let mut fl = Flags::default();
        f(&mut fl);
        fl
    }

    const EXEC: &str = r#"{"apiVersion":"client.authentication.k8s.io/v1","spec":{"cluster":{
        "server":"https://ABCDEF.gr7.ap-south-1.eks.amazonaws.com",
        "config":{"clusterName":"from-config","region":"eu-west-3","profile":"cfgprof"}}}}"#;

    #[test]
    fn flag_beats_cluster_config_beats_server_beats_env_beats_profile() {
        let env = Env::from_pairs([("AWS_REGION", "us-east-2"), ("AWS_PROFILE", "envprof")]);
        let p = profiles(
            "[profile cfgprof]\nregion = ca-central-1\n[profile envprof]\nregion = sa-east-1\n",
        );
        let full = exec_info::parse(Some(EXEC));
        let s = resolve(
            &flags(|f| f.region = Some("us-west-1".into())),
            &full,
            &env,
            &p,
        )
        .unwrap();
        assert_eq!(s.region.unwrap().origin, Origin::Flag("--region"));
        let s = resolve(&Flags::default(), &full, &env, &p).unwrap();
        assert_eq!(s.cluster.value, "from-config");
        assert_eq!(s.region.as_ref().unwrap().value, "eu-west-3");
        assert_eq!(s.profile.value, "cfgprof");
        assert!(s.profile_is_explicit());
        // Without the config's region, the server URL's.
        let mut no_region = full.clone();
        no_region.config.region = None;
        let s = resolve(&Flags::default(), &no_region, &env, &p).unwrap();
        assert_eq!(
            s.region.unwrap(),
            Sourced::new("ap-south-1".into(), Origin::ServerUrl)
        );
        // Without exec info: environment, then the (environment-chosen) profile.
        let bare = exec_info::parse(None);
        let c = flags(|f| f.cluster_name = Some("c".into()));
        let s = resolve(&c, &bare, &env, &p).unwrap();
        assert_eq!(s.region.as_ref().unwrap().origin, Origin::Env("AWS_REGION"));
        assert!(!s.profile_is_explicit());
        let only_profile = Env::from_pairs([("AWS_PROFILE", "envprof")]);
        let s = resolve(&c, &bare, &only_profile, &p).unwrap();
        assert_eq!(s.region.unwrap().value, "sa-east-1");
        let s = resolve(&c, &bare, &Env::default(), &p).unwrap();
        assert_eq!((s.region, s.profile.value.as_str()), (None, "default"));
    }

    #[test]
    fn cluster_id_and_authenticator_variable() {
        let bare = exec_info::parse(None);
        let p = profiles("");
        let s = resolve(
            &flags(|f| f.cluster_id = Some("id-1".into())),
            &bare,
            &Env::default(),
            &p,
        )
        .unwrap();
        assert_eq!(s.cluster.value, "id-1");
        let env = Env::from_pairs([("KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID", "from-env")]);
        let s = resolve(&Flags::default(), &bare, &env, &p).unwrap();
        assert_eq!(
            s.cluster.origin,
            Origin::Env("KUBERNETES_AWS_AUTHENTICATOR_CLUSTER_ID")
        );
        let both = flags(|f| {
            f.cluster_id = Some("a".into());
            f.cluster_name = Some("b".into());
        });
        assert_eq!(
            resolve(&both, &bare, &Env::default(), &p)
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    #[test]
    fn missing_and_implausible_values_are_errors() {
        let p = profiles("");
        let e = resolve(
            &Flags::default(),
            &exec_info::parse(Some("{oops")),
            &Env::default(),
            &p,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("--cluster-name")
                && e.to_string().contains("KUBERNETES_EXEC_INFO")
        );
        let bare = exec_info::parse(None);
        for bad in ["a b", "x\ny", "", "ü"] {
            let f = flags(|f| f.cluster_name = Some(bad.into()));
            assert!(resolve(&f, &bare, &Env::default(), &p).is_err(), "{bad:?}");
        }
        let f = flags(|f| {
            f.cluster_name = Some("c".into());
            f.region = Some("us-east-1\r\nx: y".into());
        });
        assert!(resolve(&f, &bare, &Env::default(), &p)
            .unwrap_err()
            .to_string()
            .contains("--region"));
        let f = flags(|f| {
            f.cluster_name = Some("c".into());
            f.role_arn = Some("role/x".into());
        });
        assert!(resolve(&f, &bare, &Env::default(), &p).is_err());
    }
}
