//! The crate's one error type. Every variant carries what a user needs to fix the problem;
//! `Display` is the single stderr line `main` prints. Nothing secret is ever put in here.

use std::fmt;
use std::path::PathBuf;

/// Everything that can stop a token from being minted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The command line is wrong (exit code 2).
    Usage(String),
    /// A setting's value is unusable: `what` names the flag, variable or key and where it came from.
    Invalid { what: String, why: String },
    /// A shared config or credentials file could not be parsed.
    ConfigFile {
        path: PathBuf,
        line: usize,
        why: String,
    },
    /// A file we needed could not be read.
    Io { path: PathBuf, why: String },
    /// A profile is missing or incomplete.
    Profile { profile: String, why: String },
    /// No credential source produced credentials; `searched` says where we looked.
    NoCredentials { searched: String },
    /// A credential source was configured but failed.
    Credentials { source: String, why: String },
}

impl Error {
    /// The process exit code for this error: 2 for usage, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            _ => 1,
        }
    }

    pub fn invalid(what: impl Into<String>, why: impl Into<String>) -> Error {
        Error::Invalid {
            what: what.into(),
            why: why.into(),
        }
    }

    pub fn credentials(source: impl Into<String>, why: impl Into<String>) -> Error {
        Error::Credentials {
            source: source.into(),
            why: why.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) => write!(f, "{m} (see eks-token --help)"),
            Error::Invalid { what, why } => write!(f, "{what}: {why}"),
            Error::ConfigFile { path, line, why } => {
                write!(f, "{}:{line}: {why}", path.display())
            }
            Error::Io { path, why } => write!(f, "cannot read {}: {why}", path.display()),
            Error::Profile { profile, why } => write!(f, "profile '{profile}': {why}"),
            Error::NoCredentials { searched } => write!(
                f,
                "no AWS credentials found (looked in {searched}); set AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY, or choose a profile with --profile or AWS_PROFILE"
            ),
            Error::Credentials { source, why } => write!(f, "{source}: {why}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
