//! Shared helpers for the integration tests: where the third-party conformance data lives.
#![allow(dead_code)]

use std::path::PathBuf;

/// The conformance folder: `EKS_TOKEN_CONFORMANCE`, else `../shared/conformance` beside the crate.
/// `None` (with a loud note on stderr) when it is absent, so the suite is skipped, not failed.
pub fn conformance(sub: &str) -> Option<PathBuf> {
    let base = std::env::var_os("EKS_TOKEN_CONFORMANCE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    let dir = base.join(sub);
    if dir.exists() {
        Some(dir)
    } else {
        eprintln!(
            "\n*** SKIPPED: conformance data not found at {} (set EKS_TOKEN_CONFORMANCE) ***\n",
            dir.display()
        );
        None
    }
}
