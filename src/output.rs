//! The ExecCredential kubectl reads from our stdout — the only thing we ever print there.

use crate::exec_info::ApiVersion;
use crate::token::{rfc3339_seconds, Token};
use serde_json::json;

/// The ExecCredential JSON for `token`, one line with a trailing newline.
pub fn exec_credential(api_version: ApiVersion, token: &Token) -> String {
    let doc = json!({
        "kind": "ExecCredential",
        "apiVersion": api_version.as_str(),
        "spec": {},
        "status": {
            "expirationTimestamp": rfc3339_seconds(token.expiration),
            "token": token.token,
        },
    });
    format!("{doc}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn shape_matches_the_client_authentication_api() {
        let t = Token {
            token: "k8s-aws-v1.abc".into(),
            expiration: datetime!(2023-04-28 0:14 UTC),
        };
        let out = exec_credential(ApiVersion::V1, &t);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["kind"], "ExecCredential");
        assert_eq!(v["apiVersion"], "client.authentication.k8s.io/v1");
        assert_eq!(v["spec"], json!({}));
        assert_eq!(v["status"]["expirationTimestamp"], "2023-04-28T00:14:00Z");
        assert_eq!(v["status"]["token"], "k8s-aws-v1.abc");
        assert!(out.ends_with('\n') && out.lines().count() == 1);
    }
}
