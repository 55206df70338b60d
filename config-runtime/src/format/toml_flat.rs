//! The plainest layout of a TOML file, read by the line reader straight into the value tree:
//! bare keys, each once, at the top or under one-level `[table]` headers, each once.
//!
//! That is most configuration files, and for them the tree builder's general rules (dotted
//! keys, implicit tables, arrays of tables, the order of redefined tables) are most of a
//! reload's parse. Here a key is checked against the keys of its table already read, and
//! its value goes into the tree where it stays. Anything else (a dotted key, `[a.b]`,
//! `[[a]]`, a key or header given twice, a header named like a key above it) answers `None`,
//! and the line reader gives the file to the builder (`toml_fast`), which knows every rule.
//!
//! The tree holds its keys as the value tree does (`String`s), or as spans of the text (a
//! [`SpannedDoc`], for a file whose text is kept).

use std::borrow::Cow;
use std::collections::HashSet;

use super::spans::{Span, SpannedDoc};
use super::toml_fast::{Header, MAX_DEPTH};
use super::toml_lines::Tree;
use super::{FileValue, Located};

/// The room made for the entries of a file's first table (later ones take the size of the
/// one before).
const FIRST_TABLE_CAPACITY: usize = 16;

/// A table's entries, as the tree holds them.
type Entries<K> = Vec<(K, Located<FileValue>)>;

/// Keys of one table, borrowed from the text.
type Names<'s> = HashSet<&'s str, foldhash::fast::RandomState>;

/// How the flat tree holds a key, and the document it gives when done.
pub(super) trait Keys<'s>: Sized {
    /// The whole document.
    type Document;
    /// `key`, which starts at byte `start` of the text.
    fn key(key: &'s str, start: usize) -> Self;
    /// The document of these top-level entries and (then) tables.
    fn document(root: Entries<Self>, tables: Vec<(Self, u32, Entries<Self>)>) -> Self::Document;
}

/// Keys copied: the value tree every reader gives.
impl<'s> Keys<'s> for String {
    type Document = FileValue;

    fn key(key: &'s str, _start: usize) -> Self {
        key.to_owned()
    }

    fn document(mut root: Entries<Self>, tables: Vec<(Self, u32, Entries<Self>)>) -> FileValue {
        root.reserve(tables.len());
        for (name, line, entries) in tables {
            let value = Located {
                value: FileValue::Table(entries),
                line: Some(line),
            };
            root.push((name, value));
        }
        FileValue::Table(root)
    }
}

/// Keys as spans of the text.
impl<'s> Keys<'s> for Span {
    type Document = SpannedDoc;

    fn key(key: &'s str, start: usize) -> Self {
        Span::new(start, key.len())
    }

    fn document(root: Entries<Self>, tables: Vec<(Self, u32, Entries<Self>)>) -> SpannedDoc {
        SpannedDoc { root, tables }
    }
}

/// The tree of a plain file as it is read.
pub(super) struct Flat<'s, K> {
    /// 1-based line being read.
    line: u32,
    /// The document's top-level keys.
    root: Entries<K>,
    /// The tables of the headers before `table`.
    tables: Vec<(K, u32, Entries<K>)>,
    /// The table of the last header: its name and where it starts, the line of its header,
    /// its entries.
    table: Option<(&'s str, usize, u32, Entries<K>)>,
    /// The keys of the table being read: a key given twice is left to the builder, which
    /// refuses it as `toml` does. One table's at a time, so the set stays small and in cache.
    seen: Names<'s>,
    /// The names of the top level: its keys, then the headers read so far.
    top: Names<'s>,
    /// The key of the line being read, where it starts, and its line.
    key: Option<(&'s str, usize, u32)>,
    /// A header is open (`[` read, `]` not yet).
    in_header: bool,
    /// The arrays open around the next value, innermost last, each with its line.
    arrays: Vec<(u32, Vec<Located<FileValue>>)>,
    /// Set on anything beyond this layout: the builder decides.
    unsure: bool,
}

impl<'s, K: Keys<'s>> Flat<'s, K> {
    /// A tree for a text of about `keys` keys.
    pub(super) fn new(keys: usize) -> Self {
        Flat {
            line: 1,
            root: Vec::new(),
            tables: Vec::new(),
            table: None,
            seen: HashSet::with_capacity_and_hasher(keys.min(64), Default::default()),
            top: Names::default(),
            key: None,
            in_header: false,
            arrays: Vec::new(),
            unsure: false,
        }
    }

    /// Places a value: into the innermost open array, or under the key of the line.
    fn place(&mut self, value: FileValue) {
        let line = Some(self.line);
        if let Some((_, items)) = self.arrays.last_mut() {
            items.push(Located { value, line });
            return;
        }
        let Some((key, start, key_line)) = self.key.take() else {
            self.unsure = true;
            return;
        };
        if !self.seen.insert(key) {
            self.unsure = true;
            return;
        }
        let entries = match &mut self.table {
            Some((_, _, _, entries)) => entries,
            None => &mut self.root,
        };
        let value = Located {
            value,
            line: Some(key_line),
        };
        entries.push((K::key(key, start), value));
    }

    /// The table of the last header, if any, joins the tables read.
    fn close_table(&mut self) {
        if let Some((name, start, line, entries)) = self.table.take() {
            self.tables.push((K::key(name, start), line, entries));
        }
    }
}

impl<'s, K: Keys<'s>> Tree<'s> for Flat<'s, K> {
    type Output = K::Document;

    fn next_line(&mut self) {
        self.line = self.line.saturating_add(1);
    }

    fn open_header(&mut self, kind: Header) {
        self.unsure |= kind == Header::ArrayOfTables || self.in_header;
        self.in_header = true;
    }

    fn close_header(&mut self, _kind: Header) {
        let Some((name, start, line)) = self.key.take() else {
            self.unsure = true;
            return;
        };
        self.in_header = false;
        // A header names a new table of the top level: not a key above it, not a header
        // before it.
        if self.table.is_none() {
            let keys = HashSet::with_capacity_and_hasher(self.seen.capacity(), Default::default());
            self.top = std::mem::replace(&mut self.seen, keys);
        }
        if !self.top.insert(name) {
            self.unsure = true;
            return;
        }
        self.seen.clear();
        // Tables of a file are often alike: this one is sized as the one before it.
        let capacity = self
            .table
            .as_ref()
            .map_or(FIRST_TABLE_CAPACITY, |(_, _, _, entries)| entries.len());
        self.close_table();
        self.table = Some((name, start, line, Vec::with_capacity(capacity)));
    }

    fn key(&mut self, key: Cow<'s, str>, start: usize) {
        // One bare key per line: a second part is a dotted key.
        match (key, &self.key) {
            (Cow::Borrowed(key), None) => self.key = Some((key, start, self.line)),
            _ => self.unsure = true,
        }
    }

    fn key_value_separator(&mut self) {
        self.unsure |= self.in_header || self.key.is_none() || !self.arrays.is_empty();
    }

    fn scalar_text(&mut self, text: String) {
        self.place(FileValue::Scalar(text));
    }

    fn open_array(&mut self) -> bool {
        if self.unsure || self.arrays.len() >= MAX_DEPTH {
            self.unsure = true;
            return false;
        }
        self.arrays.push((self.line, Vec::new()));
        true
    }

    fn close_array(&mut self) {
        match self.arrays.pop() {
            Some((_, items)) => self.place(FileValue::List(items)),
            None => self.unsure = true,
        }
    }

    fn finish(mut self) -> Option<K::Document> {
        let pending = self.key.is_some() || self.in_header || !self.arrays.is_empty();
        if self.unsure || pending {
            return None;
        }
        self.close_table();
        Some(K::document(self.root, self.tables))
    }
}

#[cfg(test)]
mod tests {
    use super::super::toml::parse_full;
    use super::super::toml_lines;
    use super::*;

    fn flat(text: &str) -> Option<FileValue> {
        toml_lines::read(text, Flat::<String>::new(4))
    }

    #[test]
    fn reads_plain_files_as_the_full_parser_does() {
        for text in [
            "",
            "# only a comment\n\n",
            "port = 8080\nname = \"api\" # inline\r\nratio = -0.5\non = true\n",
            "a = 1\n[db]\nhost = 'h'\nport = 5432\n\n[cache]\n[empty]\n",
            "tags = [\"a\", 'b', [1, [2.5]], []]\n[t]\nb = 1\n[b]\nb = [ 1 , 2 , ]\n",
            "[a]\nx = 1\n[b]\nx = 2\n",
        ] {
            let tree = flat(text).unwrap_or_else(|| panic!("not read: {text:?}"));
            assert_eq!(
                Ok(tree),
                parse_full(text).map_err(|e| e.message),
                "{text:?}"
            );
        }
    }

    #[test]
    fn leaves_other_layouts_to_the_builder() {
        // Valid TOML beyond the flat layout: the line reader still reads it, by the builder.
        for text in [
            "a.b = 1\n",
            "[a.b]\nc = 1\n",
            "[[a]]\nb = 1\n[[a]]\n",
            "[a]\nb.c = 1\n",
        ] {
            assert_eq!(flat(text), None, "{text:?}");
            let tree = toml_lines::parse(text).unwrap_or_else(|| panic!("not read: {text:?}"));
            assert_eq!(
                Ok(tree),
                parse_full(text).map_err(|e| e.message),
                "{text:?}"
            );
        }
        // Keys or tables given twice: neither reader takes them; the full parser words the
        // error.
        for text in [
            "a = 1\na = 2\n",
            "[t]\na = 1\na = 2\n",
            "[t]\n[t]\n",
            "t = 1\n[t]\n",
        ] {
            assert_eq!(flat(text), None, "{text:?}");
            assert_eq!(toml_lines::parse(text), None, "{text:?}");
            assert!(parse_full(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn keys_and_tables_have_their_lines() {
        let Some(FileValue::Table(root)) = flat("\na = [1,\t2]\n\n[t]\n\nb = 'x'\n") else {
            panic!("not read");
        };
        assert_eq!((root[0].0.as_str(), root[0].1.line), ("a", Some(2)));
        assert_eq!((root[1].0.as_str(), root[1].1.line), ("t", Some(4)));
        let FileValue::Table(inner) = &root[1].1.value else {
            panic!("not a table");
        };
        assert_eq!((inner[0].0.as_str(), inner[0].1.line), ("b", Some(6)));
    }
}
