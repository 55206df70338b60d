//! Walking a SOPS document as sops does: each leaf decrypted with its path as the additional
//! data (`db:password:`; list items share their list's path), which leaves are encrypted
//! decided by the file's suffix and regex rules, and the MAC computed over every value in
//! document order (SHA-512, upper-case hex).
//!
//! The walk follows the typed document (the MAC needs each scalar's type) and takes each key's
//! and list item's line from the tree the format's own reader gave for the same text
//! ([`Lines`]), so a decrypted value has the line of its key in the encrypted file, exactly
//! as in a plain file. A value the rules leave unencrypted takes its text from that tree too
//! (`1e3`, `yes`, a 20-digit integer stay as written, YAML's `0x1F` is `31`, as from a plain
//! file), while the MAC still hashes it as sops does, from its type. An encrypted value is
//! the text sops encrypted: its own spelling of the typed value (`1e3` is `1000`, YAML's
//! `017` is `15`), the same text as a plain file gives for ordinary values (`8080`, `0.75`,
//! `true`, `-inf`).

use std::collections::HashMap;

use regex::Regex;
use serde_json::Value;
use sha2::{Digest, Sha512};

use super::Failure;
use super::cipher::{self, DataKey, ValueError, ValueType};
use super::metadata::Metadata;
use crate::format::{FileValue, Located};

/// sops starts the hash with these bytes when only encrypted values are covered
/// (`mac_only_encrypted`), so the two kinds of MAC never agree.
const MAC_ONLY_ENCRYPTED_INIT: [u8; 32] = [
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
];

/// Which leaves the file encrypts: sops' `shouldBeEncrypted`, without the comment rules
/// (comments are not part of a config; a file that uses them is refused up front).
pub(crate) struct Rules {
    unencrypted_suffix: String,
    encrypted_suffix: String,
    unencrypted_regex: Option<Regex>,
    encrypted_regex: Option<Regex>,
}

impl Rules {
    pub fn new(metadata: &Metadata) -> Result<Self, Failure> {
        if !metadata.unencrypted_comment_regex.is_empty()
            || !metadata.encrypted_comment_regex.is_empty()
        {
            return Err(Failure::Unsupported(
                "files that choose values by comment (encrypted_comment_regex, \
                 unencrypted_comment_regex)"
                    .to_owned(),
            ));
        }
        let compile = |pattern: &str, name: &str| {
            (!pattern.is_empty())
                .then(|| Regex::new(pattern))
                .transpose()
                .map_err(|_| Failure::Metadata(format!("{name} is not a valid pattern")))
        };
        Ok(Rules {
            unencrypted_suffix: metadata.unencrypted_suffix.clone(),
            encrypted_suffix: metadata.encrypted_suffix.clone(),
            unencrypted_regex: compile(&metadata.unencrypted_regex, "unencrypted_regex")?,
            encrypted_regex: compile(&metadata.encrypted_regex, "encrypted_regex")?,
        })
    }

    /// Whether the leaf at `path` is encrypted.
    pub fn encrypts(&self, path: &[String]) -> bool {
        let any = |test: &dyn Fn(&str) -> bool| path.iter().any(|key| test(key));
        let mut encrypted = true;
        if !self.unencrypted_suffix.is_empty() && any(&|k| k.ends_with(&self.unencrypted_suffix)) {
            encrypted = false;
        }
        if !self.encrypted_suffix.is_empty() {
            encrypted = any(&|k| k.ends_with(&self.encrypted_suffix));
        }
        if let Some(regex) = &self.unencrypted_regex
            && any(&|k| regex.is_match(k))
        {
            encrypted = false;
        }
        if let Some(regex) = &self.encrypted_regex {
            encrypted = any(&|k| regex.is_match(k));
        }
        encrypted
    }
}

/// One decryption of a document: the key, the rules, the running MAC.
pub(crate) struct Walk<'k> {
    key: &'k DataKey,
    rules: Rules,
    mac: Sha512,
    mac_only_encrypted: bool,
}

impl<'k> Walk<'k> {
    pub fn new(key: &'k DataKey, metadata: &Metadata) -> Result<Self, Failure> {
        let mut mac = Sha512::new();
        if metadata.mac_only_encrypted {
            mac.update(MAC_ONLY_ENCRYPTED_INIT);
        }
        Ok(Walk {
            key,
            rules: Rules::new(metadata)?,
            mac,
            mac_only_encrypted: metadata.mac_only_encrypted,
        })
    }

    /// The plaintext of one leaf (a text, a number, a boolean as the file holds it), added to
    /// the MAC, as the text a field parses. `written` is the same leaf as the format's reader
    /// gave it: an unencrypted value takes its text from there, as from a plain file.
    pub fn leaf(
        &mut self,
        value: &Value,
        written: Lines<'_>,
        path: &[String],
    ) -> Result<FileValue, Failure> {
        let encrypted = self.rules.encrypts(path);
        let covered = encrypted || !self.mac_only_encrypted;
        let text = match value {
            Value::Null => return Ok(FileValue::Null),
            Value::String(text) if encrypted && !text.is_empty() => {
                return self.decrypt(text, path, covered);
            }
            Value::String(text) => text.clone(),
            _ if encrypted => return Err(Failure::NotEncrypted { path: show(path) }),
            Value::Bool(b) => {
                if covered {
                    self.mac.update(if *b { "True" } else { "False" });
                }
                return Ok(written
                    .scalar()
                    .unwrap_or_else(|| FileValue::Scalar(b.to_string())));
            }
            Value::Number(n) => n.to_string(),
            Value::Array(_) | Value::Object(_) => unreachable!("leaves only"),
        };
        if covered {
            self.mac
                .update(mac_bytes_of_number(value).unwrap_or(text.clone()));
        }
        // The hash above is of the typed value, as sops computes it; the field gets the text.
        let as_typed = || FileValue::Scalar(text);
        Ok(if encrypted {
            as_typed()
        } else {
            written.scalar().unwrap_or_else(as_typed)
        })
    }

    fn decrypt(
        &mut self,
        text: &str,
        path: &[String],
        covered: bool,
    ) -> Result<FileValue, Failure> {
        let aad = additional_data(path);
        let failed = |error: ValueError| Failure::Value {
            path: show(path),
            error,
        };
        let (plain, kind) = cipher::decrypt(text, self.key, &aad).map_err(failed)?;
        let plain = std::str::from_utf8(&plain).map_err(|_| failed(ValueError::Malformed))?;
        // What a field parses, and what sops hashes (its text of the typed value).
        let (shown, hashed) = match kind {
            ValueType::Str => (plain.to_owned(), None),
            ValueType::Int => {
                let n: i64 = plain.parse().map_err(|_| failed(ValueError::Malformed))?;
                (n.to_string(), None)
            }
            ValueType::Float => {
                let x: f64 = plain.parse().map_err(|_| failed(ValueError::Malformed))?;
                // sops writes and hashes Go's `+Inf`, `-Inf`, `NaN`; a plain file gives `inf`,
                // `-inf`, `NaN` for YAML's `.inf`, `-.inf`, `.nan` (finite numbers are as sops
                // wrote them).
                let (shown, hashed) = match go_non_finite(x) {
                    Some(go) => (x.to_string(), go.to_owned()),
                    None => (plain.to_owned(), x.to_string()),
                };
                (shown, Some(hashed))
            }
            ValueType::Bool => {
                let b = parse_go_bool(plain).ok_or(failed(ValueError::Malformed))?;
                (
                    b.to_string(),
                    Some(if b { "True" } else { "False" }.to_owned()),
                )
            }
            ValueType::Comment => return Err(failed(ValueError::Malformed)),
        };
        if covered {
            self.mac.update(hashed.as_deref().unwrap_or(&shown));
        }
        Ok(FileValue::Scalar(shown))
    }

    /// Walks the entries of one table, each with its position in the typed table (which
    /// finds its line in `placed`, the same table as the format's reader gave it).
    pub fn entries<'v>(
        &mut self,
        entries: impl Iterator<Item = (usize, (&'v String, &'v Value))>,
        mut placed: Placed<'_>,
        path: &mut Vec<String>,
    ) -> Result<Vec<(String, Located<FileValue>)>, Failure> {
        let mut table = Vec::with_capacity(entries.size_hint().0);
        for (position, (key, inner)) in entries {
            let written = placed.find(position, key);
            path.push(key.clone());
            let value = self.tree(inner, written, path)?;
            path.pop();
            let line = written.line();
            table.push((key.clone(), Located { value, line }));
        }
        Ok(table)
    }

    /// Walks a whole tree (the document without its `sops` table); `lines` is the same tree
    /// as the format's reader gave it, for the lines of its keys and items.
    pub fn tree(
        &mut self,
        value: &Value,
        lines: Lines<'_>,
        path: &mut Vec<String>,
    ) -> Result<FileValue, Failure> {
        match value {
            Value::Object(map) => {
                let entries = self.entries(map.iter().enumerate(), lines.table(), path)?;
                Ok(FileValue::Table(entries))
            }
            Value::Array(items) => {
                let placed = lines.items();
                let items = (items.iter().enumerate())
                    .map(|(index, item)| {
                        let written = Lines(placed.get(index));
                        let value = self.tree(item, written, path)?;
                        let line = written.line();
                        Ok(Located { value, line })
                    })
                    .collect::<Result<_, Failure>>()?;
                Ok(FileValue::List(items))
            }
            leaf => self.leaf(leaf, lines, path),
        }
    }

    /// Checks the MAC the file holds (encrypted with `lastmodified` as the additional data)
    /// against the values walked.
    pub fn verify(self, metadata: &Metadata) -> Result<(), Failure> {
        let computed = hex_upper(&self.mac.finalize());
        let stored = cipher::decrypt(&metadata.mac, self.key, &metadata.lastmodified)
            .map_err(|_| Failure::Mac)?
            .0;
        // Both are public digests of values; a plain comparison leaks nothing useful.
        if stored.as_slice() == computed.as_bytes() {
            Ok(())
        } else {
            Err(Failure::Mac)
        }
    }
}

/// Where a key or list item of the document is written, and the lines of what it holds: its
/// node in the tree the format's line-keeping reader (`format::parse_file`) gave for the same
/// text. `None` where that tree has no such node (it always has, for a text both readers
/// accepted; then the key simply has no line).
#[derive(Clone, Copy)]
pub(crate) struct Lines<'t>(Option<&'t Located<FileValue>>);

impl<'t> Lines<'t> {
    /// The lines of a document's root table, as the format's reader gave it.
    pub fn root(root: &'t Located<FileValue>) -> Self {
        Lines(Some(root))
    }

    /// Nowhere: a value no format's reader placed (a dotenv variable, already text as written).
    pub fn none() -> Self {
        Lines(None)
    }

    /// The line of this key or item.
    pub fn line(self) -> Option<u32> {
        self.0.and_then(|node| node.line)
    }

    /// This node's value when it is a leaf (a text, a null, a shape no field takes) as the
    /// format's reader gave it; `None` for a table, a list, or no node.
    fn scalar(self) -> Option<FileValue> {
        match self.0.map(|node| &node.value)? {
            FileValue::Table(_) | FileValue::List(_) => None,
            leaf => Some(leaf.clone()),
        }
    }

    /// The entries of this node when it is a table.
    pub fn table(self) -> Placed<'t> {
        let entries = match self.0.map(|node| &node.value) {
            Some(FileValue::Table(entries)) => entries.as_slice(),
            _ => &[],
        };
        Placed {
            entries,
            by_key: None,
        }
    }

    /// The items of this node when it is a list.
    fn items(self) -> &'t [Located<FileValue>] {
        match self.0.map(|node| &node.value) {
            Some(FileValue::List(items)) => items,
            _ => &[],
        }
    }
}

/// The entries of one table as the format's reader gave them, found by key.
pub(crate) struct Placed<'t> {
    entries: &'t [(String, Located<FileValue>)],
    /// Built only if a key is not where the typed document has it (a key spelled twice in a
    /// YAML file keeps its first place in both readers, so this is rare): each lookup stays
    /// constant time, and a walk linear.
    by_key: Option<HashMap<&'t str, usize>>,
}

impl<'t> Placed<'t> {
    /// The entry of `key`, which the typed document has at `position` of this table.
    pub fn find(&mut self, position: usize, key: &str) -> Lines<'t> {
        if let Some((name, entry)) = self.entries.get(position)
            && name == key
        {
            return Lines(Some(entry));
        }
        let entries = self.entries;
        let by_key = self.by_key.get_or_insert_with(|| {
            (entries.iter().enumerate())
                .map(|(at, (name, _))| (name.as_str(), at))
                .collect()
        });
        Lines(by_key.get(key).map(|&at| &entries[at].1))
    }
}

/// sops' additional data for the value at `path`: the keys joined by `:`, and a final `:`.
pub(crate) fn additional_data(path: &[String]) -> String {
    let mut aad = path.join(":");
    aad.push(':');
    aad
}

/// The key path as messages show it (`db.password`).
fn show(path: &[String]) -> String {
    crate::error::escape_controls(&path.join(".")).into_owned()
}

/// How sops hashes a number it read unencrypted: integers as written, other numbers in Go's
/// shortest decimal form (`1.50` → `1.5`), which Rust's `Display` of `f64` matches.
fn mac_bytes_of_number(value: &Value) -> Option<String> {
    let Value::Number(n) = value else { return None };
    if n.is_i64() || n.is_u64() {
        return Some(n.to_string());
    }
    n.as_f64().map(|x| x.to_string())
}

/// Go's text of a float that has no decimal form (`strconv.FormatFloat`), `None` for the rest.
fn go_non_finite(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        Some("NaN")
    } else if x.is_infinite() {
        Some(if x > 0.0 { "+Inf" } else { "-Inf" })
    } else {
        None
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02X}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(keys: &[&str]) -> Vec<String> {
        keys.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn additional_data_is_the_path_with_a_trailing_colon() {
        assert_eq!(additional_data(&path(&["db", "password"])), "db:password:");
        assert_eq!(additional_data(&path(&["port"])), "port:");
    }

    #[test]
    fn suffix_and_regex_rules_follow_sops() {
        let mut metadata = Metadata {
            unencrypted_suffix: "_unencrypted".to_owned(),
            ..Metadata::default()
        };
        let rules = Rules::new(&metadata).unwrap();
        assert!(rules.encrypts(&path(&["db", "password"])));
        assert!(!rules.encrypts(&path(&["db_unencrypted", "port"])));
        metadata.unencrypted_suffix.clear();
        metadata.encrypted_regex = "^(password|token)$".to_owned();
        let rules = Rules::new(&metadata).unwrap();
        assert!(rules.encrypts(&path(&["db", "password"])));
        assert!(!rules.encrypts(&path(&["db", "host"])));
    }

    /// Each key and list item of a tree, by path, with its line.
    type KeyLines = Vec<(String, Option<u32>)>;

    /// The lines of `text` read as a plain file, and of the tree the walk gives for it (every
    /// value left plain by the rules, so no key is needed to read it).
    fn both_lines(format: crate::format::Format, text: &str) -> (KeyLines, KeyLines) {
        use crate::format::test_trees::lines_of;
        let (walked, plain) = both_trees(format, text);
        (lines_of(&walked), lines_of(&plain))
    }

    #[cfg(feature = "yaml")]
    #[test]
    fn the_walk_gives_every_key_and_item_of_a_yaml_file_its_line_as_a_plain_read_does() {
        use crate::format::test_trees::at;
        let text = "# top\nname: app\nserver:\n  host: h\n\n  ports:\n    - 1\n    -\n      2\n  tls: {cert: a, key: b}\nlist:\n  - host: a\n    port: 1\n  - - x\n    - y\nbase: &base\n  level: 1\nprod:\n  <<: *base\n  extra: true\n";
        let (walked, plain) = both_lines(crate::format::Format::Yaml, text);
        assert_eq!(walked, plain);
        assert_eq!(
            walked[..14],
            at(&[
                ("name", 2),
                ("server", 3),
                ("server.host", 4),
                ("server.ports", 6),
                ("server.ports[0]", 7),
                ("server.ports[1]", 9),
                ("server.tls", 10),
                ("server.tls.cert", 10),
                ("server.tls.key", 10),
                ("list", 11),
                ("list[0]", 12),
                ("list[0].host", 12),
                ("list[0].port", 13),
                ("list[1]", 14),
            ])[..]
        );
        assert!(walked.iter().all(|(_, line)| line.is_some()), "{walked:?}");
    }

    #[test]
    fn the_walk_gives_every_key_and_item_of_a_json_file_its_line_as_a_plain_read_does() {
        use crate::format::test_trees::at;
        let text = "{\n  \"name\": \"app\",\n  \"server\": {\n    \"host\": \"h\",\n\n    \"ports\": [\n      1,\n      2\n    ]\n  },\n  \"list\": [{\"a\": 1},\n    [true, null]]\n}\n";
        let (walked, plain) = both_lines(crate::format::Format::Json, text);
        assert_eq!(walked, plain);
        assert_eq!(
            walked,
            at(&[
                ("name", 2),
                ("server", 3),
                ("server.host", 4),
                ("server.ports", 6),
                ("server.ports[0]", 7),
                ("server.ports[1]", 8),
                ("list", 11),
                ("list[0]", 11),
                ("list[0].a", 11),
                ("list[1]", 12),
                ("list[1][0]", 12),
                ("list[1][1]", 12),
            ])
        );
    }

    /// The tree the walk gives for `text` when the rules leave every value plain, and the
    /// tree a plain read of it gives.
    fn both_trees(format: crate::format::Format, text: &str) -> (FileValue, FileValue) {
        let written = FileValue::Table(crate::format::parse_file(format, text).unwrap());
        let typed = crate::format::parse_typed(format, text).unwrap();
        let root = Located {
            value: written.clone(),
            line: None,
        };
        let metadata = Metadata {
            encrypted_regex: "^nothing is encrypted$".to_owned(),
            ..Metadata::default()
        };
        let key: DataKey = zeroize::Zeroizing::new([0; 32]);
        let mut walk = Walk::new(&key, &metadata).unwrap();
        let walked = walk
            .tree(&typed, Lines::root(&root), &mut Vec::new())
            .unwrap();
        (walked, written)
    }

    /// The texts of the first `count` values of a document's root table, all scalars.
    fn first_texts(document: &FileValue, count: usize) -> Vec<&str> {
        let FileValue::Table(entries) = document else {
            panic!("a table")
        };
        (entries.iter().take(count))
            .map(|(_, entry)| match &entry.value {
                FileValue::Scalar(text) => text.as_str(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[cfg(feature = "yaml")]
    #[test]
    fn unencrypted_yaml_values_have_the_text_a_plain_read_gives() {
        let text = "sci: 1e3\noct: 017\nword: yes\nbig: 12345678901234567890123\nhex: 0x1F\n\
                    under: 1_000\ninf: -.inf\non: True\nlist: [1.50, +1, no]\nnone: ~\n\
                    quoted: '0x1F'\n";
        let (walked, plain) = both_trees(crate::format::Format::Yaml, text);
        assert_eq!(walked, plain);
        assert_eq!(
            first_texts(&walked, 8),
            [
                "1e3",
                "017",
                "yes",
                "12345678901234567890123",
                "31",
                "1000",
                "-inf",
                "True"
            ]
        );
    }

    #[test]
    fn unencrypted_json_values_have_the_text_a_plain_read_gives() {
        let text = r#"{"sci": 1e3, "big": 12345678901234567890123, "frac": 1.50, "neg": -0,
            "max": 18446744073709552000, "on": true, "list": [1E+2, "yes", null]}"#;
        let (walked, plain) = both_trees(crate::format::Format::Json, text);
        assert_eq!(walked, plain);
        assert_eq!(
            first_texts(&walked, 6),
            [
                "1e3",
                "12345678901234567890123",
                "1.50",
                "-0",
                "18446744073709552000",
                "true"
            ]
        );
    }

    #[test]
    fn a_key_not_where_the_typed_document_has_it_is_found_by_name() {
        let entry = |key: &str, line| {
            let value = FileValue::Scalar(String::new());
            (
                key.to_owned(),
                Located {
                    value,
                    line: Some(line),
                },
            )
        };
        let root = Located {
            value: FileValue::Table(vec![entry("b", 2), entry("a", 1)]),
            line: None,
        };
        let mut placed = Lines::root(&root).table();
        assert_eq!(placed.find(0, "b").line(), Some(2));
        assert_eq!(placed.find(0, "a").line(), Some(1));
        assert_eq!(placed.find(1, "a").line(), Some(1));
        assert_eq!(placed.find(2, "c").line(), None);
    }

    #[test]
    fn numbers_are_hashed_as_go_writes_them() {
        let json: Value = serde_json::from_str(r#"[8080, 1.50, 1e3, -0.25]"#).unwrap();
        let shown: Vec<String> = (json.as_array().unwrap().iter())
            .filter_map(mac_bytes_of_number)
            .collect();
        assert_eq!(shown, ["8080", "1.5", "1000", "-0.25"]);
    }
}
