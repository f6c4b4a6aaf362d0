//! Go-style duration strings (`1h30m`, `1.5s`, `250ms`, `6m0s`): parsing, and the serde helpers
//! that let profile fields take either such a string or a whole number of seconds.
//!
//! The same parser reads providers' `x-ratelimit-reset-*` headers, so it is strict (no spaces
//! inside, no signs, no unknown units) and allocation-free on success.

use std::fmt;
use std::time::Duration;

use serde::Deserializer;
use serde::de::{self, Visitor};

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// A duration as messages show it: `850ms`, `12.3s`, `4m05s`, `2h10m`.
pub fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    if duration < Duration::from_secs(1) {
        format!("{}ms", duration.as_millis())
    } else if secs < 60 {
        format!("{:.1}s", duration.as_secs_f64())
    } else if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

/// What every error message offers as the accepted forms.
const ACCEPTED: &str = "give a number of seconds (`30`, `1.5`) or number-unit groups with units \
                        `h`, `m`, `s`, `ms` (`1h30m`, `6m0s`, `1.5s`, `250ms`)";

/// Parses a Go-style duration: one or more `<number><unit>` groups with units `h`, `m`, `s`,
/// `ms`, fractions allowed (`1.5s`); a bare number means seconds. Surrounding whitespace is
/// ignored.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let text = s.trim();
    let fail = |why: &str| Err(format!("invalid duration `{text}`: {why}; {ACCEPTED}"));
    if text.is_empty() {
        return fail("it is empty");
    }
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut total: u128 = 0;
    while pos < bytes.len() {
        let Some((number, after_number)) = scan_number(bytes, pos) else {
            return fail("expected a number");
        };
        let (unit_nanos, after_unit) = match &bytes[after_number..] {
            // A bare number is seconds, but only as the whole string: `1h30` is more likely a
            // typo for `1h30m` than a deliberate 1h + 30s.
            [] if pos == 0 => (NANOS_PER_SEC, after_number),
            [] => return fail("the last number has no unit"),
            [b'm', b's', ..] => (1_000_000, after_number + 2),
            [b'h', ..] => (3600 * NANOS_PER_SEC, after_number + 1),
            [b'm', ..] => (60 * NANOS_PER_SEC, after_number + 1),
            [b's', ..] => (NANOS_PER_SEC, after_number + 1),
            _ => return fail("unknown unit"),
        };
        let Some(sum) = number
            .nanos(unit_nanos)
            .and_then(|nanos| total.checked_add(nanos))
        else {
            return fail("it is too large");
        };
        total = sum;
        pos = after_unit;
    }
    let secs = u64::try_from(total / NANOS_PER_SEC);
    match secs {
        // The remainder is below 1e9, so it always fits in u32.
        Ok(secs) => Ok(Duration::new(secs, (total % NANOS_PER_SEC) as u32)),
        Err(_) => fail("it is too large"),
    }
}

/// A decimal number as written: the whole part and the fraction as `digits / 10^scale`.
struct Number {
    whole: u128,
    fraction: u128,
    scale: u32,
}

impl Number {
    fn nanos(&self, unit_nanos: u128) -> Option<u128> {
        let whole = self.whole.checked_mul(unit_nanos)?;
        // fraction < 10^scale <= 10^18 and unit_nanos <= 3.6e12, so this cannot overflow u128.
        let fraction = self.fraction * unit_nanos / 10u128.pow(self.scale);
        whole.checked_add(fraction)
    }
}

/// Fraction digits beyond this are below a nanosecond for every unit and are dropped.
const MAX_FRACTION_DIGITS: u32 = 18;

/// Reads `digits[.digits]` (at least one digit in all) starting at `pos`.
fn scan_number(bytes: &[u8], mut pos: usize) -> Option<(Number, usize)> {
    let mut number = Number {
        whole: 0,
        fraction: 0,
        scale: 0,
    };
    let mut digits = 0;
    while let Some(d) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
        // Saturating keeps the scan going; an absurd whole part then fails as "too large".
        number.whole = number
            .whole
            .saturating_mul(10)
            .saturating_add(u128::from(d - b'0'));
        digits += 1;
        pos += 1;
    }
    if bytes.get(pos) == Some(&b'.') {
        pos += 1;
        while let Some(d) = bytes.get(pos).filter(|b| b.is_ascii_digit()) {
            if number.scale < MAX_FRACTION_DIGITS {
                number.fraction = number.fraction * 10 + u128::from(d - b'0');
                number.scale += 1;
            }
            digits += 1;
            pos += 1;
        }
    }
    (digits > 0).then_some((number, pos))
}

/// `#[serde(deserialize_with = ...)]` for a `Duration` written as a duration string or a
/// whole number of seconds.
pub fn deserialize_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    d.deserialize_any(DurationVisitor)
}

/// Like [`deserialize_duration`] for an optional field; pair it with `#[serde(default)]`.
pub fn deserialize_opt_duration<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Duration>, D::Error> {
    deserialize_duration(d).map(Some)
}

struct DurationVisitor;

impl Visitor<'_> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(
            "a duration: a string like \"1.5s\", \"250ms\", \"1h30m\", or a whole number of seconds",
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Duration, E> {
        Ok(Duration::from_secs(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
        u64::try_from(v).map(Duration::from_secs).map_err(|_| {
            E::custom(format!(
                "invalid duration {v}: a duration cannot be negative; {ACCEPTED}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn accepts_go_forms() {
        assert_eq!(parse_duration("1.5s"), Ok(ms(1500)));
        assert_eq!(parse_duration("6m0s"), Ok(Duration::from_secs(360)));
        assert_eq!(parse_duration("12ms"), Ok(ms(12)));
        assert_eq!(parse_duration("250ms"), Ok(ms(250)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1m30s250ms"), Ok(ms(90_250)));
        assert_eq!(parse_duration("0.5m"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration(".5s"), Ok(ms(500)));
        assert_eq!(parse_duration("2.s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("1.000000001s"), Ok(Duration::new(1, 1)));
    }

    #[test]
    fn bare_number_is_seconds_and_whitespace_is_trimmed() {
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1.25"), Ok(ms(1250)));
        assert_eq!(parse_duration("  2s\n"), Ok(Duration::from_secs(2)));
    }

    #[test]
    fn ms_is_matched_before_m() {
        assert_eq!(parse_duration("5ms"), Ok(ms(5)));
        assert_eq!(parse_duration("5m5s"), Ok(Duration::from_secs(305)));
        assert_eq!(parse_duration("5m5ms"), Ok(ms(300_005)));
    }

    #[test]
    fn rejects_other_forms_with_the_accepted_ones() {
        for bad in [
            "",
            "  ",
            "5 minutes",
            "5 s",
            "1h 30m",
            "-1s",
            "+1s",
            "1d",
            "1us",
            "s",
            "1..5s",
            "1h30",
            "ms",
            ".s",
            "1.5.s",
            "1S",
        ] {
            let err = parse_duration(bad).expect_err(bad);
            assert!(err.contains("`h`, `m`, `s`, `ms`"), "{bad}: {err}");
        }
        let err = parse_duration("5 minutes").unwrap_err();
        assert!(err.starts_with("invalid duration `5 minutes`"), "{err}");
    }

    #[test]
    fn rejects_overflow_without_panicking() {
        assert!(parse_duration("99999999999999999999999999999999999999999h").is_err());
        assert!(parse_duration("18446744073709551616s").is_err());
        assert_eq!(
            parse_duration("18446744073709551615s"),
            Ok(Duration::from_secs(u64::MAX))
        );
    }

    #[derive(serde::Deserialize, Debug)]
    struct Holder {
        #[serde(deserialize_with = "deserialize_duration")]
        d: Duration,
        #[serde(default, deserialize_with = "deserialize_opt_duration")]
        o: Option<Duration>,
    }

    #[test]
    fn serde_accepts_string_or_integer_seconds() {
        let h: Holder = toml::from_str("d = \"250ms\"\no = 60").unwrap();
        assert_eq!((h.d, h.o), (ms(250), Some(Duration::from_secs(60))));
        let h: Holder = toml::from_str("d = 5").unwrap();
        assert_eq!((h.d, h.o), (Duration::from_secs(5), None));
    }

    #[test]
    fn serde_rejects_bad_values() {
        for bad in ["d = \"5 minutes\"", "d = -3", "d = 1.5", "d = true"] {
            let err = toml::from_str::<Holder>(bad).expect_err(bad).to_string();
            assert!(err.contains("duration"), "{bad}: {err}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = parse_duration(&s);
        }

        #[test]
        fn go_groups_add_up(h in 0u64..1000, m in 0u64..1000, s in 0u64..1000, milli in 0u64..1000) {
            let text = format!("{h}h{m}m{s}s{milli}ms");
            let want = Duration::from_secs(h * 3600 + m * 60 + s) + ms(milli);
            prop_assert_eq!(parse_duration(&text), Ok(want));
        }

        #[test]
        fn millisecond_fractions_are_exact(whole in 0u64..100_000, frac in 0u64..1000) {
            let text = format!("{whole}.{frac:03}s");
            prop_assert_eq!(parse_duration(&text), Ok(ms(whole * 1000 + frac)));
        }
    }
}
