//! The on-disk cache of credentials that expire (assumed roles, SSO, web identity, container,
//! IMDS, `credential_process`), so the next kubectl call skips the network and MFA is not asked
//! again while the credentials last.
//!
//! One JSON file per [`CacheKey`], named by the SHA-256 of everything that made the credentials,
//! so profiles never share an entry and file names reveal nothing. The file holds the secret, so:
//! the folder must be ours and closed to group and others (0700), entries are created 0600, and
//! anything else found there is not trusted. Writers fill a uniquely named temp file in the same
//! folder and `rename` it over the entry: readers in other processes see the old file or the new
//! one, never half of one. Every cache problem is a [`CacheError`] the caller logs and carries on
//! without the cache; none stops a token from being minted.

use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::Credentials;
use crate::env::Env;
use crate::log::Log;
use crate::secret::Secret;
use crate::Result;

/// Bumped whenever the file layout or the key derivation changes; part of key and file.
pub const FORMAT_VERSION: u32 = 1;
/// Cached credentials are reused only while they have this long left: a token minted from them
/// lives 15 minutes and must not outlive them.
pub const MIN_REMAINING: Duration = Duration::minutes(15);
/// Entries are ~2 KiB; a bigger file is not one of ours, and is not read whole.
const MAX_ENTRY: u64 = 64 * 1024;

/// Where the cache lives: `--cache-dir` > `EKS_TOKEN_CACHE_DIR` > `$XDG_CACHE_HOME/eks-token` >
/// `~/.cache/eks-token`; `None` (no cache) with `--no-cache`, `EKS_TOKEN_NO_CACHE=1`, or when no
/// folder can be found. XDG_CACHE_HOME and HOME count only when absolute (the XDG spec ignores
/// relative ones; a relative HOME would scatter secrets into the working folder).
pub fn cache_dir(flag: Option<&str>, no_cache: bool, env: &Env) -> Option<PathBuf> {
    let off = env
        .get("EKS_TOKEN_NO_CACHE")
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    if no_cache || off {
        return None;
    }
    if let Some(dir) = flag
        .filter(|f| !f.is_empty())
        .or_else(|| env.get("EKS_TOKEN_CACHE_DIR"))
    {
        return Some(PathBuf::from(dir));
    }
    if let Some(xdg) = env
        .get("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Some(xdg.join("eks-token"));
    }
    env.home()
        .filter(|h| h.is_absolute())
        .map(|h| h.join(".cache").join("eks-token"))
}

/// What identifies a cache entry: the SHA-256 (hex) of the format version and the ordered
/// (name, value) parts the caller gives, e.g. source kind, profile chain, role ARN, external id,
/// session name, MFA serial, endpoint, region, the source credentials' access key id. Parts are
/// length-prefixed, so no two different lists hash the same input. Only the hash is kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    hash: String,
}

impl CacheKey {
    pub fn new<N: AsRef<str>, V: AsRef<str>>(parts: impl IntoIterator<Item = (N, V)>) -> CacheKey {
        let mut h = Sha256::new();
        h.update(b"eks-token credential cache\0");
        h.update(FORMAT_VERSION.to_be_bytes());
        for (name, value) in parts {
            for s in [name.as_ref(), value.as_ref()] {
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
        }
        CacheKey {
            hash: hex::encode(h.finalize()),
        }
    }

    /// The key's hex SHA-256, which is also the entry's file name without `.json`.
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

/// Why the cache was not used. All are non-fatal: log them (`--debug`) and go on without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheError {
    /// The folder or an entry could not be created, read or written.
    Io { path: PathBuf, why: String },
    /// The folder or an entry is not private to us: ignored, never repaired for someone else.
    NotPrivate { path: PathBuf, why: String },
    /// An entry is corrupt, from another format version or for another key.
    Invalid { path: PathBuf, why: String },
    /// An entry's credentials have less than [`MIN_REMAINING`] left.
    Expiring {
        path: PathBuf,
        expiry: OffsetDateTime,
    },
}

impl CacheError {
    /// Whether the user should hear about it without `--debug`: an unsafe folder or entry means
    /// someone's permissions are wrong.
    pub fn is_warning(&self) -> bool {
        matches!(self, CacheError::NotPrivate { .. })
    }
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheError::Io { path, why } => write!(f, "credential cache {}: {why}", path.display()),
            CacheError::NotPrivate { path, why } => {
                write!(f, "credential cache {} not used: {why}", path.display())
            }
            CacheError::Invalid { path, why } => {
                write!(
                    f,
                    "credential cache entry {} ignored: {why}; it will be replaced",
                    path.display()
                )
            }
            CacheError::Expiring { path, expiry } => write!(
                f,
                "credential cache entry {} ignored: expires at {}, less than {} minutes from now",
                path.display(),
                rfc3339(*expiry),
                MIN_REMAINING.whole_minutes()
            ),
        }
    }
}

impl std::error::Error for CacheError {}

/// What an entry file holds. No `Debug`: it carries the secret.
#[derive(Serialize, Deserialize)]
struct Entry {
    version: u32,
    key: String,
    access_key_id: String,
    secret_access_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_token: Option<String>,
    expiration: String,
    source: String,
}

/// Read first, so a file of another version is reported as such, not as corrupt.
#[derive(Deserialize)]
struct Header {
    version: u32,
}

/// An open cache folder, checked to be ours and private.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// Creates `dir` (0700, with any missing parents) or checks the existing one: it must be a
    /// folder owned by us, not writable by group or others. Our own folder that group or others
    /// may only read or enter is closed to 0700; one they may write to is refused, since they
    /// could have swapped entries.
    pub fn open(dir: impl Into<PathBuf>) -> std::result::Result<Cache, CacheError> {
        let dir = dir.into();
        let io_err = |e: io::Error| CacheError::Io {
            path: dir.clone(),
            why: e.to_string(),
        };
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(io_err)?;
        let meta = fs::metadata(&dir).map_err(io_err)?;
        let not_private = |why: String| CacheError::NotPrivate {
            path: dir.clone(),
            why,
        };
        if !meta.is_dir() {
            return Err(not_private(
                "not a folder; pick another with --cache-dir".into(),
            ));
        }
        let me = euid();
        if meta.uid() != me {
            return Err(not_private(format!(
                "owned by uid {}, not by us (uid {me}); pick another with --cache-dir or EKS_TOKEN_CACHE_DIR",
                meta.uid()
            )));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o022 != 0 {
            return Err(not_private(format!(
                "group or others may write to it (mode {mode:o}); run `chmod 700 {}`",
                dir.display()
            )));
        }
        if mode & 0o077 != 0 {
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(io_err)?;
        }
        Ok(Cache { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The entry file for `key`.
    pub fn path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.json", key.hash))
    }

    /// The cached credentials for `key`, if any are stored and usable at `now` (at least
    /// [`MIN_REMAINING`] left). `Ok(None)` when there is no entry; `Err` says why one was ignored.
    /// The returned `source` ends in ` (cached)`.
    pub fn get(
        &self,
        key: &CacheKey,
        now: OffsetDateTime,
    ) -> std::result::Result<Option<Credentials>, CacheError> {
        let path = self.path(key);
        let io_err = |e: io::Error| CacheError::Io {
            path: path.clone(),
            why: e.to_string(),
        };
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(e)),
        };
        // Checked on the open file, so it is the file we read that passed.
        let meta = file.metadata().map_err(io_err)?;
        let invalid = |why: String| CacheError::Invalid {
            path: path.clone(),
            why,
        };
        if !meta.is_file() || meta.len() > MAX_ENTRY {
            return Err(invalid(format!(
                "not a regular file under {MAX_ENTRY} bytes"
            )));
        }
        let not_private = |why: String| CacheError::NotPrivate {
            path: path.clone(),
            why: format!("{why}; it will be replaced"),
        };
        if meta.uid() != euid() {
            return Err(not_private(format!(
                "owned by uid {}, not by us",
                meta.uid()
            )));
        }
        if meta.mode() & 0o077 != 0 {
            return Err(not_private(format!(
                "group or others may access it (mode {:o})",
                meta.mode() & 0o777
            )));
        }
        let mut bytes = Vec::new();
        file.take(MAX_ENTRY)
            .read_to_end(&mut bytes)
            .map_err(io_err)?;
        // serde's messages can quote the file's text, which holds the secret: say where, not what.
        let json_err = |e: serde_json::Error| {
            invalid(format!(
                "not a valid entry (JSON {:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        };
        let header: Header = serde_json::from_slice(&bytes).map_err(json_err)?;
        if header.version != FORMAT_VERSION {
            return Err(invalid(format!(
                "format version {}, this build reads {FORMAT_VERSION}",
                header.version
            )));
        }
        let entry: Entry = serde_json::from_slice(&bytes).map_err(json_err)?;
        if entry.key != key.hash {
            return Err(invalid("stored for another key".into()));
        }
        let expiry = OffsetDateTime::parse(&entry.expiration, &Rfc3339)
            .map_err(|_| invalid("expiration is not an RFC 3339 time".into()))?;
        if expiry - now < MIN_REMAINING {
            return Err(CacheError::Expiring { path, expiry });
        }
        Ok(Some(Credentials {
            access_key_id: entry.access_key_id,
            secret_access_key: Secret::new(entry.secret_access_key),
            session_token: entry.session_token.map(Secret::new),
            expiry: Some(expiry),
            source: format!("{} (cached)", entry.source),
        }))
    }

    /// Stores `creds` for `key`, replacing any entry atomically. Credentials without an expiry
    /// (long-term keys) are not written: they are already on disk where they came from.
    pub fn put(&self, key: &CacheKey, creds: &Credentials) -> std::result::Result<(), CacheError> {
        let Some(expiry) = creds.expiry else {
            return Ok(());
        };
        let entry = Entry {
            version: FORMAT_VERSION,
            key: key.hash.clone(),
            access_key_id: creds.access_key_id.clone(),
            secret_access_key: creds.secret_access_key.expose().to_string(),
            session_token: creds.session_token.as_ref().map(|t| t.expose().to_string()),
            expiration: rfc3339(expiry),
            source: creds.source.clone(),
        };
        let path = self.path(key);
        let bytes = serde_json::to_vec(&entry).map_err(|_| CacheError::Io {
            path: path.clone(),
            why: "could not encode the entry".into(),
        })?;
        let tmp = self.dir.join(format!(".{}.{}.tmp", key.hash, unique()));
        let io_err = |p: &Path, e: io::Error| CacheError::Io {
            path: p.to_path_buf(),
            why: e.to_string(),
        };
        // create_new: never write through a file or link someone else put there.
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&bytes))
            .map_err(|e| io_err(&tmp, e))
            .and_then(|()| fs::rename(&tmp, &path).map_err(|e| io_err(&path, e)));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written
    }
}

/// Cached credentials for `key` if usable at `now`; otherwise `fetch` them and cache the result.
/// With `cache` `None` this is just `fetch()`. Cache trouble is logged (warnings for unsafe
/// permissions, `--debug` for the rest) and never fails the call; `fetch`'s errors pass through.
pub fn get_or_fetch(
    cache: Option<&Cache>,
    key: &CacheKey,
    now: OffsetDateTime,
    log: &Log,
    fetch: impl FnOnce() -> Result<Credentials>,
) -> Result<Credentials> {
    let Some(cache) = cache else { return fetch() };
    if let Some(c) = lookup(cache, key, now, log) {
        return Ok(c);
    }
    // Twenty kubectl processes missing at once should make one STS call (and ask for one MFA
    // code), not twenty: the first takes the folder's lock, the others wait and then find its
    // entry. The lock is advisory and only an optimisation: without it we just fetch.
    let _lock = cache.lock(log);
    if _lock.is_some() {
        // Quietly: whatever was wrong with the entry was reported above.
        if let Ok(Some(c)) = cache.get(key, now) {
            log.debug(format_args!(
                "credential cache hit after waiting: {}",
                c.access_key_id
            ));
            return Ok(c);
        }
    }
    let creds = fetch()?;
    match creds.expiry {
        None => log.debug(format_args!(
            "credentials from {} not cached: they do not expire",
            creds.source
        )),
        Some(exp) if exp - now < MIN_REMAINING => log.debug(format_args!(
            "credentials from {} not cached: they expire at {}, too soon to reuse",
            creds.source,
            rfc3339(exp)
        )),
        Some(_) => match cache.put(key, &creds) {
            Ok(()) => log.debug(format_args!(
                "credentials cached in {}",
                cache.path(key).display()
            )),
            Err(e) => report(log, &e),
        },
    }
    Ok(creds)
}

fn lookup(cache: &Cache, key: &CacheKey, now: OffsetDateTime, log: &Log) -> Option<Credentials> {
    match cache.get(key, now) {
        Ok(Some(c)) => {
            log.debug(format_args!(
                "credential cache hit: {} from {}, expires at {}",
                c.access_key_id,
                cache.path(key).display(),
                c.expiry.map(rfc3339).unwrap_or_default()
            ));
            Some(c)
        }
        Ok(None) => {
            log.debug(format_args!(
                "credential cache miss: no {}",
                cache.path(key).display()
            ));
            None
        }
        Err(e) => {
            report(log, &e);
            None
        }
    }
}

/// How long a run waits for another run's fetch (which may be waiting for an MFA code).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

impl Cache {
    /// An exclusive `flock` on the cache folder itself (no lock file to leave behind), held
    /// until the returned handle is dropped; `None` after `LOCK_WAIT` or on any error.
    fn lock(&self, log: &Log) -> Option<std::fs::File> {
        let dir = std::fs::File::open(&self.dir).ok()?;
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match dir.try_lock() {
                Ok(()) => return Some(dir),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(_) => {
                    log.debug(
                        "credential cache: another run holds the lock too long; fetching anyway",
                    );
                    return None;
                }
            }
        }
    }
}

/// The cache in `dir` (from [`cache_dir`]), or `None` when it is off or unusable; why it is
/// unusable is logged with [`report`].
pub fn open_or_report(dir: Option<PathBuf>, log: &Log) -> Option<Cache> {
    match Cache::open(dir?) {
        Ok(c) => Some(c),
        Err(e) => {
            report(log, &e);
            None
        }
    }
}

/// The cache, opened on first use: a run that needs nothing cached (static keys) never
/// touches the folder.
pub struct LazyCache {
    dir: Option<PathBuf>,
    opened: std::cell::OnceCell<Option<Cache>>,
}

impl LazyCache {
    /// `dir`: from [`cache_dir`]; `None` keeps the cache off.
    pub fn new(dir: Option<PathBuf>) -> LazyCache {
        LazyCache {
            dir,
            opened: std::cell::OnceCell::new(),
        }
    }

    pub fn get(&self, log: &Log) -> Option<&Cache> {
        self.opened
            .get_or_init(|| open_or_report(self.dir.clone(), log))
            .as_ref()
    }
}

/// Logs a cache problem at the level it deserves.
pub fn report(log: &Log, e: &CacheError) {
    if e.is_warning() {
        log.warn(e);
    } else {
        log.debug(e);
    }
}

/// RFC 3339 in UTC: one form in the files whatever offset the source used.
fn rfc3339(t: OffsetDateTime) -> String {
    crate::timestamp::rfc3339(t.to_offset(UtcOffset::UTC))
}

/// A temp file name part no other writer uses: pid for other processes, a counter for other
/// threads, the clock for a pid reused after a crash left a file behind.
fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}.{}.{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Our effective uid, to tell our files from others'. std has no safe wrapper and the libc crate
/// would be a dependency for one call; std already links the C library that defines it.
fn euid() -> u32 {
    extern "C" {
        fn geteuid() -> u32;
    }
    // SAFETY: geteuid takes no arguments, touches no memory and cannot fail (POSIX).
    unsafe { geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_length_prefixed() {
        // Same concatenation, different split: must not collide.
        assert_ne!(CacheKey::new([("a", "bc")]), CacheKey::new([("ab", "c")]));
        assert_ne!(
            CacheKey::new([("a", "b"), ("c", "")]),
            CacheKey::new([("a", "b")])
        );
        assert_eq!(
            CacheKey::new([("a", "b")]),
            CacheKey::new([("a".to_string(), "b")])
        );
        assert_eq!(CacheKey::new([("a", "b")]).hash().len(), 64);
    }

    #[test]
    fn euid_matches_files_we_create() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(fs::metadata(dir.path()).unwrap().uid(), euid());
    }
}
