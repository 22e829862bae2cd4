//! The static musl binary (`make static`) as a `FROM scratch` image runs it: alone in an empty
//! root, no /etc, no HOME, no certificates. Run by `make test` with EKS_TOKEN_STATIC_BIN set.

mod common;

use eks_token::credentials::Credentials;
use eks_token::token;
use std::path::PathBuf;
use std::process::Command;
use time::OffsetDateTime;

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// The budget for the binary with TLS (rustls + ring + roots).
const MAX_BYTES: u64 = 2_621_440;

fn static_bin() -> Option<PathBuf> {
    match std::env::var_os("EKS_TOKEN_STATIC_BIN") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            common::skip_note(
                "EKS_TOKEN_STATIC_BIN is not set (make test sets it after make static)",
            );
            None
        }
    }
}

/// Does the ELF file ask for a dynamic loader (a PT_INTERP program header)?
fn has_interpreter(elf: &[u8]) -> bool {
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(elf[4], 2, "not 64-bit");
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count).any(|i| {
        let o = phoff + i * size;
        u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) == 3
    })
}

#[test]
fn static_binary_is_small_and_has_no_loader() {
    let Some(bin) = static_bin() else { return };
    let bytes = std::fs::read(&bin).unwrap();
    eprintln!(
        "static binary: {} bytes ({:.2} MiB)",
        bytes.len(),
        bytes.len() as f64 / 1048576.0
    );
    assert!(
        (bytes.len() as u64) < MAX_BYTES,
        "{} bytes is over the 2.5 MiB budget",
        bytes.len()
    );
    assert!(
        !has_interpreter(&bytes),
        "the binary needs a dynamic loader: not static"
    );
}

#[test]
fn static_binary_mints_a_token_in_an_empty_root() {
    let Some(bin) = static_bin() else { return };
    if !Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
    {
        common::skip_note("chroot needs root");
        return;
    }
    let root = tempfile::tempdir().unwrap();
    std::fs::copy(&bin, root.path().join("eks-token")).unwrap();
    // chroot lives in sbin, which a CI PATH may not include.
    let chroot = ["/usr/sbin/chroot", "/sbin/chroot", "/usr/bin/chroot"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("chroot (coreutils) is installed");
    let out = Command::new(chroot)
        .arg(root.path())
        .args([
            "/eks-token",
            "--cluster-name",
            "scratch",
            "--region",
            "eu-north-1",
        ])
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", AKID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr, "", "nothing on stderr");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = v["status"]["token"].as_str().unwrap();
    let d = token::verify(
        t,
        "scratch",
        Some(&Credentials::new(AKID, SECRET)),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    assert_eq!(d.host, "sts.eu-north-1.amazonaws.com");
}
