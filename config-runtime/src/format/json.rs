//! JSON through `serde_json`, read straight into the tree by a visitor of our own, so that a
//! key repeated in an object is an error (as in TOML and YAML) rather than a silent "last one
//! wins". serde_json keeps no positions for values, so keys have no line; errors do.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::{FileValue, FormatError, Located};

pub(super) fn parse(text: &str) -> Result<FileValue, FormatError> {
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

    #[test]
    fn objects_arrays_scalars() {
        let FileValue::Table(entries) =
            parse(r#"{"a": 1, "b": [true, "x"], "c": {"d": null}}"#).unwrap()
        else {
            panic!("not a table")
        };
        assert_eq!(entries[0].1.value, FileValue::Scalar("1".into()));
        assert_eq!(
            entries[1].1.value,
            super::super::unlocated([
                FileValue::Scalar("true".into()),
                FileValue::Scalar("x".into())
            ])
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

    #[test]
    fn numbers_read_as_serde_json_writes_them() {
        let FileValue::Table(entries) = parse(r#"{"a": 1.0, "b": -3, "c": 1.5e3}"#).unwrap() else {
            panic!("not a table")
        };
        let texts: Vec<&FileValue> = entries.iter().map(|(_, v)| &v.value).collect();
        assert_eq!(texts[0], &FileValue::Scalar("1.0".into()));
        assert_eq!(texts[1], &FileValue::Scalar("-3".into()));
        assert_eq!(texts[2], &FileValue::Scalar("1500.0".into()));
    }
}
