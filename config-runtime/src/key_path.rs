//! [`KeyPath`]: a key path shared rather than copied.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// The path of a key, as files write it: `redis.port`, `sinks.http.uri`, `servers[0].host`.
///
/// A reload that changes a thousand keys names each of them; a `KeyPath` is a shared string,
/// so naming one is a reference count rather than a copy. It reads as a `str` (it derefs to
/// one), compares with `str` and `String`, and serializes as a string.
///
/// ```
/// use config_runtime::KeyPath;
///
/// let path = KeyPath::from("redis.port");
/// assert_eq!(path, "redis.port");
/// assert!(path.starts_with("redis."));
/// assert_eq!(vec![path.clone()], ["redis.port"]);
/// assert_eq!(String::from(path), "redis.port");
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPath(Arc<str>);

impl KeyPath {
    /// The path as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for KeyPath {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for KeyPath {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for KeyPath {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// As a string's: `"redis.port"`.
impl fmt::Debug for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for KeyPath {
    fn from(path: &str) -> Self {
        KeyPath(Arc::from(path))
    }
}

impl From<String> for KeyPath {
    fn from(path: String) -> Self {
        KeyPath(Arc::from(path))
    }
}

impl From<KeyPath> for String {
    fn from(path: KeyPath) -> Self {
        String::from(&*path.0)
    }
}

impl PartialEq<str> for KeyPath {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for KeyPath {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for KeyPath {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<KeyPath> for str {
    fn eq(&self, other: &KeyPath) -> bool {
        *self == *other.0
    }
}

impl PartialEq<KeyPath> for &str {
    fn eq(&self, other: &KeyPath) -> bool {
        **self == *other.0
    }
}

impl PartialEq<KeyPath> for String {
    fn eq(&self, other: &KeyPath) -> bool {
        **self == *other.0
    }
}

impl serde::Serialize for KeyPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::KeyPath;

    #[test]
    fn reads_compares_and_serializes_as_its_text() {
        let path = KeyPath::from("sinks.http.uri".to_owned());
        assert_eq!(path.to_string(), "sinks.http.uri");
        assert_eq!(format!("{path:?}"), "\"sinks.http.uri\"");
        assert_eq!(serde_json::to_string(&path).unwrap(), "\"sinks.http.uri\"");
        assert_eq!("sinks.http.uri".to_owned(), path);
        assert_ne!(path, "sinks.http");
        let set: std::collections::HashSet<KeyPath> = [path.clone()].into();
        assert!(set.contains("sinks.http.uri"), "looked up by a str");
    }
}
