//! The typed values constraints compare: semantic versions, instants and IP networks, parsed
//! from text without allocating (the context's side is parsed on every evaluation).

use std::cmp::Ordering;
use std::net::IpAddr;

/// A semantic version (semver.org 2.0, strict: no leading `v`); the pre-release is kept as text and compared
/// identifier by identifier. Build metadata is ignored, as the spec says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SemVer<'a> {
    core: [u64; 3],
    pre: &'a str,
}

impl<'a> SemVer<'a> {
    pub(crate) fn parse(text: &'a str) -> Option<Self> {
        let (text, _build) = text
            .split_once('+')
            .map_or((text, None), |(a, b)| (a, Some(b)));
        let (core_text, pre) = text.split_once('-').unwrap_or((text, ""));
        if text.contains('-') && pre.is_empty() {
            return None;
        }
        let mut core = [0u64; 3];
        let mut parts = core_text.split('.');
        for slot in &mut core {
            *slot = numeric_identifier(parts.next()?)?;
        }
        if parts.next().is_some() {
            return None;
        }
        if !pre.is_empty() && !pre.split('.').all(valid_pre_identifier) {
            return None;
        }
        Some(SemVer { core, pre })
    }

    pub(crate) fn to_owned_parts(self) -> ([u64; 3], Box<str>) {
        (self.core, self.pre.into())
    }

    pub(crate) fn from_parts(core: [u64; 3], pre: &'a str) -> Self {
        SemVer { core, pre }
    }
}

fn numeric_identifier(text: &str) -> Option<u64> {
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn valid_pre_identifier(id: &str) -> bool {
    !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !(id.len() > 1 && id.starts_with('0') && id.bytes().all(|b| b.is_ascii_digit()))
}

impl Ord for SemVer<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core
            .cmp(&other.core)
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(self.pre, other.pre),
            })
    }
}

impl PartialOrd for SemVer<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// Milliseconds since the Unix epoch of an RFC 3339 / ISO 8601 date-time
/// (`2024-01-31T12:00:00.123Z`, an offset, or a bare date at midnight UTC).
pub(crate) fn parse_instant(text: &str) -> Option<i64> {
    let bytes = text.trim().as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = bytes.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0, |n, b| n * 10 + i64::from(b - b'0')))
    };
    let year = digits(0..4)?;
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(5..7)?;
    let day = digits(8..10)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if bytes.len() == 10 {
        return Some(days * 86_400_000);
    }
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) || bytes.get(13) != Some(&b':') {
        return None;
    }
    let hour = digits(11..13)?;
    let minute = digits(14..16)?;
    let (second, mut rest) = if bytes.get(16) == Some(&b':') {
        (digits(17..19)?, 19)
    } else {
        (0, 16)
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut millis = 0;
    if bytes.get(rest) == Some(&b'.') {
        let start = rest + 1;
        let mut end = start;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == start {
            return None;
        }
        let fraction = digits(start..end.min(start + 3))?;
        millis = fraction * 10_i64.pow(3 - (end.min(start + 3) - start) as u32);
        rest = end;
    }
    let offset_minutes = match bytes.get(rest) {
        None => 0,
        Some(b'Z' | b'z') if bytes.len() == rest + 1 => 0,
        Some(sign @ (b'+' | b'-')) => {
            let hours = digits(rest + 1..rest + 3)?;
            let minutes = match bytes.get(rest + 3) {
                Some(b':') => digits(rest + 4..rest + 6)?,
                _ => digits(rest + 3..rest + 5)?,
            };
            let total = hours * 60 + minutes;
            if *sign == b'-' { -total } else { total }
        }
        _ => return None,
    };
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// An IP network: an address with a prefix length (`10.0.0.0/8`, `::1/128`); a bare
/// address is a network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpNet {
    address: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => {
                (address.parse::<IpAddr>().ok()?, Some(prefix.parse().ok()?))
            }
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { address, prefix })
    }

    pub(crate) fn contains(&self, candidate: IpAddr) -> bool {
        let candidate = match (self.address, candidate) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(candidate, IpAddr::V4),
            _ => candidate,
        };
        match (self.address, candidate) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_orders_pre_releases_before_releases() {
        let v = |t| SemVer::parse(t).unwrap();
        assert!(v("1.0.0-alpha") < v("1.0.0-alpha.1"));
        assert!(v("1.0.0-alpha.1") < v("1.0.0-alpha.beta"));
        assert!(v("1.0.0-beta.11") < v("1.0.0-rc.1"));
        assert!(v("1.0.0-rc.1") < v("1.0.0"));
        assert_eq!(v("1.2.3+build"), v("1.2.3"));
        assert!(SemVer::parse("1.2").is_none());
        assert!(SemVer::parse("01.2.3").is_none());
    }

    #[test]
    fn instants_read_offsets_and_fractions() {
        assert_eq!(parse_instant("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_instant("1970-01-01T00:00:01.5Z"), Some(1500));
        assert_eq!(parse_instant("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_instant("2000-03-01"), Some(951_868_800_000));
        assert_eq!(parse_instant("yesterday"), None);
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net = IpNet::parse("10.0.0.0/8").unwrap();
        assert!(net.contains("10.1.2.3".parse().unwrap()));
        assert!(!net.contains("11.0.0.1".parse().unwrap()));
        assert!(
            IpNet::parse("::/0")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
        assert!(IpNet::parse("10.0.0.0/33").is_none());
    }
}
