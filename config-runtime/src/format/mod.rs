//! Parsing configuration files and `.env` files into one simple tree, with line numbers.
//!
//! Every format becomes [`FileValue`]: scalars are kept as text, because the field's type
//! parses them exactly like an environment value (a TOML `9000` and `APP_PORT=9000` meet the
//! same parser). Lines are 1-based and point at the key.

mod dotenv;
#[cfg(test)]
mod dotenv_differential;
mod json;
mod spans;
#[cfg(feature = "toml")]
mod toml;
#[cfg(feature = "toml")]
mod toml_fast;
#[cfg(feature = "toml")]
mod toml_flat;
#[cfg(feature = "toml")]
mod toml_lines;
#[cfg(feature = "yaml")]
mod yaml;

use std::fmt;
use std::path::Path;

pub(crate) use spans::{Span, SpannedDoc};

/// The repeated-key check of a dotenv file, shared with the reader of the dotenv files sops
/// writes.
#[cfg(feature = "sops")]
pub(crate) use dotenv::KeyLines;
pub(crate) use dotenv::parse_dotenv;

/// One node of a document: what a file holds, and what a [`Source`](crate::source::Source)
/// gives. Scalars are text: the field's type parses them like any other value.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FileValue {
    /// A string, number, boolean or date, as text.
    Scalar(String),
    /// An array: of scalars (a list field), of tables (a list of sections), or of arrays.
    List(Vec<Located<FileValue>>),
    /// A table, keys in document order.
    Table(Vec<(String, Located<FileValue>)>),
    /// An explicit null (`null` in JSON, `~` or `null` in YAML): the key is unset.
    Null,
    /// A shape no field can take.
    Unsupported(&'static str),
}

/// A value and the line it was found on.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// 1-based line of its key, when the format reports it.
    pub line: Option<u32>,
}

/// A document format: what a file's extension names, or what the text given to
/// `Loader::string` is written in. Every source of a format is read by the same parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// TOML (feature `toml`, on by default).
    Toml,
    /// YAML (feature `yaml`, on by default).
    Yaml,
    /// JSON.
    Json,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Toml => "TOML",
            Format::Yaml => "YAML",
            Format::Json => "JSON",
        })
    }
}

impl Format {
    /// `.toml`, `.yaml`/`.yml`, `.json`.
    pub(crate) fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "toml" => Some(Format::Toml),
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Why a file could not be parsed. The message comes from the parser and describes the
/// position, not the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormatError {
    pub message: String,
    pub line: Option<u32>,
}

/// TOML and YAML allow `0x`, `0o`, `0b` and `_` in integers; fields parse plain decimal. A number
/// too big for any field keeps its prefix, so the field's error shows it as written.
#[cfg(any(feature = "toml", feature = "yaml"))]
fn decimal(digits: &str, radix: u32) -> String {
    let digits = without_underscores(digits);
    if radix == 10 {
        return digits;
    }
    i128::from_str_radix(&digits, radix).map_or_else(
        |_| {
            let prefix = match radix {
                16 => "0x",
                8 => "0o",
                2 => "0b",
                _ => "",
            };
            format!("{prefix}{digits}")
        },
        |n| n.to_string(),
    )
}

/// A number as written, minus the `_` separators TOML and YAML allow (`1_000`). Most numbers have
/// none: then a plain copy, not `str::replace`'s search.
#[cfg(any(feature = "toml", feature = "yaml"))]
fn without_underscores(digits: &str) -> String {
    if digits.contains('_') {
        digits.replace('_', "")
    } else {
        digits.to_owned()
    }
}

/// The text without a leading byte-order mark (editors on Windows write one; every format
/// accepts it).
pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A file's document as a gathering that keeps its text holds it: with its keys as spans of
/// the text when its layout allows (see [`SpannedDoc`]), else as the value tree.
pub(crate) enum Document {
    Tree(Vec<(String, Located<FileValue>)>),
    // Only the TOML reader makes one.
    #[cfg_attr(not(feature = "toml"), allow(dead_code))]
    Spanned(SpannedDoc),
}

/// Parses a whole file whose text is kept: as [`parse_file`], but a plain TOML document
/// keeps its keys in the text. Spans are of the text without its byte-order mark.
pub(crate) fn parse_file_kept(format: Format, text: &str) -> Result<Document, FormatError> {
    #[cfg(feature = "toml")]
    if format == Format::Toml {
        let text = strip_bom(text);
        return match toml_lines::parse_spanned(text) {
            Some(document) => Ok(Document::Spanned(document)),
            // Not the flat layout: the readers after the flat tree, which is not read twice.
            None => root_table(toml::parse_not_flat(text)?).map(Document::Tree),
        };
    }
    parse_file(format, text).map(Document::Tree)
}

/// Parses a whole file; its root must be a table.
pub(crate) fn parse_file(
    format: Format,
    text: &str,
) -> Result<Vec<(String, Located<FileValue>)>, FormatError> {
    let text = strip_bom(text);
    let root = match format {
        #[cfg(feature = "toml")]
        Format::Toml => toml::parse(text)?,
        #[cfg(feature = "yaml")]
        Format::Yaml => yaml::parse(text)?,
        Format::Json => json::parse(text)?,
        #[allow(unreachable_patterns)]
        other => {
            return Err(FormatError {
                message: format!(
                    "{other} support is not compiled in; enable the `{}` feature of config-runtime",
                    other.to_string().to_ascii_lowercase()
                ),
                line: None,
            });
        }
    };
    root_table(root)
}

/// The entries of a document's root, which must be a table.
fn root_table(root: FileValue) -> Result<Vec<(String, Located<FileValue>)>, FormatError> {
    match root {
        FileValue::Table(entries) => Ok(entries),
        _ => Err(FormatError {
            message: "the top level must be a table of keys".to_owned(),
            line: Some(1),
        }),
    }
}

/// A TOML file read by the line reader alone (`None` where it leaves the file to the others).
#[cfg(feature = "toml")]
pub(crate) fn parse_toml_lines(text: &str) -> Option<FileValue> {
    toml_lines::parse(strip_bom(text))
}

/// A TOML file read with its keys left in the text, as a file's kept document is, then copied
/// into the value tree (`None` where the layout is not the flat one).
#[cfg(feature = "toml")]
pub(crate) fn parse_toml_spanned(text: &str) -> Option<FileValue> {
    let text = strip_bom(text);
    toml_lines::parse_spanned(text).map(|document| FileValue::Table(document.into_tree(text)))
}

/// A TOML file read by the event reader alone (`None` where it leaves the file to the full
/// parser).
#[cfg(feature = "toml")]
pub(crate) fn parse_toml_events(text: &str) -> Option<FileValue> {
    toml_fast::parse(strip_bom(text))
}

/// A TOML file read by the full parser alone.
#[cfg(feature = "toml")]
pub(crate) fn parse_toml_full(text: &str) -> Result<FileValue, FormatError> {
    toml::parse_full(strip_bom(text))
}

/// A YAML or JSON document with its scalars' types (what SOPS needs to check a file's MAC).
/// Call it on text [`parse_file`] accepted: that parse is the one that rejects duplicate keys.
#[cfg(feature = "sops")]
pub(crate) fn parse_typed(format: Format, text: &str) -> Result<serde_json::Value, FormatError> {
    let text = strip_bom(text);
    let failed = |message: String| FormatError {
        message,
        line: None,
    };
    match format {
        #[cfg(feature = "yaml")]
        Format::Yaml => yaml::parse_typed(text),
        Format::Json => serde_json::from_str(text).map_err(|_| failed("syntax error".to_owned())),
        other => Err(failed(format!("{other} files cannot be SOPS-encrypted"))),
    }
}

/// One JSON value of any shape (a variable holding a whole map or list), without lines: they
/// would count in the variable, not in a file.
pub(crate) fn parse_json_value(text: &str) -> Result<FileValue, FormatError> {
    json::parse_value(strip_bom(text))
}

/// One JSON value read with its numbers as written (what [`parse_json_value`] gives) and as
/// serde_json writes them, for the fuzz target that checks they name the same numbers.
pub(crate) fn parse_json_both(
    text: &str,
) -> (
    Result<FileValue, FormatError>,
    Result<FileValue, FormatError>,
) {
    let text = strip_bom(text);
    (json::parse_value(text), json::read(text))
}

impl FileValue {
    /// Overwrites every text of the tree (values a source gave may be secrets).
    pub(crate) fn wipe(&mut self) {
        match self {
            FileValue::Scalar(text) => crate::secret::wipe_text(text),
            FileValue::List(items) => items.iter_mut().for_each(|item| item.value.wipe()),
            FileValue::Table(entries) => entries.iter_mut().for_each(|(_, v)| v.value.wipe()),
            FileValue::Null | FileValue::Unsupported(_) => {}
        }
    }

    /// Drops every line of the tree (a reader that cannot vouch for its lines gives none).
    pub(crate) fn forget_lines(&mut self) {
        match self {
            FileValue::Table(entries) => entries.iter_mut().for_each(|(_, entry)| {
                entry.line = None;
                entry.value.forget_lines();
            }),
            FileValue::List(items) => items.iter_mut().for_each(|item| {
                item.line = None;
                item.value.forget_lines();
            }),
            FileValue::Scalar(_) | FileValue::Null | FileValue::Unsupported(_) => {}
        }
    }

    /// A list of scalars, as a list field takes it; otherwise the shape found, for a message
    /// ("a nested array", "an array of tables").
    pub(crate) fn scalars(items: &[Located<FileValue>]) -> Result<Vec<String>, &'static str> {
        items
            .iter()
            .map(|item| match &item.value {
                FileValue::Scalar(text) => Ok(text.clone()),
                FileValue::Table(_) => Err("an array of tables"),
                FileValue::List(_) => Err("a nested array"),
                FileValue::Null => Err("null in a list"),
                FileValue::Unsupported(what) => Err(*what),
            })
            .collect()
    }

    /// How a message names this shape when it is not what a field takes.
    pub(crate) fn shape(&self) -> &'static str {
        match self {
            FileValue::Scalar(_) => "a value",
            FileValue::List(items) => match FileValue::scalars(items) {
                Ok(_) => "a list",
                Err(what) => what,
            },
            FileValue::Table(_) => "a table",
            FileValue::Null => "null",
            FileValue::Unsupported(what) => what,
        }
    }
}

/// What the readers' tests look at in the trees they read: the lines of every key and list
/// item, and the values of the top-level keys.
#[cfg(test)]
pub(super) mod test_trees {
    use super::FileValue;

    /// Every key and list item, by path (`a.b`, `list[0]`), with its line.
    pub fn lines_of(value: &FileValue) -> Vec<(String, Option<u32>)> {
        fn walk(path: &str, value: &FileValue, out: &mut Vec<(String, Option<u32>)>) {
            match value {
                FileValue::Table(entries) => {
                    for (key, entry) in entries {
                        let path = if path.is_empty() {
                            key.clone()
                        } else {
                            format!("{path}.{key}")
                        };
                        out.push((path.clone(), entry.line));
                        walk(&path, &entry.value, out);
                    }
                }
                FileValue::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let path = format!("{path}[{i}]");
                        out.push((path.clone(), item.line));
                        walk(&path, &item.value, out);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        walk("", value, &mut out);
        out
    }

    /// The keys and values of a table at the top of a tree.
    pub fn top_values(tree: &FileValue) -> Vec<(&str, &FileValue)> {
        let FileValue::Table(entries) = tree else {
            panic!("not a table")
        };
        entries
            .iter()
            .map(|(k, v)| (k.as_str(), &v.value))
            .collect()
    }

    pub fn scalar(text: &str) -> FileValue {
        FileValue::Scalar(text.to_owned())
    }

    /// The expected paths, each with its line.
    pub fn at(expected: &[(&str, u32)]) -> Vec<(String, Option<u32>)> {
        expected
            .iter()
            .map(|&(path, line)| (path.to_owned(), Some(line)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wipe_clears_every_text_of_a_tree() {
        let leaf = |text: &str| Located {
            value: FileValue::Scalar(text.to_owned()),
            line: None,
        };
        let mut tree = FileValue::Table(vec![
            ("a".to_owned(), leaf("secret-one")),
            (
                "b".to_owned(),
                Located {
                    value: FileValue::List(vec![leaf("secret-two")]),
                    line: None,
                },
            ),
        ]);
        tree.wipe();
        let FileValue::Table(entries) = &tree else {
            unreachable!()
        };
        assert_eq!(entries[0].1.value, FileValue::Scalar(String::new()));
        let FileValue::List(items) = &entries[1].1.value else {
            unreachable!()
        };
        assert_eq!(items[0].value, FileValue::Scalar(String::new()));
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::from_path(Path::new("a/b.TOML")), Some(Format::Toml));
        assert_eq!(Format::from_path(Path::new("b.yml")), Some(Format::Yaml));
        assert_eq!(Format::from_path(Path::new("b.json")), Some(Format::Json));
        assert_eq!(Format::from_path(Path::new("b.ini")), None);
    }

    #[test]
    fn formats_are_named_in_capitals() {
        let names: Vec<String> = [Format::Toml, Format::Yaml, Format::Json]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(names, ["TOML", "YAML", "JSON"]);
    }

    #[test]
    fn a_byte_order_mark_is_accepted_by_every_format() {
        let cases = [
            #[cfg(feature = "toml")]
            (Format::Toml, "\u{feff}a = 1\n"),
            #[cfg(feature = "yaml")]
            (Format::Yaml, "\u{feff}a: 1\n"),
            (Format::Json, "\u{feff}{\"a\": 1}"),
        ];
        for (format, text) in cases {
            let entries = parse_file(format, text).unwrap_or_else(|e| panic!("{format}: {e:?}"));
            assert_eq!(entries[0].0, "a", "{format}");
        }
        let entries = parse_dotenv("\u{feff}A=1\n").unwrap();
        assert_eq!(entries[0].key, "A");
    }
}
