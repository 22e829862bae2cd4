//! SHA-1 (FIPS 180-4), only to name SSO token cache files the way the AWS CLI does
//! (`sha1(session name or start URL)`). Not used for anything security-relevant, so a small
//! local implementation beats a new dependency.

/// The 20-byte SHA-1 digest of `data`.
pub fn digest(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    // Message, 0x80, zeros to 56 mod 64, then the 64-bit big-endian bit length.
    let mut tail = Vec::with_capacity(128);
    let whole = data.len() - data.len() % 64;
    tail.extend_from_slice(data.get(whole..).unwrap_or_default());
    tail.push(0x80);
    while tail.len() % 64 != 56 {
        tail.push(0);
    }
    tail.extend_from_slice(&bit_len.to_be_bytes());
    let blocks = data.get(..whole).unwrap_or_default().chunks_exact(64);
    for block in blocks.chain(tail.chunks_exact(64)) {
        compress(&mut h, block);
    }
    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Lowercase hex of [`digest`].
pub fn hex_digest(data: &[u8]) -> String {
    hex::encode(digest(data))
}

fn compress(h: &mut [u32; 5], block: &[u8]) {
    let mut w = [0u32; 80];
    for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
        *word = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    }
    for t in 16..80 {
        w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *h;
    for (t, wt) in w.iter().enumerate() {
        let (f, k) = match t {
            0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
            20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
            _ => (b ^ c ^ d, 0xCA62_C1D6),
        };
        let temp = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*wt);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = temp;
    }
    for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
        *x = x.wrapping_add(y);
    }
}

#[cfg(test)]
mod tests {
    use super::hex_digest;

    /// FIPS 180 / RFC 3174 section 7.3 test vectors.
    #[test]
    fn fips_180_and_rfc_3174_vectors() {
        assert_eq!(
            hex_digest(b"abc"),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(hex_digest(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex_digest(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(
            hex_digest(&vec![b'a'; 1_000_000]),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
        );
        assert_eq!(
            hex_digest("01234567".repeat(80).as_bytes()),
            "dea356a2cddd90c7a7ecedc5ebb563934f460452"
        );
    }

    /// Lengths around the padding boundaries, against GNU coreutils `sha1sum` of that many `x`.
    #[test]
    fn padding_boundaries() {
        let cases = [
            (55, "cef734ba81a024479e09eb5a75b6ddae62e6abf1"),
            (56, "901305367c259952f4e7af8323f480d59f81335b"),
            (63, "0ddc4e0cccd9a12850deb5abb0853a4425559fec"),
            (64, "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163"),
            (65, "78c741ddc482e4cdf8c474a0876347a0905b6233"),
            (119, "4300320394f7ee239bcdce7d3b8bcee173a0cd5c"),
            (120, "ceb2821639c4b6dcb10bce0e522ca2e608ce056d"),
        ];
        for (n, want) in cases {
            assert_eq!(hex_digest(&vec![b'x'; n]), want, "{n} bytes");
        }
    }

    /// The cache file names in the smithy-rs fixtures (`fs/home/.aws/sso/cache/<sha1>.json`).
    #[test]
    fn aws_sso_cache_names_from_the_sdk_fixtures() {
        assert_eq!(
            hex_digest(b"https://ssotest.awsapps.com/start"),
            "dace00cba5f8355ec9d274ceb2bcebdfbeed0e12"
        );
        assert_eq!(
            hex_digest(b"dev"),
            "34c6fceca75e456f25e7e99531e2425c6c1de443"
        );
        assert_eq!(
            hex_digest(b"test-sso"),
            "d12208e38164f558a1d06c99432ab77dbb346c45"
        );
        assert_eq!(
            hex_digest(b"correct-sso"),
            "29faa2f70ab0f58f60e284d585d95865572f5cbd"
        );
    }
}
