//! Times as text, in the two forms we write and show. Parsing stays with each reader: they
//! accept different sets (the SSO cache also reads the AWS CLI's old `…UTC` form).

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `t` in UTC, clamped to the last (or first) representable instant when the conversion
/// leaves the calendar `time` supports: an expiry of 9999-12-31T23:00:00-05:00 from a
/// credential source must not crash us.
pub fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.checked_to_offset(UtcOffset::UTC).unwrap_or_else(|| {
        if t.offset().is_negative() {
            PrimitiveDateTime::MAX.assume_utc()
        } else {
            PrimitiveDateTime::MIN.assume_utc()
        }
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, fraction dropped: kubectl's `expirationTimestamp` and the
/// form the AWS CLI writes in its SSO cache.
pub fn rfc3339_seconds(t: OffsetDateTime) -> String {
    let t = utc(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// RFC 3339 as `t` holds it (offset and fraction kept); the Unix time when RFC 3339 cannot
/// express it (a year outside 0..=9999).
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn extreme_dates_clamp_instead_of_panicking() {
        let late = datetime!(9999-12-31 23:00 -05:00);
        assert_eq!(rfc3339_seconds(late), "9999-12-31T23:59:59Z");
        assert_eq!(utc(datetime!(-9999-01-01 00:30 +01:00)).year(), -9999);
        assert_eq!(
            rfc3339_seconds(datetime!(2024-01-01 01:00 +01:00)),
            "2024-01-01T00:00:00Z"
        );
    }

    #[test]
    fn rfc3339_keeps_offset_and_fraction() {
        assert_eq!(
            rfc3339(datetime!(2021-12-11 07:18:18.5 +02:00)),
            "2021-12-11T07:18:18.5+02:00"
        );
        assert_eq!(
            rfc3339(datetime!(2021-12-11 07:18:18 UTC)),
            "2021-12-11T07:18:18Z"
        );
        assert_eq!(rfc3339(datetime!(-0001-01-01 00:00 UTC)), "-62198755200");
    }
}
