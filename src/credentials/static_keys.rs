//! Long-term or session keys written down: in the environment, or in a profile.

use super::Credentials;
use crate::env::Env;
use crate::profile::Profile;
use crate::secret::Secret;
use crate::{Error, Result};

/// `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`, or the legacy
/// `AWS_SECURITY_TOKEN`). Half a pair is an error, not a reason to look elsewhere: the user
/// meant to use these.
pub fn from_env(env: &Env) -> Result<Option<Credentials>> {
    // A value of only spaces is as unset as an empty one (smithy-rs's blank-variable fixture).
    let get = |name: &str| env.get(name).map(str::trim).filter(|v| !v.is_empty());
    let id = get("AWS_ACCESS_KEY_ID");
    let secret = get("AWS_SECRET_ACCESS_KEY");
    let (id, secret) = match (id, secret) {
        (None, None) => return Ok(None),
        (Some(id), Some(secret)) => (id, secret),
        (Some(_), None) => {
            return Err(Error::invalid(
                "environment",
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both, or unset AWS_ACCESS_KEY_ID",
            ))
        }
        (None, Some(_)) => {
            return Err(Error::invalid(
                "environment",
                "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not; set both, or unset AWS_SECRET_ACCESS_KEY",
            ))
        }
    };
    let token = env
        .first(&["AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"])
        .map(|(_, v)| Secret::new(v));
    Ok(Some(Credentials {
        access_key_id: id.to_string(),
        secret_access_key: Secret::new(secret),
        session_token: token,
        expiry: None,
        source: "environment".into(),
    }))
}

/// `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`) of one profile.
/// `Ok(None)` when the profile has neither key.
pub fn from_profile(profile: &Profile) -> Result<Option<Credentials>> {
    let id = profile.get("aws_access_key_id");
    let secret = profile.get("aws_secret_access_key");
    let where_set = |key: &str| match profile.origin(key) {
        Some(o) => format!(" ({}:{})", o.path.display(), o.line),
        None => String::new(),
    };
    let (id, secret) = match (id, secret) {
        (None, None) => return Ok(None),
        (Some(id), Some(secret)) => (id, secret),
        (Some(_), None) => {
            return Err(Error::Profile {
                profile: profile.name.clone(),
                why: format!(
                "has aws_access_key_id{} but no aws_secret_access_key; add it or remove the key id",
                where_set("aws_access_key_id")
            ),
            })
        }
        (None, Some(_)) => {
            return Err(Error::Profile {
                profile: profile.name.clone(),
                why: format!(
                "has aws_secret_access_key{} but no aws_access_key_id; add it or remove the secret",
                where_set("aws_secret_access_key")
            ),
            })
        }
    };
    let token = profile
        .get("aws_session_token")
        .or_else(|| profile.get("aws_security_token"));
    Ok(Some(Credentials {
        access_key_id: id.to_string(),
        secret_access_key: Secret::new(secret),
        session_token: token.map(Secret::new),
        expiry: None,
        source: format!("profile '{}'", profile.name),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_pairs_and_halves() {
        assert_eq!(from_env(&Env::default()).unwrap(), None);
        let env = Env::from_pairs([
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
            ("AWS_SECURITY_TOKEN", "tok"),
        ]);
        let c = from_env(&env).unwrap().unwrap();
        assert_eq!(c.session_token.unwrap().expose(), "tok");
        let half = Env::from_pairs([("AWS_ACCESS_KEY_ID", "AKID")]);
        let e = from_env(&half).unwrap_err().to_string();
        assert!(e.contains("AWS_SECRET_ACCESS_KEY is not"), "{e}");
        let half = Env::from_pairs([("AWS_SECRET_ACCESS_KEY", "s3cr3t")]);
        let e = from_env(&half).unwrap_err().to_string();
        assert!(
            e.contains("AWS_ACCESS_KEY_ID is not") && !e.contains("s3cr3t"),
            "{e}"
        );
    }

    #[test]
    fn profile_half_pair_names_the_missing_key_and_line() {
        let set = crate::profile::parse(
            None,
            Some((
                std::path::Path::new("/h/.aws/credentials"),
                "[p]\n\naws_secret_access_key = s3cr3t\n",
            )),
        )
        .unwrap();
        let e = from_profile(&set.profiles["p"]).unwrap_err().to_string();
        assert!(
            e.contains("profile 'p'") && e.contains("no aws_access_key_id"),
            "{e}"
        );
        assert!(e.contains("/h/.aws/credentials:3"), "{e}");
        assert!(!e.contains("s3cr3t"));
    }
}
