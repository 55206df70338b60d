//! What generated code calls. Not a public API: names here change without notice.

pub use crate::assemble::Assemble;
pub use crate::describe::{Describe, LeafSpec, ValueElement, schema_of};
pub use crate::rules::{AsText, Checks, Exposure, Got, HasLen, Inner, Violation};
pub use crate::schema::{DefaultSpec, Separators, UnknownKeys, Variant};
pub use crate::value::serde_enum::{parse_serde_enum, serde_enum_expected, serde_enum_variants};
pub use crate::value::{NonZeroInt, non_zero_bound};
pub use bytesize::ByteSize;
pub use regex::Regex;
pub use serde;
pub use std::borrow::Cow;
pub use std::sync::{LazyLock, OnceLock};
pub use std::time::Duration;

/// The `validate(..)` rules, each a function of the value (and the rule's arguments).
pub mod rules {
    pub use crate::rules::{
        byte_size_range, custom, duration_range, max_len, min_len, non_empty, one_of, pattern,
        range, url_scheme,
    };
}

/// Thin entry points into the crate-private parsers, for the fuzz targets (`fuzz/`) and the
/// test that replays their corpus (`tests/tests/fuzz_corpus.rs`). Not a public API: names and
/// shapes here change without notice.
pub mod fuzz {
    use crate::format::{self, FileValue, Format, Located};
    use crate::reference::{Reference, ReferenceError, Template};

    /// A parser's error: its message and the 1-based line it names, if any.
    pub type ParseFailure = (String, Option<u32>);

    /// A parsed file: its top-level keys in document order.
    pub type Document = Vec<(String, Located<FileValue>)>;

    /// Parses `input` as a value that may hold `${scheme:path#key}` references. On success,
    /// the references in order and the value rendered with each reference written back as
    /// its own text (`Reference`'s `Display`).
    pub fn parse_template(input: &str) -> Result<(Vec<Reference>, String), ReferenceError> {
        let template = Template::parse(input)?;
        let references = template.references().cloned().collect();
        let rendered = template
            .render(|reference, _| Ok::<_, std::convert::Infallible>(reference.to_string()))
            .unwrap_or_else(|never| match never {});
        Ok((references, rendered))
    }

    /// Parses a `.env` file: each variable as (key, value, the line it starts on).
    pub fn parse_dotenv(text: &str) -> Result<Vec<(String, String, u32)>, ParseFailure> {
        format::parse_dotenv(text)
            .map(|entries| {
                entries
                    .into_iter()
                    .map(|entry| (entry.key, entry.value, entry.line))
                    .collect()
            })
            .map_err(|error| (error.message, error.line))
    }

    /// `value` without any of its lines (to compare trees whatever their lines).
    pub fn forget_lines(value: &mut FileValue) {
        value.forget_lines();
    }

    /// Parses a whole configuration file of the format named by `extension` (`toml`, `yaml`,
    /// `yml`, `json`) into the value tree every source speaks. `None` for another extension.
    pub fn parse_file(extension: &str, text: &str) -> Option<Result<Document, ParseFailure>> {
        let format = Format::from_path(std::path::Path::new(&format!("fuzz.{extension}")))?;
        Some(format::parse_file(format, text).map_err(|error| (error.message, error.line)))
    }

    /// JSON read twice: as a file (or JSON held by a variable) is read, numbers as written, and
    /// by serde_json alone, numbers as serde_json writes them (as before they kept their
    /// text). Both without lines; the first is what a variable holding the text gives.
    pub fn parse_json_both(
        text: &str,
    ) -> (
        Result<FileValue, ParseFailure>,
        Result<FileValue, ParseFailure>,
    ) {
        let (written, serde_json) = format::parse_json_both(text);
        let failure = |error: format::FormatError| (error.message, error.line);
        (written.map_err(failure), serde_json.map_err(failure))
    }

    /// A TOML file read by the line reader alone: wherever it answers, the full parser must
    /// give the same tree.
    #[cfg(feature = "toml")]
    pub fn parse_toml_lines(text: &str) -> Option<FileValue> {
        format::parse_toml_lines(text)
    }

    /// A TOML file read with its keys left in its text (a file's kept document), then copied
    /// into the value tree: wherever it answers, the full parser must give the same tree.
    #[cfg(feature = "toml")]
    pub fn parse_toml_spanned(text: &str) -> Option<FileValue> {
        format::parse_toml_spanned(text)
    }

    /// A TOML file read by the event reader alone: wherever it answers, the full parser must
    /// give the same tree.
    #[cfg(feature = "toml")]
    pub fn parse_toml_events(text: &str) -> Option<FileValue> {
        format::parse_toml_events(text)
    }

    /// A TOML file read by the full parser alone: what the fast readers are checked against
    /// and timed beside.
    #[cfg(feature = "toml")]
    pub fn parse_toml_full(text: &str) -> Result<FileValue, ParseFailure> {
        format::parse_toml_full(text).map_err(|error| (error.message, error.line))
    }
}
