//! YAML through `serde-saphyr` (maintained, panic-free; `serde_yaml` is deprecated), read
//! straight into the tree by a visitor of our own. Every key has its line, and every list
//! item the line its value starts on: the parser's `Spanned` gives where each node is written
//! (for a key of an aliased or merged table, its line in the anchored definition). Errors
//! have a line too; the parser's own message can quote the offending source line, which may
//! hold a secret, so only its position is kept.
//!
//! # Plain scalars keep the text written
//!
//! The parser reads an unquoted scalar that looks like a boolean or a number as that value;
//! written back, `017` would be `17.0`, `yes` `true`, `+1` `1`, `12345678901234567890123` a
//! rounded float. Fields parse text themselves (exactly as they parse an environment value),
//! so such a scalar is kept as written instead, read from the document at the place the
//! parser gives: a `String` field gets what the file says (a zip code `01720`, a mode `0644`,
//! a country code `no`), and a number or boolean field parses the same text as it would from
//! `APP_PORT`. A leading zero is therefore decimal, as YAML 1.2 reads it (`017` is 17, not
//! YAML 1.1's octal 15): write `0o17` for octal.
//!
//! The exceptions are YAML's spellings of numbers that no field parser reads, turned into the
//! form TOML's reader gives for the same number, so a number field takes them from either
//! format and a `String` field gets the same text from both:
//!
//! | written | kept as | why |
//! |---|---|---|
//! | `017`, `+1`, `.5`, `1e3`, `1.0`, `-0`, `True`, `yes`, `off` | as written | every field parser reads these; a `String` field keeps the spelling |
//! | `0x1F`, `0o17`, `0b101` (any sign) | `31`, `15`, `5` | integers parse decimal; TOML's `0x1F` is `31` too (beyond `i128`, the prefix stays) |
//! | `1_000` | `1000` | TOML drops the `_` too |
//! | `.inf`, `-.Inf`, `.NaN` | `inf`, `-inf`, `NaN` | TOML's and Rust's spelling; floats parse it (YAML's would be refused) |
//! | `~`, `null`, `Null`, `NULL`, nothing | null | the key is unset, as with JSON's `null` |
//!
//! Quote a scalar to keep every character of it (`"0x1F"`, `"~"`). What the parser reads as
//! text (a date, `1_0.5`, `0x_1F`) is text as written anyway.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, NonFiniteFloatPolicy, Options, Spanned};

use super::{FileValue, FormatError, Located, decimal, without_underscores};

pub(super) fn parse(text: &str) -> Result<FileValue, FormatError> {
    if text.trim().is_empty() {
        return Ok(FileValue::Table(Vec::new()));
    }
    let mut options = Options::default();
    // `.inf` and `1e999` reach the visitor as floats, and are then kept as written.
    options.non_finite_float_policy = NonFiniteFloatPolicy::PassThrough;
    let root: Node = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let location = e.location();
        let column = location.map_or(String::new(), |l| format!(" at column {}", l.column()));
        FormatError {
            message: format!("{}{column}", reason(&e)),
            line: location.and_then(|l| u32::try_from(l.line()).ok()),
        }
    })?;
    Ok(root.into_value(text))
}

/// The document with its types, as sops reads it (what a SOPS file's MAC hashes): an integer
/// beyond 64 bits is the float it rounds to and a non-finite float Go's text of it (`+Inf`,
/// `-Inf`, `NaN`), where a `serde_json::Value` would refuse the one and turn the other into
/// null. Fields take their text from [`parse`], never from here.
#[cfg(feature = "sops")]
pub(super) fn parse_typed(text: &str) -> Result<serde_json::Value, FormatError> {
    let mut options = Options::default();
    options.non_finite_float_policy = NonFiniteFloatPolicy::PassThrough;
    let failed = |_| FormatError {
        message: "syntax error".to_owned(),
        line: None,
    };
    let typed: Typed = serde_saphyr::from_str_with_options(text, options).map_err(failed)?;
    Ok(typed.0)
}

/// A node of [`parse_typed`]'s document.
#[cfg(feature = "sops")]
struct Typed(serde_json::Value);

#[cfg(feature = "sops")]
impl<'de> Deserialize<'de> for Typed {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TypedVisitor).map(Typed)
    }
}

#[cfg(feature = "sops")]
struct TypedVisitor;

#[cfg(feature = "sops")]
impl<'de> Visitor<'de> for TypedVisitor {
    type Value = serde_json::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Self::Value, E> {
        Ok(b.into())
    }

    fn visit_i64<E>(self, n: i64) -> Result<Self::Value, E> {
        Ok(n.into())
    }

    fn visit_u64<E>(self, n: u64) -> Result<Self::Value, E> {
        Ok(n.into())
    }

    fn visit_i128<E>(self, n: i128) -> Result<Self::Value, E> {
        #[allow(clippy::cast_precision_loss)] // the float sops reads it as
        Ok(i64::try_from(n).map_or_else(|_| float(n as f64), Into::into))
    }

    fn visit_u128<E>(self, n: u128) -> Result<Self::Value, E> {
        #[allow(clippy::cast_precision_loss)] // the float sops reads it as
        Ok(u64::try_from(n).map_or_else(|_| float(n as f64), Into::into))
    }

    fn visit_f64<E>(self, x: f64) -> Result<Self::Value, E> {
        Ok(float(x))
    }

    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(text.into())
    }

    fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
        Ok(text.into())
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(serde_json::Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        Typed::deserialize(inner).map(|typed| typed.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(Typed(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(serde_json::Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut table = serde_json::Map::new();
        while let Some((key, Typed(value))) = map.next_entry::<String, Typed>()? {
            table.insert(key, value);
        }
        Ok(serde_json::Value::Object(table))
    }
}

/// A float as a typed value; Go's text for one JSON has no number for.
#[cfg(feature = "sops")]
fn float(x: f64) -> serde_json::Value {
    serde_json::Number::from_f64(x).map_or_else(
        || {
            let go = if x.is_nan() {
                "NaN"
            } else if x > 0.0 {
                "+Inf"
            } else {
                "-Inf"
            };
            go.into()
        },
        serde_json::Value::Number,
    )
}

/// One YAML node as read, before plain scalars get their written text back. A table keeps
/// document order, and a key that comes twice (only where the parser lets it, as `1` and
/// `"1"`) keeps its first place and its last value.
enum Node {
    Null,
    Text(String),
    /// A plain scalar the parser read as a boolean or a number: that value as serde_json
    /// writes it (kept only when the document cannot say how it was written), and the byte
    /// range it is written at.
    Plain {
        shown: String,
        at: Option<(usize, usize)>,
    },
    List(Vec<Located<Node>>),
    Table(Vec<(String, Located<Node>)>),
}

impl Node {
    fn plain(shown: String) -> Node {
        Node::Plain { shown, at: None }
    }

    /// The node, told where the parser says it is written (for an alias: its anchor).
    fn written_at(self, location: &Location) -> Node {
        match self {
            Node::Plain { shown, .. } => {
                let span = location.span();
                let at = span
                    .byte_offset()
                    .zip(span.byte_len())
                    .and_then(|(start, len)| {
                        Some((usize::try_from(start).ok()?, usize::try_from(len).ok()?))
                    });
                Node::Plain { shown, at }
            }
            other => other,
        }
    }

    fn into_value(self, text: &str) -> FileValue {
        match self {
            Node::Null => FileValue::Null,
            Node::Text(text) => FileValue::Scalar(text),
            Node::Plain { shown, at } => {
                let written = at
                    .and_then(|(start, len)| text.get(start..start.checked_add(len)?))
                    .filter(|written| !written.is_empty());
                FileValue::Scalar(written.map_or(shown, kept_as))
            }
            Node::List(items) => FileValue::List(
                items
                    .into_iter()
                    .map(|item| Located {
                        value: item.value.into_value(text),
                        line: item.line,
                    })
                    .collect(),
            ),
            Node::Table(entries) => FileValue::Table(
                entries
                    .into_iter()
                    .map(|(key, item)| {
                        let value = item.value.into_value(text);
                        (
                            key,
                            Located {
                                value,
                                line: item.line,
                            },
                        )
                    })
                    .collect(),
            ),
        }
    }
}

/// The text a plain scalar read as a boolean or a number is kept as: as written, except the
/// spellings no field parser reads (see the module documentation).
fn kept_as(written: &str) -> String {
    let (sign, unsigned) = match written.as_bytes().first() {
        Some(b'-' | b'+') => written.split_at(1),
        _ => ("", written),
    };
    let sign = if sign == "-" { "-" } else { "" };
    let radix = match unsigned.get(..2) {
        Some("0x" | "0X") => 16,
        Some("0o" | "0O") => 8,
        Some("0b" | "0B") => 2,
        _ => 10,
    };
    if radix != 10 {
        return format!("{sign}{}", decimal(&unsigned[2..], radix));
    }
    if unsigned.eq_ignore_ascii_case(".inf") {
        return format!("{sign}inf");
    }
    if unsigned.eq_ignore_ascii_case(".nan") {
        return "NaN".to_owned();
    }
    without_underscores(written)
}

/// The line a node is written on (`None` where the parser could not say).
fn line_of(location: &Location) -> Option<u32> {
    u32::try_from(location.line()).ok().filter(|&line| line > 0)
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::plain(v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::plain(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::plain(v.to_string()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::plain(v.to_string()))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
        Ok(Node::plain(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        // As serde_json writes numbers (`1.0` stays `1.0`); `inf` and `NaN` as Rust does.
        Ok(Node::plain(
            serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()),
        ))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Text(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Text(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(Located {
                line: line_of(&item.defined),
                value: item.value.written_at(&item.defined),
            });
        }
        Ok(Node::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, Located<Node>)> = Vec::new();
        let mut places: HashMap<String, usize> = HashMap::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value: Spanned<Node> = map.next_value()?;
            let located = Located {
                value: value.value.written_at(&value.defined),
                line: line_of(&key.defined),
            };
            match places.get(&key.value) {
                Some(&at) => entries[at].1 = located,
                None => {
                    places.insert(key.value.clone(), entries.len());
                    entries.push((key.value, located));
                }
            }
        }
        Ok(Node::Table(entries))
    }
}

/// What went wrong, from the kind of error only: the parser's own message can quote the
/// offending line (and a key named in it is shown only when it is short).
fn reason(error: &serde_saphyr::Error) -> String {
    use serde_saphyr::Error;
    use serde_saphyr::budget::BudgetBreach;
    let mut error = error;
    loop {
        error = match error {
            Error::WithSnippet { error, .. } | Error::AliasError { error, .. } => error,
            _ => break,
        };
    }
    match error {
        Error::DuplicateMappingKey { key: Some(key), .. } if key.chars().count() <= 64 => {
            format!("duplicate key `{key}`")
        }
        Error::DuplicateMappingKey { .. } => "duplicate key".to_owned(),
        Error::Eof { .. } => "unexpected end of file".to_owned(),
        Error::NonFiniteFloat { .. } => "number out of range".to_owned(),
        Error::MultipleDocuments { .. } => "more than one document".to_owned(),
        Error::UnknownAnchor { .. } => "an alias names an unknown anchor".to_owned(),
        Error::AliasReplayCounterOverflow { .. }
        | Error::AliasReplayLimitExceeded { .. }
        | Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. } => {
            "alias expansion limit exceeded".to_owned()
        }
        Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => "nesting depth limit exceeded".to_owned(),
            BudgetBreach::Aliases { .. } | BudgetBreach::Anchors { .. } => {
                "alias limit exceeded".to_owned()
            }
            _ => "document size limit exceeded".to_owned(),
        },
        Error::InvalidUtf8Input => "the file is not valid UTF-8".to_owned(),
        // The scanner's own text may quote the input: only a known fault is named.
        Error::Message { msg, .. } | Error::ExternalMessage { msg, .. }
            if msg.contains("recursion limit") =>
        {
            "nesting depth limit exceeded".to_owned()
        }
        _ => "syntax error".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::test_trees::{at, lines_of, scalar, top_values};

    fn lines(text: &str) -> Vec<(String, Option<u32>)> {
        lines_of(&parse(text).unwrap())
    }

    #[test]
    fn maps_lists_scalars() {
        let FileValue::Table(entries) =
            parse("port: 80\nflags: [a, b]\nredis:\n  host: h\n").unwrap()
        else {
            panic!("not a table")
        };
        assert_eq!(entries[0].1.value, scalar("80"));
        let FileValue::List(flags) = &entries[1].1.value else {
            panic!("not a list")
        };
        let flags: Vec<&FileValue> = flags.iter().map(|item| &item.value).collect();
        assert_eq!(flags, [&scalar("a"), &scalar("b")]);
        assert!(matches!(entries[2].1.value, FileValue::Table(_)));
    }

    #[test]
    fn plain_scalars_keep_the_text_written() {
        // Read as numbers and booleans by the parser, kept as written; quoted text as written;
        // null and an empty value as null.
        let tree = parse(
            "a: 1.0\nb: 1e3\nc: -7\nd: yes\ne: ~\nf:\ni: '1.0'\nj: 2001-01-01\nk: 017\nl: +1\n\
             m: .5\nn: True\no: no\np: 12345678901234567890123\nq: -017\nr: 0.1000000000000000055511\n\
             s: 1E3\nt: y\nu: 0.\nv: 1e999\nw: null\nx: NULL\n",
        )
        .unwrap();
        assert_eq!(
            top_values(&tree),
            [
                ("a", &scalar("1.0")),
                ("b", &scalar("1e3")),
                ("c", &scalar("-7")),
                ("d", &scalar("yes")),
                ("e", &FileValue::Null),
                ("f", &FileValue::Null),
                ("i", &scalar("1.0")),
                ("j", &scalar("2001-01-01")),
                ("k", &scalar("017")),
                ("l", &scalar("+1")),
                ("m", &scalar(".5")),
                ("n", &scalar("True")),
                ("o", &scalar("no")),
                ("p", &scalar("12345678901234567890123")),
                ("q", &scalar("-017")),
                ("r", &scalar("0.1000000000000000055511")),
                ("s", &scalar("1E3")),
                ("t", &scalar("y")),
                ("u", &scalar("0.")),
                ("v", &scalar("1e999")),
                ("w", &FileValue::Null),
                ("x", &FileValue::Null),
            ]
        );
    }

    #[test]
    fn number_spellings_no_field_reads_become_the_form_toml_gives() {
        let tree = parse(
            "g: 0x1F\nh: 1_000\no: 0o17\nb: 0b101\nm: -0x1F\np: +0x1F\nu: 0X1f\n\
             i: .inf\nn: -.Inf\nq: +.INF\nz: .NaN\nquoted: '0x1F'\ntext: 0x_1F\n",
        )
        .unwrap();
        assert_eq!(
            top_values(&tree),
            [
                ("g", &scalar("31")),
                ("h", &scalar("1000")),
                ("o", &scalar("15")),
                ("b", &scalar("5")),
                ("m", &scalar("-31")),
                ("p", &scalar("31")),
                ("u", &scalar("31")),
                ("i", &scalar("inf")),
                ("n", &scalar("-inf")),
                ("q", &scalar("inf")),
                ("z", &scalar("NaN")),
                ("quoted", &scalar("0x1F")),
                ("text", &scalar("0x_1F")),
            ]
        );
    }

    #[test]
    fn written_text_survives_anchors_tags_flow_style_and_comments() {
        let text = "a: &zip 01720 # a comment\nb: *zip\nc: [017, 0x1F, {d: +1}]\n\
                    e: !!float 017\nf: !!str 017\ng: !!bool yes\nh:\n  - 0644\n  -   .5   \n\
                    i: \"017\"\n";
        let tree = parse(text).unwrap();
        let values = top_values(&tree);
        assert_eq!(values[0], ("a", &scalar("01720")));
        assert_eq!(values[1], ("b", &scalar("01720")));
        let FileValue::List(c) = values[2].1 else {
            panic!("not a list")
        };
        assert_eq!(c[0].value, scalar("017"));
        assert_eq!(c[1].value, scalar("31"));
        let FileValue::Table(d) = &c[2].value else {
            panic!("not a table")
        };
        assert_eq!(d[0].1.value, scalar("+1"));
        assert_eq!(values[3], ("e", &scalar("017")));
        assert_eq!(values[4], ("f", &scalar("017")));
        assert_eq!(values[5], ("g", &scalar("yes")));
        let FileValue::List(h) = values[6].1 else {
            panic!("not a list")
        };
        assert_eq!(h[0].value, scalar("0644"));
        assert_eq!(h[1].value, scalar(".5"));
        assert_eq!(values[7], ("i", &scalar("017")));
        // Multi-byte text before a number does not move where it is read from.
        let tree = parse("name: \"héllo wörld ✓\"\nzip: 01720\n").unwrap();
        assert_eq!(top_values(&tree)[1], ("zip", &scalar("01720")));
        let tree = parse("\r\n# é\r\nzip: 01720\r\n").unwrap();
        assert_eq!(top_values(&tree)[0], ("zip", &scalar("01720")));
    }

    #[test]
    fn kept_as_covers_signs_and_overflow() {
        assert_eq!(kept_as("-0o17"), "-15");
        assert_eq!(kept_as("0b1_01"), "5");
        assert_eq!(kept_as("1_000.5"), "1000.5");
        assert_eq!(kept_as("-.nan"), "NaN");
        let big = "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";
        assert_eq!(kept_as(big), big, "beyond i128 the prefix stays");
        assert_eq!(kept_as("TRUE"), "TRUE");
    }

    #[test]
    fn nested_tables_give_each_key_its_line() {
        let text = "name: app\nserver:\n  host: localhost\n  tls:\n    cert: a.pem\n    key: a.key\n  port: 8080\nlevel: info\n";
        assert_eq!(
            lines(text),
            at(&[
                ("name", 1),
                ("server", 2),
                ("server.host", 3),
                ("server.tls", 4),
                ("server.tls.cert", 5),
                ("server.tls.key", 6),
                ("server.port", 7),
                ("level", 8),
            ])
        );
    }

    #[test]
    fn list_items_have_the_line_they_start_on() {
        let text = "hosts:\n  - a\n  - b\n  -\n    c\n  - - d\n    - e\nafter: 1\n";
        assert_eq!(
            lines(text),
            at(&[
                ("hosts", 1),
                ("hosts[0]", 2),
                ("hosts[1]", 3),
                ("hosts[2]", 5),
                ("hosts[3]", 6),
                ("hosts[3][0]", 6),
                ("hosts[3][1]", 7),
                ("after", 8),
            ])
        );
    }

    #[test]
    fn lists_of_tables_give_each_item_and_key_its_line() {
        let text =
            "servers:\n  - host: a\n    port: 1\n\n  - host: b\n    port: 2\n  -\n    host: c\n";
        assert_eq!(
            lines(text),
            at(&[
                ("servers", 1),
                ("servers[0]", 2),
                ("servers[0].host", 2),
                ("servers[0].port", 3),
                ("servers[1]", 5),
                ("servers[1].host", 5),
                ("servers[1].port", 6),
                ("servers[2]", 8),
                ("servers[2].host", 8),
            ])
        );
    }

    #[test]
    fn block_and_multi_line_strings_do_not_shift_the_lines_after_them() {
        let text = "literal: |\n  one\n  two\nfolded: >\n  three\n\n  four\nnext: 1\nstrip: |-\n  five\nquoted: 'six\n  seven'\nlast: 2\n";
        assert_eq!(
            lines(text),
            at(&[
                ("literal", 1),
                ("folded", 4),
                ("next", 8),
                ("strip", 9),
                ("quoted", 11),
                ("last", 13),
            ])
        );
        let FileValue::Table(entries) = parse(text).unwrap() else {
            panic!("not a table")
        };
        assert_eq!(entries[0].1.value, scalar("one\ntwo\n"));
        assert_eq!(entries[1].1.value, scalar("three\nfour\n"));
        assert_eq!(entries[4].1.value, scalar("six seven"));
    }

    #[test]
    fn comments_and_blank_lines_are_counted() {
        let text = "# settings\n\n\nport: 80 # the port\n\n# the host:\nhost: h\n\n\n\nlog:\n  # level\n\n  level: info\n";
        assert_eq!(
            lines(text),
            at(&[("port", 4), ("host", 7), ("log", 11), ("log.level", 14)])
        );
        // A document start marker is a line too.
        assert_eq!(lines("---\n# c\na: 1\n"), at(&[("a", 3)]));
    }

    #[test]
    fn windows_and_old_mac_line_ends_count_once() {
        let expected = at(&[("a", 1), ("b", 2), ("b.c", 3), ("b.d", 4)]);
        assert_eq!(
            lines("a: 1\r\nb:\r\n  c: 2\r\n  d: |\r\n    x\r\n"),
            expected
        );
        // YAML reads a bare carriage return as a line end too.
        assert_eq!(lines("a: 1\rb:\r  c: 2\r  d: |\r    x\r"), expected);
    }

    #[test]
    fn flow_style_gives_each_key_and_item_its_line() {
        let text = "a: {b: 1, c: 2}\nd: [1, 2]\ne: {f: 1,\n  g: [x,\n    y]}\n";
        assert_eq!(
            lines(text),
            at(&[
                ("a", 1),
                ("a.b", 1),
                ("a.c", 1),
                ("d", 2),
                ("d[0]", 2),
                ("d[1]", 2),
                ("e", 3),
                ("e.f", 3),
                ("e.g", 4),
                ("e.g[0]", 4),
                ("e.g[1]", 5),
            ])
        );
    }

    #[test]
    fn aliased_and_merged_keys_have_the_line_they_are_written_on() {
        // An alias's keys are written at the anchor; a merged table's explicit keys come
        // first, then the merged ones, each at the line it is written on.
        let text = "base: &base\n  host: h\n  port: 1\ncopy: *base\nprod:\n  <<: *base\n  port: 2\nflags: &flags [a, b]\nmore: *flags\n";
        assert_eq!(
            lines(text),
            at(&[
                ("base", 1),
                ("base.host", 2),
                ("base.port", 3),
                ("copy", 4),
                ("copy.host", 2),
                ("copy.port", 3),
                ("prod", 5),
                ("prod.port", 7),
                ("prod.host", 2),
                ("flags", 8),
                ("flags[0]", 8),
                ("flags[1]", 8),
                ("more", 9),
                ("more[0]", 8),
                ("more[1]", 8),
            ])
        );
        let FileValue::Table(entries) = parse(text).unwrap() else {
            panic!("not a table")
        };
        let FileValue::Table(prod) = &entries[2].1.value else {
            panic!("not a table")
        };
        assert_eq!(prod[0].1.value, scalar("2"));
        assert_eq!(prod[1].1.value, scalar("h"));
    }

    #[test]
    fn a_key_spelled_twice_keeps_its_first_place_and_its_last_value() {
        // `1` and `"1"` are different YAML keys but the same key here.
        let FileValue::Table(entries) = parse("1: a\nb: 2\n\"1\": c\n").unwrap() else {
            panic!("not a table")
        };
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].0, "1");
        assert_eq!(
            entries[0].1,
            Located {
                value: scalar("c"),
                line: Some(3)
            }
        );
    }

    #[test]
    fn errors_give_the_reason_line_and_column() {
        let err = parse("a: 1\nb: 2\na: hunter2\n").unwrap_err();
        assert!(err.message.contains("duplicate key `a`"), "{err:?}");
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("column"), "{err:?}");
        assert!(!err.message.contains("hunter2"));
        let deep = format!("a: {}1{}\n", "[".repeat(2000), "]".repeat(2000));
        let err = parse(&deep).unwrap_err();
        assert!(err.message.contains("depth"), "{err:?}");
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
        let err = parse(bomb).unwrap_err();
        assert!(err.message.contains("limit"), "{err:?}");
    }

    #[test]
    fn errors_keep_the_line_and_not_the_text() {
        let err = parse("a: 1\nb: [unclosed-secret-value\n").unwrap_err();
        assert!(!err.message.contains("unclosed-secret-value"));
        assert!(err.line.is_some());
    }
}
