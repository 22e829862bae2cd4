//! Shared helpers for the integration tests: where the third-party conformance data lives, and
//! skip notes that are seen.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;

/// Say that a test skipped, on the real stderr: `eprintln!` is captured by the test harness
/// for passing tests, and a skip nobody sees is a silent pass.
pub fn skip_note(why: &str) {
    let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {why} ***\n");
}

/// The conformance folder: `EKS_TOKEN_CONFORMANCE`, else `../shared/conformance` beside the crate.
/// `None` (with a loud note) when it is absent, so the suite is skipped, not failed — unless
/// `EKS_TOKEN_REQUIRE_CONFORMANCE=1` (CI), where absence is a failure.
pub fn conformance(sub: &str) -> Option<PathBuf> {
    let base = std::env::var_os("EKS_TOKEN_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    let dir = base.join(sub);
    if dir.exists() {
        return Some(dir);
    }
    let why = format!(
        "conformance data not found at {} (set EKS_TOKEN_CONFORMANCE)",
        dir.display()
    );
    assert!(
        std::env::var_os("EKS_TOKEN_REQUIRE_CONFORMANCE").is_none(),
        "{why}"
    );
    skip_note(&why);
    None
}
