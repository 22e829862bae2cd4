//! AWS credentials and where they come from. The chain tries each source in the SDKs' order;
//! every source returns `Ok(None)` when it is not configured, so "not here" and "broken" differ:
//! a source that is configured but fails stops the chain with its error.

pub mod cache;
pub mod container;
pub mod imds;
pub mod process;
pub mod static_keys;

use crate::env::{Env, Fs};
use crate::log::Log;
use crate::profile::ProfileSet;
use crate::secret::Secret;
use crate::settings::Settings;
use crate::{Error, Result};
use time::OffsetDateTime;

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
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<Secret>) -> Credentials {
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
}

/// Find credentials for `settings`, in this order:
/// 1. environment keys — skipped when the profile was chosen for this command or cluster
///    (`--profile`, cluster config `profile`), as the AWS CLI skips them for `--profile`;
/// 2. the selected profile.
pub fn resolve(settings: &Settings, cx: &Context) -> Result<Credentials> {
    let mut searched = Vec::new();
    if settings.profile_is_explicit() {
        cx.log.debug(format_args!(
            "environment keys skipped: profile '{}' was chosen by {}",
            settings.profile.value, settings.profile.origin
        ));
    } else {
        searched.push("the environment (AWS_ACCESS_KEY_ID)".to_string());
        if let Some(c) = static_keys::from_env(cx.env)? {
            cx.log.debug(format_args!("credentials from the environment: {}", c.access_key_id));
            return Ok(c);
        }
        cx.log.debug("no credentials in the environment");
    }
    let name = &settings.profile.value;
    match cx.profiles.profiles.get(name) {
        Some(profile) => {
            searched.push(format!("profile '{name}'"));
            if let Some(c) = static_keys::from_profile(profile)? {
                cx.log.debug(format_args!("credentials from profile '{name}': {}", c.access_key_id));
                return Ok(c);
            }
            cx.log.debug(format_args!("profile '{name}' has no credentials of a kind this build reads"));
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
        None => searched.push(format!("profile 'default' (not in {})", cx.profiles.describe_files())),
    }
    Err(Error::NoCredentials { searched: searched.join(", ") })
}
