//! AWS IAM Identity Center (SSO) credentials, as the AWS CLI v2 and SDKs get them: the bearer
//! token `aws sso login` cached in `~/.aws/sso/cache/<sha1>.json` (refreshed through SSO OIDC
//! CreateToken when it has under 5 minutes left and the cache holds a refresh token and a live
//! client registration), exchanged at the SSO portal's GetRoleCredentials for role
//! credentials. Endpoints follow the SSO / SSO-OIDC rules (FIPS, dual-stack) and the `sso` /
//! `sso_oidc` endpoint overrides. All I/O comes in through [`Io`].
//!
//! Differences from the SDKs, on purpose: a profile with `sso_session` but no
//! `sso_account_id` / `sso_role_name` is an error naming the missing keys (smithy-rs errors too;
//! the CLI skips the profile), and a refreshed token whose cache cannot be rewritten (e.g. a
//! read-only `~/.aws`) is used with a warning rather than failing.

mod api;
mod cache;
mod config;
pub mod sha1;

use std::path::Path;

use time::OffsetDateTime;

pub use api::{CallError, Policy};
pub use cache::{cache_path, parse_time, write_private_atomic, CachedToken, REFRESH_WINDOW};
pub use config::{config, login_hint, session_of, SsoConfig, SsoSession, SSO_KEYS};

use crate::credentials::Credentials;
use crate::endpoint::{self, EndpointConfig};
use crate::env::{Env, Fs};
use crate::error::{Error, Result};
use crate::http::Http;
use crate::log::Log;
use crate::profile::{Profile, ProfileSet};
use crate::secret::Secret;
use crate::settings::EndpointSettings;
use crate::timestamp::{rfc3339, rfc3339_seconds};
use cache::Plan;

/// Writes a file atomically and privately; the real one is [`write_private_atomic`].
pub type WriteFn<'a> = &'a dyn Fn(&Path, &[u8]) -> std::io::Result<()>;

/// Everything outside the process this source touches.
pub struct Io<'a> {
    pub env: &'a Env,
    /// Reads the token cache.
    pub fs: &'a dyn Fs,
    /// Rewrites the token cache after a refresh.
    pub write: WriteFn<'a>,
    pub http: &'a dyn Http,
    pub now: OffsetDateTime,
    pub log: &'a Log,
}

/// An SSO bearer token (what the SDKs' token provider chain yields).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoToken {
    pub token: Secret,
    pub expires_at: OffsetDateTime,
}

/// Role credentials for `profile`; `Ok(None)` when it has no `sso_*` key.
pub fn resolve(profile: &Profile, profiles: &ProfileSet, io: &Io) -> Result<Option<Credentials>> {
    resolve_with(profile, profiles, io, &Policy::default())
}

/// [`resolve`] with explicit timeouts and retries.
pub fn resolve_with(
    profile: &Profile,
    profiles: &ProfileSet,
    io: &Io,
    policy: &Policy,
) -> Result<Option<Credentials>> {
    let Some(cfg) = config(profile, profiles)? else {
        return Ok(None);
    };
    let source = source_label(&cfg.profile);
    let token = token_for(&cfg.profile, &cfg.session, profile, profiles, io, policy)?;
    let portal = service_endpoint(
        "sso",
        "portal.sso",
        &cfg.session.region,
        profile,
        profiles,
        io.env,
    )?;
    io.log.debug(format_args!(
        "SSO: GetRoleCredentials for role {} in account {} at {}",
        cfg.role_name, cfg.account_id, portal
    ));
    let hint = login_hint(&cfg.profile, &cfg.session);
    let mut creds = api::get_role_credentials(
        io.http,
        &portal,
        &cfg.account_id,
        &cfg.role_name,
        &token.token,
        policy,
    )
    .map_err(|e| {
        let why = match e {
            CallError::Unauthorized(detail) => format!(
                "the SSO portal refused the cached token (HTTP 401{detail}): the SSO session has \
                 expired or was signed out; {hint}"
            ),
            CallError::Forbidden(detail) => format!(
                "the SSO portal denied access (HTTP 403{detail}): check that role {} in account \
                 {} is assigned to you (sso_role_name, sso_account_id), or {hint}",
                cfg.role_name, cfg.account_id
            ),
            CallError::Other(why) => why,
        };
        Error::credentials(source.clone(), why)
    })?;
    if let Some(expiry) = creds.expiry {
        if expiry <= io.now {
            return Err(Error::credentials(
                source,
                format!(
                    "GetRoleCredentials returned credentials that expired at {}",
                    rfc3339(expiry)
                ),
            ));
        }
    }
    creds.source = format!(
        "SSO role {} in account {} (profile '{}')",
        cfg.role_name, cfg.account_id, cfg.profile
    );
    Ok(Some(creds))
}

/// The SSO bearer token for `profile` (refreshed if due); `Ok(None)` when it has no `sso_*`
/// key. This is the SDKs' token provider; eks-token itself needs only [`resolve`].
pub fn resolve_token(
    profile: &Profile,
    profiles: &ProfileSet,
    io: &Io,
    policy: &Policy,
) -> Result<Option<SsoToken>> {
    let Some(session) = session_of(profile, profiles)? else {
        return Ok(None);
    };
    token_for(&profile.name, &session, profile, profiles, io, policy).map(Some)
}

fn source_label(profile: &str) -> String {
    format!("SSO (profile '{profile}')")
}

/// The base URL for one of the SSO services, with its endpoint settings applied.
fn service_endpoint(
    service_id: &str,
    prefix: &str,
    region: &str,
    profile: &Profile,
    profiles: &ProfileSet,
    env: &Env,
) -> Result<String> {
    let settings = EndpointSettings::resolve(service_id, env, Some(profile), profiles)?;
    let ep = endpoint::service(
        prefix,
        &EndpointConfig {
            region: Some(region),
            use_fips: settings.use_fips,
            use_dualstack: settings.use_dualstack,
            legacy_global: false,
            url_override: settings
                .url
                .as_ref()
                .map(|u| (u.value.as_str(), u.origin_label.as_str())),
        },
    )?;
    Ok(ep.url)
}

/// Reads the cached token and refreshes it when due.
fn token_for(
    profile_name: &str,
    session: &SsoSession,
    profile: &Profile,
    profiles: &ProfileSet,
    io: &Io,
    policy: &Policy,
) -> Result<SsoToken> {
    let source = source_label(profile_name);
    let hint = login_hint(profile_name, session);
    let fail = |why: String| Error::credentials(source.clone(), why);
    let home = io.env.home().ok_or_else(|| {
        fail(
            "cannot find the SSO token cache: HOME is not set; set HOME to the folder holding .aws"
                .into(),
        )
    })?;
    let path = cache_path(&home, session.cache_key());
    let text = match io.fs.read_to_string(&path) {
        Ok(Some(text)) => text,
        Ok(None) => {
            return Err(fail(format!(
                "no SSO token cached at {} (not logged in); {hint}",
                path.display()
            )))
        }
        Err(e) => return Err(fail(format!("cannot read {}: {e}", path.display()))),
    };
    let cached = cache::parse(&text).map_err(|why| {
        fail(format!(
            "the SSO token cache {} {why}; {hint}",
            path.display()
        ))
    })?;
    check_header_safe(&cached.access_token).map_err(|why| {
        fail(format!(
            "the accessToken in {} {why}; {hint}",
            path.display()
        ))
    })?;
    let current = SsoToken {
        token: cached.access_token.clone(),
        expires_at: cached.expires_at,
    };
    match cached.plan(io.now, session.name.is_some()) {
        Plan::Use => Ok(current),
        Plan::Expired(why) => Err(fail(format!(
            "the SSO session for profile '{profile_name}' has expired ({why}); {hint}"
        ))),
        Plan::Refresh => match refresh(&cached, session, profile, profiles, io, policy) {
            Ok(fresh) => {
                let bytes = cached.refreshed(
                    &fresh.token,
                    fresh.expires_at,
                    fresh.refresh_token.as_ref(),
                    &session.region,
                    &session.start_url,
                );
                match (io.write)(&path, &bytes) {
                    Ok(()) => io.log.debug(format_args!("SSO: refreshed token saved to {}", path.display())),
                    Err(e) => io.log.warn(format_args!(
                        "SSO token refreshed but not saved to {}: {e}; the next run will refresh again",
                        path.display()
                    )),
                }
                Ok(fresh.into())
            }
            Err(why) if cached.expires_at > io.now => {
                // Still valid for a few minutes: use it, as the SDKs do.
                io.log.debug(format_args!(
                    "SSO: token refresh failed ({why}); using the cached token"
                ));
                Ok(current)
            }
            Err(why) => Err(fail(format!(
                "the SSO session for profile '{profile_name}' has expired (the token expired at {} \
                 and refreshing it failed: {why}); {hint}",
                rfc3339_seconds(cached.expires_at)
            ))),
        },
    }
}

/// A refreshed token and the refresh token to store with it.
struct Fresh {
    token: Secret,
    expires_at: OffsetDateTime,
    refresh_token: Option<Secret>,
}

impl From<Fresh> for SsoToken {
    fn from(f: Fresh) -> SsoToken {
        SsoToken {
            token: f.token,
            expires_at: f.expires_at,
        }
    }
}

fn refresh(
    cached: &CachedToken,
    session: &SsoSession,
    profile: &Profile,
    profiles: &ProfileSet,
    io: &Io,
    policy: &Policy,
) -> std::result::Result<Fresh, String> {
    let (Some(client_id), Some(secret), Some(refresh_token)) = (
        &cached.client_id,
        &cached.client_secret,
        &cached.refresh_token,
    ) else {
        return Err("the cache has no client registration".into());
    };
    let oidc = service_endpoint(
        "sso_oidc",
        "oidc",
        &session.region,
        profile,
        profiles,
        io.env,
    )
    .map_err(|e| e.to_string())?;
    io.log
        .debug(format_args!("SSO: refreshing the token at {oidc}/token"));
    let new = api::create_token(io.http, &oidc, client_id, secret, refresh_token, policy)?;
    check_header_safe(&new.access_token).map_err(|why| format!("the new accessToken {why}"))?;
    let secs = i64::try_from(new.expires_in.as_secs()).unwrap_or(i64::MAX);
    let expires_at = io
        .now
        .checked_add(time::Duration::seconds(secs))
        .ok_or("the CreateToken expiresIn is out of range")?;
    Ok(Fresh {
        token: new.access_token,
        expires_at,
        refresh_token: new.refresh_token,
    })
}

/// The token goes into a header: a line break would inject headers. Never echoes it.
fn check_header_safe(token: &Secret) -> std::result::Result<(), &'static str> {
    if token.expose().chars().any(|c| c.is_control()) {
        return Err("contains a control character");
    }
    Ok(())
}
