//! What generated code calls. Not a public API: names here change without notice.

pub use crate::assemble::Assemble;
pub use crate::rules::{AsText, Checks, Exposure, Got, HasLen, Inner, Violation};
pub use crate::schema::{DefaultSpec, Describe, LeafSpec, schema_of};
pub use crate::value::serde_enum::{parse_serde_enum, serde_enum_expected, serde_enum_variants};
pub use regex::Regex;
pub use serde;
pub use std::borrow::Cow;
pub use std::sync::{LazyLock, OnceLock};
pub use std::time::Duration;

/// The `validate(..)` rules, each a function of the value (and the rule's arguments).
pub mod rules {
    pub use crate::rules::{
        custom, duration_range, max_len, min_len, non_empty, one_of, pattern, range, url_scheme,
    };
}
