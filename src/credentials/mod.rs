//! AWS credentials and where they come from. The chain tries each source in the SDKs' order;
//! every source returns `Ok(None)` when it is not configured, so "not here" and "broken" differ.

pub mod container;
pub mod imds;
pub mod process;

use crate::secret::Secret;
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
    /// `profile 'dev' in ~/.aws/credentials`).
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
