//! [`KeyPath`]: a key path shared rather than copied.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

#[cfg(feature = "live")]
use crate::schema::Schema;

/// The path of a key, as files write it: `redis.port`, `sinks.http.uri`, `servers[0].host`.
///
/// A reload that changes a thousand keys names each of them; a `KeyPath` is a shared string
/// (a declared field's path is the schema's own, which lives as long as the program), so
/// naming one is a copy of a pointer or a reference count rather than of the text. It reads
/// as a `str` (it derefs to one), compares with `str` and `String`, and serializes as a
/// string.
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
#[derive(Clone)]
pub struct KeyPath(Text);

/// Where the text of a path lives.
#[derive(Clone)]
enum Text {
    /// In a declared schema, for the whole run.
    Static(&'static str),
    /// Shared by the paths that name it.
    Shared(Arc<str>),
    /// A leaf of a declared schema, named by its place: read from the schema when shown, so
    /// naming one reads nothing (a reload that changes a thousand keys reads no field's
    /// description to list them).
    #[cfg(feature = "live")]
    Declared {
        schema: &'static Schema,
        leaf: usize,
    },
}

impl KeyPath {
    /// A path whose text lives for the whole run (a declared field's): not copied, and a
    /// clone is a copy of a pointer.
    pub const fn from_static(path: &'static str) -> Self {
        KeyPath(Text::Static(path))
    }

    /// The path of the leaf numbered `leaf` of a declared schema.
    #[cfg(feature = "live")]
    pub(crate) fn declared(schema: &'static Schema, leaf: usize) -> Self {
        debug_assert!(leaf < schema.fields.len());
        KeyPath(Text::Declared { schema, leaf })
    }

    /// The path as text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Text::Static(text) => text,
            Text::Shared(text) => text,
            #[cfg(feature = "live")]
            Text::Declared { schema, leaf } => &schema.fields[*leaf].path,
        }
    }
}

impl Deref for KeyPath {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for KeyPath {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for KeyPath {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// Equality, order and hash are the text's (as `Borrow<str>` requires).
impl PartialEq for KeyPath {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for KeyPath {}

impl PartialOrd for KeyPath {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyPath {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for KeyPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// As a string's: `"redis.port"`.
impl fmt::Debug for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for KeyPath {
    fn from(path: &str) -> Self {
        KeyPath(Text::Shared(Arc::from(path)))
    }
}

impl From<String> for KeyPath {
    fn from(path: String) -> Self {
        KeyPath(Text::Shared(Arc::from(path)))
    }
}

impl From<KeyPath> for String {
    fn from(path: KeyPath) -> Self {
        String::from(path.as_str())
    }
}

impl PartialEq<str> for KeyPath {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for KeyPath {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for KeyPath {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<KeyPath> for str {
    fn eq(&self, other: &KeyPath) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<KeyPath> for &str {
    fn eq(&self, other: &KeyPath) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<KeyPath> for String {
    fn eq(&self, other: &KeyPath) -> bool {
        self == other.as_str()
    }
}

impl serde::Serialize for KeyPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
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
        // A declared field's path is the same path.
        let declared = KeyPath::from_static("sinks.http.uri");
        assert_eq!(declared, path);
        assert!(set.contains(&declared));
        assert!(declared < KeyPath::from_static("sinks.http.uris"));
    }
}
