//! Step 2 of a load, pure: the gathered sources, in order, fill one slot per leaf (a later
//! source wins); unknown variables and keys and malformed shapes are found here. References
//! in local values are parsed here, once.

use std::collections::HashSet;

use super::expand::{read_whole, whole_text_expected};
use crate::error::{ErrorKind, FieldError, UnknownName};
use crate::format::{FileValue, Located, Span, SpannedDoc};
use crate::origin::{DocumentId, Documents, Interpolation, Origin, Provenance, Sourced, Taint};
use crate::provider::ProviderError;
use crate::reference::{ReferenceError, Template, contains_reference_syntax};
use crate::schema::{FieldSchema, NodeKind, NodeSchema, Schema, SchemaRef, UnknownKeys};
use crate::source::{DeclaredField, Entry, Gathered, Layering, Name, Problem, Source, Trust};
use crate::suggest;
use crate::value::RawValue;
use crate::warning::Warning;

/// What one source gave, as the merge sees it.
pub(crate) struct Layer<'s> {
    pub source: &'s dyn Source,
    pub outcome: &'s mut Outcome,
}

/// What a merge may do with the texts of the gatherings it reads. A one-off load moves them
/// into the slots uncopied; `Live` keeps each source's gathering for the next reload, so the
/// merge copies the texts it uses and leaves the rest (keys, tables) where they are; but a
/// gathering that keeps the text it was parsed from (a file's document) is always spent, and
/// parsed again when needed ([`Gathered::restore`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gatherings {
    /// The gatherings are spent by this merge: texts move out (leaving empty strings).
    Spent,
    /// The gatherings are kept whole: texts are copied.
    #[cfg(feature = "live")]
    Kept,
}

/// The result of gathering one source.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Gathered(Gathered),
    Failed(ProviderError),
    /// A network source in a synchronous load.
    NeedsAsync,
}

/// The parsed references of one slot's texts (one template per text).
pub(crate) type Parsed = Vec<Result<Template, ReferenceError>>;

/// The outcome of merging: what resolution and assembly read.
#[derive(Clone)]
pub(crate) struct Merged {
    /// The schema of this load: the declared one, or (for a config with maps, lists,
    /// optional sections or tagged enums) one expanded with the entries the sources gave.
    pub schema: SchemaRef,
    pub values: Vec<Option<Sourced>>,
    /// The documents the slots' provenances number.
    pub documents: Documents,
    /// Parsed references of the slots that have any (local values only), by slot index in
    /// ascending order: most configs have none, so nothing is kept per slot.
    pub parsed: Vec<(usize, Parsed)>,
    /// Fields whose error is already recorded (assembly skips them).
    pub failed: Vec<bool>,
    pub errors: Vec<FieldError>,
    pub warnings: Vec<Warning>,
}

/// Merges the layers, in order, over the schema's defaults.
pub(crate) fn merge(
    declared: &'static Schema,
    mut layers: Vec<Layer<'_>>,
    gatherings: Gatherings,
    ignored_vars: &[&str],
) -> Merged {
    let schema = if declared.nodes.is_empty() {
        SchemaRef::Declared(declared)
    } else {
        // The expansion reads every entry as a value tree.
        for layer in &mut layers {
            if let Outcome::Gathered(gathered) = &mut *layer.outcome {
                gathered.copy_keys_out();
            }
        }
        let sources = super::expand::Sources::new(declared, &layers);
        SchemaRef::Expanded(std::sync::Arc::new(crate::describe::expand(
            declared, &sources,
        )))
    };
    let filled = fill(&schema, layers, gatherings, ignored_vars);
    let Filled {
        values,
        documents,
        parsed,
        failed,
        errors,
        warnings,
    } = filled;
    Merged {
        schema,
        values,
        documents,
        parsed,
        failed,
        errors,
        warnings,
    }
}

/// What the merge fills, before it is paired with its schema.
struct Filled {
    values: Vec<Option<Sourced>>,
    documents: Documents,
    parsed: Vec<(usize, Parsed)>,
    failed: Vec<bool>,
    errors: Vec<FieldError>,
    warnings: Vec<Warning>,
}

fn fill(
    schema: &SchemaRef,
    layers: Vec<Layer<'_>>,
    gatherings: Gatherings,
    ignored_vars: &[&str],
) -> Filled {
    let mut state = State::new(schema, gatherings, ignored_vars);
    state.node_defaults();
    let environment = environment_names(&layers);
    for (seq, layer) in layers.into_iter().enumerate() {
        state.seq = seq + 1;
        let layering = layer.source.layering();
        let trust = layer.source.trust();
        let gathered = match layer.outcome {
            Outcome::Gathered(gathered) => gathered,
            Outcome::Failed(e) => {
                let message = format!("cannot read the remote source: {e}");
                state.source_error(source_origin(layer.source), message);
                continue;
            }
            Outcome::NeedsAsync => {
                let message = "this source is read over the network (a remote store, or an encrypted file \
                     whose data key a key service opens): load with `.load_async().await`";
                state.source_error(source_origin(layer.source), message.to_owned());
                continue;
            }
        };
        // A gathering that keeps the text it was parsed from gives its texts up uncopied: it
        // can parse them again.
        state.gatherings = match gathered.is_retained() {
            true => Gatherings::Spent,
            false => gatherings,
        };
        for problem in &gathered.problems {
            state.problem(problem);
        }
        if gathered.entries.is_empty() && gathered.problems.iter().any(|p| p.variable.is_none()) {
            // Unreadable as a whole (a file that does not parse or decrypt): what it would
            // have set is unknown, so unset fields are not reported as missing too.
            state.unreadable_source = true;
        }
        for entry in &mut gathered.entries {
            if layering == Layering::UnderEnvironment
                && let Name::Variable(name) = &entry.name
                && environment.contains(name.as_str())
            {
                continue; // a .env file fills gaps; the real environment always wins
            }
            state.trust = entry.trust.unwrap_or(trust);
            state.entry(entry);
        }
        if let Some((document, text, whole)) = gathered.spanned_document() {
            state.trust = trust;
            state.spanned_document(whole, text, document);
        }
        gathered.spend();
    }
    state.finish()
}

/// The variables the environment sources set, when a source yields to them (else none).
fn environment_names(layers: &[Layer<'_>]) -> HashSet<String> {
    let yields = |layering| layers.iter().any(|l| l.source.layering() == layering);
    if !yields(Layering::UnderEnvironment) || !yields(Layering::Environment) {
        return HashSet::new();
    }
    layers
        .iter()
        .filter(|layer| layer.source.layering() == Layering::Environment)
        .filter_map(|layer| match &*layer.outcome {
            Outcome::Gathered(gathered) => Some(gathered),
            _ => None,
        })
        .flat_map(|gathered| &gathered.entries)
        .filter_map(|entry| match &entry.name {
            Name::Variable(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

/// A leaf's slot before any source names it, or once a `null` unsets it: its default when it
/// is written as text (a default given as an expression is applied by the assembly).
fn unset(field: &FieldSchema) -> Option<Sourced> {
    field.default_raw.map(text_default)
}

/// The slot of a leaf holding its default written as text.
fn text_default(raw: &str) -> Sourced {
    Sourced::new(RawValue::Str(raw.to_owned()), Origin::Default)
}

fn source_origin(source: &dyn Source) -> Origin {
    Origin::Remote {
        source: source.name(),
        key: None,
    }
}

/// The merge state of one load.
struct State<'s> {
    /// The load's schema: the declared one, or one expanded with the sources' entries (which
    /// numbers its leaves anew, so a source's [`DeclaredField`] is a slot of the declared one
    /// only).
    schema: &'s SchemaRef,
    values: Vec<Option<Sourced>>,
    /// The documents read so far, and the one being walked (its values are numbered by it).
    documents: Documents,
    document: Option<DocumentId>,
    failed: Vec<bool>,
    errors: Vec<FieldError>,
    warnings: Vec<Warning>,
    /// Variables that are not config keys but are expected (the profile variable).
    ignored_vars: &'s [&'s str],
    /// Which layer set each slot, and whether through an alias.
    set_by: Vec<Option<(usize, bool)>>,
    /// The layer being merged: its sequence number and trust.
    seq: usize,
    trust: Trust,
    /// Whether a source could not be read at all.
    unreadable_source: bool,
    /// Whether texts move out of the gatherings or are copied.
    gatherings: Gatherings,
    /// The slots given a text that may hold a reference (`${`), as they were given: `finish`
    /// parses the references of those that still hold one. Each text is looked at as it is
    /// placed, while it is still in cache, and `finish` reads no other slot.
    referencing: Vec<usize>,
}

impl<'s> State<'s> {
    fn new(schema: &'s SchemaRef, gatherings: Gatherings, ignored_vars: &'s [&'s str]) -> Self {
        let mut values: Vec<Option<Sourced>> = Vec::with_capacity(schema.fields.len());
        values.resize_with(schema.fields.len(), || None);
        let errors = schema
            .problems
            .iter()
            .map(|message| {
                FieldError::config(ErrorKind::Schema {
                    message: message.clone(),
                })
            })
            .collect();
        let mut state = State {
            schema,
            failed: vec![false; values.len()],
            values,
            documents: Documents::default(),
            document: None,
            errors,
            warnings: Vec::new(),
            ignored_vars,
            set_by: vec![None; schema.fields.len()],
            seq: 0,
            trust: Trust::Local,
            unreadable_source: false,
            gatherings,
            referencing: Vec::new(),
        };
        // Every leaf starts as `unset` leaves it; only those with a text default are read.
        for &(index, raw) in &schema.text_defaults.0 {
            state.place(index, Some(text_default(raw)));
        }
        state
    }

    /// Fills (or empties) the slot `index`, noting a text that may hold a reference.
    fn place(&mut self, index: usize, slot: Option<Sourced>) {
        if let Some(sourced) = &slot {
            self.note_references(index, &sourced.raw, sourced.interpolation);
        }
        self.values[index] = slot;
    }

    /// Notes the slot `index` when its text may hold a reference.
    fn note_references(&mut self, index: usize, raw: &RawValue, interpolation: Interpolation) {
        if may_reference(raw, interpolation) {
            self.referencing.push(index);
        }
    }

    /// A text of a gathering, for a slot: moved out of a spent gathering, copied from a kept
    /// one.
    fn take(&self, text: &mut String) -> String {
        match self.gatherings {
            Gatherings::Spent => std::mem::take(text),
            #[cfg(feature = "live")]
            Gatherings::Kept => text.clone(),
        }
    }

    /// The origin of a gathering's entry, for a slot: moved out of a spent gathering (leaving
    /// [`Origin::Default`]), copied from a kept one.
    fn take_origin(&self, origin: &mut Origin) -> Origin {
        match self.gatherings {
            Gatherings::Spent => std::mem::replace(origin, Origin::Default),
            #[cfg(feature = "live")]
            Gatherings::Kept => origin.clone(),
        }
    }

    /// The defaults of whole maps of values (`default = "a=x,b=y"` or JSON): each entry's
    /// leaf starts with its value, as a leaf's own default does.
    fn node_defaults(&mut self) {
        let schema = self.schema;
        for (index, node) in schema.nodes.iter().enumerate() {
            // An empty default is "no entries": nothing to place (and nothing to clear).
            if let Some(raw) = node.default.filter(|raw| !raw.trim().is_empty()) {
                let mut value = FileValue::Scalar(raw.to_owned());
                self.node_value(index, &node.path, &mut value, &Origin::Default);
            }
        }
    }

    /// The merged values, with the references of local values parsed.
    fn finish(mut self) -> Filled {
        if self.unreadable_source {
            for (failed, value) in self.failed.iter_mut().zip(&self.values) {
                *failed |= value.is_none();
            }
        }
        // A slot noted may have been given another value since (a later source's, a default).
        let mut referencing = std::mem::take(&mut self.referencing);
        referencing.sort_unstable();
        referencing.dedup();
        let parsed = referencing
            .into_iter()
            .filter_map(|index| {
                let sourced = self.values[index].as_ref()?;
                may_reference(&sourced.raw, sourced.interpolation)
                    .then(|| (index, sourced.raw.texts().map(Template::parse).collect()))
            })
            .collect();
        Filled {
            values: self.values,
            documents: self.documents,
            parsed,
            failed: self.failed,
            errors: self.errors,
            warnings: self.warnings,
        }
    }

    fn set(&mut self, index: usize, raw: RawValue, provenance: impl Into<Provenance>) {
        let (interpolation, taint) = match self.trust {
            Trust::Local => (Interpolation::Resolve, Taint::Plain),
            Trust::RemoteData => (Interpolation::Literal, Taint::Plain),
            Trust::SecretProvider => (Interpolation::Literal, Taint::Provider),
            Trust::Decrypted => (Interpolation::Literal, Taint::Decrypted),
            Trust::FileContent => (Interpolation::Literal, Taint::Referenced),
        };
        self.note_references(index, &raw, interpolation);
        // The slot is emptied first, so the value is built in it rather than built aside and
        // copied in (a wide value copied right after it is built waits on its own stores).
        let slot = &mut self.values[index];
        drop(slot.take());
        *slot = Some(Sourced {
            raw,
            provenance: provenance.into(),
            references: Box::default(),
            taint,
            interpolation,
        });
    }

    fn entry(&mut self, entry: &mut Entry) {
        let Entry {
            name,
            value,
            origin,
            declared,
            ..
        } = entry;
        match (&*name, value) {
            (Name::Document, FileValue::Table(table)) => {
                self.document = self.documents.add(origin);
                self.table(origin, "", table);
                self.document = None;
            }
            (Name::Document, _) => {
                let message = "the top level must be a table of keys".to_owned();
                self.source_error(origin.clone(), message);
            }
            (Name::Variable(name), FileValue::Scalar(value)) => {
                // Its origin is taken as its text is (every variable of the environment).
                let value = self.take(value);
                let origin = self.take_origin(origin);
                self.variable(name, *declared, value, origin);
            }
            (Name::Key(key), value) => {
                let schema = self.schema;
                let name = key.as_str();
                if let Some(&index) = schema.by_path.get(name).or_else(|| schema.by_env.get(name)) {
                    self.value(index, key, value, origin.clone().into());
                } else if let Some(&node) = schema
                    .node_by_path
                    .get(name)
                    .or_else(|| schema.node_by_env.get(name))
                {
                    self.node_value(node, &schema.nodes[node].path, value, origin);
                } else {
                    let paths = schema.fields.iter().map(|f| f.path.as_str());
                    let suggestion = suggest::closest(name, paths).map(str::to_owned);
                    self.unknown_key(name, suggestion, origin.clone());
                }
            }
            (Name::Variable(key), _) => match self.schema.by_env.get(key.as_str()) {
                Some(&index) => self.invalid_shape(index, origin.clone(), "a table"),
                None => self.unknown_key(key, None, origin.clone()),
            },
        }
    }

    /// A value (from a file, a key or a whole-node JSON) for the leaf `index`.
    fn value(&mut self, index: usize, key: &str, value: &mut FileValue, provenance: Provenance) {
        let raw = match value {
            FileValue::Scalar(text) => RawValue::Str(self.take(text)),
            FileValue::Null => {
                // An explicit null unsets the key: an `Option` is `None` (even with a
                // default), a field with a default takes it, a required one is missing.
                let field = &self.schema.fields[index];
                let slot = match field.nullable {
                    true => Some(Sourced::new(RawValue::Str(String::new()), provenance)),
                    false => unset(field),
                };
                self.place(index, slot);
                return;
            }
            FileValue::List(items) => match FileValue::scalars(items) {
                Ok(items) => RawValue::List(items),
                Err(what) => {
                    let origin = self.documents.origin(&provenance);
                    return self.invalid_shape(index, origin, what);
                }
            },
            other => {
                let origin = self.documents.origin(&provenance);
                return self.invalid_shape(index, origin, other.shape());
            }
        };
        if self.schema.is_file_alias(key) {
            self.warnings.push(Warning::DeprecatedKey {
                key: key.to_owned(),
                replacement: self.schema.fields[index].path.clone(),
                origin: self.documents.origin(&provenance),
            });
        }
        self.set(index, raw, provenance);
    }

    /// A value for a whole map, list, optional section or tagged section at `path`.
    fn node_value(&mut self, node: usize, path: &str, value: &mut FileValue, origin: &Origin) {
        let schema = self.schema;
        let node = &schema.nodes[node];
        let mut read;
        let value = match value {
            FileValue::Scalar(text) => match read_whole(text, node.kind, node.element) {
                Ok(value) => {
                    read = value;
                    &mut read
                }
                Err(why) => {
                    let expected = whole_text_expected(node.kind, node.element);
                    return self.invalid_node(node, path, origin, expected, why.to_string());
                }
            },
            other => other,
        };
        match (node.kind, value) {
            (_, FileValue::Null) => self.clear_under(path),
            (NodeKind::List, FileValue::List(items)) => {
                // A list given whole replaces the one before it.
                self.clear_under(path);
                for (index, item) in items.iter_mut().enumerate() {
                    let item_path = format!("{path}[{index}]");
                    let origin = origin.at_line(item.line);
                    match &mut item.value {
                        FileValue::Table(table) => self.table(&origin, &item_path, table),
                        _ => self.not_a_table(item_path, origin),
                    }
                }
            }
            (NodeKind::List, other) => {
                let got = format!("got {}", other.shape());
                self.invalid_node(node, path, origin, "a list of tables", got);
            }
            (_, FileValue::Table(table)) => self.table(origin, path, table),
            (NodeKind::Tagged { tag, .. }, FileValue::Scalar(word)) => {
                // A unit variant written as a bare word.
                let tag_path = crate::describe::join_path(path, tag);
                if let Some(&index) = schema.by_path.get(&tag_path) {
                    let word = self.take(word);
                    self.set(index, RawValue::Str(word), origin.clone());
                }
            }
            (_, other) => {
                let got = format!("got {}", other.shape());
                self.invalid_node(node, path, origin, "a table of settings", got);
            }
        }
    }

    /// Unsets every leaf under `path` (a `null`, or a list given whole): each is as no source
    /// had named it.
    fn clear_under(&mut self, path: &str) {
        let schema = self.schema;
        for (index, field) in schema.fields.iter().enumerate() {
            if crate::describe::is_below(&field.path, path) {
                self.place(index, unset(field));
            }
        }
    }

    fn not_a_table(&mut self, path: String, origin: Origin) {
        self.errors.push(FieldError::key(
            path,
            None,
            Some(origin),
            ErrorKind::Invalid {
                expected: "a table of settings".to_owned(),
                got: None,
                detail: Some("got a single value".to_owned()),
            },
        ));
    }

    fn invalid_node(
        &mut self,
        node: &NodeSchema,
        path: &str,
        origin: &Origin,
        expected: &str,
        detail: String,
    ) {
        self.errors.push(FieldError::key(
            path,
            Some(node.env.clone()),
            Some(origin.clone()),
            ErrorKind::Invalid {
                expected: expected.to_owned(),
                got: None,
                detail: Some(detail),
            },
        ));
    }

    /// A problem a source reported: of a field's variable, of another variable, or of the
    /// source itself.
    fn problem(&mut self, problem: &Problem) {
        let kind = ErrorKind::Source {
            message: problem.message.clone(),
        };
        let origin = problem.origin.clone();
        let error = match problem.variable.as_deref() {
            Some(name) => match self.schema.by_env.get(name) {
                Some(&index) => {
                    self.failed[index] = true;
                    let path = self.schema.fields[index].path.clone();
                    FieldError::key(path, Some(name.to_owned()), Some(origin), kind)
                }
                None => FieldError::variable(name, origin, kind),
            },
            None => FieldError::source(origin, kind),
        };
        self.errors.push(error);
    }

    fn unknown_key(&mut self, key: &str, suggestion: Option<String>, origin: Origin) {
        match self.schema.unknown_policy(Some(key), None) {
            UnknownKeys::Ignore => return,
            UnknownKeys::Warn => {
                self.warnings.push(Warning::UnknownKey {
                    key: key.to_owned(),
                    origin,
                });
                return;
            }
            UnknownKeys::Error => {}
        }
        self.errors.push(FieldError::key(
            key,
            None,
            Some(origin),
            ErrorKind::Unknown {
                what: UnknownName::Key,
                suggestion,
            },
        ));
    }

    /// The field a variable sets: the one its source found, when this load numbers the
    /// leaves as declared; else by a lookup of its name.
    fn field_of_variable(&self, name: &str, declared: Option<DeclaredField>) -> Option<usize> {
        match (declared, self.schema) {
            (Some(DeclaredField(index)), SchemaRef::Declared(_)) => Some(index),
            _ => self.schema.by_env.get(name).copied(),
        }
    }

    /// One variable from the environment, a map or a `.env` file.
    fn variable(
        &mut self,
        name: &str,
        declared: Option<DeclaredField>,
        value: String,
        origin: Origin,
    ) {
        if let Some(index) = self.field_of_variable(name, declared) {
            let by_alias = self.schema.is_alias(name);
            if by_alias {
                self.warnings.push(Warning::DeprecatedAlias {
                    alias: name.to_owned(),
                    replacement: self.schema.fields[index].env.clone(),
                    origin: origin.clone(),
                });
                // Within one source the current name wins over a deprecated one.
                if self.set_by[index] == Some((self.seq, false)) {
                    return;
                }
            }
            self.set_by[index] = Some((self.seq, by_alias));
            self.set(index, RawValue::Str(value), origin);
            return;
        }
        if let Some(&node) = self.schema.node_by_env.get(name) {
            let schema = self.schema;
            let mut value = FileValue::Scalar(value);
            self.node_value(node, &schema.nodes[node].path, &mut value, &origin);
            return;
        }
        let Some(prefix) = self.schema.prefix else {
            return;
        };
        let is_prefixed = name.len() > prefix.len()
            && name.starts_with(prefix)
            && name.as_bytes()[prefix.len()] == b'_';
        if !is_prefixed || crate::var_pattern::any_matches(self.ignored_vars, name) {
            return;
        }
        // An empty variable of a map's, list's or optional section's entry names no entry
        // (see expand.rs), so it names no field either: nothing to report.
        if value.trim().is_empty() && self.under_a_node(name) {
            return;
        }
        match self.schema.unknown_policy(None, Some(name)) {
            UnknownKeys::Ignore => return,
            UnknownKeys::Warn => {
                self.warnings.push(Warning::UnknownVariable {
                    name: name.to_owned(),
                    origin,
                });
                return;
            }
            UnknownKeys::Error => {}
        }
        let suggestion = self.suggest_var(name, prefix);
        self.errors.push(FieldError::variable(
            name,
            origin,
            ErrorKind::Unknown {
                what: UnknownName::Variable,
                suggestion,
            },
        ));
    }

    /// Whether `name` starts with the variable of a map, list or optional section.
    fn under_a_node(&self, name: &str) -> bool {
        let separator = self.schema.separators.nesting;
        self.schema.nodes.iter().any(|node| {
            name.strip_prefix(node.env.as_str())
                .is_some_and(|rest| rest.starts_with(separator))
        })
    }

    /// The known variable closest to `name`, comparing with and without the prefix, so
    /// `APP_DATABSE_URL` finds `DATABASE_URL`.
    fn suggest_var(&self, name: &str, prefix: &str) -> Option<String> {
        let strip = |n: &'s str| -> &'s str {
            n.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('_'))
                .unwrap_or(n)
        };
        let bare = name[prefix.len() + 1..].to_owned();
        let known = self.schema.fields.iter().map(|f| f.env.as_str());
        let stripped: Vec<&str> = known.clone().map(strip).collect();
        let best = suggest::closest(&bare, stripped.iter().copied())?;
        known
            .into_iter()
            .find(|known| strip(known) == best)
            .map(str::to_owned)
    }

    fn source_error(&mut self, origin: Origin, message: String) {
        self.errors
            .push(FieldError::source(origin, ErrorKind::Source { message }));
    }

    /// Walks one table of a document alongside the schema.
    fn table(
        &mut self,
        whole: &Origin,
        table_path: &str,
        table: &mut [(String, Located<FileValue>)],
    ) {
        let entries = table
            .iter_mut()
            .map(|(key, located)| (key.as_str(), located));
        self.entries(whole, table_path, entries);
    }

    /// Walks a document whose keys are spans of `text` as [`table`](Self::table) walks a
    /// tree: a header that names a plain section is walked in place; any other (a map, a list,
    /// a value, a key no field has) goes through the tree's walk with its keys copied.
    fn spanned_document(&mut self, whole: &Origin, text: &str, document: &mut SpannedDoc) {
        self.document = self.documents.add(whole);
        self.entries(whole, "", document.root.iter_mut().map(in_text(text)));
        for (name, line, entries) in &mut document.tables {
            let name = name.of(text);
            if self.is_plain_section(name) {
                self.entries(whole, name, entries.iter_mut().map(in_text(text)));
                continue;
            }
            let copied = entries.iter_mut().map(|(key, located)| {
                let value = std::mem::replace(&mut located.value, FileValue::Null);
                let located = Located {
                    value,
                    line: located.line,
                };
                (key.of(text).to_owned(), located)
            });
            let table = Located {
                value: FileValue::Table(copied.collect()),
                line: Some(*line),
            };
            let mut header = [(name.to_owned(), table)];
            self.table(whole, "", &mut header);
            // What the walk left (a refused value, an unknown key's) may be a secret.
            header[0].1.value.wipe();
        }
        self.document = None;
    }

    /// Whether a top-level `path` names a section of fields, and nothing the walk of a table
    /// would take first (a leaf, a whole map or list).
    fn is_plain_section(&self, path: &str) -> bool {
        !self.schema.by_path.contains_key(path)
            && !self.schema.node_by_path.contains_key(path)
            && self.is_section(path)
    }

    /// The walk of one table's entries, keys borrowed.
    fn entries<'e>(
        &mut self,
        whole: &Origin,
        table_path: &str,
        entries: impl Iterator<Item = (&'e str, &'e mut Located<FileValue>)>,
    ) {
        // One buffer for every key path of this table: most keys are leaves, looked up and
        // done with.
        let mut key_path = String::with_capacity(table_path.len() + 32);
        // Files often list keys in the order of the fields: the leaf after the last one found
        // is tried before the index.
        let mut next_leaf = 0;
        let schema = self.schema;
        for (key, located) in entries {
            // Compared in its parts: the path is only written out when the next leaf is not
            // it (reading back bytes just written in pieces stalls the compare).
            let next = schema.leaf_paths.get(next_leaf);
            let leaf = match next.filter(|path| is_key_of(path, table_path, key)) {
                Some(path) => Some((next_leaf, path)),
                None => {
                    key_path.clear();
                    if !table_path.is_empty() {
                        key_path.push_str(table_path);
                        key_path.push('.');
                    }
                    key_path.push_str(key);
                    let index = schema.by_path.get(key_path.as_str());
                    index.map(|&index| (index, key_path.as_str()))
                }
            };
            if let Some((index, named)) = leaf {
                next_leaf = index + 1;
                let provenance = self.provenance(whole, located.line);
                self.value(index, named, &mut located.value, provenance);
                continue;
            }
            let origin = whole.at_line(located.line);
            if let Some(&node) = self.schema.node_by_path.get(key_path.as_str()) {
                self.node_value(node, &key_path, &mut located.value, &origin);
            } else if self.is_section(&key_path) {
                match &mut located.value {
                    FileValue::Table(inner) => self.table(whole, &key_path, inner),
                    FileValue::Null => self.clear_under(&key_path),
                    _ => self.not_a_table(key_path.clone(), origin),
                }
            } else {
                let suggestion = self.suggest_key(table_path, key);
                self.unknown_key(&key_path, suggestion, origin);
            }
        }
    }

    /// The provenance of a value at `line` of the document being walked (`whole` is its
    /// origin, or one [`Origin::at_line`] made of it): numbered by the document, when it is one.
    fn provenance(&self, whole: &Origin, line: Option<u32>) -> Provenance {
        let outer = match whole {
            Origin::File { line, .. } | Origin::Text { line, .. } => *line,
            _ => return Provenance::Origin(whole.clone()),
        };
        match self.document {
            Some(document) => Provenance::Line {
                document,
                line: line.or(outer),
            },
            None => Provenance::Origin(whole.at_line(line)),
        }
    }

    /// A source gave a table or another unsupported shape where a value belongs.
    fn invalid_shape(&mut self, index: usize, origin: Origin, what: &str) {
        self.failed[index] = true;
        let field = &self.schema.fields[index];
        self.errors.push(FieldError::key(
            field.path.clone(),
            Some(field.env.clone()),
            Some(origin),
            ErrorKind::Invalid {
                expected: field.type_name.to_string(),
                got: None,
                detail: Some(format!("got {what}")),
            },
        ));
    }

    /// Whether `path` names a nested section (a table in files).
    fn is_section(&self, path: &str) -> bool {
        self.schema.sections.iter().any(|s| s.path == path)
    }

    /// The closest key of the same table.
    fn suggest_key(&self, table_path: &str, key: &str) -> Option<String> {
        let siblings = self
            .schema
            .fields
            .iter()
            .map(|f| f.path.as_str())
            .chain(self.schema.sections.iter().map(|s| s.path.as_str()))
            .chain(self.schema.nodes.iter().map(|n| n.path.as_str()))
            .filter_map(|p| {
                let rest = if table_path.is_empty() {
                    Some(p)
                } else {
                    p.strip_prefix(table_path).and_then(|r| r.strip_prefix('.'))
                }?;
                (!rest.is_empty() && !rest.contains('.')).then_some(rest)
            });
        suggest::closest(key, siblings).map(str::to_owned)
    }
}

/// Whether a value's text may hold a reference to resolve: a local value with `${` in it.
fn may_reference(raw: &RawValue, interpolation: Interpolation) -> bool {
    interpolation == Interpolation::Resolve && raw.texts().any(contains_reference_syntax)
}

/// Whether `path` is the path of `key` in the table at `table_path` (the top level when
/// empty).
fn is_key_of(path: &str, table_path: &str, key: &str) -> bool {
    if table_path.is_empty() {
        return path == key;
    }
    path.len() == table_path.len() + 1 + key.len()
        && path
            .strip_prefix(table_path)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| rest == key)
}

/// An entry of a document whose keys are spans of `text`, its key read there.
fn in_text<'e>(
    text: &'e str,
) -> impl Fn(&'e mut (Span, Located<FileValue>)) -> (&'e str, &'e mut Located<FileValue>) {
    move |(key, located)| (key.of(text), located)
}

/// Texts of secret fields and of every value that must not be quoted: scrubbed from messages.
pub(crate) fn secret_texts(schema: &Schema, values: &[Option<Sourced>]) -> Vec<String> {
    schema
        .fields
        .iter()
        .zip(values)
        .filter_map(|(field, value)| {
            let sourced = value.as_ref()?;
            (field.secret || sourced.taint != Taint::Plain).then_some(sourced)
        })
        .flat_map(|sourced| sourced.raw.texts())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::is_key_of;

    #[test]
    fn a_path_is_a_key_of_a_table_only_when_it_joins_them() {
        assert!(is_key_of("port", "", "port"));
        assert!(is_key_of("db.port", "db", "port"));
        assert!(is_key_of("a.b.c", "a.b", "c"));
        assert!(!is_key_of("db.port", "", "port"));
        assert!(!is_key_of("dbxport", "db", "port"));
        assert!(!is_key_of("db.port", "d", "b.port"));
        assert!(!is_key_of("db.portx", "db", "port"));
        assert!(!is_key_of("db.port", "db", "por"));
        assert!(!is_key_of("", "db", ""));
    }
}
