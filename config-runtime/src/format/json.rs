//! JSON through `serde_json`, read straight into the tree by a visitor of our own, so that a
//! key repeated in an object is an error (as in TOML and YAML) rather than a silent "last one
//! wins". Every key has the line it is written on, and every list item the line its value
//! starts on, as in TOML and YAML; errors have a line and column too. Every number keeps the
//! text it is written with (below).
//!
//! serde_json keeps no positions for values, so the lines come from a second, small pass:
//! once serde_json has accepted the text and built the tree, `locate` walks the text
//! alongside the tree, token by token, and gives each key and item the line it meets it on.
//! The walk is strict: it checks every token against the tree (the brackets, each key's and
//! string's text where it has no escape, the words `true`, `false` and `null`, each number),
//! and where the two disagree in any way the tree keeps no lines at all rather than wrong
//! ones, and its numbers as serde_json gave them rather than a wrong text. The errors and
//! their positions, the nesting limit, the size of what is accepted and the duplicate-key
//! check are serde_json's and ours exactly as before: the walk never fails a file.
//!
//! # Numbers keep the text written
//!
//! serde_json reads a number as a `u64`, an `i64` or an `f64`; written back, `1e3` would be
//! `1000.0`, `1.50` `1.5`, `-0` `-0.0`, and an integer beyond 64 bits a rounded float
//! (`12345678901234567890123` as `1.2345678901234568e+22`). Fields parse text themselves
//! (exactly as they parse an environment value), so a number is kept as written instead, taken
//! from the text by the walk: a `String` field gets what the file says, an `f64` field parses
//! `1e3` as it would from `APP_VALUE=1e3`, an `i128` or `u128` field gets every digit of a
//! big integer, and an integer field refuses `1e3` or `1.0` quoting what is written.
//!
//! This is the YAML reader's rule (`yaml.rs`): scalars keep their text, except spellings no
//! field parser reads, which take TOML's form. JSON has no such spelling (no `0x`, `_`, `+`,
//! `.5` or `inf`: every JSON number is also a Rust float, and one without a fraction or an
//! exponent a Rust integer), so no number is rewritten, and what TOML and YAML can write the
//! same way (`1e3`, `1.50`, `-0`, a 23-digit integer) reaches a field as the same text from
//! all three.
//!
//! | written | kept as | before (serde_json's form) |
//! |---|---|---|
//! | `17`, `-7`, `0`, `1.5`, `0.0` | as written | the same |
//! | `1e3`, `1E3`, `1e+3`, `1.50`, `-0`, `1e-400` | as written | `1000.0`, `1000.0`, `1000.0`, `1.5`, `-0.0`, `0.0` |
//! | `12345678901234567890123`, `-9223372036854775809` | as written | a rounded float |
//! | `1e999` (beyond a float's range) | refused: "number out of range", with line and column | refused the same way |
//!
//! serde_json refuses a number beyond a float's range, and still does: quote it to hand a
//! field the text (`"1e999"`, which an `f64` field refuses as too large, as from TOML or YAML).
//! JSON held in another text (a map or a list of sections in one variable, such as
//! `APP_WEIGHTS='{"a": 1e3}'`, or in a string of a file: `parse_value`) keeps its numbers'
//! text by the same walk, without lines. Each number
//! is checked: where serde_json gave back other text than is written, it must read the written
//! token alone as the same number, or the walk disagrees.
//!
//! The other ways were weighed. serde_json over a reader that counts the bytes it hands out
//! (`Deserializer::from_reader`, which pulls one byte at a time) would give positions in one
//! pass, but its errors are not those of `from_str`: its position counts a byte it only
//! peeked at, so many errors (a repeated key, a number out of range, ...) move one column on,
//! or to the next line when that byte is a newline; and it relies on how serde_json buffers
//! and peeks, which it does not promise. The crates that give JSON spans are unmaintained
//! (`json-spanned-value`, `spanned_json_parser`) or parse another grammar with their own
//! errors (`jsonc-parser`, JSON with comments). serde_json's `arbitrary_precision` feature
//! would hand numbers over as written, but a feature is turned on for every crate of an
//! application that uses serde_json, and changes what their numbers are (a `Value`'s
//! `Number` keeps its text, and reaches a visitor as a map): the walk takes the text instead.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{FileValue, FormatError, Located};

/// A JSON document: every key and list item with its line, every number as written.
pub(super) fn parse(text: &str) -> Result<FileValue, FormatError> {
    let mut value = read(text)?;
    locate(text, &mut value, Lines::Kept);
    Ok(value)
}

/// A JSON value held in another text (a variable, a string of a file): the lines of that
/// text are not lines of the file, so none are kept; its numbers are as written.
pub(super) fn parse_value(text: &str) -> Result<FileValue, FormatError> {
    let mut value = read(text)?;
    locate(text, &mut value, Lines::Dropped);
    Ok(value)
}

/// The tree, without lines, with numbers as serde_json writes them.
pub(super) fn read(text: &str) -> Result<FileValue, FormatError> {
    let duplicate = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = Node {
        duplicate: &duplicate,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|e| FormatError {
        message: format!(
            "{} at column {}",
            reason(&e, duplicate.borrow().as_deref()),
            e.column()
        ),
        line: u32::try_from(e.line()).ok(),
    })
}

/// Whether the walk gives the tree the lines of the text it is read from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// A file: every key and list item its line.
    Kept,
    /// A value held in another text: no lines.
    Dropped,
}

/// Gives every number of `value`, which serde_json read from `text`, the text it is written
/// with, and (with [`Lines::Kept`]) every key and list item the line it is written on; where
/// the text and the tree disagree, no line at all and the numbers as serde_json gave them.
fn locate(text: &str, value: &mut FileValue, lines: Lines) {
    let mut walk = Walk {
        text: text.as_bytes(),
        at: 0,
        line: 1,
        lines,
        numbers: Vec::new(),
    };
    let agreed = walk.value(value).is_some() && {
        walk.skip_whitespace();
        walk.at == walk.text.len()
    };
    if agreed {
        for (number, written) in walk.numbers {
            written.clone_into(number);
        }
    } else {
        drop(walk);
        if lines == Lines::Kept {
            value.forget_lines();
        }
    }
}

/// A position in a text serde_json accepted, and the tree `'v` it walks. It follows the tree,
/// so it goes no deeper than serde_json's nesting limit.
struct Walk<'t, 'v> {
    text: &'t [u8],
    at: usize,
    /// 1-based; only `\n` ends a line, as serde_json counts lines (a `\r\n` is one line end,
    /// a bare `\r` is whitespace).
    line: usize,
    lines: Lines,
    /// The numbers of the tree whose text serde_json wrote otherwise than the text does, each
    /// with its written text: given to the tree only once the whole walk agrees.
    numbers: Vec<(&'v mut String, &'t str)>,
}

impl<'t, 'v> Walk<'t, 'v> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    /// JSON's whitespace, as serde_json skips it.
    fn skip_whitespace(&mut self) {
        while let Some(byte @ (b' ' | b'\t' | b'\n' | b'\r')) = self.peek() {
            if byte == b'\n' {
                self.line += 1;
            }
            self.at += 1;
        }
    }

    /// The next token is this one byte.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.skip_whitespace();
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// The line of the next token, which the caller has skipped whitespace to.
    fn line(&self) -> Option<u32> {
        match self.lines {
            Lines::Kept => u32::try_from(self.line).ok(),
            Lines::Dropped => None,
        }
    }

    /// One value, which must have the shape (and, where it can tell, the text) of `value`.
    fn value(&mut self, value: &'v mut FileValue) -> Option<()> {
        self.skip_whitespace();
        match value {
            FileValue::Table(entries) => {
                self.expect(b'{')?;
                for (i, (key, entry)) in entries.iter_mut().enumerate() {
                    if i > 0 {
                        self.expect(b',')?;
                    }
                    self.skip_whitespace();
                    entry.line = self.line();
                    self.string(key)?;
                    self.expect(b':')?;
                    self.value(&mut entry.value)?;
                }
                self.expect(b'}')
            }
            FileValue::List(items) => {
                self.expect(b'[')?;
                for (i, item) in items.iter_mut().enumerate() {
                    if i > 0 {
                        self.expect(b',')?;
                    }
                    self.skip_whitespace();
                    item.line = self.line();
                    self.value(&mut item.value)?;
                }
                self.expect(b']')
            }
            FileValue::Scalar(text) if self.peek() == Some(b'"') => self.string(text),
            FileValue::Scalar(text) => {
                let word = self.word();
                match word {
                    b"true" | b"false" => (word == text.as_bytes()).then_some(()),
                    [b'-' | b'0'..=b'9', ..] => self.number(word, text),
                    _ => None,
                }
            }
            FileValue::Null => (self.word() == b"null").then_some(()),
            FileValue::Unsupported(_) => None,
        }
    }

    /// A number token `written` where the tree holds `given`, serde_json's text of it. Most
    /// (integers within 64 bits) are the same text. Another must be a float's text (serde_json
    /// writes an integer as written, and a float always with a `.` or an `e`) naming the very
    /// float serde_json reads the written token alone as (its text is the shortest that reads
    /// back as that float), and is then kept to be given the written text.
    fn number(&mut self, written: &'t [u8], given: &'v mut String) -> Option<()> {
        if written == given.as_bytes() {
            return Some(());
        }
        let written = std::str::from_utf8(written).ok()?;
        let float = given.bytes().any(|b| matches!(b, b'.' | b'e'));
        let read: f64 = serde_json::from_str(written).ok()?;
        (float && given.parse::<f64>().ok()?.to_bits() == read.to_bits()).then(|| {
            self.numbers.push((given, written));
        })
    }

    /// A string token; its text must be `expected` where it has no escape to decode.
    fn string(&mut self, expected: &str) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at + 1;
        let mut at = start;
        loop {
            match *self.text.get(at)? {
                b'"' => break,
                b'\\' => at += 2,
                // serde_json refuses a control character in a string: no line ends inside.
                0..=0x1f => return None,
                _ => at += 1,
            }
        }
        let raw = &self.text[start..at];
        self.at = at + 1;
        (raw.contains(&b'\\') || raw == expected.as_bytes()).then_some(())
    }

    /// A number, `true`, `false` or `null`.
    fn word(&mut self) -> &'t [u8] {
        let start = self.at;
        while let Some(b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'+' | b'-' | b'.') = self.peek() {
            self.at += 1;
        }
        &self.text[start..self.at]
    }
}

/// What went wrong, without quoting the input: serde_json's syntax messages name the fault
/// only ("expected `,` or `}`", "recursion limit exceeded", "number out of range"); a data
/// error here is only ever our duplicate key.
fn reason(e: &serde_json::Error, duplicate: Option<&str>) -> String {
    use serde_json::error::Category;
    match (e.classify(), duplicate) {
        (Category::Data, Some(key)) => format!("duplicate key `{}`", shorten(key)),
        (Category::Syntax | Category::Eof, _) => {
            let text = e.to_string();
            let fault = text
                .rfind(" at line ")
                .map_or(text.as_str(), |at| &text[..at]);
            fault.to_owned()
        }
        (Category::Io, _) => "read error".to_owned(),
        (Category::Data, None) => "invalid data".to_owned(),
    }
}

/// A key as a message shows it: at most 64 characters.
fn shorten(key: &str) -> String {
    match key.char_indices().nth(64) {
        Some((at, _)) => format!("{}…", &key[..at]),
        None => key.to_owned(),
    }
}

/// Reads one JSON value into a [`FileValue`]; records the first repeated key it meets.
#[derive(Clone, Copy)]
struct Node<'a> {
    duplicate: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = FileValue;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<FileValue, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = FileValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<FileValue, E> {
        Ok(FileValue::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<FileValue, E> {
        Ok(FileValue::Scalar(v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<FileValue, E> {
        Ok(FileValue::Scalar(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<FileValue, E> {
        Ok(FileValue::Scalar(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<FileValue, E> {
        // As serde_json writes numbers (`1.0` stays `1.0`).
        let text = serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string());
        Ok(FileValue::Scalar(text))
    }

    fn visit_str<E>(self, v: &str) -> Result<FileValue, E> {
        Ok(FileValue::Scalar(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<FileValue, E> {
        Ok(FileValue::Scalar(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FileValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(Located {
                value: item,
                line: None,
            });
        }
        Ok(FileValue::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FileValue, A::Error> {
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                // Raised right after the key: serde_json gives the error the key's line.
                let message = format!("duplicate key `{}`", shorten(&key));
                *self.duplicate.borrow_mut() = Some(key);
                return Err(de::Error::custom(message));
            }
            let value = map.next_value_seed(self)?;
            entries.push((key, Located { value, line: None }));
        }
        Ok(FileValue::Table(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::test_trees::{at, lines_of, scalar, top_values};

    #[test]
    fn objects_arrays_scalars() {
        let FileValue::Table(entries) =
            parse(r#"{"a": 1, "b": [true, "x"], "c": {"d": null}}"#).unwrap()
        else {
            panic!("not a table")
        };
        assert_eq!(entries[0].1.value, FileValue::Scalar("1".into()));
        let FileValue::List(items) = &entries[1].1.value else {
            panic!("not a list")
        };
        let items: Vec<&FileValue> = items.iter().map(|item| &item.value).collect();
        assert_eq!(
            items,
            [
                &FileValue::Scalar("true".into()),
                &FileValue::Scalar("x".into())
            ]
        );
        let FileValue::Table(inner) = &entries[2].1.value else {
            panic!()
        };
        assert_eq!(inner[0].1.value, FileValue::Null);
    }

    #[test]
    fn syntax_errors_have_lines() {
        let err = parse("{\n\"a\": }").unwrap_err();
        assert_eq!(err.line, Some(2));
    }

    #[test]
    fn a_repeated_key_is_an_error_naming_it_and_its_line() {
        let err = parse("{\n\"a\": 1,\n\"b\": {\"x\": 1},\n\"a\": \"hunter2\"\n}").unwrap_err();
        assert!(err.message.contains("duplicate key `a`"), "{err:?}");
        assert_eq!(err.line, Some(4));
        assert!(!err.message.contains("hunter2"));
        let err = parse("{\"s\": {\"k\": 1, \"k\": 2}}").unwrap_err();
        assert!(err.message.contains("duplicate key `k`"), "{err:?}");
        // The same key in different objects is fine.
        assert!(parse("{\"a\": {\"k\": 1}, \"b\": {\"k\": 2}}").is_ok());
    }

    #[test]
    fn errors_give_the_reason_and_never_the_content() {
        let err = parse("{\"n\": 1e999}").unwrap_err();
        assert!(err.message.contains("number out of range"), "{err:?}");
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let err = parse(&format!("{{\"a\": {deep}}}")).unwrap_err();
        assert!(err.message.contains("recursion limit"), "{err:?}");
        let err = parse("{\"token\": \"hunter2\" \"x\"}").unwrap_err();
        assert!(err.message.contains("expected"), "{err:?}");
        assert!(!err.message.contains("hunter2"), "{err:?}");
    }

    fn lines(text: &str) -> Vec<(String, Option<u32>)> {
        lines_of(&parse(text).unwrap())
    }

    #[test]
    fn nested_objects_give_each_key_its_line() {
        let text = "{\n  \"name\": \"app\",\n  \"server\": {\n    \"host\": \"localhost\",\n    \"tls\": {\n      \"cert\": \"a.pem\",\n      \"key\": \"a.key\"\n    },\n    \"port\": 8080\n  },\n  \"level\": \"info\"\n}\n";
        assert_eq!(
            lines(text),
            at(&[
                ("name", 2),
                ("server", 3),
                ("server.host", 4),
                ("server.tls", 5),
                ("server.tls.cert", 6),
                ("server.tls.key", 7),
                ("server.port", 9),
                ("level", 11),
            ])
        );
    }

    #[test]
    fn array_items_have_the_line_they_start_on() {
        let text = "{\n\"hosts\": [\n  \"a\",\n  \"b\", \"c\",\n\n  [1,\n   2],\n  null\n  ,\n  true\n],\n\"empty\": [], \"after\": 1\n}";
        assert_eq!(
            lines(text),
            at(&[
                ("hosts", 2),
                ("hosts[0]", 3),
                ("hosts[1]", 4),
                ("hosts[2]", 4),
                ("hosts[3]", 6),
                ("hosts[3][0]", 6),
                ("hosts[3][1]", 7),
                ("hosts[4]", 8),
                ("hosts[5]", 10),
                ("empty", 12),
                ("after", 12),
            ])
        );
        // A root array, read as one value.
        assert_eq!(
            lines("[\n1,\n{\"a\": 2}\n]"),
            at(&[("[0]", 2), ("[1]", 3), ("[1].a", 3)])
        );
    }

    #[test]
    fn arrays_of_objects_give_each_item_and_key_its_line() {
        let text = "{\"servers\": [\n  {\"host\": \"a\",\n   \"port\": 1},\n\n  {\n    \"host\": \"b\",\n    \"port\": 2\n  },\n  {}\n]}\n";
        assert_eq!(
            lines(text),
            at(&[
                ("servers", 1),
                ("servers[0]", 2),
                ("servers[0].host", 2),
                ("servers[0].port", 3),
                ("servers[1]", 5),
                ("servers[1].host", 6),
                ("servers[1].port", 7),
                ("servers[2]", 9),
            ])
        );
    }

    #[test]
    fn a_key_has_its_own_line_and_not_its_values() {
        let text = "{\n\"a\"\n:\n1,\n\"b\":\n  {\n  \"c\":\n\n  [\n  2]},\n\"d\": \"x\"\n}";
        assert_eq!(
            lines(text),
            at(&[("a", 2), ("b", 5), ("b.c", 7), ("b.c[0]", 10), ("d", 11)])
        );
    }

    #[test]
    fn minified_json_is_all_on_line_one() {
        let text = r#"{"a":1,"b":[true,{"c":null,"d":[1.5,"x"]}],"e":{"f":{"g":"h"}}}"#;
        let found = lines(text);
        assert_eq!(found.len(), 11);
        assert!(found.iter().all(|(_, line)| *line == Some(1)), "{found:?}");
    }

    #[test]
    fn strings_holding_brackets_quotes_escapes_and_colons_do_not_shift_the_walk() {
        let text = "{\n\"a{\": \"}]\\\",\\\"b\\\": [\",\n\"k\\\"ey\": \"x\\ny\\nz: {\",\n\"c\": [\"\\\\\", \":\",\n\"\\\\\\\"\", \"[\\u005b,\"],\n\"\\u0064\": \"é ☃ 😀\",\n\"e\": \"\\\\\"\n}";
        assert_eq!(
            lines(text),
            at(&[
                ("a{", 2),
                ("k\"ey", 3),
                ("c", 4),
                ("c[0]", 4),
                ("c[1]", 4),
                ("c[2]", 5),
                ("c[3]", 5),
                ("d", 6),
                ("e", 7),
            ])
        );
        let FileValue::Table(entries) = parse(text).unwrap() else {
            panic!("not a table")
        };
        assert_eq!(entries[0].1.value, scalar("}]\",\"b\": ["));
        assert_eq!(entries[1].1.value, scalar("x\ny\nz: {"));
        assert_eq!(entries[3].1.value, scalar("é ☃ 😀"));
        assert_eq!(entries[4].1.value, scalar("\\"));
    }

    #[test]
    fn windows_line_ends_count_once_and_a_bare_carriage_return_is_whitespace() {
        let expected = at(&[("a", 2), ("b", 3), ("b.c", 4), ("b.d", 5), ("b.d[0]", 6)]);
        assert_eq!(
            lines(
                "{\r\n\"a\": 1,\r\n\"b\": {\r\n  \"c\": 2,\r\n  \"d\": [\r\n    \"x\"]}\r\n}\r\n"
            ),
            expected
        );
        // serde_json counts only `\n` as a line end (as its errors say).
        assert_eq!(
            lines("{\r\"a\": 1,\r\n\"b\": 2}"),
            at(&[("a", 1), ("b", 2)])
        );
        assert_eq!(parse("{\r\"a\": }").unwrap_err().line, Some(1));
    }

    #[test]
    fn a_byte_order_mark_is_no_line() {
        // The file reader strips it; serde_json alone refuses it.
        let entries = super::super::parse_file(
            super::super::Format::Json,
            "\u{feff}{\n\"a\": 1,\n\"b\": 2}",
        )
        .unwrap();
        let lines: Vec<Option<u32>> = entries.iter().map(|(_, v)| v.line).collect();
        assert_eq!(lines, [Some(2), Some(3)]);
        assert!(parse("\u{feff}{\"a\": 1}").is_err());
    }

    #[test]
    fn a_value_inside_another_text_keeps_no_lines() {
        let value = parse_value("{\n\"a\": [\n{\"b\": 1}]}").unwrap();
        assert!(
            lines_of(&value).iter().all(|(_, line)| line.is_none()),
            "{value:?}"
        );
    }

    #[test]
    fn where_the_text_and_the_tree_disagree_no_line_is_guessed() {
        let located = |value| Located { value, line: None };
        let cases = [
            // Another key, another value, a missing entry, an extra one, another shape.
            ("{\"a\": 1}", vec![("b".to_owned(), located(scalar("1")))]),
            (
                "{\"a\": \"x\"}",
                vec![("a".to_owned(), located(scalar("y")))],
            ),
            (
                "{\"a\": true}",
                vec![("a".to_owned(), located(scalar("false")))],
            ),
            (
                "{\"a\": null}",
                vec![("a".to_owned(), located(scalar("1")))],
            ),
            (
                "{\"a\": 1, \"b\": 2}",
                vec![("a".to_owned(), located(scalar("1")))],
            ),
            (
                "{\"a\": 1}",
                vec![
                    ("a".to_owned(), located(scalar("1"))),
                    ("b".to_owned(), located(scalar("2"))),
                ],
            ),
            ("{\"a\": [1]}", vec![("a".to_owned(), located(scalar("1")))]),
            ("{\"a\": 1} x", vec![("a".to_owned(), located(scalar("1")))]),
        ];
        for (text, entries) in cases {
            let mut tree = FileValue::Table(entries);
            locate(text, &mut tree, Lines::Kept);
            assert!(
                lines_of(&tree).iter().all(|(_, line)| line.is_none()),
                "{text}: {tree:?}"
            );
        }
        // An escaped key is not compared, and still has its line.
        let mut tree = FileValue::Table(vec![("a".to_owned(), located(scalar("1")))]);
        locate("{\n\"\\u0061\": 1}", &mut tree, Lines::Kept);
        assert_eq!(lines_of(&tree), at(&[("a", 2)]));
    }

    #[test]
    fn scalars_other_than_numbers_read_as_before_lines_were_kept() {
        let tree = parse(
            "{\"d\": false, \"e\": null, \"f\": \"\", \"g\": 12345678901234567890, \"h\": \"1e3\"}",
        )
        .unwrap();
        assert_eq!(
            top_values(&tree),
            [
                ("d", &scalar("false")),
                ("e", &FileValue::Null),
                ("f", &scalar("")),
                ("g", &scalar("12345678901234567890")),
                ("h", &scalar("1e3")),
            ]
        );
    }

    /// Each number written alone as the value of `n`, in a file and in a variable.
    fn numbers(written: &[&str]) -> Vec<(String, String)> {
        written
            .iter()
            .map(|number| {
                let text = format!("{{\n\"n\": [\n  {number}, {number}]\n}}");
                let shown = |tree: FileValue| {
                    let FileValue::Table(entries) = tree else {
                        panic!("not a table")
                    };
                    let FileValue::List(items) = &entries[0].1.value else {
                        panic!("not a list")
                    };
                    assert_eq!(items[0].value, items[1].value);
                    match &items[0].value {
                        FileValue::Scalar(text) => text.clone(),
                        other => panic!("{number}: {other:?}"),
                    }
                };
                let file = parse(&text).unwrap();
                assert_eq!(lines_of(&file), at(&[("n", 2), ("n[0]", 3), ("n[1]", 3)]));
                (shown(file), shown(parse_value(&text).unwrap()))
            })
            .collect()
    }

    #[test]
    fn numbers_keep_the_text_written() {
        let written = [
            "1e3",
            "1E3",
            "1e+3",
            "-1.5E-3",
            "1.50",
            "-0",
            "-0.0",
            "0.0",
            "1.0",
            "1e-400",
            "0.1000000000000000055511",
            "12345678901234567890123",
            "-9223372036854775809",
            "18446744073709551616",
            "340282366920938463463374607431768211456",
            "17",
            "-7",
            "0",
            "18446744073709551615",
            "-9223372036854775808",
        ];
        let expected: Vec<(String, String)> = written
            .iter()
            .map(|n| ((*n).to_owned(), (*n).to_owned()))
            .collect();
        assert_eq!(numbers(&written), expected);
    }

    #[test]
    fn a_number_beyond_a_float_is_refused_as_before() {
        for text in ["{\n\"n\": 1.7976931348623157e309}", "{\n\"n\": -1e999}"] {
            let err = parse(text).unwrap_err();
            assert!(
                err.message.starts_with("number out of range at column "),
                "{err:?}"
            );
            assert_eq!(err.line, Some(2));
            assert_eq!(parse_value(text).unwrap_err(), err);
        }
        // The largest float reads, as written.
        let largest = "1.7976931348623157E+308";
        assert_eq!(
            numbers(&[largest]),
            [(largest.to_owned(), largest.to_owned())]
        );
    }

    #[test]
    fn where_the_walk_disagrees_numbers_are_serde_json_s() {
        let located = |value| Located { value, line: None };
        // The walk agrees: the written text.
        let mut tree = FileValue::Table(vec![("a".to_owned(), located(scalar("1000.0")))]);
        locate("{\"a\": 1e3}", &mut tree, Lines::Kept);
        assert_eq!(top_values(&tree), [("a", &scalar("1e3"))]);
        // A number serde_json would not read as the tree's, or a disagreement after it.
        for (text, entries) in [
            ("{\"a\": 1e3}", vec![("a", "999.0")]),
            ("{\"a\": 1e3}", vec![("a", "1000")]),
            ("{\"a\": -0}", vec![("a", "0.0")]),
            ("{\"a\": 1e3}", vec![("a", "1000.0"), ("b", "1")]),
            ("{\"a\": 1e3, \"b\": 1}", vec![("a", "1000.0"), ("b", "2")]),
            (
                "{\"a\": 1e3, \"b\": 1.5e0} x",
                vec![("a", "1000.0"), ("b", "1.5")],
            ),
        ] {
            for lines in [Lines::Kept, Lines::Dropped] {
                let entries: Vec<(String, Located<FileValue>)> = entries
                    .iter()
                    .map(|(key, value)| ((*key).to_owned(), located(scalar(value))))
                    .collect();
                let mut tree = FileValue::Table(entries.clone());
                locate(text, &mut tree, lines);
                assert_eq!(tree, FileValue::Table(entries), "{text}");
            }
        }
    }
}
