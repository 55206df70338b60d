//! Byte sizes (`"100 MB"`, `"1MiB"`, `"1M"`, `"512"`) as field values, read by the `bytesize`
//! crate and re-exported as [`ByteSize`](crate::ByteSize).
//!
//! A bare unit letter is decimal, as `bytesize`, Kubernetes and Garage read it: `1M` is
//! `1 MB` (1 000 000 bytes); `1Mi` and `1MiB` are 1 048 576 bytes. Units ignore case.

use std::borrow::Cow;

use bytesize::ByteSize;

use super::{ConfigValue, ValueError};

impl ConfigValue for ByteSize {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        parse(text).ok_or_else(ValueError::expected::<Self>)
    }
    fn expected() -> Cow<'static, str> {
        "a byte size like 100 MB, 64 KiB or 1M (k, M, G are powers of 1000; Ki, Mi, Gi of \
         1024), or whole bytes"
            .into()
    }
    fn type_name() -> Cow<'static, str> {
        "byte size".into()
    }
}

/// The size `text` names, or `None`. `bytesize` saturates a size past `u64::MAX` to
/// `u64::MAX`; that is refused here rather than read as 16 EiB.
fn parse(text: &str) -> Option<ByteSize> {
    let text = text.trim();
    let size: ByteSize = text.parse().ok()?;
    let saturated = size.as_u64() == u64::MAX && text.parse::<u64>() != Ok(u64::MAX);
    (!saturated).then_some(size)
}

/// Units from the largest down, each family's own spelling.
const UNITS: [(u64, &str); 12] = [
    (1 << 60, "EiB"),
    (1_000_000_000_000_000_000, "EB"),
    (1 << 50, "PiB"),
    (1_000_000_000_000_000, "PB"),
    (1 << 40, "TiB"),
    (1_000_000_000_000, "TB"),
    (1 << 30, "GiB"),
    (1_000_000_000, "GB"),
    (1 << 20, "MiB"),
    (1_000_000, "MB"),
    (1 << 10, "KiB"),
    (1_000, "kB"),
];

/// The size in the largest unit that divides it exactly (`100 MB`, `1 GiB`, `1500 bytes`):
/// what a message shows, so a bound reads as it was written rather than rounded (`bytesize`'s
/// own `Display` shows `100 MB` as `95.4 MiB`).
pub(crate) fn exact(size: ByteSize) -> String {
    let bytes = size.as_u64();
    UNITS
        .iter()
        .find(|(unit, _)| bytes >= *unit && bytes.is_multiple_of(*unit))
        .map_or_else(
            || format!("{bytes} bytes"),
            |(unit, name)| format!("{} {name}", bytes / unit),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> u64 {
        ByteSize::parse_str(text)
            .unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
            .as_u64()
    }

    #[test]
    fn reads_decimal_binary_and_bare_sizes() {
        assert_eq!(bytes("100 MB"), 100_000_000);
        assert_eq!(bytes("1MiB"), 1_048_576);
        assert_eq!(bytes("1M"), 1_000_000);
        assert_eq!(bytes("1Mi"), 1_048_576);
        assert_eq!(bytes("512"), 512);
        assert_eq!(bytes(" 2 gib "), 2 << 30);
        assert_eq!(bytes("1.5 KB"), 1500);
        assert_eq!(bytes("0"), 0);
        assert_eq!(bytes("18446744073709551615"), u64::MAX);
    }

    #[test]
    fn refuses_what_is_not_a_size() {
        for text in [
            "", "MB", "-1 MB", "1 XB", "1.5", "ten MB", "1 000 B", "20 EiB",
        ] {
            let err = ByteSize::parse_str(text).unwrap_err();
            assert!(err.expected.starts_with("a byte size like"), "{text:?}");
            assert_eq!(
                err.detail, None,
                "{text:?}: the parser's message quotes the input"
            );
        }
    }

    #[test]
    fn shows_sizes_exactly() {
        assert_eq!(exact(ByteSize::mb(100)), "100 MB");
        assert_eq!(exact(ByteSize::gib(1)), "1 GiB");
        assert_eq!(exact(ByteSize::kib(1536)), "1536 KiB");
        assert_eq!(exact(ByteSize::b(1500)), "1500 bytes");
        assert_eq!(exact(ByteSize::b(0)), "0 bytes");
    }
}
