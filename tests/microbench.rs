//! In-process cost of minting one token (`make bench` runs it; ignored by `cargo test`, since
//! timings on a shared machine are not pass/fail material).

use eks_token::credentials::Credentials;
use eks_token::token::{self, Target};
use std::time::Instant;
use time::OffsetDateTime;

#[test]
#[ignore = "benchmark: run by make bench"]
fn mint_one_token() {
    let mut creds = Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    creds.session_token = Some("FwoGZXIvYXdzEXAMPLE".into());
    let target = Target {
        url: "https://sts.us-west-2.amazonaws.com",
        host: "sts.us-west-2.amazonaws.com",
        signing_region: "us-west-2",
    };
    let now = OffsetDateTime::now_utc();
    let mut total = 0usize;
    for _ in 0..1_000 {
        total += token::mint("bench", &target, &creds, now).token.len();
    }
    // Best and median of 20 batches: the machine is shared, and the best batch is the one
    // least disturbed by others.
    let batch = 2_000;
    let mut per: Vec<f64> = (0..20)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..batch {
                total += token::mint("bench", &target, &creds, now).token.len();
            }
            start.elapsed().as_secs_f64() / batch as f64 * 1e6
        })
        .collect();
    per.sort_by(f64::total_cmp);
    assert!(total > 0);
    println!(
        "mint one token: {:.2} µs best, {:.2} µs median of 20 batches (goal < 10 µs)",
        per[0], per[10]
    );
}
