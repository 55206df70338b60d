//! YAML through `serde-saphyr` (maintained, panic-free; `serde_yaml` is deprecated), read
//! straight into the tree by a visitor of our own. Every key has its line, and every list
//! item the line its value starts on: the parser's `Spanned` gives where each node is written
//! (for a key of an aliased or merged table, its line in the anchored definition). Errors
//! have a line too; the parser's own message can quote the offending source line, which may
//! hold a secret, so only its position is kept.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{Location, Spanned};

use super::{FileValue, FormatError, Located};

pub(super) fn parse(text: &str) -> Result<FileValue, FormatError> {
    if text.trim().is_empty() {
        return Ok(FileValue::Table(Vec::new()));
    }
    let Node(value) = serde_saphyr::from_str(text).map_err(|e| {
        let location = e.location();
        let column = location.map_or(String::new(), |l| format!(" at column {}", l.column()));
        FormatError {
            message: format!("{}{column}", reason(&e)),
            line: location.and_then(|l| u32::try_from(l.line()).ok()),
        }
    })?;
    Ok(value)
}

/// One YAML node as a tree. Scalars read as an untyped `serde_json::Value` would hold them
/// (`1.0` stays `1.0`, `yes` is `true`); a table keeps document order, and a key that comes
/// twice (only where the parser lets it, as `1` and `"1"`) keeps its first place and its last
/// value.
struct Node(FileValue);

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
        Ok(Node(FileValue::Null))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node(FileValue::Null))
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node(FileValue::Scalar(v.to_string())))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node(FileValue::Scalar(v.to_string())))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node(FileValue::Scalar(v.to_string())))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        // As serde_json writes numbers (`1.0` stays `1.0`); it has no infinity or NaN.
        Ok(Node(
            serde_json::Number::from_f64(v)
                .map_or(FileValue::Null, |n| FileValue::Scalar(n.to_string())),
        ))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node(FileValue::Scalar(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node(FileValue::Scalar(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(Located {
                line: line_of(&item.defined),
                value: item.value.0,
            });
        }
        Ok(Node(FileValue::List(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, Located<FileValue>)> = Vec::new();
        let mut places: HashMap<String, usize> = HashMap::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let Node(value) = map.next_value()?;
            let located = Located {
                value,
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
        Ok(Node(FileValue::Table(entries)))
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
    fn scalars_read_as_before_lines_were_kept() {
        // Numbers as serde_json writes them, YAML 1.1 booleans, null and an empty value as
        // null, quoted text as written.
        let tree = parse(
            "a: 1.0\nb: 1e3\nc: -7\nd: yes\ne: ~\nf:\ng: 0x1F\nh: 1_000\ni: '1.0'\nj: 2001-01-01\n",
        )
        .unwrap();
        assert_eq!(
            top_values(&tree),
            [
                ("a", &scalar("1.0")),
                ("b", &scalar("1000.0")),
                ("c", &scalar("-7")),
                ("d", &scalar("true")),
                ("e", &FileValue::Null),
                ("f", &FileValue::Null),
                ("g", &scalar("31")),
                ("h", &scalar("1000")),
                ("i", &scalar("1.0")),
                ("j", &scalar("2001-01-01")),
            ]
        );
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
