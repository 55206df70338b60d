//! Keyed fingerprints of leaf values: how two environments, or a file set and a running
//! instance, are compared key by key without either side showing a secret.
//!
//! A leaf's value is first reduced to a [`Digest`] (BLAKE3 of its raw text, tagged by shape);
//! a fingerprint is that digest hashed again under a 32-byte [`FingerprintKey`]. Both sides of
//! a comparison use the same key (the one who compares picks it, at random, per run), and a
//! fingerprint taken under one key says nothing about a value under another: a fingerprint
//! cannot be looked up in a table of common passwords made in advance.

use std::fmt;
use std::hash::BuildHasher;
use std::str::FromStr;

use crate::origin::Sourced;
use crate::value::RawValue;

/// The key fingerprints are taken under. Pick one at random per comparison
/// ([`FingerprintKey::random`]) and send it along with the request for the other side's.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerprintKey([u8; 32]);

/// A keyed fingerprint of one value (128 bits, shown as hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 16]);

/// The unkeyed digest of one leaf's raw value (unset included); kept in place of the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Digest([u8; 32]);

impl FingerprintKey {
    /// A fresh key from the process's random hash seeds, the clock and the process id.
    pub fn random() -> Self {
        let mut hasher = blake3::Hasher::new();
        for round in 0u64..4 {
            let seeded = std::collections::hash_map::RandomState::new().hash_one(round);
            hasher.update(&seeded.to_le_bytes());
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        hasher.update(&nanos.to_le_bytes());
        hasher.update(&std::process::id().to_le_bytes());
        FingerprintKey(*hasher.finalize().as_bytes())
    }

    /// The key as 64 hex digits, to send to the other side.
    pub fn to_hex(&self) -> String {
        to_hex(&self.0)
    }
}

/// Text that is not the hex digits of a key (64) or a fingerprint (32).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHex;

impl fmt::Display for BadHex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected 64 hex digits for a key, 32 for a fingerprint")
    }
}

impl std::error::Error for BadHex {}

impl FromStr for FingerprintKey {
    type Err = BadHex;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        from_hex(text).map(FingerprintKey).ok_or(BadHex)
    }
}

impl fmt::Debug for FingerprintKey {
    /// The key is not shown: whoever holds it can test guesses against fingerprints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey(..)")
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&to_hex(&self.0))
    }
}

impl FromStr for Fingerprint {
    type Err = BadHex;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        from_hex(text).map(Fingerprint).ok_or(BadHex)
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Digest {
    /// The digest of a resolved leaf value: the shape (unset, text, list) is part of it, so
    /// `""`, an empty list and an unset value all differ.
    pub(crate) fn of(value: &Option<Sourced>) -> Self {
        let mut hasher = blake3::Hasher::new();
        match value.as_ref().map(|v| &v.raw) {
            None => {
                hasher.update(&[0]);
            }
            Some(RawValue::Str(text)) => {
                hasher.update(&[1]);
                hasher.update(text.as_bytes());
            }
            Some(RawValue::List(items)) => {
                hasher.update(&[2]);
                for item in items {
                    hasher.update(&(item.len() as u64).to_le_bytes());
                    hasher.update(item.as_bytes());
                }
            }
        }
        Digest(*hasher.finalize().as_bytes())
    }

    /// The fingerprint of this digest under `key`.
    pub(crate) fn under(&self, key: &FingerprintKey) -> Fingerprint {
        let keyed = blake3::keyed_hash(&key.0, &self.0);
        let mut short = [0; 16];
        short.copy_from_slice(&keyed.as_bytes()[..16]);
        Fingerprint(short)
    }
}

/// One leaf of a load as a comparison sees it: never its secret value.
#[cfg(feature = "cli")]
pub(crate) struct Leaf {
    pub path: String,
    pub secret: bool,
    /// Where the value came from; `None` when unset.
    pub source: Option<String>,
    /// The value as text, for a value that may be shown: not a secret, and not taken through
    /// a reference or out of an encrypted file; URL passwords masked.
    pub shown: Option<String>,
    pub digest: Digest,
}

/// The leaves of a merged and resolved load, in schema order.
#[cfg(feature = "cli")]
pub(crate) fn leaves(
    schema: &crate::schema::Schema,
    values: &[Option<Sourced>],
    documents: &crate::origin::Documents,
) -> Vec<Leaf> {
    use crate::origin::Taint;
    schema
        .fields
        .iter()
        .zip(values)
        .map(|(field, value)| {
            let shown = value
                .as_ref()
                .filter(|v| !field.secret && v.taint == Taint::Plain)
                .map(|v| {
                    let text = match &v.raw {
                        RawValue::Str(text) => text.clone(),
                        RawValue::List(items) => items.join(", "),
                    };
                    // As explain shows it: a password in a URL is masked.
                    crate::error::mask_url_passwords(&text).into_owned()
                });
            Leaf {
                path: field.path.clone(),
                secret: field.secret,
                source: value
                    .as_ref()
                    .map(|v| documents.origin(&v.provenance).to_string()),
                shown,
                digest: Digest::of(value),
            }
        })
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.trim();
    if text.len() != N * 2 || !text.is_ascii() {
        return None;
    }
    let mut out = [0; N];
    for (slot, pair) in out.iter_mut().zip(text.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *slot = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Origin;

    fn text(value: &str) -> Option<Sourced> {
        Some(Sourced::new(RawValue::Str(value.into()), Origin::Default))
    }

    #[test]
    fn fingerprints_depend_on_value_shape_and_key() {
        let key = FingerprintKey::random();
        let other = FingerprintKey::random();
        let a = Digest::of(&text("a"));
        assert_eq!(a.under(&key), Digest::of(&text("a")).under(&key));
        assert_ne!(a.under(&key), Digest::of(&text("b")).under(&key));
        assert_ne!(a.under(&key), a.under(&other));
        let list = Some(Sourced::new(RawValue::List(vec![]), Origin::Default));
        let shapes = [Digest::of(&None), Digest::of(&text("")), Digest::of(&list)];
        assert!(shapes[0] != shapes[1] && shapes[1] != shapes[2] && shapes[0] != shapes[2]);
    }

    #[test]
    fn keys_and_fingerprints_round_trip_through_hex() {
        let key = FingerprintKey::random();
        assert_eq!(key.to_hex().parse::<FingerprintKey>().unwrap(), key);
        assert!("zz".parse::<FingerprintKey>().is_err());
        assert_eq!(format!("{key:?}"), "FingerprintKey(..)");
        let print = Digest::of(&text("x")).under(&key);
        assert_eq!(print.to_string().parse::<Fingerprint>().unwrap(), print);
    }
}
