//! The AWS shared config and credentials files (`~/.aws/config`, `~/.aws/credentials`): where
//! they are, and what profiles, `[sso-session x]` and `[services x]` sections they define.
//! Our own parser, not an INI crate: the AWS format keeps `\` and quotes literally, allows
//! `[default] # note`, nests sub-properties and is total (a profile set or a located error).

mod parse;
#[cfg(test)]
mod tests;

use crate::env::{Env, Fs};
use crate::error::{Error, Result};
use parse::{parse_file, Kind};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Where a setting was written, for error messages (`~/.aws/config:12: ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
}

#[derive(Clone, PartialEq, Eq)]
struct Property {
    /// The value as written; for a sub-property block (`s3 =` + indented lines) the raw lines
    /// joined by `\n`, which is what smithy-rs returns for it.
    value: String,
    /// `Some` when the value is a block of `name = value` sub-properties.
    subs: Option<BTreeMap<String, String>>,
    origin: Origin,
}

/// One `[profile x]`, `[sso-session x]` or `[services x]` section, merged across files.
/// Keys are stored lower-case (the format is case-insensitive for keys, not for names).
#[derive(Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    props: BTreeMap<String, Property>,
}

impl Profile {
    fn named(name: &str) -> Profile {
        Profile {
            name: name.to_string(),
            props: BTreeMap::new(),
        }
    }

    fn prop(&self, key: &str) -> Option<&Property> {
        self.props.get(&key.to_ascii_lowercase())
    }

    /// A plain value. For a sub-property block this is its raw text (see [`Profile::sub`]).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.prop(key).map(|p| p.value.as_str())
    }

    /// A sub-property, e.g. `sub("sts", "endpoint_url")` in a `[services x]` section.
    pub fn sub(&self, key: &str, sub: &str) -> Option<&str> {
        let subs = self.prop(key)?.subs.as_ref()?;
        subs.get(&sub.to_ascii_lowercase()).map(String::as_str)
    }

    /// The names in a sub-property block, or `None` if `key` is not one.
    pub fn sub_keys(&self, key: &str) -> Option<impl Iterator<Item = &str>> {
        Some(self.prop(key)?.subs.as_ref()?.keys().map(String::as_str))
    }

    /// The file and line that set `key` (the credentials file's, if both set it).
    pub fn origin(&self, key: &str) -> Option<&Origin> {
        self.prop(key).map(|p| &p.origin)
    }

    /// Every key, lower-case, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.props.keys().map(String::as_str)
    }
}

/// Only names: values may be secrets (`aws_secret_access_key`).
impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name)
            .field("keys", &self.props.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Everything both files define, config and credentials merged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileSet {
    pub profiles: BTreeMap<String, Profile>,
    pub sso_sessions: BTreeMap<String, Profile>,
    pub services: BTreeMap<String, Profile>,
    /// Where they were read from; `None` when there is no home folder to find them in.
    pub files: Option<Files>,
}

/// The two files' paths (they may not exist).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

/// Where the files are on Linux/macOS: `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE`, else
/// `~/.aws/config` / `~/.aws/credentials`. A leading `~` or `~/` means the home folder (`HOME`,
/// then `USERPROFILE`); `~user/` is left as written, as the SDKs do.
pub fn locate(env: &Env) -> Result<Files> {
    let path = |var: &str, default: &str| -> Result<PathBuf> {
        let (what, given) = match env.get(var) {
            Some(v) => (format!("{var}={v}"), v),
            None => (default.to_string(), default),
        };
        let rest = match given.strip_prefix('~') {
            Some("") => "",
            Some(r) if r.starts_with('/') => r.trim_start_matches('/'),
            _ => return Ok(PathBuf::from(given)),
        };
        let home = env.home().ok_or_else(|| {
            Error::invalid(
                what,
                "needs the home folder, but HOME is not set; set HOME, or set AWS_CONFIG_FILE \
                 and AWS_SHARED_CREDENTIALS_FILE to full paths",
            )
        })?;
        Ok(if rest.is_empty() {
            home
        } else {
            home.join(rest)
        })
    };
    Ok(Files {
        config: path("AWS_CONFIG_FILE", "~/.aws/config")?,
        credentials: path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")?,
    })
}

/// Parse the two files' texts (`None` = no such file) into one set. Credentials win per key;
/// `[default]` in config counts only if config has no `[profile default]`; `[sso-session x]`
/// and `[services x]` are read from config only.
pub fn parse(
    config: Option<(&Path, &str)>,
    credentials: Option<(&Path, &str)>,
) -> Result<ProfileSet> {
    let mut set = ProfileSet::default();
    if let Some((path, text)) = config {
        let p = parse_file(Kind::Config, path, text)?;
        set.profiles = p.profiles;
        set.sso_sessions = p.sso_sessions;
        set.services = p.services;
        if let Some(d) = p.bare_default {
            set.profiles.entry(d.name.clone()).or_insert(d);
        }
    }
    if let Some((path, text)) = credentials {
        for (name, creds) in parse_file(Kind::Credentials, path, text)?.profiles {
            let merged = set
                .profiles
                .entry(name)
                .or_insert_with_key(|n| Profile::named(n));
            merged.props.extend(creds.props);
        }
    }
    Ok(set)
}

/// [`locate`] + read + [`parse`]. A missing file is empty; an unreadable one is `Error::Io`.
/// With no home folder (a `FROM scratch` container often has no HOME) there are no files to
/// read: the set is empty, so environment credentials still work.
pub fn load(env: &Env, fs: &dyn Fs) -> Result<ProfileSet> {
    let Ok(files) = locate(env) else {
        return Ok(ProfileSet::default());
    };
    let read = |path: &Path| {
        fs.read_to_string(path).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            why: e.to_string(),
        })
    };
    let config = read(&files.config)?;
    let credentials = read(&files.credentials)?;
    let mut set = parse(
        config.as_deref().map(|t| (files.config.as_path(), t)),
        credentials
            .as_deref()
            .map(|t| (files.credentials.as_path(), t)),
    )?;
    set.files = Some(files);
    Ok(set)
}

impl ProfileSet {
    /// Where the files are, for messages: `~/.aws/config and ~/.aws/credentials` as resolved.
    pub fn describe_files(&self) -> String {
        match &self.files {
            Some(f) => format!("{} and {}", f.config.display(), f.credentials.display()),
            None => "no config files (HOME is not set)".to_string(),
        }
    }
}
