//! The process environment as a value, and the file system as a seam. `main` reads `std::env`
//! once; everything below takes an `Env`, so tests build one from a map and never see the real
//! HOME. `Fs` lets the SDK fixtures serve their virtual file trees.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Environment variables. An empty value counts as unset, as the AWS SDKs treat it.
#[derive(Clone, Default, Debug)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// The real process environment (non-UTF-8 variables are skipped: none we read can be one).
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value of `name`, or `None` when unset or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The first of `names` that is set, with its name.
    pub fn first<'a>(&'a self, names: &[&'a str]) -> Option<(&'a str, &'a str)> {
        names.iter().find_map(|n| self.get(n).map(|v| (*n, v)))
    }

    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    pub fn remove(&mut self, name: &str) {
        self.vars.remove(name);
    }

    /// Every set variable whose name starts with `prefix`, as sorted `NAME=value` lines (for
    /// fingerprints: never shown).
    pub fn with_prefix(&self, prefix: &str) -> String {
        self.vars
            .iter()
            .filter(|(k, v)| k.starts_with(prefix) && !v.is_empty())
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect()
    }

    /// The home folder: `HOME`, falling back to `USERPROFILE` (as the SDKs do on Linux too).
    pub fn home(&self) -> Option<PathBuf> {
        self.first(&["HOME", "USERPROFILE"])
            .map(|(_, v)| PathBuf::from(v))
    }
}

/// Read access to files. The real one is `RealFs`; tests root it in a fixture folder.
pub trait Fs {
    /// The file's text, `Ok(None)` when it does not exist.
    fn read_to_string(&self, path: &Path) -> io::Result<Option<String>>;
}

/// The machine's file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFs;

impl Fs for RealFs {
    fn read_to_string(&self, path: &Path) -> io::Result<Option<String>> {
        match std::fs::read_to_string(path) {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A file system whose `/` is a folder: `/home/.aws/config` reads `<root>/home/.aws/config`.
#[derive(Clone, Debug)]
pub struct RootedFs(pub PathBuf);

impl Fs for RootedFs {
    fn read_to_string(&self, path: &Path) -> io::Result<Option<String>> {
        let rel = path.strip_prefix("/").unwrap_or(path);
        RealFs.read_to_string(&self.0.join(rel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_counts_as_unset() {
        let env = Env::from_pairs([("A", ""), ("B", "x")]);
        assert_eq!(env.get("A"), None);
        assert_eq!(env.first(&["A", "B"]), Some(("B", "x")));
    }

    #[test]
    fn home_falls_back_to_userprofile() {
        let env = Env::from_pairs([("USERPROFILE", "/u")]);
        assert_eq!(env.home(), Some(PathBuf::from("/u")));
    }
}
