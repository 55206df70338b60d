//! Turns merged raw values into the typed struct. Generated `__assemble` code calls
//! [`Assemble::leaf`] for each field in declaration order (the same order as `__describe`), so a
//! cursor into the schema finds each field's description and value without lookups.

use std::borrow::Cow;

use crate::error::{ErrorKind, FieldError};
use crate::origin::{Documents, Origin, Sourced, Taint};
use crate::rules::{Checks, Exposure};
use crate::schema::{FieldSchema, NodeKind, NodeSchema, RuleSpec, Schema};
use crate::secret::REDACTED;
use crate::value::{ConfigValue, RawValue, ValueKind};

/// Well-known placeholder values a production secret must not hold (compared ignoring case).
pub const PLACEHOLDERS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "password",
    "secret",
    "xxx",
    "xxxx",
    "todo",
    "tbd",
    "test",
    "example",
    "placeholder",
    "dummy",
    "replace-me",
    "replaceme",
    "<secret>",
];

/// A struct's `validate = ..` function.
pub type CrossCheck<T> = fn(&T) -> Result<(), String>;

/// Whether secrets are checked against placeholders: under profile `production` a secret
/// that is empty, equal to its example or a well-known placeholder is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// Any value is accepted.
    Allowed,
    /// Placeholder secrets are errors.
    Rejected,
}

impl Placeholders {
    /// [`Placeholders::Rejected`] under profile `production`.
    pub(crate) fn for_profile(profile: Option<&str>) -> Self {
        match profile {
            Some("production") => Placeholders::Rejected,
            _ => Placeholders::Allowed,
        }
    }
}

/// Whether an assembly fills the explain rows (only `explain` needs them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rows {
    /// No rows: a plain load.
    Skip,
    /// One row per leaf, for the explain report.
    Collect,
}

/// Whether an assembly may take the merged texts into the config. A one-off load is done with
/// them once the config is built, so a text field takes its plain text instead of a copy;
/// `Live` keeps them for its reports and the next reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MergedTexts {
    /// The merged values stay whole.
    #[cfg(feature = "live")]
    Kept,
    /// Plain texts may move into the config (secrets, texts that came through a reference or
    /// a decryption, and any text an explain row shows stay, as messages and rows read them).
    Spent,
}

/// One row of the explain report, filled while assembling.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub path: String,
    pub env: String,
    pub origin: Option<Origin>,
    pub value: String,
    /// The `${..}` references the value was resolved from.
    pub references: Vec<String>,
}

impl Row {
    /// The row of a leaf that assembled: where its value came from (the default when no
    /// source gave one) and how it is shown.
    pub(crate) fn of(
        field: &FieldSchema,
        sourced: Option<&Sourced>,
        documents: &Documents,
    ) -> Self {
        Row {
            path: field.path.clone(),
            env: field.env.clone(),
            origin: sourced
                .map(|s| documents.origin(&s.provenance))
                .or_else(|| field.default.as_ref().map(|_| Origin::Default)),
            value: shown_value(field, sourced),
            references: sourced.map(|s| s.references.to_vec()).unwrap_or_default(),
        }
    }
}

/// The rows of a configuration that assembled from `values`, as [`Rows::Collect`] fills
/// them: one per leaf, in order.
#[cfg(feature = "live")]
pub(crate) fn rows_of(
    schema: &Schema,
    values: &[Option<Sourced>],
    documents: &Documents,
) -> Vec<Row> {
    schema
        .fields
        .iter()
        .zip(values)
        .map(|(field, value)| Row::of(field, value.as_ref(), documents))
        .collect()
}

/// The state of one assembly: the merged values, the errors found so far, the report rows.
pub struct Assemble<'a> {
    schema: &'a Schema,
    values: &'a mut [Option<Sourced>],
    /// The documents the values' provenances number.
    documents: &'a Documents,
    texts: MergedTexts,
    failed: &'a [bool],
    cursor: usize,
    /// The next node (map, list, optional section, tagged enum) in declaration order.
    node_cursor: usize,
    /// Key paths of the structs being assembled, innermost last.
    section_path: Vec<String>,
    placeholders: Placeholders,
    pub(crate) errors: Vec<FieldError>,
    pub(crate) rows: Vec<Row>,
    /// Whether to fill `rows`.
    collect_rows: Rows,
}

impl<'a> Assemble<'a> {
    pub(crate) fn new(
        schema: &'a Schema,
        values: &'a mut [Option<Sourced>],
        documents: &'a Documents,
        texts: MergedTexts,
        failed: &'a [bool],
        placeholders: Placeholders,
        collect_rows: Rows,
    ) -> Self {
        let capacity = match collect_rows {
            Rows::Collect => schema.fields.len(),
            Rows::Skip => 0,
        };
        Assemble {
            schema,
            values,
            documents,
            texts,
            failed,
            cursor: 0,
            node_cursor: 0,
            section_path: Vec::new(),
            placeholders,
            errors: Vec::new(),
            rows: Vec::with_capacity(capacity),
            collect_rows,
        }
    }

    /// Reads, parses and checks the next leaf. `None` when it has an error (recorded).
    pub fn leaf<T: ConfigValue>(
        &mut self,
        name: &'static str,
        default: Option<fn() -> T>,
        check: impl FnOnce(&T, &mut Checks),
    ) -> Option<T> {
        let index = self.cursor;
        self.cursor += 1;
        let schema = self.schema;
        let field = &schema.fields[index];
        debug_assert_eq!(field.name, name, "__describe and __assemble disagree");
        // The type says whether the leaf is a secret (as `__describe` did), so a plain leaf's
        // description is not read unless something about it must be reported.
        debug_assert_eq!(field.secret, T::SECRET);
        if self.failed[index] {
            return None;
        }
        let parsed = match &mut self.values[index] {
            Some(sourced)
                if self.texts == MergedTexts::Spent && self.collect_rows == Rows::Skip =>
            {
                match exposure::<T>(Some(sourced)) {
                    Exposure::Plain => Some(T::take_raw(&mut sourced.raw)),
                    _ => None,
                }
            }
            _ => None,
        };
        let sourced = self.values[index].as_ref();

        let (value, origin) = match sourced {
            Some(sourced) => {
                if sourced.taint == Taint::Provider && !T::SECRET {
                    let reference = sourced.references.join(", ");
                    record(
                        &mut self.errors,
                        field,
                        Some(self.documents.origin(&sourced.provenance)),
                        ErrorKind::SecretInPlainField { reference },
                    );
                    return None;
                }
                // Only a plain local value of a plain field is quoted back.
                let exposure = exposure::<T>(Some(sourced));
                match parsed.unwrap_or_else(|| T::from_raw(&sourced.raw)) {
                    Ok(value) => (value, Some(&sourced.provenance)),
                    Err(e) => {
                        let (got, detail) = match exposure.withheld() {
                            None => {
                                let raw = quoted_raw(&sourced.raw);
                                // Masked before it is cut, so a cut cannot split a password
                                // from the `@` that marks it.
                                let raw = crate::error::mask_url_passwords(&raw);
                                let (shown, length) = crate::error::cut(&raw);
                                let length = length.map(|n| format!("{n} characters"));
                                let detail = match (e.detail, length) {
                                    (Some(detail), Some(length)) => {
                                        Some(format!("{detail}; {length}"))
                                    }
                                    (detail, length) => detail.or(length),
                                };
                                (Some(shown.into_owned()), detail)
                            }
                            Some(why) => {
                                // Which item of a comma list is empty is told by its commas.
                                let place = crate::value::empty_item_detail(&sourced.raw)
                                    .filter(|place| e.detail.as_ref() == Some(place));
                                let detail = match place {
                                    Some(place) => format!("{place}; value not shown: {why}"),
                                    None => format!("value not shown: {why}"),
                                };
                                (None, Some(detail))
                            }
                        };
                        let kind = ErrorKind::Invalid {
                            expected: expected_of::<T>(field, &sourced.raw).into_owned(),
                            got,
                            detail,
                        };
                        let origin = self.documents.origin(&sourced.provenance);
                        record(&mut self.errors, field, Some(origin), kind);
                        return None;
                    }
                }
            }
            None => match default.map(|f| f()).or_else(T::when_missing) {
                Some(value) => (value, None),
                None => {
                    record(&mut self.errors, field, None, ErrorKind::Missing);
                    return None;
                }
            },
        };

        // Secrets, and values that came through a reference or a decryption, are not quoted.
        let exposure = exposure::<T>(sourced);
        let mut checks = Checks::default();
        check(&value, &mut checks);
        if !checks.violations.is_empty() {
            for violation in checks.violations {
                let kind = ErrorKind::Rule {
                    message: violation.message(exposure),
                };
                let origin = origin.map(|p| self.documents.origin(p));
                record(&mut self.errors, field, origin, kind);
            }
            return None;
        }
        if self.placeholders == Placeholders::Rejected
            && T::SECRET
            && let Some(reason) = placeholder_reason(field, sourced)
        {
            record(
                &mut self.errors,
                field,
                origin.map(|p| self.documents.origin(p)),
                ErrorKind::Placeholder { reason },
            );
            return None;
        }
        if self.collect_rows == Rows::Collect {
            self.rows.push(Row::of(field, sourced, self.documents));
        }
        Some(value)
    }

    /// Assembles a `nested` struct.
    pub fn nested<T: crate::Config>(&mut self, name: &'static str) -> Option<T> {
        let parent = self.section_path.last().map_or("", String::as_str);
        let path = crate::describe::join_path(parent, name);
        self.within(path)
    }

    /// Assembles a `flatten` struct (its fields sit in the current one), or a variant's.
    pub fn flatten<T: crate::Config>(&mut self) -> Option<T> {
        T::__assemble(self)
    }

    /// Assembles an `Option<Nested>`: `Some` when the sources gave any key of it.
    pub fn optional<T: crate::Config>(&mut self, name: &'static str) -> Option<Option<T>> {
        let node = self.next_node(name);
        if node.entries.is_empty() {
            return Some(None);
        }
        self.within(node.path.clone()).map(Some)
    }

    /// Assembles a map of `nested` structs (or tagged enums), one per key.
    pub fn map<M, T>(&mut self, name: &'static str) -> Option<M>
    where
        M: FromIterator<(String, T)>,
        T: crate::Config,
    {
        let node = self.next_node(name);
        self.sections(node)
            .map(|entries| entries.into_iter().collect())
    }

    /// Assembles a list of `nested` structs, one per item.
    pub fn list<T: crate::Config>(&mut self, name: &'static str) -> Option<Vec<T>> {
        let node = self.next_node(name);
        let items = self.sections(node)?;
        Some(items.into_iter().map(|(_, item)| item).collect())
    }

    /// Each entry of a map or list of sections, keyed; `None` when any has an error (all of
    /// them are assembled, so every error is recorded).
    fn sections<T: crate::Config>(&mut self, node: &NodeSchema) -> Option<Vec<(String, T)>> {
        let mut entries = Vec::with_capacity(node.entries.len());
        let mut complete = true;
        for key in &node.entries {
            let (path, _) = self.entry_names(node, key);
            match self.within(path) {
                Some(value) => entries.push((key.clone(), value)),
                None => complete = false,
            }
        }
        complete.then_some(entries)
    }

    /// Assembles a map of plain values: each entry is a leaf with the field's rules. An
    /// expression `default` applies when no source names any entry.
    pub fn map_values<M, V>(
        &mut self,
        name: &'static str,
        default: Option<fn() -> M>,
        check: impl Fn(&V, &mut Checks),
    ) -> Option<M>
    where
        M: FromIterator<(String, V)>,
        V: ConfigValue,
    {
        let node = self.next_node(name);
        if node.entries.is_empty()
            && let Some(default) = default
        {
            return Some(default());
        }
        let mut entries = Vec::with_capacity(node.entries.len());
        let mut complete = true;
        for key in &node.entries {
            match self.leaf::<V>(name, None, |value, checks| check(value, checks)) {
                Some(value) => entries.push((key.clone(), value)),
                None => complete = false,
            }
        }
        complete.then(|| entries.into_iter().collect())
    }

    /// Reads a tagged enum's `tag` and gives the index of the variant it names (its fields
    /// are assembled next by the generated code). `None` when the tag cannot be read (its
    /// error is recorded): the generated code then reads no field of the variant, so the
    /// fields described for it are stepped over here.
    pub fn variant(&mut self, tag: &'static str) -> Option<usize> {
        let node = self.next_node(tag);
        let chosen = self.chosen_variant(node, tag);
        if chosen.is_none() {
            self.cursor += node.variant_extent.fields;
            self.node_cursor += node.variant_extent.nodes;
        }
        chosen
    }

    fn chosen_variant(&mut self, node: &NodeSchema, tag: &'static str) -> Option<usize> {
        let NodeKind::Tagged { variants, .. } = node.kind else {
            unreachable!("__describe and __assemble disagree about a tagged enum");
        };
        let names = match self.schema.fields.get(self.cursor).map(|f| f.rules) {
            Some([RuleSpec::OneOf(names)]) => *names,
            _ => &[],
        };
        let named = self.leaf::<String>(tag, None, |value, checks| {
            checks.push(crate::rules::one_of(value, names));
        })?;
        let Some(chosen) = node.entries.first() else {
            // The scan picks the variant from the text as the sources wrote it, before any
            // reference is resolved: a tag that names a variant only once resolved came late.
            let index = self.cursor - 1;
            let origin =
                (self.values[index].as_ref()).map(|s| self.documents.origin(&s.provenance));
            let message = "must name the variant itself, not through a reference: the variant \
                           is chosen before references are resolved"
                .to_owned();
            self.error(
                &self.schema.fields[index],
                origin,
                ErrorKind::Rule { message },
            );
            return None;
        };
        debug_assert_eq!(
            &named, chosen,
            "the scan and the merge agree on the variant"
        );
        variants.iter().position(|variant| variant.name == chosen)
    }

    fn next_node(&mut self, name: &str) -> &'a NodeSchema {
        let schema = self.schema;
        let node = &schema.nodes[self.node_cursor];
        self.node_cursor += 1;
        debug_assert!(
            node.path.ends_with(name) || matches!(node.kind, NodeKind::Tagged { .. }),
            "__describe and __assemble disagree about {name}"
        );
        node
    }

    fn entry_names(&self, node: &NodeSchema, key: &str) -> (String, String) {
        let separators = self.schema.separators;
        crate::describe::entry_names(node.kind, &node.path, &node.env, key, separators)
    }

    fn within<T: crate::Config>(&mut self, path: String) -> Option<T> {
        self.section_path.push(path);
        let value = T::__assemble(self);
        self.section_path.pop();
        value
    }

    /// Runs the struct's `validate = ..` function on a struct whose fields are all valid.
    pub fn finish<T>(&mut self, value: T, validate: Option<CrossCheck<T>>) -> Option<T> {
        match validate.map(|f| f(&value)) {
            Some(Err(message)) => {
                let path = self.section_path.last().cloned().unwrap_or_default();
                self.errors
                    .push(FieldError::section(path, ErrorKind::Check { message }));
                None
            }
            _ => Some(value),
        }
    }

    fn error(&mut self, field: &FieldSchema, origin: Option<Origin>, kind: ErrorKind) {
        record(&mut self.errors, field, origin, kind);
    }
}

/// Records a field's error, named by the variable that set it (an alias, say); not the one
/// holding a whole map or list.
fn record(
    errors: &mut Vec<FieldError>,
    field: &FieldSchema,
    origin: Option<Origin>,
    kind: ErrorKind,
) {
    let env = match &origin {
        Some(Origin::Env { var })
            if *var == field.env || field.aliases.iter().any(|a| a == var) =>
        {
            var.to_string()
        }
        _ => field.env.clone(),
    };
    errors.push(FieldError::key(field.path.clone(), Some(env), origin, kind));
}

/// Whether messages about a leaf of type `T` may quote its value: not a secret's, and not one
/// that came through a reference or a decryption.
fn exposure<T: ConfigValue>(sourced: Option<&Sourced>) -> Exposure {
    if T::SECRET {
        return Exposure::Secret;
    }
    match sourced.map(|s| s.taint) {
        None | Some(Taint::Plain) => Exposure::Plain,
        Some(Taint::Decrypted) => Exposure::Decrypted,
        Some(Taint::Referenced) => Exposure::Referenced,
        Some(Taint::Provider) => Exposure::Secret,
    }
}

/// "an integer in 1..=65535" when the field declares a range, else what the type expects.
/// A list field given a file's array expects "a list of ..", not the comma-separated text a
/// variable holds.
fn expected_of<T: ConfigValue>(field: &FieldSchema, raw: &RawValue) -> Cow<'static, str> {
    let range = field.rules.iter().find_map(|rule| match rule {
        RuleSpec::Range { min, max } => Some((min, max)),
        _ => None,
    });
    match (range, &field.kind) {
        (
            Some((min, max)),
            ValueKind::Integer {
                min: tmin,
                max: tmax,
            },
        ) => {
            let min = min.map(str::to_owned).unwrap_or_else(|| tmin.to_string());
            let max = max.map(str::to_owned).unwrap_or_else(|| tmax.to_string());
            format!("an integer in {min}..={max}").into()
        }
        (_, ValueKind::List(_)) if matches!(raw, RawValue::List(_)) => T::expected()
            .replacen("a comma-separated list", "a list", 1)
            .into(),
        _ => T::expected(),
    }
}

/// The value as the explain report shows it: a file's array as the items a variable would
/// hold (`1,2`).
fn display_raw(raw: &RawValue) -> String {
    match raw {
        RawValue::Str(text) => text.clone(),
        RawValue::List(items) => items.join(","),
    }
}

/// The value as an error quotes it: a file's array as an array (`[1, 2, 70000]`).
fn quoted_raw(raw: &RawValue) -> String {
    match raw {
        RawValue::Str(text) => text.clone(),
        RawValue::List(items) => format!("[{}]", items.join(", ")),
    }
}

/// The value the explain report shows: redacted for secrets, the raw text otherwise (a URL's
/// password masked, cut when long).
fn shown_value(field: &FieldSchema, sourced: Option<&Sourced>) -> String {
    let text = shown_text(field, sourced);
    let masked = crate::error::mask_url_passwords(&text);
    let (shown, length) = crate::error::cut(&masked);
    match length {
        None => shown.into_owned(),
        Some(n) => format!("{shown} ({n} characters)"),
    }
}

fn shown_text(field: &FieldSchema, sourced: Option<&Sourced>) -> String {
    if field.secret {
        return match sourced {
            Some(_) => REDACTED.to_owned(),
            None if field.default.is_some() => REDACTED.to_owned(),
            None => "(not set)".to_owned(),
        };
    }
    match (sourced, &field.default) {
        (Some(sourced), _) if sourced.taint == Taint::Decrypted => "(encrypted)".to_owned(),
        (Some(sourced), _) => display_raw(&sourced.raw),
        (None, Some(default)) => default.to_string(),
        (None, None) => "(not set)".to_owned(),
    }
}

/// Why a production secret is not acceptable, if it is not.
fn placeholder_reason(field: &FieldSchema, sourced: Option<&Sourced>) -> Option<String> {
    let texts: Vec<&str> = sourced?.raw.texts().collect();
    if texts.iter().all(|t| t.trim().is_empty()) {
        return Some("is empty".to_owned());
    }
    for text in texts {
        let text = text.trim();
        if field.example.is_some_and(|example| example == text) {
            return Some("equals its example from .env.example".to_owned());
        }
        if PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(text)) {
            return Some("is a well-known placeholder value".to_owned());
        }
    }
    None
}
