//! A profile, read as a recipe: where its first credentials come from (the base) and which
//! roles are assumed on top, innermost first. Pure: it only reads the parsed files, so the
//! SDKs' `assume-role-tests.json` can check it without a network.
//!
//! Rules, as smithy-rs and the Ruby SDK apply them (the SDKs disagree; we chose these): in the
//! selected profile `role_arn` wins over static keys; in a source profile static keys win over
//! its own `role_arn`; a profile that names itself as `source_profile` uses its own keys.

use crate::profile::{Profile, ProfileSet};
use crate::{Error, Result};

/// Where the first credentials come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// `aws_access_key_id` / `aws_secret_access_key` of this profile.
    StaticKeys { profile: String },
    /// `credential_source = Environment | Ec2InstanceMetadata | EcsContainer`.
    NamedSource {
        profile: String,
        source: NamedSource,
    },
    /// `web_identity_token_file` + `role_arn`.
    WebIdentity {
        profile: String,
        role_arn: String,
        token_file: String,
        session_name: Option<String>,
    },
    /// `sso_session` or the legacy `sso_start_url` keys.
    Sso { profile: String },
    /// `credential_process`.
    Process { profile: String, command: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamedSource {
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
}

/// One `role_arn` to assume, with the settings of the profile that names it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleStep {
    pub profile: String,
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub duration_seconds: Option<u32>,
    pub source_identity: Option<String>,
}

/// The recipe: the base, then each role in the order it is assumed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chain {
    pub base: Base,
    pub roles: Vec<RoleStep>,
}

fn profile_err(profile: &str, why: impl Into<String>) -> Error {
    Error::Profile {
        profile: profile.to_string(),
        why: why.into(),
    }
}

fn has_static_keys(p: &Profile) -> bool {
    p.get("aws_access_key_id").is_some() || p.get("aws_secret_access_key").is_some()
}

/// Read `selected` into a chain. `Ok(None)`: the profile exists but holds no credential
/// settings at all (only region and the like), so the caller may look elsewhere.
pub fn build(profiles: &ProfileSet, selected: &str) -> Result<Option<Chain>> {
    let mut roles: Vec<RoleStep> = Vec::new();
    let mut visited: Vec<String> = Vec::new();
    let mut name = selected.to_string();
    let base = loop {
        let profile = match profiles.profiles.get(&name) {
            Some(p) => p,
            None if visited.is_empty() => {
                return Err(profile_err(&name, "not found in the config or credentials file"))
            }
            None => {
                return Err(profile_err(
                    visited.last().map(String::as_str).unwrap_or_default(),
                    format!("source_profile '{name}' does not exist; add [profile {name}] or fix source_profile"),
                ))
            }
        };
        if visited.contains(&name) {
            visited.push(name.clone());
            return Err(profile_err(
                selected,
                format!(
                    "source_profile chain is a loop ({}); end it with a profile that has keys",
                    visited.join(" -> ")
                ),
            ));
        }
        let is_source = !visited.is_empty();
        visited.push(name.clone());
        // A source profile's own keys beat its role_arn (smithy-rs, botocore).
        if is_source && has_static_keys(profile) {
            break Base::StaticKeys {
                profile: name.clone(),
            };
        }
        let Some(role_arn) = profile.get("role_arn") else {
            match base_of(profile, profiles)? {
                Some(base) => break base,
                None if is_source => {
                    return Err(profile_err(
                        &name,
                        "is a source_profile but holds no credentials (keys, role, SSO or process)",
                    ))
                }
                None => return Ok(None),
            }
        };
        if let Some(file) = profile.get("web_identity_token_file") {
            break Base::WebIdentity {
                profile: name.clone(),
                role_arn: role_arn.to_string(),
                token_file: file.to_string(),
                session_name: profile.get("role_session_name").map(str::to_string),
            };
        }
        roles.push(role_step(profile, role_arn)?);
        match (
            profile.get("source_profile"),
            profile.get("credential_source"),
        ) {
            (Some(_), Some(_)) => {
                return Err(profile_err(
                    &name,
                    "has both source_profile and credential_source; keep one of them",
                ))
            }
            (None, None) => return Err(profile_err(
                &name,
                "has role_arn but neither source_profile nor credential_source; add one to say \
                     which credentials assume the role",
            )),
            (None, Some(source)) => {
                let source = match source {
                    "Environment" => NamedSource::Environment,
                    "Ec2InstanceMetadata" => NamedSource::Ec2InstanceMetadata,
                    "EcsContainer" => NamedSource::EcsContainer,
                    other => {
                        return Err(profile_err(
                            &name,
                            format!(
                                "credential_source {other:?} is not one of Environment, Ec2InstanceMetadata, \
                                 EcsContainer"
                            ),
                        ))
                    }
                };
                break Base::NamedSource {
                    profile: name.clone(),
                    source,
                };
            }
            (Some(source), None) if source == name => {
                // Self-reference: this profile's own keys assume its role.
                if !has_static_keys(profile) {
                    return Err(profile_err(
                        &name,
                        "is its own source_profile but has no keys",
                    ));
                }
                break Base::StaticKeys {
                    profile: name.clone(),
                };
            }
            (Some(source), None) => name = source.to_string(),
        }
    };
    if let Base::StaticKeys { profile } = &base {
        if let Some(p) = profiles.profiles.get(profile) {
            check_key_pair(p)?;
        }
    }
    roles.reverse();
    Ok(Some(Chain { base, roles }))
}

/// The base of a profile without `role_arn`: web identity, SSO, process, then static keys.
fn base_of(profile: &Profile, profiles: &ProfileSet) -> Result<Option<Base>> {
    let name = profile.name.clone();
    if profile.get("web_identity_token_file").is_some() {
        return Err(profile_err(
            &name,
            "has web_identity_token_file but no role_arn; add the role to assume",
        ));
    }
    let sso_keys = [
        "sso_session",
        "sso_start_url",
        "sso_account_id",
        "sso_role_name",
        "sso_region",
    ];
    if sso_keys.iter().any(|k| profile.get(k).is_some()) {
        check_sso(profile, profiles)?;
        return Ok(Some(Base::Sso { profile: name }));
    }
    if let Some(command) = profile.get("credential_process") {
        return Ok(Some(Base::Process {
            profile: name,
            command: command.to_string(),
        }));
    }
    if has_static_keys(profile) {
        check_key_pair(profile)?;
        return Ok(Some(Base::StaticKeys { profile: name }));
    }
    Ok(None)
}

/// The SSO keys' shape, checked when the chain is read (the SDKs' assume-role tests): account
/// and role name come together, and with `sso_session` the region and start URL belong to the
/// `[sso-session]` section (a copy in the profile must agree with it).
fn check_sso(profile: &Profile, profiles: &ProfileSet) -> Result<()> {
    let err = |why: String| Err(profile_err(&profile.name, why));
    match (profile.get("sso_account_id"), profile.get("sso_role_name")) {
        (Some(_), None) => {
            return err("has sso_account_id but no sso_role_name; add the role name".into())
        }
        (None, Some(_)) => {
            return err("has sso_role_name but no sso_account_id; add the account id".into())
        }
        _ => {}
    }
    let Some(session_name) = profile.get("sso_session") else {
        return Ok(());
    };
    let Some(session) = profiles.sso_sessions.get(session_name) else {
        return err(format!(
            "names sso_session '{session_name}', but there is no [sso-session {session_name}] section"
        ));
    };
    for key in ["sso_region", "sso_start_url"] {
        if let Some(v) = profile.get(key) {
            if session.get(key) != Some(v) {
                return err(format!(
                    "sets {key}, which must match [sso-session {session_name}]; keep it only in the session"
                ));
            }
        }
    }
    Ok(())
}

fn check_key_pair(profile: &Profile) -> Result<()> {
    // The static-key reader names the missing key; run it for its error only.
    super::static_keys::from_profile(profile)?
        .map(|_| ())
        .ok_or_else(|| {
            profile_err(
                &profile.name,
                "did not contain credential information (no keys)",
            )
        })
}

fn role_step(profile: &Profile, role_arn: &str) -> Result<RoleStep> {
    let duration_seconds = match profile.get("duration_seconds") {
        None => None,
        Some(v) => Some(
            v.parse::<u32>()
                .ok()
                .filter(|d| (900..=43200).contains(d))
                .ok_or_else(|| {
                    profile_err(
                        &profile.name,
                        format!("duration_seconds {v:?} must be a number from 900 to 43200"),
                    )
                })?,
        ),
    };
    Ok(RoleStep {
        profile: profile.name.clone(),
        role_arn: role_arn.to_string(),
        session_name: profile.get("role_session_name").map(str::to_string),
        external_id: profile.get("external_id").map(str::to_string),
        mfa_serial: profile.get("mfa_serial").map(str::to_string),
        duration_seconds,
        source_identity: profile.get("source_identity").map(str::to_string),
    })
}
