//! The on-disk cache of credentials that expire (assumed roles, SSO, web identity, container,
//! IMDS, `credential_process`), so the next kubectl call skips the network and MFA is not asked
//! again while the credentials last.
//!
//! One JSON file per [`CacheKey`], named by the SHA-256 of everything that made the credentials,
//! so profiles never share an entry and file names reveal nothing. The file holds the secret, so:
//! the folder must be ours and closed to group and others (0700), entries are created 0600, and
//! anything else found there is not trusted: an existing folder open to group or others is refused,
//! never chmodded (it may be someone's home), and entries are opened without following symlinks.
//! Writers fill a uniquely named temp file in the same folder and `rename` it over the entry:
//! readers in other processes see the old file or the new one, never half of one. Runs that miss
//! the same entry at once take `<hash>.lock` (an empty 0600 file next to the entry, left in place:
//! deleting a lock file someone may be waiting on would let two runs hold it), so one fetches and
//! the others read its entry; other keys never wait. Every cache problem is a [`CacheError`] the
//! caller logs and carries on without the cache; none stops a token from being minted.

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
/// folder can be found. Every one counts only when absolute: the XDG spec ignores a relative
/// XDG_CACHE_HOME, and a relative HOME, flag or variable would put secrets in whatever folder
/// kubectl runs in. A relative flag or variable turns the cache off (it does not fall back to
/// another folder); [`cache_dir_problem`] says why, for a warning.
pub fn cache_dir(flag: Option<&str>, no_cache: bool, env: &Env) -> Option<PathBuf> {
    resolve_dir(flag, no_cache, env).unwrap_or(None)
}

/// Why [`cache_dir`] turned the cache off although the user named a folder (a relative
/// `--cache-dir` or `EKS_TOKEN_CACHE_DIR`): one line to show as a warning. `None` otherwise.
pub fn cache_dir_problem(flag: Option<&str>, no_cache: bool, env: &Env) -> Option<String> {
    resolve_dir(flag, no_cache, env).err()
}

fn resolve_dir(
    flag: Option<&str>,
    no_cache: bool,
    env: &Env,
) -> std::result::Result<Option<PathBuf>, String> {
    let off = env
        .get("EKS_TOKEN_NO_CACHE")
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    if no_cache || off {
        return Ok(None);
    }
    let named = match flag.filter(|f| !f.is_empty()) {
        Some(f) => Some(("--cache-dir", f)),
        None => env
            .get("EKS_TOKEN_CACHE_DIR")
            .map(|v| ("EKS_TOKEN_CACHE_DIR", v)),
    };
    if let Some((from, dir)) = named {
        let dir = PathBuf::from(dir);
        if !dir.is_absolute() {
            return Err(format!(
                "credential cache off: {from} {} is a relative path, which would put credentials \
                 in the folder kubectl runs in; give an absolute path",
                dir.display()
            ));
        }
        return Ok(Some(dir));
    }
    if let Some(xdg) = env
        .get("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Ok(Some(xdg.join("eks-token")));
    }
    Ok(env
        .home()
        .filter(|h| h.is_absolute())
        .map(|h| h.join(".cache").join("eks-token")))
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
    /// Creates `dir` (0700, with any missing parents, as the XDG spec asks) or checks the existing
    /// one: it must be a folder owned by us and closed to group and others. An existing folder is
    /// never chmodded: it may be a folder the user named for something else, even their home.
    pub fn open(dir: impl Into<PathBuf>) -> std::result::Result<Cache, CacheError> {
        let dir = dir.into();
        let io_err = |e: io::Error| CacheError::Io {
            path: dir.clone(),
            why: e.to_string(),
        };
        let created = create_dir(&dir).map_err(io_err)?;
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
        if created {
            // Ours since just now; the umask may have left it without our own bits.
            if mode != 0o700 {
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(io_err)?;
            }
        } else if mode & 0o077 != 0 {
            let may = if mode & 0o022 != 0 {
                "write to"
            } else {
                "read"
            };
            return Err(not_private(format!(
                "group or others may {may} it (mode {mode:o}); run `chmod 700 {}` if it holds \
                 only this cache, or pick another with --cache-dir or EKS_TOKEN_CACHE_DIR",
                dir.display()
            )));
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
        let invalid = |why: String| CacheError::Invalid {
            path: path.clone(),
            why,
        };
        // Not through a symlink: we never make one, so one here points at a file that is not
        // this entry, however valid it looks.
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags(O_NOFOLLOW)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(_) if is_symlink(&path) => {
                return Err(invalid("a symbolic link, not an entry we wrote".into()))
            }
            Err(e) => return Err(io_err(e)),
        };
        // Checked on the open file, so it is the file we read that passed.
        let meta = file.metadata().map_err(io_err)?;
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
        // rename replaces a symlink at `path` itself, never the file it points to.
        let written = write_new(&tmp, &bytes)
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
    // code), not twenty: the first takes the key's lock, the others wait and then find its
    // entry. Per key, so a run for another profile never waits behind this one's MFA prompt.
    // The lock is advisory and only an optimisation: without it we just fetch.
    let _lock = cache.lock(key, log);
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
    /// The lock file for `key`: next to its entry, so keys never share one.
    pub fn lock_path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(format!("{}.lock", key.hash))
    }

    /// An exclusive `flock` on `key`'s lock file, held until the returned handle is dropped;
    /// `None` after `LOCK_WAIT`, or when the lock file cannot be used (a symlink, not a regular
    /// file, not ours): then the caller just fetches.
    fn lock(&self, key: &CacheKey, log: &Log) -> Option<File> {
        let path = self.lock_path(key);
        let without = |why: &dyn fmt::Display| {
            log.debug(format_args!(
                "credential cache lock {}: {why}; fetching without it",
                path.display()
            ));
        };
        // No truncation (someone may hold it) and no following a symlink someone put there.
        let file = match OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(O_NOFOLLOW)
            .open(&path)
        {
            Ok(f) => f,
            Err(e) => {
                without(&e);
                return None;
            }
        };
        match file.metadata() {
            Ok(m) if m.is_file() && m.uid() == euid() => {}
            Ok(_) => {
                without(&"not a regular file of ours");
                return None;
            }
            Err(e) => {
                without(&e);
                return None;
            }
        }
        let deadline = std::time::Instant::now().checked_add(LOCK_WAIT);
        loop {
            match file.try_lock() {
                Ok(()) => return Some(file),
                Err(std::fs::TryLockError::WouldBlock)
                    if deadline.is_some_and(|d| std::time::Instant::now() < d) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    without(&"another run holds it too long");
                    return None;
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    without(&e);
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

/// RFC 3339 in UTC: one form in the files whatever offset the source used. A time whose UTC
/// form is past year 9999 (9999-12-31T23:00-05:00) keeps its offset rather than panic.
fn rfc3339(t: OffsetDateTime) -> String {
    crate::timestamp::rfc3339(t.checked_to_offset(UtcOffset::UTC).unwrap_or(t))
}

/// Creates `dir`, and its missing parents, 0700; `true` when `dir` itself is new (so ours to
/// chmod), `false` when it was there already, even if another run made it a moment ago.
fn create_dir(dir: &Path) -> io::Result<bool> {
    let mut builder = DirBuilder::new();
    builder.mode(0o700);
    match builder.create(dir) {
        Ok(()) => return Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(parent) = dir.parent() {
        builder.recursive(true).create(parent)?;
    }
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to a new 0600 file at `path`. `create_new` (O_EXCL) never opens an existing
/// file, nor follows a symlink, someone else put at that name.
fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// open(2)'s flag to fail rather than follow a symlink as the last part of the path. Its value
/// differs between systems and std does not export it; the libc crate would be a dependency for
/// one constant. Values from each system's <fcntl.h>.
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    any(
        target_arch = "arm",
        target_arch = "aarch64",
        target_arch = "powerpc",
        target_arch = "powerpc64",
        target_arch = "m68k"
    )
))]
const O_NOFOLLOW: i32 = 0o100000;
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(any(
        target_arch = "arm",
        target_arch = "aarch64",
        target_arch = "powerpc",
        target_arch = "powerpc64",
        target_arch = "m68k"
    ))
))]
const O_NOFOLLOW: i32 = 0o400000;
#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
))]
const O_NOFOLLOW: i32 = 0x100;
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd",
    target_os = "dragonfly"
)))]
compile_error!("credential cache: add this system's O_NOFOLLOW value from its <fcntl.h>");

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
    fn temp_files_are_never_written_through_what_is_there() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, "theirs").unwrap();
        let link = dir.path().join(".x.tmp");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let dangling = dir.path().join(".y.tmp");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        for p in [&link, &dangling, &target] {
            let err = write_new(p, b"secret").unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{}", p.display());
        }
        assert_eq!(fs::read_to_string(&target).unwrap(), "theirs");
        assert!(!dir.path().join("nowhere").exists());
    }

    #[test]
    fn o_nofollow_refuses_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        fs::write(&target, "x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let open = |p: &Path| {
            OpenOptions::new()
                .read(true)
                .custom_flags(O_NOFOLLOW)
                .open(p)
        };
        assert!(open(&target).is_ok());
        assert!(open(&link).is_err());
    }

    #[test]
    fn rfc3339_never_panics_past_year_9999_in_utc() {
        use time::macros::datetime;
        assert_eq!(
            rfc3339(datetime!(9999-12-31 23:00 -5)),
            "9999-12-31T23:00:00-05:00"
        );
        assert_eq!(
            rfc3339(datetime!(2024-05-01 12:00 +2)),
            "2024-05-01T10:00:00Z"
        );
    }

    #[test]
    fn euid_matches_files_we_create() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(fs::metadata(dir.path()).unwrap().uid(), euid());
    }
}
