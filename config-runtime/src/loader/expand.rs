//! Before the merge of a config with maps, lists, optional sections or tagged enums: which
//! entries each of them has in this load, read from what the sources gave (pure). The
//! schema is then described again with those entries ([`crate::describe::expand`]), so the
//! merge, resolution and assembly see plain leaves such as `sinks.http.uri`.
//!
//! Maps take the union of the keys every source names; a list given whole (a file's array,
//! a JSON variable) replaces the earlier ones; `null` drops what came before; the last
//! source to name a tagged section's variant decides it. An empty variable names no entry
//! (a `.env` copied from `.env.example` leaves optional sections off).

use std::borrow::Cow;

use crate::describe::{
    Enclosing, Found, NodeAt, RelativeNames, Scan, VariantAt, relative_names, starts_a_child,
};
use crate::format::{FileValue, Located, parse_json_value};
use crate::schema::{Element, NodeKind, Schema};
use crate::source::Name;

use super::merge::Layer;

/// One thing a source said, in load order, as the scan reads it.
enum Said<'a> {
    /// A tree of keys rooted at `root` (a document: `""`; a whole node given as JSON).
    Tree {
        root: &'a str,
        value: Cow<'a, FileValue>,
    },
    /// One value by key path (overrides, remote keys).
    Key { path: &'a str, value: &'a FileValue },
    /// One variable.
    Var { name: &'a str, value: &'a str },
}

impl Said<'_> {
    /// What this says as a tree rooted at a node: a document or a whole node's value, or a
    /// variable or key naming one of `enclosing` (a whole entry holding the node asked about,
    /// a `null` or JSON, read as the merge reads it).
    fn as_tree<'s>(&'s self, enclosing: &'s [Enclosing]) -> Option<(&'s str, Cow<'s, FileValue>)> {
        match self {
            Said::Tree { root, value } => Some((root, Cow::Borrowed(&**value))),
            Said::Key { path, value } => {
                let outer = enclosing.iter().find(|outer| outer.path == *path)?;
                Some((&outer.path, whole(value, outer.kind, outer.element)))
            }
            Said::Var { name, value } => {
                let outer = enclosing.iter().find(|outer| outer.env == *name)?;
                let value = parse_whole(value, outer.kind, outer.element);
                Some((&outer.path, Cow::Owned(value)))
            }
        }
    }
}

/// What the sources of one load said, ready for the schema's questions.
pub(crate) struct Sources<'a> {
    said: Vec<Said<'a>>,
}

impl<'a> Sources<'a> {
    pub(crate) fn new(declared: &'a Schema, layers: &'a [Layer<'_>]) -> Self {
        let mut said = Vec::new();
        for layer in layers {
            let super::merge::Outcome::Gathered(gathered) = &*layer.outcome else {
                continue;
            };
            for entry in &gathered.entries {
                match (&entry.name, &entry.value) {
                    (Name::Document, value) => said.push(Said::Tree {
                        root: "",
                        value: Cow::Borrowed(value),
                    }),
                    (Name::Key(path), value) => match declared.node_by_path.get(path.as_str()) {
                        Some(&node) => {
                            let node = &declared.nodes[node];
                            said.push(Said::Tree {
                                root: &node.path,
                                value: whole(value, node.kind, node.element),
                            });
                        }
                        None => said.push(Said::Key { path, value }),
                    },
                    (Name::Variable(name), FileValue::Scalar(text)) => {
                        match declared.node_by_env.get(name.as_str()) {
                            Some(&node) => {
                                let node = &declared.nodes[node];
                                let value = parse_whole(text, node.kind, node.element);
                                said.push(Said::Tree {
                                    root: &node.path,
                                    value: Cow::Owned(value),
                                });
                            }
                            None => said.push(Said::Var { name, value: text }),
                        }
                    }
                    (Name::Variable(_), _) => {}
                }
            }
        }
        Sources { said }
    }
}

/// A whole node's value as given by key: a text is JSON (or `a=b,c=d`), a tree is itself.
fn whole(value: &FileValue, kind: NodeKind, element: Element) -> Cow<'_, FileValue> {
    match value {
        FileValue::Scalar(text) => Cow::Owned(parse_whole(text, kind, element)),
        other => Cow::Borrowed(other),
    }
}

/// The text of a whole node (a variable, an override, a default), as the scan reads it:
/// what [`read_whole`] cannot read stays a scalar, which the merge reports against the
/// node's key.
pub(crate) fn parse_whole(text: &str, kind: NodeKind, element: Element) -> FileValue {
    read_whole(text, kind, element).unwrap_or_else(|_| FileValue::Scalar(text.to_owned()))
}

/// The text of a whole node: JSON for maps, lists and sections; `a=b,c=d` for a map of
/// values; for a tagged section, a bare word names a unit variant. An empty text is `null`
/// (nothing).
pub(crate) fn read_whole(
    text: &str,
    kind: NodeKind,
    element: Element,
) -> Result<FileValue, WholeTextError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(FileValue::Null);
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return parse_json_value(trimmed).map_err(|e| WholeTextError::Json(e.message));
    }
    match (kind, element) {
        (NodeKind::Map, Element::Value(_)) => pairs(trimmed),
        (NodeKind::Tagged { .. }, _) => Ok(FileValue::Scalar(text.to_owned())),
        _ => Err(WholeTextError::NotJson),
    }
}

/// Why the text of a whole node could not be read. It never holds the text: a map's values
/// may be secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WholeTextError {
    /// `{..}` or `[..]` that is not JSON: the parser's message, which names a line and column.
    Json(String),
    /// Neither JSON nor, for a map of values, `key=value` entries.
    NotJson,
    /// The entry at this 1-based position has no `=`.
    NoEquals(usize),
    /// The entry at this 1-based position has nothing before its `=`.
    EmptyKey(usize),
    /// This key has two entries.
    Repeated(String),
}

impl std::fmt::Display for WholeTextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WholeTextError::Json(message) => write!(f, "not valid JSON: {message}"),
            WholeTextError::NotJson => f.write_str("not JSON"),
            WholeTextError::NoEquals(position) => write!(f, "entry {position} has no `=`"),
            WholeTextError::EmptyKey(position) => write!(f, "entry {position} has no key"),
            WholeTextError::Repeated(key) => write!(
                f,
                "key `{}` is given twice",
                crate::error::escape_controls(key)
            ),
        }
    }
}

/// What the text of a whole node of this kind is expected to be, for its error.
pub(crate) fn whole_text_expected(kind: NodeKind, element: Element) -> &'static str {
    match (kind, element) {
        (NodeKind::Map, Element::Value(_)) => {
            "entries like `key=value,key=value`, or a JSON object"
        }
        (NodeKind::List, _) => "a JSON array of tables",
        (NodeKind::Tagged { .. }, _) => "a variant's name, or a JSON object",
        _ => "a JSON object",
    }
}

/// `a=b,c=d` as a table of texts; each entry needs a key and an `=`, and no key comes twice.
fn pairs(text: &str) -> Result<FileValue, WholeTextError> {
    let mut table: Vec<(String, Located<FileValue>)> = Vec::new();
    // A set, not a scan of the table: the text may be a whole file's value.
    let mut seen = std::collections::HashSet::new();
    let entries = text.split(',').map(str::trim).filter(|p| !p.is_empty());
    for (position, pair) in (1..).zip(entries) {
        let (key, value) = pair
            .split_once('=')
            .ok_or(WholeTextError::NoEquals(position))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(WholeTextError::EmptyKey(position));
        }
        if !seen.insert(key) {
            return Err(WholeTextError::Repeated(key.to_owned()));
        }
        let value = FileValue::Scalar(value.trim().to_owned());
        table.push((key.to_owned(), Located { value, line: None }));
    }
    Ok(FileValue::Table(table))
}

/// One step of a key path: `data_dirs[1].path` is `data_dirs`, `[1]`, `path`.
#[derive(Debug, PartialEq, Eq)]
enum Step<'p> {
    Key(&'p str),
    Index(usize),
}

fn steps(path: &str) -> impl Iterator<Item = Option<Step<'_>>> {
    path.split('.')
        .filter(|segment| !segment.is_empty())
        .flat_map(|segment| {
            let (key, indices) = match segment.find('[') {
                Some(at) => segment.split_at(at),
                None => (segment, ""),
            };
            let key = (!key.is_empty()).then_some(Some(Step::Key(key)));
            let indices = indices.split('[').filter(|i| !i.is_empty()).map(|i| {
                i.strip_suffix(']')
                    .and_then(|n| n.parse().ok())
                    .map(Step::Index)
            });
            key.into_iter().chain(indices)
        })
}

/// The value at `path` inside `value` (rooted at `root`), if the tree has one. A `null` on
/// the way is the value at `path` too: the merge unsets everything below a null, so the scan
/// must forget the entries and the variant named there before it.
fn navigate<'v>(value: &'v FileValue, root: &str, path: &str) -> Option<&'v FileValue> {
    let rest = if root.is_empty() {
        path
    } else if path == root {
        ""
    } else {
        let rest = path.strip_prefix(root)?;
        if !starts_a_child(rest) {
            return None;
        }
        rest
    };
    let mut at = value;
    for step in steps(rest) {
        if let FileValue::Null = at {
            return Some(at);
        }
        at = match (step?, at) {
            (Step::Key(key), FileValue::Table(table)) => {
                &table.iter().rev().find(|(k, _)| k == key)?.1.value
            }
            (Step::Index(index), FileValue::List(items)) => &items.get(index)?.value,
            _ => return None,
        };
    }
    Some(at)
}

/// The entries of one node, gathered in load order.
struct Entries {
    kind: NodeKind,
    keys: Vec<String>,
    dropped: Vec<String>,
}

impl Entries {
    fn add(&mut self, key: String) {
        if !self.keys.contains(&key) {
            self.keys.push(key);
        }
    }

    fn clear(&mut self) {
        for key in self.keys.drain(..) {
            if !self.dropped.contains(&key) {
                self.dropped.push(key);
            }
        }
    }

    /// A value given for the whole node.
    fn whole(&mut self, value: &FileValue) {
        match (self.kind, value) {
            (_, FileValue::Null) => self.clear(),
            (NodeKind::Map, FileValue::Table(table)) => {
                for (key, _) in table {
                    self.add(key.clone());
                }
            }
            (NodeKind::List, FileValue::List(items)) => {
                self.clear();
                for index in 0..items.len() {
                    self.dropped.retain(|k| *k != index.to_string());
                    self.add(index.to_string());
                }
            }
            (NodeKind::Optional, FileValue::Table(_)) => self.add(String::new()),
            _ => {} // the wrong shape: the merge reports it
        }
    }

    fn finish(mut self) -> Found {
        match self.kind {
            NodeKind::Map => self.keys.sort(),
            NodeKind::List => self
                .keys
                .sort_by_key(|k| k.parse::<usize>().unwrap_or(usize::MAX)),
            _ => {}
        }
        self.dropped.retain(|k| !self.keys.contains(k));
        Found {
            keys: self.keys,
            dropped: self.dropped,
        }
    }
}

impl Scan for Sources<'_> {
    fn entries(&self, node: &NodeAt<'_>) -> Found {
        let mut entries = Entries {
            kind: node.kind,
            keys: Vec::new(),
            dropped: Vec::new(),
        };
        if let Some(raw) = node.default_raw {
            entries.whole(&parse_whole(raw, node.kind, node.element));
        }
        let endings = match (node.kind, node.element) {
            (NodeKind::Map, Element::Section(describe)) if node.separators.nesting == "_" => {
                relative_names(describe, node.separators)
            }
            _ => RelativeNames::default(),
        };
        let sep = node.separators.nesting;
        for said in &self.said {
            // A node is never among its own enclosing ones: its exact key and variable are
            // read below.
            if let Some((root, value)) = said.as_tree(node.enclosing) {
                if let Some(value) = navigate(&value, root, node.path) {
                    // A file may hold a whole node as text (`labels = "a=x"`).
                    entries.whole(&whole(value, node.kind, node.element));
                }
                continue;
            }
            match said {
                Said::Tree { .. } => {} // read as a tree above
                Said::Key { path, value } => {
                    if *path == node.path {
                        entries.whole(&whole(value, node.kind, node.element));
                    } else if let Some(rest) = path.strip_prefix(node.path)
                        && let Some(key) = key_in_path(rest, node.kind)
                    {
                        entries.add(key);
                    }
                }
                Said::Var { name, value } => {
                    if *name == node.env {
                        entries.whole(&parse_whole(value, node.kind, node.element));
                    } else if !value.trim().is_empty()
                        && let Some(rest) = name.strip_prefix(node.env)
                        && let Some(rest) = rest.strip_prefix(sep)
                        && let Some(key) = key_in_variable(rest, node, sep, &endings)
                    {
                        entries.add(key);
                    }
                }
            }
        }
        entries.finish()
    }

    fn variant(&self, at: &VariantAt<'_>) -> Option<String> {
        let VariantAt { path, env, tag, .. } = *at;
        let tag_path = crate::describe::join_path(path, tag);
        let tag_env = crate::describe::join_env(env, at.separators.nesting, tag);
        let mut chosen = None;
        for said in &self.said {
            let named = match said {
                Said::Key { path: key, value } if *key == tag_path || *key == path => {
                    variant_named(value, tag)
                }
                Said::Var { name, value } if *name == tag_env => {
                    Some(Some(value.trim().to_owned()))
                }
                Said::Var { name, value } if *name == env => {
                    variant_named(&parse_whole(value, NodeKind::Optional, Element::None), tag)
                }
                other => other.as_tree(at.enclosing).and_then(|(root, value)| {
                    navigate(&value, root, path).and_then(|v| variant_named(v, tag))
                }),
            };
            if let Some(named) = named {
                chosen = named;
            }
        }
        chosen
    }
}

/// The variant a value names: `type = "http"` in a table, or a bare word (a unit variant);
/// `Some(None)` for a `null` that unsets it; `None` when the value says nothing about it.
fn variant_named(value: &FileValue, tag: &str) -> Option<Option<String>> {
    match value {
        FileValue::Scalar(text) if !text.trim().is_empty() => Some(Some(text.trim().to_owned())),
        FileValue::Table(table) => match &table.iter().rev().find(|(k, _)| k == tag)?.1.value {
            FileValue::Scalar(text) => Some(Some(text.trim().to_owned())),
            FileValue::Null => Some(None),
            _ => None,
        },
        FileValue::Null => Some(None),
        _ => None,
    }
}

/// The entry key in the rest of a key path after the node's path: `.console.target` →
/// `console`; `[1].path` → `1`; for an optional section anything below it.
fn key_in_path(rest: &str, kind: NodeKind) -> Option<String> {
    match kind {
        NodeKind::Map => {
            let rest = rest.strip_prefix('.')?;
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            (end > 0).then(|| rest[..end].to_owned())
        }
        NodeKind::List => {
            let rest = rest.strip_prefix('[')?;
            let (index, _) = rest.split_once(']')?;
            index.parse::<usize>().ok().map(|i| i.to_string())
        }
        NodeKind::Optional => starts_a_child(rest).then(String::new),
        NodeKind::Tagged { .. } => None,
    }
}

/// The entry key of a variable of a map's entry with the `_` separator (`rest` after the map's
/// variable and `_`): what comes before the longest of the entry type's own variables (or
/// of its maps', lists' and optional sections' whole variables) that `rest` ends with
/// (`MY_API_URL` → `MY_API`). Only when none fits, a variable inside one of those nodes:
/// what comes before the last `_POOL_` (`MAIN_POOL_P1_SIZE` → `MAIN`), so a variable the
/// entry's own fields read keeps its meaning.
fn entry_key_by_ending<'r>(rest: &'r str, endings: &RelativeNames) -> Option<&'r str> {
    fn shortest<'k>(keys: impl Iterator<Item = &'k str>) -> Option<&'k str> {
        keys.filter(|key| !key.is_empty())
            .min_by_key(|key| key.len())
    }
    let own = (endings.fields.iter().chain(&endings.nodes))
        .filter_map(|name| rest.strip_suffix(name.as_str())?.strip_suffix('_'));
    let inside_a_node = (endings.nodes.iter())
        .filter_map(|name| rest.rfind(&format!("_{name}_")).map(|at| &rest[..at]));
    shortest(own).or_else(|| shortest(inside_a_node))
}

/// The entry key in the rest of a variable after the node's variable and separator:
/// `CONSOLE__TARGET` → `console` (with `__`); with `_`, the entry's own variable names are
/// matched from the end (`MY_SINK_TARGET` → `my_sink`).
fn key_in_variable(
    rest: &str,
    node: &NodeAt<'_>,
    sep: &str,
    endings: &RelativeNames,
) -> Option<String> {
    let key = match (node.kind, node.element) {
        (NodeKind::Optional, _) => return Some(String::new()),
        (NodeKind::List, _) => {
            let index = rest.split(sep).next()?;
            return index.parse::<usize>().ok().map(|i| i.to_string());
        }
        (NodeKind::Map, Element::Value(_)) => rest,
        (NodeKind::Map, _) if sep != "_" => rest.split(sep).next()?,
        (NodeKind::Map, _) => entry_key_by_ending(rest, endings)?,
        (NodeKind::Tagged { .. }, _) => return None,
    };
    // Only a key that is written back the same way names an entry: its variables are made
    // from it again, and `A\t_TOKEN` would come back as `A__TOKEN`, another entry's field
    // (found by fuzzing: a secret read as that entry's plain value).
    let portable = key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    (!key.is_empty() && portable).then(|| key.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_keys_and_indices() {
        let read: Vec<_> = steps("data_dirs[1].path").collect();
        assert_eq!(
            read,
            vec![
                Some(Step::Key("data_dirs")),
                Some(Step::Index(1)),
                Some(Step::Key("path"))
            ]
        );
        assert_eq!(steps("a[x]").nth(1), Some(None));
    }

    #[test]
    fn entry_keys_are_read_before_the_longest_known_ending() {
        let endings = RelativeNames {
            fields: vec!["URL".into(), "TLS_CERT".into(), "CERT".into()],
            nodes: vec!["POOL".into()],
        };
        let key = |rest| entry_key_by_ending(rest, &endings);
        assert_eq!(key("MY_API_URL"), Some("MY_API"));
        // The longest field name wins over a shorter one it ends with.
        assert_eq!(key("EDGE_TLS_CERT"), Some("EDGE"));
        // A node: its whole variable, or a variable inside it.
        assert_eq!(key("MAIN_POOL"), Some("MAIN"));
        assert_eq!(key("MAIN_POOL_P1_SIZE"), Some("MAIN"));
        // An entry key holding the node's name: the last occurrence is the node.
        assert_eq!(key("MY_POOL_X_POOL_P1_SIZE"), Some("MY_POOL_X"));
        // The entry's own field reads first: this is entry `main_pool_p1`'s `url`.
        assert_eq!(key("MAIN_POOL_P1_URL"), Some("MAIN_POOL_P1"));
        // No key before the ending, or no known ending: no entry.
        assert_eq!(key("URL"), None);
        assert_eq!(key("POOL_P1"), None);
        assert_eq!(key("MAIN_PORT"), None);
        // A node's name at the start is not a node: the field reading stands.
        assert_eq!(key("POOL_P1_URL"), Some("POOL_P1"));
    }

    #[test]
    fn whole_values_parse_as_json_or_pairs() {
        let value = parse_whole(r#"{"a": 1}"#, NodeKind::Map, Element::None);
        assert!(matches!(value, FileValue::Table(ref t) if t.len() == 1));
        assert_eq!(
            parse_whole("  ", NodeKind::Map, Element::None),
            FileValue::Null
        );
        let text = parse_whole("a=b", NodeKind::Map, Element::None);
        assert_eq!(text, FileValue::Scalar("a=b".to_owned()));
    }

    /// `a=b,c=d` is read in one pass: a value of a whole file's size with a repeat at its
    /// end is refused at once (a scan of the entries so far for each one would take minutes).
    #[test]
    fn pairs_find_a_repeat_in_one_pass() {
        let mut text: String = (0..200_000).map(|i| format!("k{i}=v,")).collect();
        text.push_str("k7=again");
        assert_eq!(pairs(&text), Err(WholeTextError::Repeated("k7".to_owned())));
    }

    #[test]
    fn keys_in_paths() {
        assert_eq!(
            key_in_path(".console.target", NodeKind::Map).as_deref(),
            Some("console")
        );
        assert_eq!(
            key_in_path("[2].path", NodeKind::List).as_deref(),
            Some("2")
        );
        assert_eq!(key_in_path("_other", NodeKind::Map), None);
        assert_eq!(key_in_path(".x", NodeKind::Optional).as_deref(), Some(""));
    }
}
