//! Which SSO settings a profile has, checked the way the AWS CLI v2 checks them. Two forms:
//! `sso_session = NAME` with a `[sso-session NAME]` section holding `sso_start_url` and
//! `sso_region` (the token is refreshable), and the legacy form with all four `sso_*` keys in
//! the profile. Pure: a profile set in, a config or a one-line error out.

use crate::endpoint;
use crate::error::{Error, Result};
use crate::profile::{Profile, ProfileSet};

/// Keys whose presence says "this profile uses IAM Identity Center".
pub const SSO_KEYS: [&str; 5] = [
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
];

/// Where the token comes from: a named session or (legacy) a start URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoSession {
    /// `Some(name)` for the `sso_session` form, `None` for the legacy form.
    pub name: Option<String>,
    pub start_url: String,
    /// The Identity Center region: where the portal and OIDC endpoints are.
    pub region: String,
    /// `sso_registration_scopes`, used only by `aws sso login`; kept for `--debug`.
    pub registration_scopes: Option<String>,
}

impl SsoSession {
    /// What the cache file name is the SHA-1 of: the session name, else the start URL.
    pub fn cache_key(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.start_url)
    }
}

/// A profile that resolves to role credentials through Identity Center.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoConfig {
    pub profile: String,
    pub session: SsoSession,
    pub account_id: String,
    pub role_name: String,
}

/// The command that gets a fresh token for `profile`.
pub fn login_hint(profile: &str, session: &SsoSession) -> String {
    let p = shell_word(profile);
    match &session.name {
        Some(s) => format!(
            "run: aws sso login --profile {p} (or: aws sso login --sso-session {})",
            shell_word(s)
        ),
        None => format!("run: aws sso login --profile {p}"),
    }
}

/// Quotes a name for a copy-pasted command line when it holds anything unusual.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.@+=,/:".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The profile's SSO credential settings; `Ok(None)` when it has no `sso_*` key at all.
pub fn config(profile: &Profile, profiles: &ProfileSet) -> Result<Option<SsoConfig>> {
    let Some(session) = session_of(profile, profiles)? else {
        return Ok(None);
    };
    let missing: Vec<&str> = ["sso_account_id", "sso_role_name"]
        .into_iter()
        .filter(|k| profile.get(k).is_none())
        .collect();
    if !missing.is_empty() {
        let why = match &session.name {
            Some(name) => format!(
                "uses sso_session = {name} but has no {}: such a profile gives an SSO access \
                 token, not AWS credentials; add sso_account_id and sso_role_name to it",
                missing.join(" or ")
            ),
            None => format!(
                "is configured for SSO but is missing {}; add it (and see aws configure sso)",
                missing.join(" and ")
            ),
        };
        return Err(profile_error(profile, why));
    }
    Ok(Some(SsoConfig {
        profile: profile.name.clone(),
        session,
        account_id: profile
            .get("sso_account_id")
            .unwrap_or_default()
            .to_string(),
        role_name: profile.get("sso_role_name").unwrap_or_default().to_string(),
    }))
}

/// Just the token half (start URL, region, session): what an SSO bearer-token profile needs.
/// `Ok(None)` when the profile has no `sso_*` key.
pub fn session_of(profile: &Profile, profiles: &ProfileSet) -> Result<Option<SsoSession>> {
    if !SSO_KEYS.iter().any(|k| profile.get(k).is_some()) {
        return Ok(None);
    }
    let session = match profile.get("sso_session") {
        Some(name) => from_session_section(profile, profiles, name)?,
        None => {
            let missing: Vec<&str> = ["sso_start_url", "sso_region"]
                .into_iter()
                .filter(|k| profile.get(k).is_none())
                .collect();
            if !missing.is_empty() {
                return Err(profile_error(
                    profile,
                    format!(
                        "is configured for SSO but is missing {}; add it, or use sso_session \
                         with an [sso-session] section (aws configure sso)",
                        missing.join(" and ")
                    ),
                ));
            }
            SsoSession {
                name: None,
                start_url: profile.get("sso_start_url").unwrap_or_default().to_string(),
                region: profile.get("sso_region").unwrap_or_default().to_string(),
                registration_scopes: None,
            }
        }
    };
    endpoint::validate_region(
        &session.region,
        &match &session.name {
            Some(s) => format!("sso_region in [sso-session {s}]"),
            None => format!("sso_region in profile '{}'", profile.name),
        },
    )?;
    Ok(Some(session))
}

fn from_session_section(
    profile: &Profile,
    profiles: &ProfileSet,
    name: &str,
) -> Result<SsoSession> {
    let Some(section) = profiles.sso_sessions.get(name) else {
        let file = match &profiles.files {
            Some(f) => f.config.display().to_string(),
            None => "the config file".to_string(),
        };
        return Err(profile_error(
            profile,
            format!("sso_session = {name}, but there is no [sso-session {name}] section in {file}"),
        ));
    };
    let missing: Vec<&str> = ["sso_start_url", "sso_region"]
        .into_iter()
        .filter(|k| section.get(k).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(profile_error(
            profile,
            format!(
                "[sso-session {name}] is missing {}; add it to that section",
                missing.join(" and ")
            ),
        ));
    }
    // The CLI refuses a profile that repeats a session key with another value.
    for key in ["sso_start_url", "sso_region"] {
        if let (Some(mine), Some(theirs)) = (profile.get(key), section.get(key)) {
            if mine != theirs {
                return Err(profile_error(
                    profile,
                    format!(
                        "{key} is {mine:?} here but {theirs:?} in [sso-session {name}]; remove it \
                         from the profile or make them agree"
                    ),
                ));
            }
        }
    }
    Ok(SsoSession {
        name: Some(name.to_string()),
        start_url: section.get("sso_start_url").unwrap_or_default().to_string(),
        region: section.get("sso_region").unwrap_or_default().to_string(),
        registration_scopes: section.get("sso_registration_scopes").map(str::to_string),
    })
}

fn profile_error(profile: &Profile, why: String) -> Error {
    Error::Profile {
        profile: profile.name.clone(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn set(config: &str) -> ProfileSet {
        let mut s =
            crate::profile::parse(Some((Path::new("/home/u/.aws/config"), config)), None).unwrap();
        s.files = Some(crate::profile::Files {
            config: "/home/u/.aws/config".into(),
            credentials: "/home/u/.aws/credentials".into(),
        });
        s
    }

    fn cfg(config: &str, name: &str) -> Result<Option<SsoConfig>> {
        let s = set(config);
        config_of(&s, name)
    }

    fn config_of(s: &ProfileSet, name: &str) -> Result<Option<SsoConfig>> {
        config(&s.profiles[name], s)
    }

    const SESSION: &str = "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n\
        sso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
        sso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n";

    #[test]
    fn session_form() {
        let c = cfg(SESSION, "dev").unwrap().unwrap();
        assert_eq!(
            c,
            SsoConfig {
                profile: "dev".into(),
                session: SsoSession {
                    name: Some("corp".into()),
                    start_url: "https://corp.awsapps.com/start".into(),
                    region: "eu-west-1".into(),
                    registration_scopes: Some("sso:account:access".into()),
                },
                account_id: "111122223333".into(),
                role_name: "Admin".into(),
            }
        );
        assert_eq!(c.session.cache_key(), "corp");
        assert_eq!(
            login_hint("dev", &c.session),
            "run: aws sso login --profile dev (or: aws sso login --sso-session corp)"
        );
    }

    #[test]
    fn legacy_form() {
        let text =
            "[profile old]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-2\n\
                    sso_account_id = 1\nsso_role_name = R\n";
        let c = cfg(text, "old").unwrap().unwrap();
        assert_eq!(c.session.name, None);
        assert_eq!(c.session.cache_key(), "https://x.awsapps.com/start");
        assert_eq!(
            login_hint("old", &c.session),
            "run: aws sso login --profile old"
        );
        assert_eq!(
            login_hint("my prof", &c.session),
            "run: aws sso login --profile 'my prof'"
        );
    }

    #[test]
    fn no_sso_keys_is_not_configured() {
        assert_eq!(cfg("[profile p]\nregion = us-east-1\n", "p").unwrap(), None);
    }

    #[test]
    fn missing_keys_are_named() {
        let cases: &[(&str, &[&str])] = &[
            (
                "[profile p]\nsso_start_url = https://x\nsso_account_id = 1\nsso_role_name = R\n",
                &["profile 'p'", "sso_region"],
            ),
            (
                "[profile p]\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\n",
                &["profile 'p'", "sso_start_url"],
            ),
            (
                "[profile p]\nsso_start_url = https://x\nsso_region = us-east-1\nsso_role_name = R\n",
                &["profile 'p'", "sso_account_id"],
            ),
            (
                "[profile p]\nsso_account_id = 1\n",
                &["profile 'p'", "sso_start_url and sso_region"],
            ),
            (
                "[profile p]\nsso_session = s\nsso_account_id = 1\nsso_role_name = R\n\
                 [sso-session s]\nsso_start_url = https://x\n",
                &["profile 'p'", "[sso-session s]", "sso_region"],
            ),
            (
                "[profile p]\nsso_session = s\nsso_account_id = 1\nsso_role_name = R\n",
                &["profile 'p'", "no [sso-session s] section", "/home/u/.aws/config"],
            ),
            (
                "[profile p]\nsso_session = s\n[sso-session s]\nsso_start_url = https://x\n\
                 sso_region = us-east-1\n",
                &["sso_account_id or sso_role_name", "access token, not AWS credentials"],
            ),
        ];
        for (text, wants) in cases {
            let err = cfg(text, "p").unwrap_err().to_string();
            for want in *wants {
                assert!(err.contains(want), "{text}\n=> {err}\n(want {want})");
            }
        }
    }

    #[test]
    fn profile_and_session_must_agree() {
        let text = SESSION.replace(
            "sso_role_name = Admin\n",
            "sso_role_name = Admin\nsso_start_url = https://other.awsapps.com/start\n",
        );
        let err = cfg(&text, "dev").unwrap_err().to_string();
        assert!(
            err.contains("sso_start_url")
                && err.contains("[sso-session corp]")
                && err.contains("other"),
            "{err}"
        );
        let text = SESSION.replace(
            "sso_role_name = Admin\n",
            "sso_role_name = Admin\nsso_region = us-east-1\n",
        );
        assert!(cfg(&text, "dev")
            .unwrap_err()
            .to_string()
            .contains("sso_region"));
        // Repeating the same value is fine.
        let text = SESSION.replace(
            "sso_role_name = Admin\n",
            "sso_role_name = Admin\nsso_region = eu-west-1\n",
        );
        assert!(cfg(&text, "dev").unwrap().is_some());
    }

    #[test]
    fn region_must_be_a_region_name() {
        let text = SESSION.replace("sso_region = eu-west-1", "sso_region = evil.com/x");
        let err = cfg(&text, "dev").unwrap_err().to_string();
        assert!(err.contains("sso_region in [sso-session corp]"), "{err}");
    }

    #[test]
    fn keys_are_case_insensitive() {
        let text = "[profile p]\nSSO_SESSION = s\nSSO_ACCOUNT_ID = 1\nSSO_ROLE_NAME = R\n\
                    [sso-session s]\nSSO_START_URL = https://x\nSSO_REGION = us-east-2\n";
        assert!(cfg(text, "p").unwrap().is_some());
    }
}
