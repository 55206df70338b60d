//! A plain document whose keys are spans of its text ([`SpannedDoc`]).
//!
//! A file's gathering keeps the text it was parsed from (see `source::retained`), so its keys
//! need not be copied out of it: the merge reads each key from the text, and a reload of a
//! file of a thousand keys allocates, and frees, a thousand strings fewer. Only the plainest
//! layout is held this way (keys, then one-level `[table]` headers, each once: what the flat
//! TOML tree reads); anything else is the value tree every reader gives.

use super::{FileValue, Located};

/// Where a key sits in the document's text (byte offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    start: usize,
    end: usize,
}

impl Span {
    /// The `len` bytes from `start`.
    #[cfg_attr(not(feature = "toml"), allow(dead_code))] // only the TOML reader makes one
    pub(crate) fn new(start: usize, len: usize) -> Self {
        Span {
            start,
            end: start.saturating_add(len),
        }
    }

    /// The key in `text`, the text it was read from (empty for another text: never a panic).
    pub(crate) fn of(self, text: &str) -> &str {
        text.get(self.start..self.end).unwrap_or_default()
    }
}

/// The entries of one table, keys as spans.
pub(crate) type SpannedEntries = Vec<(Span, Located<FileValue>)>;

/// A plain document: its top-level keys, then its tables in document order. Values are as
/// the value tree holds them; a merge moves them out. `Debug` shows its size, never a value.
#[derive(Clone, Default)]
pub(crate) struct SpannedDoc {
    /// The keys before the first header.
    pub root: SpannedEntries,
    /// Each header's table: its name, the line of its header, its entries.
    pub tables: Vec<(Span, u32, SpannedEntries)>,
}

impl SpannedDoc {
    /// Whether the document names `key` at its top level (a key or a header).
    pub(crate) fn has_top_level(&self, key: &str, text: &str) -> bool {
        let names = self.root.iter().map(|(name, _)| name);
        let headers = self.tables.iter().map(|(name, _, _)| name);
        names.chain(headers).any(|name| name.of(text) == key)
    }

    /// The value tree of the document (keys copied out of `text`).
    pub(crate) fn into_tree(self, text: &str) -> Vec<(String, Located<FileValue>)> {
        let owned = |entries: SpannedEntries| -> Vec<(String, Located<FileValue>)> {
            let keys = entries.into_iter();
            keys.map(|(key, value)| (key.of(text).to_owned(), value))
                .collect()
        };
        let mut root = owned(self.root);
        for (name, line, entries) in self.tables {
            let table = Located {
                value: FileValue::Table(owned(entries)),
                line: Some(line),
            };
            root.push((name.of(text).to_owned(), table));
        }
        root
    }

    /// Overwrites every text of the values and frees the document, in one pass over its
    /// entries ([`wipe`](Self::wipe) then a drop would read each entry twice).
    pub(crate) fn spend(self) {
        let tables = self.tables.into_iter().map(|(_, _, entries)| entries);
        for entries in std::iter::once(self.root).chain(tables) {
            for (_, mut located) in entries {
                located.value.wipe();
            }
        }
    }

    /// Overwrites every text of the values (values a file gave may be secrets).
    pub(crate) fn wipe(&mut self) {
        let tables = self.tables.iter_mut().map(|(_, _, entries)| entries);
        for entries in std::iter::once(&mut self.root).chain(tables) {
            entries
                .iter_mut()
                .for_each(|(_, located)| located.value.wipe());
        }
    }
}

impl std::fmt::Debug for SpannedDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpannedDoc")
            .field("keys", &self.root.len())
            .field("tables", &self.tables.len())
            .finish_non_exhaustive()
    }
}
