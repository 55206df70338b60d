//! The common TOML file read straight from `toml_parser`'s events into the value tree.
//!
//! Reloads parse the same file again and again; `toml`'s spanned document costs several
//! times what the events alone cost. This reader builds the same tree (same keys, order and
//! lines) for the usual subset and answers `None` for anything it is not sure of: any parse
//! error, a duplicate or conflicting key, a redefined table, a date-time, deep nesting. Then
//! the full parser runs, so errors and edge cases stay exactly the full parser's.
//!
//! The plainest files (`key = value` lines under headers) never reach it: the line reader
//! (`toml_lines`) reads them into this module's tree builder without lexing them first.

use std::borrow::Cow;
use std::collections::HashMap;

use toml_parser::decoder::{Encoding, ScalarKind};
use toml_parser::parser::EventReceiver;
use toml_parser::{ErrorSink, ParseError, Raw, Source, Span};

use super::toml_lines::Tree;
use super::{FileValue, Located};
use super::{decimal, without_underscores};

/// Nesting (of arrays and inline tables) and key length past which the full parser decides;
/// it refuses past 80. The flat tree (`toml_flat`) stops at the same depth.
pub(super) const MAX_DEPTH: usize = 64;

/// The tree of `text`, or `None` when the full parser has to decide.
pub(super) fn parse(text: &str) -> Option<FileValue> {
    let source = Source::new(text);
    // `into_vec` guesses 2 tokens per 7 bytes, fit for manifests with long strings; a config
    // of short `key = value` lines has about one per 3 bytes, and regrowing copies them all.
    let mut tokens = Vec::with_capacity(text.len() / 2 + 8);
    tokens.extend(source.lex());
    // A key and its value take about five tokens (key, blanks, `=`, value, newline).
    let mut builder = Builder::new(source, tokens.len() / 5);
    let mut errors = AnyError(false);
    toml_parser::parser::parse_document(&tokens, &mut builder, &mut errors);
    if errors.0 {
        return None;
    }
    builder.finish()
}

/// Whether the parser or a decoder reported anything: then the full parser words the error.
struct AnyError(bool);

impl ErrorSink for AnyError {
    fn report_error(&mut self, _error: ParseError) {
        self.0 = true;
    }
}

type Id = usize;

/// A value placed in the tree: scalars in place, arrays and tables by their node (they fill
/// after they are placed).
enum Value {
    Scalar(String),
    Node(Id),
}

/// An array or table of the tree being built; tables keep what the full parser's rules on
/// redefinition look at.
enum Node {
    List {
        items: Vec<(u32, Value)>,
        of_tables: bool,
    },
    Table(Table),
}

#[derive(Default)]
struct Table {
    entries: Vec<Entry>,
    /// Created on the way to a deeper key, not defined itself.
    implicit: bool,
    /// Created or extended by a dotted key.
    dotted: bool,
    /// Written `{ .. }`, or made by a dotted key inside one.
    inline: bool,
}

struct Entry {
    /// Where the key starts: the full parser orders a table's keys by it.
    start: usize,
    line: u32,
    key: String,
    value: Value,
}

/// How a dotted path walks through existing tables, after the full parser's rules.
#[derive(Clone, Copy, PartialEq)]
enum Walk {
    /// A `[table]` or `[[array]]` header: through any table that is not inline, and into the
    /// last table of an array of tables.
    Header,
    /// A dotted key of the document: only through tables no header defined.
    Dotted,
    /// A dotted key inside an inline table.
    Inline,
}

/// What a closing bracket closes.
#[derive(Clone, Copy)]
enum Closing {
    /// `}`
    InlineTable,
    /// `]`
    Array,
}

/// A key read but not yet given its value: where it goes.
struct Slot {
    table: Id,
    key: String,
    hash: u64,
    start: usize,
    line: u32,
}

/// The two kinds of header.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Header {
    /// `[table]`
    Table,
    /// `[[array]]`: one more table in an array of tables.
    ArrayOfTables,
}

/// What is open around the next value.
enum Frame {
    Array(Id),
    Inline(Id),
}

/// Receives the parser's events in document order and builds the tree as they come; notes
/// whatever is beyond it instead of guessing. The line reader (`toml_lines`) drives the same
/// builder with keys and values it decoded itself, so the rules on tables live here alone.
pub(super) struct Builder<'s> {
    source: Source<'s>,
    nodes: Vec<Node>,
    /// (table, hash of key) → entry: finding a key stays constant time in big tables. Two
    /// keys of one table with the same hash are left to the full parser. foldhash's fast hash
    /// mixes the pairs: std's default is several times slower on them.
    index: HashMap<(Id, u64), usize, foldhash::fast::RandomState>,
    /// Set on anything the full parser must decide.
    unsure: bool,
    /// The line of the event being read.
    line: u32,
    /// The parts of the key being read: decoded, start, line.
    keys: Vec<(Cow<'s, str>, usize, u32)>,
    /// Inside a header: which kind, and the line of its opening bracket.
    header: Option<(Header, u32)>,
    /// The table the document's keys go to (the last header's).
    current: Id,
    stack: Vec<Frame>,
    /// Where the value after `=` goes.
    slot: Option<Slot>,
}

const ROOT: Id = 0;

impl<'s> Builder<'s> {
    /// Sized for about `keys` keys, so that the index rarely grows; a table or an array for
    /// every eight of them. An index far larger than the keys costs more than a regrowth:
    /// it is spread over memory the caches no longer hold.
    pub(super) fn new(source: Source<'s>, keys: usize) -> Self {
        let mut nodes = Vec::with_capacity(keys / 8 + 1);
        nodes.push(Node::Table(Table::default()));
        Builder {
            source,
            nodes,
            index: HashMap::with_capacity_and_hasher(keys, Default::default()),
            unsure: false,
            line: 1,
            keys: Vec::new(),
            header: None,
            current: ROOT,
            stack: Vec::new(),
            slot: None,
        }
    }

    fn raw(&self, span: Span, encoding: Option<Encoding>) -> Option<Raw<'s>> {
        let text = self.source.input().get(span.start()..span.end())?;
        Some(Raw::new_unchecked(text, encoding, span))
    }

    fn table(&mut self, id: Id) -> &mut Table {
        match &mut self.nodes[id] {
            Node::Table(table) => table,
            // Only ids of tables are passed here.
            _ => unreachable!("not a table"),
        }
    }

    fn add(&mut self, node: Node) -> Id {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    fn new_table(&mut self, table: Table) -> Id {
        self.add(Node::Table(table))
    }

    /// The entry of `key` in `table`: `Ok(None)` when absent, `Err` when another key has the
    /// same hash.
    fn find(&self, table: Id, key: &str, hash: u64) -> Result<Option<usize>, ()> {
        let Some(&entry) = self.index.get(&(table, hash)) else {
            return Ok(None);
        };
        match &self.nodes[table] {
            Node::Table(t) if t.entries[entry].key == key => Ok(Some(entry)),
            _ => Err(()),
        }
    }

    /// Adds a key that must be new; `false` when it is not (or shares a hash).
    fn insert(&mut self, slot: Slot, value: Value) -> bool {
        let Slot {
            table,
            key,
            hash,
            start,
            line,
        } = slot;
        let entries = &mut self.table(table).entries;
        let entry = entries.len();
        entries.push(Entry {
            start,
            line,
            key,
            value,
        });
        self.index.insert((table, hash), entry).is_none()
    }

    /// Walks `path` from `table`, creating implicit tables, or `None` where the full parser
    /// would refuse (or where this reader is not sure it would not).
    fn descend(
        &mut self,
        mut table: Id,
        path: &[(Cow<'s, str>, usize, u32)],
        walk: Walk,
    ) -> Option<Id> {
        for (key, start, line) in path {
            let hash = hash_key(key);
            table = match self.find(table, key, hash).ok()? {
                None => {
                    let child = self.new_table(Table {
                        implicit: true,
                        dotted: walk != Walk::Header,
                        inline: walk == Walk::Inline,
                        ..Table::default()
                    });
                    let slot = Slot {
                        table,
                        key: key.clone().into_owned(),
                        hash,
                        start: *start,
                        line: *line,
                    };
                    if !self.insert(slot, Value::Node(child)) {
                        return None;
                    }
                    child
                }
                Some(entry) => {
                    let Value::Node(node) = self.table(table).entries[entry].value else {
                        return None;
                    };
                    match (&mut self.nodes[node], walk) {
                        (Node::Table(t), Walk::Header) if !t.inline => node,
                        (Node::Table(t), Walk::Dotted) if t.implicit && !t.inline => {
                            t.dotted = true;
                            node
                        }
                        (Node::Table(t), Walk::Inline) if t.implicit => node,
                        (
                            Node::List {
                                items,
                                of_tables: true,
                            },
                            Walk::Header,
                        ) => match items.last()? {
                            (_, Value::Node(last)) => *last,
                            (_, Value::Scalar(_)) => return None,
                        },
                        _ => return None,
                    }
                }
            };
        }
        Some(table)
    }

    /// Where the key just read goes, walking its dotted path from `table`.
    fn slot(&mut self, table: Id, walk: Walk) -> Option<Slot> {
        let mut keys = std::mem::take(&mut self.keys);
        let result = match keys.pop() {
            Some((key, start, line)) if keys.len() < MAX_DEPTH => {
                self.descend(table, &keys, walk).map(|table| Slot {
                    table,
                    hash: hash_key(&key),
                    key: key.into_owned(),
                    start,
                    line,
                })
            }
            _ => None,
        };
        keys.clear();
        self.keys = keys;
        result
    }

    /// `[table]`: a new table, or one only created on the way to a deeper one so far.
    fn std_table(&mut self) -> Option<Id> {
        let slot = self.slot(ROOT, Walk::Header)?;
        match self.find(slot.table, &slot.key, slot.hash).ok()? {
            None => {
                let table = self.new_table(Table::default());
                self.insert(slot, Value::Node(table)).then_some(table)
            }
            Some(entry) => {
                let found = &mut self.table(slot.table).entries[entry];
                // The full parser moves the key to the header.
                found.start = slot.start;
                found.line = slot.line;
                let Value::Node(node) = found.value else {
                    return None;
                };
                match &mut self.nodes[node] {
                    Node::Table(t) if t.implicit && !t.dotted && !t.inline => {
                        t.implicit = false;
                        Some(node)
                    }
                    _ => None,
                }
            }
        }
    }

    /// `[[array]]`: one more table in a new or existing array of tables.
    fn array_table(&mut self, line: u32) -> Option<Id> {
        let slot = self.slot(ROOT, Walk::Header)?;
        let list = match self.find(slot.table, &slot.key, slot.hash).ok()? {
            None => {
                let list = self.add(Node::List {
                    items: Vec::new(),
                    of_tables: true,
                });
                if !self.insert(slot, Value::Node(list)) {
                    return None;
                }
                list
            }
            Some(entry) => match self.table(slot.table).entries[entry].value {
                Value::Node(list) => list,
                Value::Scalar(_) => return None,
            },
        };
        let table = self.new_table(Table::default());
        match &mut self.nodes[list] {
            Node::List {
                items,
                of_tables: true,
            } => items.push((line, Value::Node(table))),
            _ => return None,
        }
        Some(table)
    }

    /// Places a value that starts on the current line: under the key just read, or as the
    /// next item of the open array.
    fn place(&mut self, value: Value) {
        if let Some(slot) = self.slot.take() {
            if !self.insert(slot, value) {
                self.unsure = true;
            }
            return;
        }
        let line = self.line;
        match self.stack.last() {
            Some(&Frame::Array(list)) => match &mut self.nodes[list] {
                Node::List { items, .. } => items.push((line, value)),
                _ => self.unsure = true,
            },
            _ => self.unsure = true,
        }
    }

    /// Opens an array or inline table; past the depth limit the full parser decides.
    fn open(&mut self, node: Node, frame: fn(Id) -> Frame) -> bool {
        if self.unsure || self.stack.len() >= MAX_DEPTH {
            self.unsure = true;
            return false;
        }
        let id = self.add(node);
        self.place(Value::Node(id));
        self.stack.push(frame(id));
        true
    }

    /// The `}` or `]` that closes the innermost inline table or array.
    fn close(&mut self, closing: Closing) {
        match (self.stack.pop(), closing) {
            (Some(Frame::Inline(_)), Closing::InlineTable) => {}
            (Some(Frame::Array(_)), Closing::Array) => {}
            _ => self.unsure = true,
        }
    }

    /// The finished tree, tables keyed in the order of their keys in the text; `None` when
    /// the full parser has to decide.
    pub(super) fn finish(mut self) -> Option<FileValue> {
        let pending = self.slot.is_some() || !self.keys.is_empty();
        if self.unsure || pending || !self.stack.is_empty() || self.header.is_some() {
            return None;
        }
        Some(self.take(Value::Node(ROOT)))
    }

    fn take(&mut self, value: Value) -> FileValue {
        let id = match value {
            Value::Scalar(text) => return FileValue::Scalar(text),
            Value::Node(id) => id,
        };
        let empty = Node::List {
            items: Vec::new(),
            of_tables: false,
        };
        match std::mem::replace(&mut self.nodes[id], empty) {
            Node::List { items, .. } => FileValue::List(
                items
                    .into_iter()
                    .map(|(line, item)| Located {
                        value: self.take(item),
                        line: Some(line),
                    })
                    .collect(),
            ),
            Node::Table(mut table) => {
                // Already in order unless a header took over an implicit table.
                if !table.entries.is_sorted_by_key(|entry| entry.start) {
                    table.entries.sort_by_key(|entry| entry.start);
                }
                FileValue::Table(
                    table
                        .entries
                        .into_iter()
                        .map(|entry| {
                            let value = self.take(entry.value);
                            (
                                entry.key,
                                Located {
                                    value,
                                    line: Some(entry.line),
                                },
                            )
                        })
                        .collect(),
                )
            }
        }
    }
}

impl EventReceiver for Builder<'_> {
    fn std_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.open_header(Header::Table);
    }

    fn std_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.close_header(Header::Table);
    }

    fn array_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.open_header(Header::ArrayOfTables);
    }

    fn array_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.close_header(Header::ArrayOfTables);
    }

    fn inline_table_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.open(
            Node::Table(Table {
                inline: true,
                ..Table::default()
            }),
            Frame::Inline,
        )
    }

    fn inline_table_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.close(Closing::InlineTable);
    }

    fn array_open(&mut self, _span: Span, _error: &mut dyn ErrorSink) -> bool {
        self.open_array()
    }

    fn array_close(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.close_array();
    }

    fn simple_key(&mut self, span: Span, encoding: Option<Encoding>, error: &mut dyn ErrorSink) {
        if self.unsure {
            return;
        }
        let Some(raw) = self.raw(span, encoding) else {
            self.unsure = true;
            return;
        };
        let mut key = Cow::Borrowed("");
        raw.decode_key(&mut key, error);
        self.key(key, span.start());
    }

    fn key_val_sep(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.key_value_separator();
    }

    fn scalar(&mut self, span: Span, encoding: Option<Encoding>, error: &mut dyn ErrorSink) {
        if self.unsure {
            return;
        }
        let Some(raw) = self.raw(span, encoding) else {
            self.unsure = true;
            return;
        };
        let mut decoded = Cow::Borrowed("");
        let text = match raw.decode_scalar(&mut decoded, error) {
            ScalarKind::String => decoded.into_owned(),
            ScalarKind::Boolean(value) => value.to_string(),
            ScalarKind::Integer(radix) => decimal(&decoded, radix.value()),
            ScalarKind::Float => without_underscores(&decoded),
            // Written as `toml_datetime` writes it: left to the full parser.
            ScalarKind::DateTime => {
                self.unsure = true;
                return;
            }
        };
        self.scalar_text(text);
        if matches!(
            encoding,
            Some(Encoding::MlBasicString | Encoding::MlLiteralString)
        ) {
            let newlines = raw.as_bytes().iter().filter(|&&b| b == b'\n').count();
            self.line = self
                .line
                .saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        }
    }

    fn comment(&mut self, span: Span, error: &mut dyn ErrorSink) {
        // What the full parser checks too (no control characters).
        if let Some(raw) = self.raw(span, None) {
            raw.decode_comment(error);
        }
    }

    fn newline(&mut self, span: Span, error: &mut dyn ErrorSink) {
        // A lone carriage return is an error there.
        if let Some(raw) = self.raw(span, None) {
            raw.decode_newline(error);
        }
        self.line = self.line.saturating_add(1);
    }

    fn error(&mut self, _span: Span, _error: &mut dyn ErrorSink) {
        self.unsure = true;
    }
}

/// The line reader (`toml_lines`) drives the builder with what it decoded itself.
impl<'s> Tree<'s> for Builder<'s> {
    type Output = FileValue;

    fn next_line(&mut self) {
        self.line = self.line.saturating_add(1);
    }

    /// A key (or one part of a dotted key) of the line being read, decoded, with the byte
    /// offset it starts at.
    fn key(&mut self, key: Cow<'s, str>, start: usize) {
        if !self.unsure {
            self.keys.push((key, start, self.line));
        }
    }

    /// The `=` after a key: its value goes to the slot found for the key.
    fn key_value_separator(&mut self) {
        if self.unsure {
            return;
        }
        let (table, walk) = match self.stack.last() {
            None if self.header.is_none() => (self.current, Walk::Dotted),
            Some(&Frame::Inline(table)) => (table, Walk::Inline),
            _ => {
                self.unsure = true;
                return;
            }
        };
        if self.slot.is_some() {
            self.unsure = true;
            return;
        }
        self.slot = self.slot(table, walk);
        if self.slot.is_none() {
            self.unsure = true;
        }
    }

    /// A decoded scalar: under the key just read, or the next item of the open array.
    fn scalar_text(&mut self, text: String) {
        if !self.unsure {
            self.place(Value::Scalar(text));
        }
    }

    /// `[` or `[[` of a header.
    fn open_header(&mut self, kind: Header) {
        self.header = Some((kind, self.line));
    }

    /// An array of values: `false` when it cannot be opened (too deep, or the builder is
    /// unsure already).
    fn open_array(&mut self) -> bool {
        self.open(
            Node::List {
                items: Vec::new(),
                of_tables: false,
            },
            Frame::Array,
        )
    }

    fn close_array(&mut self) {
        self.close(Closing::Array);
    }

    /// `]` or `]]` of a header: the table the keys after it go to.
    fn close_header(&mut self, kind: Header) {
        if self.unsure {
            return;
        }
        let table = match self.header.take() {
            Some((opened, line)) if opened == kind && self.stack.is_empty() => match kind {
                Header::ArrayOfTables => self.array_table(line),
                Header::Table => self.std_table(),
            },
            _ => None,
        };
        match table {
            Some(table) => self.current = table,
            None => self.unsure = true,
        }
    }

    fn finish(self) -> Option<FileValue> {
        Builder::finish(self)
    }
}

/// FNV-1a: keys are short, and a clash only sends the file to the full parser.
fn hash_key(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
