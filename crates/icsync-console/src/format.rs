//! How figures read on a page: thousands separators, durations in words, instants as `<time>`
//! elements with how long ago, and escaping for URLs.

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use rust_decimal::Decimal;

/// `1204` as `1,204`.
pub(crate) fn number(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A decimal without trailing zeros.
pub(crate) fn decimal(d: &Decimal) -> String {
    d.normalize().to_string()
}

/// Seconds in words: `45 s`, `3 min 20 s`, `2 h 5 min`, `3 days 4 h`.
pub(crate) fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 if secs % 60 == 0 => format!("{} min", secs / 60),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        3600..86_400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => {
            let days = secs / 86_400;
            let unit = if days == 1 { "day" } else { "days" };
            format!("{days} {unit} {} h", secs % 86_400 / 3600)
        }
    }
}

/// How far `at` is from `now`, in words: `3 min ago`, `in 4 min`, `just now`.
pub(crate) fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    if secs.abs() < 5 {
        "just now".to_owned()
    } else if secs > 0 {
        format!("{} ago", duration(secs))
    } else {
        format!("in {}", duration(-secs))
    }
}

/// An instant as a `<time>` element: the UTC date and time, then how long ago.
pub(crate) fn when(at: DateTime<Utc>) -> Markup {
    let now = Utc::now();
    html! {
        time datetime=(at.to_rfc3339()) { (at.format("%Y-%m-%d %H:%M:%S UTC")) }
        " (" (relative(at, now)) ")"
    }
}

/// An optional instant, or a dash.
pub(crate) fn when_or(at: Option<DateTime<Utc>>, missing: &str) -> Markup {
    match at {
        Some(at) => when(at),
        None => html! { (missing) },
    }
}

/// A URL as shown on a page: without any user name or password it may carry.
pub(crate) fn display_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string().trim_end_matches('/').to_owned()
        }
        Err(_) => "(not a URL)".to_owned(),
    }
}

/// A value for a URL's query string.
pub(crate) fn query_value(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A value for one segment of a URL's path (`/` and `?` included).
pub(crate) fn path_segment(value: &str) -> String {
    // The query encoder writes spaces as `+`, which a path keeps literally.
    query_value(value).replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1204), "1,204");
        assert_eq!(number(1_000_000), "1,000,000");
        assert_eq!(number(-12_345), "-12,345");
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(120), "2 min");
        assert_eq!(duration(200), "3 min 20 s");
        assert_eq!(duration(7500), "2 h 5 min");
        assert_eq!(duration(90_000), "1 day 1 h");
        let now = Utc::now();
        assert_eq!(relative(now - Duration::seconds(180), now), "3 min ago");
        assert_eq!(relative(now + Duration::seconds(240), now), "in 4 min");
        assert_eq!(relative(now, now), "just now");
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            display_url("https://user:secret@proxy.example/intercom/"),
            "https://proxy.example/intercom"
        );
        assert_eq!(
            display_url("http://127.0.0.1:9000"),
            "http://127.0.0.1:9000"
        );
    }

    #[test]
    fn path_segments_escape_slashes_and_spaces() {
        assert_eq!(path_segment("acme eu/2"), "acme%20eu%2F2");
        assert_eq!(query_value("a&b=c d"), "a%26b%3Dc+d");
    }
}
