//! What generated code calls. Not a public API: names here change without notice.

pub use crate::assemble::Assemble;
pub use crate::rules::{self, Checks, Inner};
pub use crate::schema::{DefaultSpec, Describe, LeafSpec, RuleSpec, schema_of};
pub use crate::value::serde_enum::{parse_serde_enum, serde_enum_expected, serde_enum_variants};
pub use regex::Regex;
pub use serde;
pub use std::borrow::Cow;
pub use std::sync::{LazyLock, OnceLock};
