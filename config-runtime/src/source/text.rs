//! A document given as text (`Loader::string`): a default file shipped in the binary with
//! `include_str!`, read by the same parsers as files, with its own name in provenance.

use std::sync::Arc;

use super::{Entry, GatherContext, Gathered, Gathering, Problem, Source};
use crate::format::{self, Format};
use crate::origin::Origin;

/// A TOML, YAML or JSON document held in memory. Its `Debug` shows the name, not the text.
#[derive(Clone)]
pub struct Text {
    name: String,
    text: Arc<str>,
    format: Format,
}

impl Text {
    /// A document named after its format in provenance: `embedded YAML line 3`.
    pub fn new(text: impl Into<String>, format: Format) -> Self {
        Text::named(format!("embedded {format}"), text, format)
    }

    /// A document with a name of your choosing (`defaults.yaml (built in) line 3`).
    pub fn named(name: impl Into<String>, text: impl Into<String>, format: Format) -> Self {
        Text {
            name: name.into(),
            text: Arc::from(text.into()),
            format,
        }
    }
}

impl Source for Text {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn gather(&self, _: &GatherContext) -> Gathering<'_> {
        let origin = |line| Origin::Text {
            name: self.name.clone(),
            line,
        };
        let gathered = match format::parse_file(self.format, &self.text) {
            Ok(table) => Gathered::new(vec![Entry::document(table, origin(None))]),
            Err(e) => {
                let message = format!("invalid {}: {}", self.format, e.message);
                Gathered::failed(Problem::new(origin(e.line), message))
            }
        };
        Gathering::Ready(Ok(gathered))
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Text")
            .field("name", &self.name)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}
