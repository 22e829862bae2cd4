//! Web identity (IRSA in EKS pods, GitHub Actions OIDC, …): an OIDC token in a file, exchanged
//! for role credentials with STS `AssumeRoleWithWebIdentity`. Configured by
//! `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` (+ `AWS_ROLE_SESSION_NAME`), or by a
//! profile's `web_identity_token_file` + `role_arn` (+ `role_session_name`).

use crate::env::{Env, Fs};
use crate::secret::Secret;
use crate::{Error, Result};
use std::path::Path;

/// What to exchange, wherever it was configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebIdentity {
    pub role_arn: String,
    pub token_file: String,
    pub session_name: Option<String>,
    /// `environment` or `profile 'x'`, for messages.
    pub origin: String,
}

/// The environment's web identity settings; `Ok(None)` when the token file variable is unset.
pub fn from_env(env: &Env) -> Result<Option<WebIdentity>> {
    let Some(file) = env.get("AWS_WEB_IDENTITY_TOKEN_FILE") else {
        return Ok(None);
    };
    let role_arn = env.get("AWS_ROLE_ARN").ok_or_else(|| {
        Error::invalid(
            "environment",
            "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not; set the role to assume",
        )
    })?;
    Ok(Some(WebIdentity {
        role_arn: role_arn.to_string(),
        token_file: file.to_string(),
        session_name: env.get("AWS_ROLE_SESSION_NAME").map(str::to_string),
        origin: "environment (AWS_WEB_IDENTITY_TOKEN_FILE)".into(),
    }))
}

/// Read the token (it is rotated on disk, so read it every time it is needed).
pub fn read_token(fs: &dyn Fs, w: &WebIdentity) -> Result<Secret> {
    let source = || format!("web identity from {}", w.origin);
    let text = fs
        .read_to_string(Path::new(&w.token_file))
        .map_err(|e| {
            Error::credentials(
                source(),
                format!("cannot read token file {}: {e}", w.token_file),
            )
        })?
        .ok_or_else(|| {
            Error::credentials(
                source(),
                format!("token file {} does not exist", w.token_file),
            )
        })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(Error::credentials(
            source(),
            format!("token file {} is empty", w.token_file),
        ));
    }
    Ok(Secret::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_needs_both_variables() {
        assert_eq!(from_env(&Env::default()).unwrap(), None);
        let e = Env::from_pairs([("AWS_WEB_IDENTITY_TOKEN_FILE", "/t")]);
        assert!(from_env(&e)
            .unwrap_err()
            .to_string()
            .contains("AWS_ROLE_ARN"));
        let e = Env::from_pairs([
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/r"),
            ("AWS_ROLE_SESSION_NAME", "s"),
        ]);
        let w = from_env(&e).unwrap().unwrap();
        assert_eq!(
            (w.role_arn.as_str(), w.session_name.as_deref()),
            ("arn:aws:iam::1:role/r", Some("s"))
        );
    }

    #[test]
    fn token_file_problems_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        let w = WebIdentity {
            role_arn: "arn:x".into(),
            token_file: path.display().to_string(),
            session_name: None,
            origin: "environment".into(),
        };
        assert!(read_token(&crate::env::RealFs, &w)
            .unwrap_err()
            .to_string()
            .contains("does not exist"));
        std::fs::write(&path, "  \n").unwrap();
        assert!(read_token(&crate::env::RealFs, &w)
            .unwrap_err()
            .to_string()
            .contains("empty"));
        std::fs::write(&path, "eyJ.jwt.sig\n").unwrap();
        assert_eq!(
            read_token(&crate::env::RealFs, &w).unwrap().expose(),
            "eyJ.jwt.sig"
        );
    }
}
