//! AWS credentials and where they come from. The chain tries each source in the SDKs' order;
//! every source returns `Ok(None)` when it is not configured, so "not here" and "broken" differ:
//! a source that is configured but fails stops the chain with its error.

pub mod cache;
pub mod container;
pub mod imds;
pub mod process;
pub mod profile_chain;
pub mod sso;
pub mod static_keys;
pub mod web_identity;

use crate::env::{Env, Fs};
use crate::http::Http;
use crate::log::Log;
use crate::profile::{Profile, ProfileSet};
use crate::secret::Secret;
use crate::settings::Settings;
use crate::sts::{self, StsEndpoint};
use crate::{Error, Result};
use profile_chain::{Base, Chain, NamedSource, RoleStep};
use time::OffsetDateTime;
use web_identity::WebIdentity;

/// A resolved set of AWS credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// When the credentials stop working; `None` for long-term keys.
    pub expiry: Option<OffsetDateTime>,
    /// Which source produced them, for `--debug` and error messages (e.g. `environment`,
    /// `profile 'dev'`).
    pub source: String,
}

impl Credentials {
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Credentials {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
            expiry: None,
            source: String::new(),
        }
    }
}

/// What the chain may look at. Everything outside the process comes in through here.
pub struct Context<'a> {
    pub env: &'a Env,
    pub fs: &'a dyn Fs,
    pub profiles: &'a ProfileSet,
    pub now: OffsetDateTime,
    pub log: &'a Log,
    /// Only network sources use it; minting the token never does.
    pub http: &'a dyn Http,
    /// Where AssumeRole and AssumeRoleWithWebIdentity go (the token's STS endpoint).
    pub sts: &'a StsEndpoint,
    /// Asks for the MFA code of a device (`mfa_serial`); fails when no one can answer.
    pub mfa: &'a dyn Fn(&str) -> Result<Secret>,
    /// Where credentials that expire are kept between runs.
    pub cache: &'a cache::LazyCache,
}

/// Credentials from `fetch`, or from the cache entry for `parts` (everything that made them).
fn cached(
    cx: &Context,
    parts: &[(&str, &str)],
    fetch: impl FnOnce() -> Result<Credentials>,
) -> Result<Credentials> {
    let mut all = vec![("sts_endpoint", cx.sts.url.as_str())];
    all.extend_from_slice(parts);
    let key = cache::CacheKey::new(all);
    cache::get_or_fetch(cx.cache.get(cx.log), &key, cx.now, cx.log, fetch)
}

/// Credentials for the token: the chain's, with the command line's or cluster config's role
/// (`--role-arn`, `roleArn`) assumed on top.
pub fn resolve(settings: &Settings, cx: &Context) -> Result<Credentials> {
    let base = plausible(default_chain(settings, cx)?, cx.now)?;
    let Some(role) = &settings.role_arn else {
        return Ok(base);
    };
    let step = RoleStep {
        profile: format!("({})", role.origin),
        role_arn: role.value.clone(),
        session_name: settings.session_name.as_ref().map(|n| n.value.clone()),
        external_id: settings.external_id.as_ref().map(|e| e.value.clone()),
        ..RoleStep::default()
    };
    if step.session_name.is_none() && settings.forward_session_name {
        // The caller's own session name, as aws-iam-authenticator forwards it. The cache entry
        // is keyed by the caller's keys, so a cached session needs no GetCallerIdentity call.
        let forwarded = || {
            let me = sts::get_caller_identity(cx.http, cx.sts, &base, cx.now)?;
            cx.log
                .debug(format_args!("--forward-session-name: caller is {}", me.arn));
            Ok(forwarded_session_name(&me.arn).unwrap_or_else(|| default_session_name(cx.env)))
        };
        return assume_as(&base, &step, "(forwarded from the caller)", forwarded, cx)
            .and_then(|c| plausible(c, cx.now));
    }
    assume(&base, &step, cx).and_then(|c| plausible(c, cx.now))
}

/// Credentials fit to sign a token. Not about to expire: a token signed with them would be
/// refused by STS before kubectl refreshes it (its expirationTimestamp would already be past).
/// An access key id of one printable word (AWS's are letters and digits): a newline from a
/// continuation line, a space or a stray quote means a broken file, said so before it reaches
/// a URL or a log line.
fn plausible(c: Credentials, now: OffsetDateTime) -> Result<Credentials> {
    if let Some(expiry) = c.expiry {
        if expiry < now.saturating_add(time::Duration::minutes(2)) {
            return Err(Error::credentials(
                c.source.clone(),
                format!(
                    "the credentials expire at {}, too soon to sign a token; refresh them",
                    crate::timestamp::rfc3339_seconds(expiry)
                ),
            ));
        }
    }
    let id = &c.access_key_id;
    let ok = |b: u8| b.is_ascii_graphic() && b != b'"' && b != b'\'';
    if id.is_empty() || id.len() > 128 || !id.bytes().all(ok) {
        return Err(Error::credentials(
            c.source.clone(),
            "the access key id holds spaces, quotes or line breaks (a continuation line or stray \
             quote in a file, or a mangled variable?)",
        ));
    }
    Ok(c)
}

/// The SDKs' default chain, in smithy-rs's order:
/// 1. environment keys — skipped when the profile was chosen for this command or cluster
///    (`--profile`, cluster config `profile`), as the AWS CLI skips them for `--profile`;
/// 2. the selected profile (keys, role chains, web identity, SSO, `credential_process`);
/// 3. web identity from the environment (IRSA);
/// 4. the container endpoint (ECS, EKS Pod Identity);
/// 5. EC2 instance metadata (IMDSv2).
pub fn default_chain(settings: &Settings, cx: &Context) -> Result<Credentials> {
    let mut searched = Vec::new();
    let name = &settings.profile.value;
    let profile = cx.profiles.profiles.get(name);
    if settings.profile_is_explicit() {
        cx.log.debug(format_args!(
            "environment keys skipped: profile '{}' was chosen by {}",
            settings.profile.value, settings.profile.origin
        ));
    } else {
        searched.push("environment keys".to_string());
        if let Some(c) = static_keys::from_env(cx.env)? {
            cx.log.debug(format_args!(
                "credentials from the environment: {}",
                c.access_key_id
            ));
            return Ok(c);
        }
        cx.log.debug("environment: no AWS_ACCESS_KEY_ID");
    }

    match profile {
        Some(_) => {
            searched.push(format!("profile '{name}'"));
            if let Some(chain) = profile_chain::build(cx.profiles, name)? {
                cx.log
                    .debug(format_args!("profile '{name}': {}", describe(&chain)));
                let c = run_chain(&chain, cx)?;
                cx.log.debug(format_args!(
                    "credentials from profile '{name}': {}",
                    c.access_key_id
                ));
                return Ok(c);
            }
            cx.log.debug(format_args!(
                "profile '{name}' holds no credential settings"
            ));
        }
        None if settings.profile.origin != crate::settings::Origin::Default => {
            return Err(Error::Profile {
                profile: name.clone(),
                why: format!(
                    "not found (chosen by {}); looked in {}",
                    settings.profile.origin,
                    cx.profiles.describe_files()
                ),
            });
        }
        None => {
            searched.push(format!(
                "profile 'default' ({})",
                cx.profiles.describe_files()
            ));
            cx.log.debug(format_args!(
                "no profile 'default' in {}",
                cx.profiles.describe_files()
            ));
        }
    }

    searched.push("web identity (AWS_WEB_IDENTITY_TOKEN_FILE)".into());
    if let Some(w) = web_identity::from_env(cx.env)? {
        cx.log.debug(format_args!(
            "web identity from the environment: role {}",
            w.role_arn
        ));
        return web_identity(&w, cx);
    }
    cx.log
        .debug("web identity: AWS_WEB_IDENTITY_TOKEN_FILE not set");

    searched.push("container endpoint (AWS_CONTAINER_CREDENTIALS_*)".into());
    if let Some(config) = container::ContainerConfig::from_env(cx.env)? {
        cx.log
            .debug(format_args!("container endpoint: {}", config.describe()));
        return container_creds(&config, cx);
    }
    cx.log.debug("container endpoint: not configured");

    searched.push("EC2 instance metadata".into());
    let imds = imds::ImdsSettings::resolve(cx.env, &imds_config(profile))?;
    if imds.disabled {
        cx.log.debug("instance metadata: disabled");
    } else {
        cx.log
            .debug(format_args!("instance metadata: trying {}", imds.endpoint));
        if let Some(c) = imds_creds(&imds, cx)? {
            cx.log.debug(format_args!(
                "credentials from instance metadata: {}",
                c.access_key_id
            ));
            return Ok(c);
        }
    }
    Err(Error::NoCredentials {
        searched: searched.join(", "),
    })
}

fn imds_config(profile: Option<&Profile>) -> imds::ImdsConfig<'_> {
    let get = |k: &str| profile.and_then(|p| p.get(k));
    imds::ImdsConfig {
        endpoint: get("ec2_metadata_service_endpoint"),
        endpoint_mode: get("ec2_metadata_service_endpoint_mode"),
        instance_profile_name: get("ec2_instance_profile_name"),
        disabled: get("disable_ec2_metadata"),
        ..imds::ImdsConfig::default()
    }
}

/// One line for `--debug`: `keys of 'b' -> role arn:… (profile 'a')`.
fn describe(chain: &Chain) -> String {
    let base = match &chain.base {
        Base::StaticKeys { profile } => format!("keys of profile '{profile}'"),
        Base::NamedSource { source, .. } => format!("credential_source {source:?}"),
        Base::WebIdentity { role_arn, .. } => format!("web identity for {role_arn}"),
        Base::Sso { profile } => format!("SSO of profile '{profile}'"),
        Base::Process { profile, .. } => format!("credential_process of profile '{profile}'"),
    };
    let roles: Vec<String> = chain
        .roles
        .iter()
        .map(|r| format!(" -> role {}", r.role_arn))
        .collect();
    format!("{base}{}", roles.concat())
}

fn run_chain(chain: &Chain, cx: &Context) -> Result<Credentials> {
    let mut creds = match &chain.base {
        Base::StaticKeys { profile } => {
            let p = cx
                .profiles
                .profiles
                .get(profile)
                .ok_or_else(|| missing(profile))?;
            static_keys::from_profile(p)?.ok_or_else(|| missing(profile))?
        }
        Base::NamedSource { profile, source } => named_source(profile, *source, cx)?,
        Base::WebIdentity {
            profile,
            role_arn,
            token_file,
            session_name,
        } => {
            let w = WebIdentity {
                role_arn: role_arn.clone(),
                token_file: token_file.clone(),
                session_name: session_name.clone(),
                origin: format!("profile '{profile}'"),
            };
            web_identity(&w, cx)?
        }
        Base::Sso { profile } => sso(profile, cx)?,
        Base::Process { profile, command } => {
            // What the helper may read besides its command line: the files it was configured
            // in (`aws configure export-credentials` reads them), the profile's settings, and
            // the AWS_* environment. Two setups with the same profile name and command must not
            // share an entry.
            let files = cx.profiles.describe_files();
            let section = cx
                .profiles
                .profiles
                .get(profile)
                .map(|p| {
                    p.keys()
                        .map(|k| format!("{k}={}", p.get(k).unwrap_or_default()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
                .join("\n");
            let aws_env = cx.env.with_prefix("AWS_");
            let context = fingerprint([files.as_bytes(), section.as_bytes(), aws_env.as_bytes()]);
            let parts = [
                ("kind", "process"),
                ("profile", profile.as_str()),
                ("command", command.as_str()),
                ("context", context.as_str()),
            ];
            cached(cx, &parts, || {
                process::resolve(profile, command, process::DEFAULT_TIMEOUT, cx.now)
            })?
        }
    };
    for step in &chain.roles {
        creds = assume(&creds, step, cx)?;
    }
    Ok(creds)
}

fn missing(profile: &str) -> Error {
    Error::Profile {
        profile: profile.to_string(),
        why: "has no credentials".into(),
    }
}

fn named_source(profile: &str, source: NamedSource, cx: &Context) -> Result<Credentials> {
    let fail = |why: &str| Error::Profile {
        profile: profile.to_string(),
        why: why.to_string(),
    };
    match source {
        NamedSource::Environment => static_keys::from_env(cx.env)?
            .ok_or_else(|| fail("credential_source = Environment, but AWS_ACCESS_KEY_ID is not set")),
        NamedSource::EcsContainer => match container::ContainerConfig::from_env(cx.env)? {
            Some(config) => container_creds(&config, cx),
            None => Err(fail(
                "credential_source = EcsContainer, but AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI is not set",
            )),
        },
        NamedSource::Ec2InstanceMetadata => {
            let imds = imds::ImdsSettings::resolve(cx.env, &imds_config(cx.profiles.profiles.get(profile)))?;
            if imds.disabled {
                return Err(fail("credential_source = Ec2InstanceMetadata, but AWS_EC2_METADATA_DISABLED is set"));
            }
            imds_creds(&imds, cx)?
                .ok_or_else(|| fail("credential_source = Ec2InstanceMetadata, but the instance has no role"))
        }
    }
}

fn web_identity(w: &WebIdentity, cx: &Context) -> Result<Credentials> {
    let session_name = w
        .session_name
        .clone()
        .unwrap_or_else(|| default_session_name(cx.env));
    // The token names the service account (or CI job): the same file path in two pods holds
    // different identities.
    let who = file_fingerprint(cx, &[std::path::Path::new(&w.token_file)]);
    let parts = [
        ("kind", "web-identity"),
        ("role_arn", w.role_arn.as_str()),
        ("session_name", session_name.as_str()),
        ("token_file", w.token_file.as_str()),
        ("caller", who.as_str()),
    ];
    cached(cx, &parts, || {
        let params = sts::WebIdentityParams {
            role_arn: w.role_arn.clone(),
            session_name: session_name.clone(),
            web_identity_token: web_identity::read_token(cx.fs, w)?,
            duration_seconds: None,
        };
        let c = sts::assume_role_with_web_identity(cx.http, cx.sts, &params)?;
        cx.log.debug(format_args!(
            "web identity: assumed {} as {}",
            w.role_arn, c.access_key_id
        ));
        Ok(c)
    })
}

fn container_creds(config: &container::ContainerConfig, cx: &Context) -> Result<Credentials> {
    // The authorization token says which task or pod is asking: two sharing a cache folder
    // must not share credentials.
    let who = match &config.authorization {
        container::Authorization::None => String::new(),
        container::Authorization::Token(t) => fingerprint([t.expose().as_bytes()]),
        container::Authorization::File(path) => file_fingerprint(cx, &[path.as_path()]),
    };
    let parts = [
        ("kind", "container"),
        ("url", config.url.as_str()),
        ("caller", who.as_str()),
    ];
    cached(cx, &parts, || {
        container::resolve(config, cx.fs, cx.http, cx.now)
    })
}

/// SHA-256 (hex) of secret or identifying material, for cache keys: it says "the same
/// caller" without putting the material itself anywhere.
fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut all = Vec::new();
    for p in parts {
        all.extend_from_slice(&(p.len() as u64).to_le_bytes());
        all.extend_from_slice(p);
    }
    crate::sigv4::sha256_hex(&all)
}

/// [`fingerprint`] of files' contents (a missing or unreadable file counts as empty).
fn file_fingerprint(cx: &Context, paths: &[&std::path::Path]) -> String {
    let texts: Vec<String> = paths
        .iter()
        .map(|p| cx.fs.read_to_string(p).ok().flatten().unwrap_or_default())
        .collect();
    fingerprint(texts.iter().map(|t| t.as_bytes()))
}

/// IMDS credentials, cached; `Ok(None)` when the instance has no role.
fn imds_creds(settings: &imds::ImdsSettings, cx: &Context) -> Result<Option<Credentials>> {
    let role = settings.instance_profile_name.clone().unwrap_or_default();
    // Which machine is asking (a home folder may be shared over NFS, or by pods of one image).
    let machine = file_fingerprint(
        cx,
        &[
            std::path::Path::new("/etc/machine-id"),
            std::path::Path::new("/proc/sys/kernel/hostname"),
        ],
    );
    let parts = [
        ("kind", "imds"),
        ("endpoint", settings.endpoint.as_str()),
        ("role", role.as_str()),
        ("machine", machine.as_str()),
    ];
    // "No role here" is nothing to cache: it leaves the closure as a marked error.
    let no_role = std::cell::Cell::new(false);
    let got = cached(cx, &parts, || {
        match imds::resolve(settings, cx.http, cx.now)? {
            Some(c) => Ok(c),
            None => {
                no_role.set(true);
                Err(Error::NoCredentials {
                    searched: String::new(),
                })
            }
        }
    });
    match got {
        Err(_) if no_role.get() => Ok(None),
        other => other.map(Some),
    }
}

/// IAM Identity Center role credentials for `profile`, cached by what names the role.
fn sso(profile: &str, cx: &Context) -> Result<Credentials> {
    let p = cx
        .profiles
        .profiles
        .get(profile)
        .ok_or_else(|| missing(profile))?;
    let get = |k: &str| p.get(k).unwrap_or_default();
    // Keyed by the SSO login itself (the CLI's token cache file): after `aws sso logout` or a
    // new login, cached role credentials are not reused.
    // Only whether the login exists: its contents change on every token refresh, which must
    // not orphan the entry; its absence (after `aws sso logout`) must.
    let logged_in = match (sso::session_of(p, cx.profiles), cx.env.home()) {
        (Ok(Some(session)), Some(home)) => {
            let path = sso::cache_path(&home, session.cache_key());
            cx.fs.read_to_string(&path).ok().flatten().is_some()
        }
        _ => false,
    };
    let login = if logged_in { "present" } else { "absent" };
    let parts = [
        ("kind", "sso"),
        ("login", login),
        ("profile", profile),
        ("sso_session", get("sso_session")),
        ("sso_start_url", get("sso_start_url")),
        ("sso_account_id", get("sso_account_id")),
        ("sso_role_name", get("sso_role_name")),
    ];
    cached(cx, &parts, || {
        let io = sso::Io {
            env: cx.env,
            fs: cx.fs,
            write: &sso::write_private_atomic,
            http: cx.http,
            now: cx.now,
            log: cx.log,
        };
        sso::resolve(p, cx.profiles, &io)?.ok_or_else(|| missing(profile))
    })
}

fn assume(base: &Credentials, step: &RoleStep, cx: &Context) -> Result<Credentials> {
    let name = step
        .session_name
        .clone()
        .unwrap_or_else(|| default_session_name(cx.env));
    assume_as(base, step, &name.clone(), move || Ok(name), cx)
}

/// Assume `step`'s role. `session_key` stands for the session name in the cache key and
/// `session_name` gives the name itself only when STS must be called (a forwarded name costs
/// a GetCallerIdentity call, which a cached session must not).
fn assume_as(
    base: &Credentials,
    step: &RoleStep,
    session_key: &str,
    session_name: impl FnOnce() -> Result<String>,
    cx: &Context,
) -> Result<Credentials> {
    let duration = step
        .duration_seconds
        .map(|d| d.to_string())
        .unwrap_or_default();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let (external_id, mfa_serial, source_identity) = (
        opt(&step.external_id),
        opt(&step.mfa_serial),
        opt(&step.source_identity),
    );
    let parts = [
        ("kind", "assume-role"),
        ("source_access_key_id", base.access_key_id.as_str()),
        ("role_arn", step.role_arn.as_str()),
        ("session_name", session_key),
        ("external_id", external_id.as_str()),
        ("mfa_serial", mfa_serial.as_str()),
        ("duration_seconds", duration.as_str()),
        ("source_identity", source_identity.as_str()),
    ];
    // The MFA prompt is inside: a cached session asks for no code.
    cached(cx, &parts, || {
        let session_name = session_name()?;
        let mfa = match &step.mfa_serial {
            Some(serial) => Some((serial.clone(), (cx.mfa)(serial)?)),
            None => None,
        };
        let params = sts::AssumeRoleParams {
            role_arn: step.role_arn.clone(),
            session_name: session_name.clone(),
            external_id: step.external_id.clone(),
            duration_seconds: step.duration_seconds,
            mfa,
            source_identity: step.source_identity.clone(),
        };
        let c = sts::assume_role(cx.http, cx.sts, base, &params, cx.now)?;
        cx.log.debug(format_args!(
            "assumed {} (session {session_name}) with {}: {}",
            step.role_arn, base.access_key_id, c.access_key_id
        ));
        Ok(c)
    })
}

/// `eks-token-<user>`: tells a CloudTrail reader which tool and which local user assumed the
/// role. STS allows `[\w+=,.@-]`, 2 to 64 characters; anything else in the user name becomes `-`.
pub fn default_session_name(env: &Env) -> String {
    let user = env
        .first(&["USER", "LOGNAME", "USERNAME"])
        .map(|(_, v)| v)
        .unwrap_or("");
    let clean: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@_-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut name = if clean.is_empty() {
        "eks-token".to_string()
    } else {
        format!("eks-token-{clean}")
    };
    name.truncate(64);
    name
}

/// The session name of an assumed-role ARN (`arn:aws:sts::1:assumed-role/Role/SESSION`), as
/// aws-iam-authenticator's `--forward-session-name` takes it.
pub fn forwarded_session_name(arn: &str) -> Option<String> {
    let rest = arn.split(':').nth(5)?;
    let mut parts = rest.split('/');
    (parts.next()? == "assumed-role").then_some(())?;
    let session = parts.nth(1)?;
    (!session.is_empty()).then(|| session.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names() {
        assert_eq!(
            default_session_name(&Env::from_pairs([("USER", "ann.lee")])),
            "eks-token-ann.lee"
        );
        assert_eq!(
            default_session_name(&Env::from_pairs([("USER", "a b/ü")])),
            "eks-token-a-b--"
        );
        assert_eq!(default_session_name(&Env::default()), "eks-token");
        assert_eq!(
            default_session_name(&Env::from_pairs([("USER", "x".repeat(99))])).len(),
            64
        );
        assert_eq!(
            forwarded_session_name("arn:aws:sts::123:assumed-role/Admin/jane@example.com")
                .as_deref(),
            Some("jane@example.com")
        );
        assert_eq!(forwarded_session_name("arn:aws:iam::123:user/bob"), None);
    }
}
