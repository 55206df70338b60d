//! `Secret<T>`: a value that never shows itself.
//!
//! Built on [`secrecy::SecretBox`], so the value lives on the heap, is wiped when dropped (for
//! the types that can be wiped, see [`ConfigValue::wipe`]) and is reachable only through
//! [`Secret::expose_secret`]. `Debug`, `Display` and `Serialize` all print [`REDACTED`].

use crate::value::ConfigValue;
use secrecy::{CloneableSecret, ExposeSecret, SecretBox};
use std::fmt;
use zeroize::Zeroize;

/// What every output path prints in place of a secret value.
pub const REDACTED: &str = "[REDACTED]";

/// Overwrites a text's memory (its whole capacity) before it is freed, and empties it.
///
/// The spare capacity is first filled with zero bytes, so the whole buffer is one text, which
/// `zeroize` then clears as a `str`: one `memset` behind an optimization barrier. (Its `String`
/// impl writes the text one volatile byte at a time: a 30 KB file's text took 30,000 stores.)
/// An empty text owns no memory and is left as it is: `memset` of a dangling pointer takes a
/// slow path on CPUs with AVX-512 (measured: 126 ns for an empty text against 10 ns for a
/// short one; 20 of them were a tenth of a load from the environment).
pub(crate) fn wipe_text(text: &mut String) {
    if text.capacity() != 0 {
        zero_whole_text(text);
        text.clear();
    }
}

/// [`wipe_text`] for bytes.
pub(crate) fn wipe_bytes(bytes: &mut Vec<u8>) {
    if bytes.capacity() != 0 {
        zero_whole_bytes(bytes);
        bytes.clear();
    }
}

/// Makes a text as long as its buffer and every byte of it zero (the first half of
/// [`wipe_text`], apart so a test can read what it left).
fn zero_whole_text(text: &mut String) {
    let spare = text.capacity() - text.len();
    text.extend(std::iter::repeat_n('\0', spare));
    text.as_mut_str().zeroize();
}

/// [`zero_whole_text`] for bytes.
fn zero_whole_bytes(bytes: &mut Vec<u8>) {
    bytes.resize(bytes.capacity(), 0);
    bytes.as_mut_slice().zeroize();
}

/// Adapts any [`ConfigValue`] to `secrecy`'s `Zeroize` bound: wiping delegates to
/// [`ConfigValue::wipe`], which is a no-op for types whose buffers cannot be reached.
struct Wiped<T: ConfigValue>(T);

impl<T: ConfigValue> Zeroize for Wiped<T> {
    fn zeroize(&mut self) {
        self.0.wipe();
    }
}

impl<T: ConfigValue + Clone> Clone for Wiped<T> {
    fn clone(&self) -> Self {
        Wiped(self.0.clone())
    }
}

impl<T: ConfigValue + Clone> CloneableSecret for Wiped<T> {}

/// A configuration value that must not leak: a password, an API key, a connection URL.
///
/// ```
/// use config_runtime::Secret;
/// let key = Secret::new(String::from("sk_live_123"));
/// assert_eq!(format!("{key:?}"), "Secret([REDACTED])");
/// assert_eq!(key.to_string(), "[REDACTED]");
/// assert_eq!(key.expose_secret(), "sk_live_123");
/// ```
pub struct Secret<T: ConfigValue>(SecretBox<Wiped<T>>);

impl<T: ConfigValue> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(SecretBox::new(Box::new(Wiped(value))))
    }

    /// The value itself. Every use is a place a secret can escape: keep them few.
    pub fn expose_secret(&self) -> &T {
        &self.0.expose_secret().0
    }
}

impl<T: ConfigValue> ExposeSecret<T> for Secret<T> {
    fn expose_secret(&self) -> &T {
        Secret::expose_secret(self)
    }
}

impl<T: ConfigValue + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Secret(self.0.clone())
    }
}

impl<T: ConfigValue> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret::new(value)
    }
}

impl<T: ConfigValue> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl<T: ConfigValue> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<T: ConfigValue> serde::Serialize for Secret<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

#[cfg(test)]
mod wipe_tests {
    #[test]
    fn wiping_empties_a_text_and_keeps_its_memory() {
        let mut text = String::with_capacity(32);
        text.push_str("hunter2");
        super::wipe_text(&mut text);
        assert!(text.is_empty());
        assert_eq!(text.capacity(), 32);
        let mut empty = String::new();
        super::wipe_text(&mut empty);
        assert_eq!(empty.capacity(), 0);
        let mut bytes = b"hunter2".to_vec();
        super::wipe_bytes(&mut bytes);
        assert!(bytes.is_empty());
    }

    #[test]
    fn a_wipe_zeroes_the_whole_buffer_the_spare_capacity_too() {
        let mut text = String::with_capacity(64);
        text.push_str("canary-3f9a-not-for-eyes");
        text.truncate(6); // the rest of the canary stays in the spare capacity
        let capacity = text.capacity();
        super::zero_whole_text(&mut text);
        assert_eq!((text.len(), text.capacity()), (capacity, capacity));
        assert!(text.bytes().all(|b| b == 0));
        super::wipe_text(&mut text);
        assert_eq!((text.len(), text.capacity()), (0, capacity));

        let mut bytes = b"canary-3f9a-not-for-eyes".to_vec();
        bytes.reserve(40);
        bytes.truncate(6);
        let capacity = bytes.capacity();
        super::zero_whole_bytes(&mut bytes);
        assert_eq!((bytes.len(), bytes.capacity()), (capacity, capacity));
        assert!(bytes.iter().all(|&b| b == 0));
        super::wipe_bytes(&mut bytes);
        assert_eq!((bytes.len(), bytes.capacity()), (0, capacity));
    }
}
