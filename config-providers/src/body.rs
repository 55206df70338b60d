//! Bounded, wiped answers of the HTTP stores (Vault, etcd, GCP, Azure, Unleash): a body is
//! read up to a cap (a hostile or broken server cannot grow memory without end), into a
//! buffer that is zeroed when dropped, and the JSON parsed from it is wiped too, since it
//! holds secret text. Each part is compiled for the stores that use it.

use serde_json::Value;
use zeroize::Zeroize;

/// Zeroes every string in `value` (keys are names, not secrets, and stay).
pub(crate) fn wipe(value: &mut Value) {
    match value {
        Value::String(text) => text.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(fields) => fields.values_mut().for_each(wipe),
        _ => {}
    }
}

#[cfg(any(
    feature = "vault",
    feature = "etcd",
    feature = "gcp",
    feature = "azure",
    feature = "unleash"
))]
pub(crate) use capped::read_capped;
/// What etcd's watch also needs: its line buffer appends up to the cap.
#[cfg(feature = "etcd")]
pub(crate) use capped::{append_capped, too_large};

/// Reading an answer up to a cap (every HTTP store).
#[cfg(any(
    feature = "vault",
    feature = "etcd",
    feature = "gcp",
    feature = "azure",
    feature = "unleash"
))]
mod capped {
    use config_runtime::{ProviderError, ProviderErrorKind};
    use zeroize::Zeroizing;

    /// `n` bytes for people: `4 MiB`, `1500 bytes`.
    pub(crate) fn show_bytes(n: usize) -> String {
        const MIB: usize = 1 << 20;
        const KIB: usize = 1 << 10;
        if n >= MIB && n.is_multiple_of(MIB) {
            format!("{} MiB", n / MIB)
        } else if n >= KIB && n.is_multiple_of(KIB) {
            format!("{} KiB", n / KIB)
        } else {
            format!("{n} bytes")
        }
    }

    /// The error for an answer over the cap; `what` names the endpoint (never a value).
    pub(crate) fn too_large(what: &str, cap: usize) -> ProviderError {
        ProviderError::new(
            ProviderErrorKind::Invalid,
            format!(
                "{what} is larger than the {} limit on answers; not read further",
                show_bytes(cap)
            ),
        )
    }

    /// Appends `bytes` to `buffer` unless that passes `cap`. Grows by copying into a new
    /// zeroizing buffer, so no reallocation leaves an unwiped copy behind.
    pub(crate) fn append_capped(
        buffer: &mut Zeroizing<Vec<u8>>,
        bytes: &[u8],
        cap: usize,
    ) -> Result<(), ()> {
        let needed = buffer.len().checked_add(bytes.len()).ok_or(())?;
        if needed > cap {
            return Err(());
        }
        if needed > buffer.capacity() {
            let capacity = needed.max(buffer.capacity().saturating_mul(2)).min(cap);
            let mut grown = Zeroizing::new(Vec::with_capacity(capacity));
            grown.extend_from_slice(buffer);
            *buffer = grown;
        }
        buffer.extend_from_slice(bytes);
        Ok(())
    }

    /// The whole body of `response`, refused as soon as it passes `cap` bytes (a declared
    /// length over the cap is refused before reading). `what` names the endpoint in errors.
    pub(crate) async fn read_capped(
        mut response: reqwest::Response,
        cap: usize,
        what: &str,
    ) -> Result<Zeroizing<Vec<u8>>, ProviderError> {
        let declared = response.content_length().unwrap_or(0);
        if usize::try_from(declared).map_or(true, |declared| declared > cap) {
            return Err(too_large(what, cap));
        }
        let mut body = Zeroizing::new(Vec::with_capacity(declared as usize));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    append_capped(&mut body, &chunk, cap).map_err(|()| too_large(what, cap))?
                }
                Ok(None) => return Ok(body),
                Err(_) => {
                    return Err(ProviderError::new(
                        ProviderErrorKind::Unavailable,
                        format!("{what}: the connection failed while reading the answer"),
                    ));
                }
            }
        }
    }
}

#[cfg(any(
    feature = "vault",
    feature = "etcd",
    feature = "gcp",
    feature = "azure"
))]
pub(crate) use json::{WipedJson, parse};

/// JSON answers wiped on drop (the stores that answer in JSON).
#[cfg(any(
    feature = "vault",
    feature = "etcd",
    feature = "gcp",
    feature = "azure"
))]
mod json {
    use serde_json::Value;

    use super::wipe;

    /// Parsed JSON whose strings are zeroed when it is dropped.
    #[derive(Debug, Default)]
    pub(crate) struct WipedJson(pub(crate) Value);

    impl std::ops::Deref for WipedJson {
        type Target = Value;
        fn deref(&self) -> &Value {
            &self.0
        }
    }

    impl Drop for WipedJson {
        fn drop(&mut self) {
            wipe(&mut self.0);
        }
    }

    /// Parses a JSON body into a value wiped on drop.
    pub(crate) fn parse(body: &[u8]) -> Option<WipedJson> {
        serde_json::from_slice(body).ok().map(WipedJson)
    }
}

#[cfg(feature = "etcd")]
pub(crate) use lines::{Line, LineBuffer};

/// Newline-delimited messages (etcd's watch).
#[cfg(feature = "etcd")]
mod lines {
    use zeroize::Zeroizing;

    use super::append_capped;

    /// Splits a stream of newline-delimited messages (etcd's watch), holding at most `cap`
    /// bytes of an unfinished line: a longer line is skipped to its end, and reported once.
    pub(crate) struct LineBuffer {
        buffer: Zeroizing<Vec<u8>>,
        cap: usize,
        /// Inside a line that passed the cap: dropping bytes until its newline.
        skipping: bool,
    }

    /// One piece of a watch stream.
    #[derive(Debug, PartialEq, Eq)]
    pub(crate) enum Line {
        /// A whole line, newline excluded.
        Whole(Zeroizing<Vec<u8>>),
        /// A line passed the cap and is being skipped (reported once per line).
        Oversize,
    }

    impl LineBuffer {
        pub(crate) fn new(cap: usize) -> Self {
            LineBuffer {
                buffer: Zeroizing::new(Vec::new()),
                cap,
                skipping: false,
            }
        }

        /// Feeds a chunk; returns the lines it completes, in order.
        pub(crate) fn push(&mut self, mut chunk: &[u8]) -> Vec<Line> {
            let mut lines = Vec::new();
            while !chunk.is_empty() {
                let newline = chunk.iter().position(|&b| b == b'\n');
                let (part, rest) = match newline {
                    Some(end) => (&chunk[..end], Some(&chunk[end + 1..])),
                    None => (chunk, None),
                };
                if !self.skipping && append_capped(&mut self.buffer, part, self.cap).is_err() {
                    self.buffer = Zeroizing::new(Vec::new());
                    self.skipping = true;
                    lines.push(Line::Oversize);
                }
                match rest {
                    Some(rest) => {
                        if !self.skipping {
                            let line =
                                std::mem::replace(&mut self.buffer, Zeroizing::new(Vec::new()));
                            lines.push(Line::Whole(line));
                        }
                        self.skipping = false;
                        chunk = rest;
                    }
                    None => break,
                }
            }
            lines
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn lines_are_split_and_oversize_ones_skipped_within_the_cap() {
            let mut lines = LineBuffer::new(8);
            assert_eq!(lines.push(b"abc"), vec![]);
            assert_eq!(
                lines.push(b"d\nef\n"),
                vec![
                    Line::Whole(Zeroizing::new(b"abcd".to_vec())),
                    Line::Whole(Zeroizing::new(b"ef".to_vec()))
                ]
            );
            // A line of 20 bytes in pieces: reported once, never held past the cap.
            assert_eq!(lines.push(b"0123456"), vec![]);
            assert_eq!(lines.push(b"789"), vec![Line::Oversize]);
            assert!(lines.buffer.capacity() <= 8);
            assert_eq!(lines.push(b"0123456789"), vec![]);
            assert_eq!(
                lines.push(b"\nok\n"),
                vec![Line::Whole(Zeroizing::new(b"ok".to_vec()))]
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "etcd")]
    #[test]
    fn appending_stops_at_the_cap() {
        use capped::show_bytes;
        use zeroize::Zeroizing;
        let mut buffer = Zeroizing::new(Vec::new());
        append_capped(&mut buffer, b"1234", 6).unwrap();
        assert!(append_capped(&mut buffer, b"567", 6).is_err());
        append_capped(&mut buffer, b"56", 6).unwrap();
        assert_eq!(&buffer[..], b"123456");
        assert_eq!(show_bytes(4 << 20), "4 MiB");
        assert_eq!(show_bytes(64 << 10), "64 KiB");
        assert_eq!(show_bytes(1500), "1500 bytes");
    }

    #[test]
    fn wiped_json_zeroes_its_strings() {
        let mut value = serde_json::json!({"data": {"password": "pw-1", "list": ["a", 1]}});
        wipe(&mut value);
        assert_eq!(value["data"]["password"], "");
        assert_eq!(value["data"]["list"][0], "");
        assert_eq!(value["data"]["list"][1], 1);
    }
}
