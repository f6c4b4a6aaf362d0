//! Time as the providers write it: HTTP-dates, RFC 3339 timestamps, Go-style durations (`6m0s`)
//! and protobuf durations (`3.5s`), without a date crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whole seconds since the Unix epoch, `offset` from now.
fn unix_after(offset: Duration) -> u64 {
    (SystemTime::now() + offset)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// (year, month 1–12, day 1–31) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

struct Civil {
    year: i64,
    month: u32,
    day: u32,
    weekday: usize,
    hour: u64,
    minute: u64,
    second: u64,
}

fn civil(unix: u64) -> Civil {
    let days = (unix / 86_400) as i64;
    let rem = unix % 86_400;
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        // 1970-01-01 was a Thursday.
        weekday: ((days + 4) % 7) as usize,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
    }
}

/// IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let c = civil(unix);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday],
        c.day,
        MONTHS[c.month as usize - 1],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

pub fn http_date_now() -> String {
    http_date(unix_after(Duration::ZERO))
}

/// [`http_date_now`] lent to `f`, formatted once a second per thread: every response has one.
pub fn with_http_date_now<R>(f: impl FnOnce(&str) -> R) -> R {
    thread_local! {
        static NOW: std::cell::RefCell<(u64, String)> = const {
            std::cell::RefCell::new((u64::MAX, String::new()))
        };
    }
    let unix = unix_after(Duration::ZERO);
    NOW.with_borrow_mut(|(second, date)| {
        if *second != unix {
            *second = unix;
            *date = http_date(unix);
        }
        f(date)
    })
}

/// The HTTP-date `offset` from now, rounded up to the next whole second.
pub fn http_date_after(offset: Duration) -> String {
    http_date(unix_after(offset + Duration::from_millis(999)))
}

/// RFC 3339 UTC with whole seconds, e.g. `2025-08-21T12:40:59Z`.
pub fn rfc3339(unix: u64) -> String {
    let c = civil(unix);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// The RFC 3339 time `offset` from now, rounded up to the next whole second. Anthropic's
/// answers carry a few of these each; formatted once per second and thread.
pub fn rfc3339_after(offset: Duration) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(u64, String)> = const {
            std::cell::RefCell::new((u64::MAX, String::new()))
        };
    }
    let unix = unix_after(offset + Duration::from_millis(999));
    LAST.with_borrow_mut(|(second, text)| {
        if *second != unix {
            *second = unix;
            *text = rfc3339(unix);
        }
        text.clone()
    })
}

/// OpenAI's Go-style duration: `12ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`.
pub fn go_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{}ms", d.as_millis());
    }
    let total = d.as_secs();
    let (hours, minutes) = (total / 3600, total % 3600 / 60);
    let seconds = seconds_text((total % 60) as f64 + f64::from(d.subsec_millis()) / 1000.0);
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, m) => format!("{m}m{seconds}s"),
        (h, m) => format!("{h}h{m}m{seconds}s"),
    }
}

/// A protobuf `Duration` as Gemini writes `retryDelay`: `19s`, `3.5s`.
pub fn proto_duration(d: Duration) -> String {
    format!("{}s", seconds_text(d.as_secs_f64()))
}

/// Seconds with up to three decimals and no trailing zeros.
fn seconds_text(seconds: f64) -> String {
    let text = format!("{seconds:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Whole seconds, rounded up, as `retry-after` carries them.
pub fn ceil_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(rfc3339(1_755_780_059), "2025-08-21T12:40:59Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn formats_durations_like_the_providers() {
        assert_eq!(go_duration(Duration::from_millis(12)), "12ms");
        assert_eq!(go_duration(Duration::from_secs(1)), "1s");
        assert_eq!(go_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(go_duration(Duration::from_secs(360)), "6m0s");
        assert_eq!(go_duration(Duration::from_secs(3723)), "1h2m3s");
        assert_eq!(proto_duration(Duration::from_millis(3500)), "3.5s");
        assert_eq!(proto_duration(Duration::from_secs(19)), "19s");
        assert_eq!(ceil_seconds(Duration::from_millis(1001)), 2);
    }
}
