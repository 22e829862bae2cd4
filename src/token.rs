//! The EKS token: a presigned STS `GetCallerIdentity` URL with the cluster signed in the
//! `x-k8s-aws-id` header, as `k8s-aws-v1.` + base64url (no padding). The EKS control plane
//! replays the URL against STS, so minting needs no network. `decode` and `verify` read a token
//! back the way the server does, for `eks-token verify` and the tests.

use crate::credentials::Credentials;
use crate::sigv4::{self, Options, Request, Signer};
use crate::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use time::{Duration, OffsetDateTime};

pub const PREFIX: &str = "k8s-aws-v1.";
/// The signed header carrying the cluster name (or, for Outposts local clusters, its id).
pub const CLUSTER_HEADER: &str = "x-k8s-aws-id";
/// How long the presigned URL claims to be valid. STS ignores it for GetCallerIdentity and
/// honours the URL for 15 minutes from `X-Amz-Date`; 60 is what every EKS tool sends.
pub const EXPIRES_SECONDS: u64 = 60;
/// STS accepts a presigned URL for 15 minutes; kubectl refreshes at `expirationTimestamp`,
/// so we promise one minute less.
pub const LIFETIME: Duration = Duration::minutes(14);
/// The query parameters a token may carry (aws-iam-authenticator's server allows these).
const ALLOWED_PARAMS: [&str; 9] = [
    "Action",
    "Version",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
];

/// Where the token's URL points: the STS endpoint and the region it is signed for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target<'a> {
    /// `scheme://host[:port][/base]`, no trailing slash.
    pub url: &'a str,
    /// The Host header as signed (`host[:port]`).
    pub host: &'a str,
    pub signing_region: &'a str,
}

/// A minted token and when kubectl should ask for a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub token: String,
    pub expiration: OffsetDateTime,
}

/// The presigned `GetCallerIdentity` URL for `cluster` (pure: the time is an argument).
pub fn presigned_url(
    cluster: &str,
    target: &Target,
    creds: &Credentials,
    now: OffsetDateTime,
) -> String {
    let req = Request {
        method: "GET".into(),
        path: "/".into(),
        query: vec![
            ("Action".into(), "GetCallerIdentity".into()),
            ("Version".into(), "2011-06-15".into()),
        ],
        headers: vec![
            ("host".into(), target.host.into()),
            (CLUSTER_HEADER.into(), cluster.into()),
        ],
        payload_hash: sigv4::EMPTY_SHA256.into(),
    };
    let signer = Signer {
        access_key_id: &creds.access_key_id,
        secret_access_key: creds.secret_access_key.expose(),
        session_token: creds.session_token.as_ref().map(|t| t.expose()),
        region: target.signing_region,
        service: "sts",
        time: now,
    };
    let signed = sigv4::presign(&req, &signer, EXPIRES_SECONDS, Options::default());
    format!("{}/?{}", target.url, signed.query)
}

/// Mint the token. It expires 14 minutes after signing, or a minute before the credentials
/// do, whichever is first: STS refuses a URL signed with credentials that have expired.
pub fn mint(cluster: &str, target: &Target, creds: &Credentials, now: OffsetDateTime) -> Token {
    let url = presigned_url(cluster, target, creds, now);
    let mut expiration = now.saturating_add(LIFETIME);
    if let Some(creds_expiry) = creds.expiry {
        expiration = expiration.min(creds_expiry.saturating_sub(Duration::minutes(1)));
    }
    Token {
        token: encode(&url),
        expiration,
    }
}

pub fn encode(url: &str) -> String {
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(url))
}

/// A token read back: its URL split into the parts a server checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    pub url: String,
    pub host: String,
    /// Decoded query parameters in URL order.
    pub params: Vec<(String, String)>,
}

impl Decoded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Decode a `k8s-aws-v1.` token into its URL (padding tolerated, as the authenticator does).
pub fn decode(token: &str) -> Result<Decoded> {
    let bad = |why: &str| Error::invalid("token", why.to_string());
    let body = token
        .trim()
        .strip_prefix(PREFIX)
        .ok_or_else(|| bad("does not start with k8s-aws-v1."))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(body.trim_end_matches('='))
        .map_err(|_| bad("is not base64url after the k8s-aws-v1. prefix"))?;
    let url = String::from_utf8(bytes).map_err(|_| bad("does not decode to a URL"))?;
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("does not hold an http(s) URL"))?;
    let (host, path_query) = rest.split_once('/').ok_or_else(|| bad("URL has no path"))?;
    let query = path_query
        .split_once('?')
        .map(|(_, q)| q)
        .ok_or_else(|| bad("URL has no query"))?;
    let params = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (sigv4::percent_decode(k), sigv4::percent_decode(v))
        })
        .collect();
    Ok(Decoded {
        host: host.to_string(),
        url,
        params,
    })
}

/// Check a token the way the EKS control plane (aws-iam-authenticator's server) does before it
/// calls STS: a GetCallerIdentity URL, the cluster header signed, within its lifetime. With the
/// signer's credentials it also recomputes the signature, which is all STS would do.
pub fn verify(
    token: &str,
    cluster: &str,
    creds: Option<&Credentials>,
    now: OffsetDateTime,
) -> Result<Decoded> {
    let d = decode(token)?;
    let fail = |why: String| Error::invalid("token", why);
    let want = |name: &str, value: &str| -> Result<()> {
        match d.param(name) {
            Some(v) if v == value => Ok(()),
            Some(v) => Err(fail(format!("{name} is {v:?}, expected {value:?}"))),
            None => Err(fail(format!("has no {name}"))),
        }
    };
    // aws-iam-authenticator's server: path `/`, known parameters only, each once.
    let path = d
        .url
        .split_once("://")
        .and_then(|(_, r)| r.split_once('/'))
        .map(|(_, p)| p);
    if !path.is_some_and(|p| p.starts_with('?')) {
        return Err(fail("URL path is not /".into()));
    }
    for (i, (k, _)) in d.params.iter().enumerate() {
        if !ALLOWED_PARAMS.iter().any(|a| a.eq_ignore_ascii_case(k)) {
            return Err(fail(format!("has an unexpected parameter {k:?}")));
        }
        if d.params[..i]
            .iter()
            .any(|(seen, _)| seen.eq_ignore_ascii_case(k))
        {
            return Err(fail(format!("repeats the parameter {k}")));
        }
    }
    match d.param("X-Amz-Expires").map(str::parse::<u32>) {
        Some(Ok(e)) if e <= 900 => {}
        _ => return Err(fail("X-Amz-Expires is missing or over 900 seconds".into())),
    }
    want("Action", "GetCallerIdentity")?;
    want("Version", "2011-06-15")?;
    want("X-Amz-Algorithm", "AWS4-HMAC-SHA256")?;
    let signed_headers = d.param("X-Amz-SignedHeaders").unwrap_or_default();
    if !signed_headers.split(';').any(|h| h == CLUSTER_HEADER) {
        return Err(fail(format!("does not sign the {CLUSTER_HEADER} header")));
    }
    let date = d
        .param("X-Amz-Date")
        .ok_or_else(|| fail("has no X-Amz-Date".into()))?;
    let signed_at =
        parse_amz_date(date).ok_or_else(|| fail(format!("X-Amz-Date {date:?} is not a date")))?;
    if now > signed_at.saturating_add(Duration::minutes(15)) {
        return Err(fail(format!(
            "expired: signed at {date}, STS accepts it for 15 minutes"
        )));
    }
    if signed_at > now.saturating_add(Duration::minutes(5)) {
        return Err(fail(format!("signed in the future ({date})")));
    }
    let credential = d
        .param("X-Amz-Credential")
        .ok_or_else(|| fail("has no X-Amz-Credential".into()))?;
    let scope: Vec<&str> = credential.split('/').collect();
    let [_, _, region, "sts", "aws4_request"] = scope[..] else {
        return Err(fail(format!(
            "X-Amz-Credential scope {credential:?} is not for sts"
        )));
    };
    if let Some(creds) = creds {
        let base = d.url.split("/?").next().unwrap_or_default();
        let target = Target {
            url: base,
            host: &d.host,
            signing_region: region,
        };
        let again = decode(&encode(&presigned_url(cluster, &target, creds, signed_at)))?;
        if again.param("X-Amz-Signature") != d.param("X-Amz-Signature") {
            return Err(fail(format!(
                "signature does not match cluster {cluster:?} and access key {}",
                creds.access_key_id
            )));
        }
    }
    Ok(d)
}

fn parse_amz_date(s: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(s, format)
        .ok()
        .map(|t| t.assume_utc())
}

pub use crate::timestamp::rfc3339_seconds;

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn creds() -> Credentials {
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    }

    const TARGET: Target = Target {
        url: "https://sts.us-west-2.amazonaws.com",
        host: "sts.us-west-2.amazonaws.com",
        signing_region: "us-west-2",
    };

    #[test]
    fn cluster_is_signed_but_not_in_the_url() {
        let url = presigned_url(
            "my-cluster",
            &TARGET,
            &creds(),
            datetime!(2023-04-28 0:00 UTC),
        );
        assert!(!url.contains("my-cluster"));
        assert!(url.contains("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"));
        assert!(url.starts_with("https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&"));
    }

    #[test]
    fn expiration_is_the_earlier_of_14_minutes_and_credentials_expiry() {
        let now = datetime!(2023-04-28 0:00 UTC);
        assert_eq!(
            mint("c", &TARGET, &creds(), now).expiration,
            datetime!(2023-04-28 0:14 UTC)
        );
        let mut short = creds();
        short.expiry = Some(datetime!(2023-04-28 0:10 UTC));
        assert_eq!(
            mint("c", &TARGET, &short, now).expiration,
            datetime!(2023-04-28 0:09 UTC)
        );
    }

    #[test]
    fn verify_round_trips_and_catches_tampering() {
        let now = datetime!(2023-04-28 0:00 UTC);
        let t = mint("c1", &TARGET, &creds(), now).token;
        assert!(verify(&t, "c1", Some(&creds()), now + Duration::minutes(3)).is_ok());
        assert!(
            verify(&t, "c2", Some(&creds()), now).is_err(),
            "other cluster"
        );
        assert!(
            verify(&t, "c1", None, now + Duration::minutes(16)).is_err(),
            "expired"
        );
        assert!(verify("k8s-aws-v1.!!!", "c1", None, now).is_err());
        assert!(verify("hello", "c1", None, now).is_err());
    }

    #[test]
    fn verify_mirrors_the_server_parameter_checks() {
        let now = datetime!(2023-04-28 0:00 UTC);
        let url = presigned_url("c1", &TARGET, &creds(), now);
        let with = |extra: &str| encode(&format!("{url}{extra}"));
        assert!(verify(&with("&Foo=bar"), "c1", None, now)
            .unwrap_err()
            .to_string()
            .contains("Foo"));
        assert!(verify(&with("&Action=GetCallerIdentity"), "c1", None, now)
            .unwrap_err()
            .to_string()
            .contains("repeats"));
        let long = url.replace("X-Amz-Expires=60", "X-Amz-Expires=3600");
        assert!(verify(&encode(&long), "c1", None, now)
            .unwrap_err()
            .to_string()
            .contains("900"));
    }

    #[test]
    fn timestamps_are_utc_seconds() {
        assert_eq!(
            rfc3339_seconds(datetime!(2023-04-28 0:14:00.9 UTC)),
            "2023-04-28T00:14:00Z"
        );
    }
}
