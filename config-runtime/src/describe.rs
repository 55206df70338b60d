//! Building a [`Schema`]: the derive's `__describe` walks the fields and calls [`Describe`]'s
//! methods, which record each leaf with its key path, variable, default and rules.
//!
//! It runs in two modes. Declared (once per type, for `T::schema()`): maps, lists, optional
//! sections and tagged enums are recorded as nodes, without entries. Expanded (once per load
//! of a type that has nodes): a [`Scan`] of what the sources gave says which entries each node
//! has (map keys, list indices, the variant), and each entry's fields are described like any
//! nested struct's, so the rest of the pipeline sees plain leaves (`sinks.http.uri`).

use std::borrow::Cow;

use crate::schema::{
    DefaultSpec, DescribeFn, Element, Extent, FieldSchema, Initials, LeafPaths, NameMap, NodeKind,
    NodeSchema, Relaxed, RuleSpec, Schema, Section, Separators, TextDefaults, UnknownKeys, Variant,
};
use crate::value::ConfigValue;

/// What the derive declares for one leaf field.
#[derive(Debug, Clone, Copy)]
pub struct LeafSpec {
    /// The Rust field name.
    pub name: &'static str,
    /// The key in files (the name, or `rename = ".."`, or as `rename_all` spells it).
    pub key: &'static str,
    /// An explicit variable name (no prefix added).
    pub env: Option<&'static str>,
    /// Deprecated variable names also accepted.
    pub aliases: &'static [&'static str],
    /// Old file keys also accepted (`file_alias = ".."`).
    pub file_aliases: &'static [&'static str],
    /// The doc comment.
    pub doc: &'static str,
    /// The default.
    pub default: DefaultSpec,
    /// The example for `.env.example`.
    pub example: Option<&'static str>,
    /// Not applied by hot reloads.
    pub restart: bool,
    /// Declared rules.
    pub rules: &'static [RuleSpec],
}

/// The entries of a map of plain values (`labels: HashMap<String, String>`): each is a leaf
/// described by the field's spec under its own key.
#[derive(Clone, Copy)]
pub struct ValueElement {
    spec: LeafSpec,
    leaf: fn(&mut Describe<'_>, &LeafSpec, &str),
    type_name: fn() -> Cow<'static, str>,
    kind: fn() -> crate::value::ValueKind,
    secret: bool,
}

impl ValueElement {
    /// The entries' type, for docs.
    pub fn type_name(&self) -> Cow<'static, str> {
        (self.type_name)()
    }

    /// The entries' shape, for the JSON Schema.
    pub fn kind(&self) -> crate::value::ValueKind {
        (self.kind)()
    }

    /// Whether the entries are secrets (`Secret<T>` values).
    pub fn secret(&self) -> bool {
        self.secret
    }

    /// The field's declaration (doc, rules, default).
    pub fn spec(&self) -> &LeafSpec {
        &self.spec
    }
}

/// Where a node sits, as a [`Scan`] needs it.
pub(crate) struct NodeAt<'a> {
    pub path: &'a str,
    pub env: &'a str,
    pub kind: NodeKind,
    pub element: Element,
    pub default_raw: Option<&'static str>,
    pub separators: Separators,
    /// The nodes whose entries hold this one, outermost first: a value given for one of them
    /// as a whole (`APP__UPS__A__POOL=` or its JSON) reaches this node too.
    pub enclosing: &'a [Enclosing],
}

/// A tagged enum's section, whose variant the scan is asked for.
pub(crate) struct VariantAt<'a> {
    pub path: &'a str,
    pub env: &'a str,
    pub tag: &'a str,
    pub separators: Separators,
    /// As [`NodeAt::enclosing`].
    pub enclosing: &'a [Enclosing],
}

/// A node whose entries are being described.
#[derive(Debug, Clone)]
pub(crate) struct Enclosing {
    pub path: String,
    pub env: String,
    pub kind: NodeKind,
    pub element: Element,
}

/// The entries a node has in one load, and those an earlier source gave but a later one
/// replaced (their keys are then not reported as unknown).
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub keys: Vec<String>,
    pub dropped: Vec<String>,
}

/// Answers, from what the sources gave, which entries each node has.
pub(crate) trait Scan {
    /// The entries of a map, list or optional section.
    fn entries(&self, node: &NodeAt<'_>) -> Found;
    /// The variant named at a tagged enum's section (`type = "http"`, or a bare `"http"`).
    fn variant(&self, at: &VariantAt<'_>) -> Option<String>;
}

/// Collects the schema while the derive's `__describe` walks the fields.
pub struct Describe<'s> {
    fields: Vec<FieldSchema>,
    sections: Vec<Section>,
    nodes: Vec<NodeSchema>,
    relaxed: Vec<Relaxed>,
    current: usize,
    separators: Separators,
    scan: Option<&'s dyn Scan>,
    /// Inside `nested, restart`: every leaf is read at start only.
    restart: bool,
    /// Inside an entry of a node: explicit `env` names would be shared by every entry, so
    /// entries' variables are always derived from their key paths.
    in_entry: bool,
    /// The nodes whose entries are being described, outermost first.
    enclosing: Vec<Enclosing>,
}

impl<'s> Describe<'s> {
    fn new(root_env: &str, doc: &'static str, separators: Separators) -> Self {
        Describe {
            fields: Vec::new(),
            sections: vec![Section {
                path: String::new(),
                env_prefix: root_env.to_owned(),
                doc,
                unknown: UnknownKeys::Error,
            }],
            nodes: Vec::new(),
            relaxed: Vec::new(),
            current: 0,
            separators,
            scan: None,
            restart: false,
            in_entry: false,
            enclosing: Vec::new(),
        }
    }

    /// Records one leaf of type `T` in the current struct.
    pub fn leaf<T: ConfigValue>(&mut self, spec: LeafSpec) {
        self.leaf_keyed::<T>(&spec, spec.key);
    }

    /// One entry of a map of values: it exists only when a source gives it a value, so it
    /// has no default and is never "required".
    fn map_entry<T: ConfigValue>(&mut self, spec: &LeafSpec, key: &str) {
        let entry = LeafSpec {
            default: DefaultSpec::None,
            ..*spec
        };
        self.leaf_keyed::<T>(&entry, key);
        if let Some(field) = self.fields.last_mut() {
            field.required = false;
        }
    }

    fn leaf_keyed<T: ConfigValue>(&mut self, spec: &LeafSpec, key: &str) {
        let section = &self.sections[self.current];
        let path = join_path(&section.path, key);
        let env = match spec.env {
            Some(env) if !self.in_entry => env.to_owned(),
            _ => self.join_env(self.current, key),
        };
        let file_aliases = spec
            .file_aliases
            .iter()
            .map(|alias| join_path(&section.path, alias))
            .collect();
        let (default, default_raw) = match spec.default {
            DefaultSpec::None => (None, None),
            DefaultSpec::Raw(raw) => (Some(Cow::Borrowed(raw)), Some(raw)),
            DefaultSpec::Expr(expr) => (Some(Cow::Borrowed(expr)), None),
        };
        self.fields.push(FieldSchema {
            path,
            env,
            // Like an explicit `env`, a deprecated name would be shared by every entry.
            aliases: match self.in_entry {
                true => Vec::new(),
                false => spec.aliases.iter().map(|a| (*a).to_owned()).collect(),
            },
            type_name: T::type_name(),
            kind: T::kind(),
            required: default.is_none() && T::when_missing().is_none(),
            default,
            doc: spec.doc,
            secret: T::SECRET,
            restart: spec.restart || self.restart,
            example: spec.example,
            rules: spec.rules,
            section: self.current,
            file_aliases,
            default_raw,
            name: spec.name,
            nullable: T::when_missing().is_some(),
        });
    }

    /// Records a `#[config(nested, restart)]` struct: like [`nested`](Self::nested), with every
    /// field inside read at start only.
    pub fn nested_restart<T: crate::Config>(&mut self, key: &'static str, doc: &'static str) {
        let saved = std::mem::replace(&mut self.restart, true);
        self.nested::<T>(key, doc);
        self.restart = saved;
    }

    /// Records a `nested` struct: its fields are described under `key`.
    pub fn nested<T: crate::Config>(&mut self, key: &'static str, doc: &'static str) {
        let path = join_path(&self.sections[self.current].path, key);
        let env = self.join_env(self.current, key);
        self.within(path, env, doc, T::__describe);
    }

    /// Describes what `describe` records as read at start only (`nested, restart` on a map,
    /// a list or an optional section).
    pub fn with_restart(&mut self, describe: impl FnOnce(&mut Self)) {
        let saved = std::mem::replace(&mut self.restart, true);
        describe(self);
        self.restart = saved;
    }

    /// Records a `flatten` struct: its fields sit in the current struct, keys and variables.
    pub fn flatten<T: crate::Config>(&mut self) {
        T::__describe(self);
    }

    /// `#[config(unknown = "..")]` of the struct being described.
    pub fn unknown(&mut self, unknown: UnknownKeys) {
        let section = &mut self.sections[self.current];
        section.unknown = unknown;
        self.relaxed.push(Relaxed {
            path: section.path.clone(),
            env: section.env_prefix.clone(),
            unknown,
        });
    }

    /// An `Option<Nested>`: a section present when any key of it is set.
    pub fn optional<T: crate::Config>(&mut self, key: &'static str, doc: &'static str) {
        let element = Element::Section(T::__describe);
        self.node(NodeKind::Optional, key, doc, element, None);
    }

    /// A `HashMap`/`BTreeMap<String, Nested>`: one section per key.
    pub fn map<T: crate::Config>(&mut self, key: &'static str, doc: &'static str) {
        self.node(
            NodeKind::Map,
            key,
            doc,
            Element::Section(T::__describe),
            None,
        );
    }

    /// A `Vec<Nested>`: one section per item (`[[data_dirs]]`).
    pub fn list<T: crate::Config>(&mut self, key: &'static str, doc: &'static str) {
        self.node(
            NodeKind::List,
            key,
            doc,
            Element::Section(T::__describe),
            None,
        );
    }

    /// A `HashMap`/`BTreeMap<String, V>` of plain values: one leaf of type `V` per key.
    pub fn map_values<V: ConfigValue>(&mut self, spec: LeafSpec) {
        let element = Element::Value(ValueElement {
            spec,
            leaf: |describe, spec, key| describe.map_entry::<V>(spec, key),
            type_name: V::type_name,
            kind: V::kind,
            secret: V::SECRET,
        });
        let default = match spec.default {
            DefaultSpec::Raw(raw) => Some(raw),
            _ => None,
        };
        let restart = self.restart;
        self.restart = restart || spec.restart;
        self.node(NodeKind::Map, spec.key, spec.doc, element, default);
        self.restart = restart;
    }

    /// A tagged enum, described at its own section: the `tag` key names the variant, whose
    /// fields sit beside it.
    pub fn tagged(
        &mut self,
        tag: &'static str,
        tag_rules: &'static [RuleSpec],
        variants: &'static [Variant],
    ) {
        let section = &self.sections[self.current];
        let (path, env) = (section.path.clone(), section.env_prefix.clone());
        let chosen = self
            .scan
            .and_then(|scan| {
                scan.variant(&VariantAt {
                    path: &path,
                    env: &env,
                    tag,
                    separators: self.separators,
                    enclosing: &self.enclosing,
                })
            })
            .and_then(|name| variants.iter().position(|v| v.name == name));
        let node = self.nodes.len();
        self.nodes.push(NodeSchema {
            path: path.clone(),
            env: env.clone(),
            kind: NodeKind::Tagged { tag, variants },
            doc: section.doc,
            element: Element::None,
            restart: self.restart,
            entries: chosen
                .map(|i| vec![variants[i].name.to_owned()])
                .unwrap_or_default(),
            section: self.current,
            default: None,
            variant_extent: Extent::default(),
            first_field: self.fields.len(),
        });
        self.leaf::<String>(LeafSpec {
            name: tag,
            key: tag,
            env: None,
            aliases: &[],
            file_aliases: &[],
            doc: "Which variant this section is.",
            default: DefaultSpec::None,
            example: None,
            restart: false,
            rules: tag_rules,
        });
        match chosen {
            Some(index) => {
                if let Some(describe) = variants[index].describe {
                    let (fields, nodes) = (self.fields.len(), self.nodes.len());
                    describe(self);
                    self.nodes[node].variant_extent = Extent {
                        fields: self.fields.len() - fields,
                        nodes: self.nodes.len() - nodes,
                    };
                }
            }
            // Until the variant is known, its keys cannot be checked.
            None if self.scan.is_some() => self.relaxed.push(Relaxed {
                path,
                env,
                unknown: UnknownKeys::Ignore,
            }),
            None => {}
        }
    }

    fn node(
        &mut self,
        kind: NodeKind,
        key: &str,
        doc: &'static str,
        element: Element,
        default_raw: Option<&'static str>,
    ) {
        let path = join_path(&self.sections[self.current].path, key);
        let env = self.join_env(self.current, key);
        let found = match self.scan {
            Some(scan) => scan.entries(&NodeAt {
                path: &path,
                env: &env,
                kind,
                element,
                default_raw,
                separators: self.separators,
                enclosing: &self.enclosing,
            }),
            None => Found::default(),
        };
        for dropped in &found.dropped {
            let (path, env) = entry_names(kind, &path, &env, dropped, self.separators);
            self.relaxed.push(Relaxed {
                path,
                env,
                unknown: UnknownKeys::Ignore,
            });
        }
        self.nodes.push(NodeSchema {
            path: path.clone(),
            env: env.clone(),
            kind,
            doc,
            element,
            restart: self.restart,
            entries: found.keys.clone(),
            section: self.current,
            default: default_raw,
            variant_extent: Extent::default(),
            first_field: self.fields.len(),
        });
        if found.keys.is_empty() {
            return;
        }
        let saved = std::mem::replace(&mut self.in_entry, true);
        self.enclosing.push(Enclosing {
            path: path.clone(),
            env: env.clone(),
            kind,
            element,
        });
        match element {
            Element::Section(describe) => {
                for key in &found.keys {
                    let (path, env) = entry_names(kind, &path, &env, key, self.separators);
                    self.within(path, env, doc, describe);
                }
            }
            Element::Value(value) => {
                let section = self.push_section(path, env, doc);
                let saved = std::mem::replace(&mut self.current, section);
                for key in &found.keys {
                    (value.leaf)(self, &value.spec, key);
                }
                self.current = saved;
            }
            Element::None => {}
        }
        self.enclosing.pop();
        self.in_entry = saved;
    }

    /// Describes `describe`'s fields in a new section.
    fn within(&mut self, path: String, env: String, doc: &'static str, describe: DescribeFn) {
        let section = self.push_section(path, env, doc);
        let saved = std::mem::replace(&mut self.current, section);
        describe(self);
        self.current = saved;
    }

    fn push_section(&mut self, path: String, env_prefix: String, doc: &'static str) -> usize {
        self.sections.push(Section {
            path,
            env_prefix,
            doc,
            unknown: UnknownKeys::Error,
        });
        self.sections.len() - 1
    }

    /// The variable of `key` in section `section`: `APP_REDIS_HOST`, `QDRANT__SERVICE__HTTP_PORT`.
    fn join_env(&self, section: usize, key: &str) -> String {
        let prefix = &self.sections[section].env_prefix;
        let separator = if section == 0 && self.sections[0].path.is_empty() {
            self.separators.prefix
        } else {
            self.separators.nesting
        };
        join_env(prefix, separator, key)
    }
}

/// The key path and variable prefix of one entry of a node.
pub(crate) fn entry_names(
    kind: NodeKind,
    path: &str,
    env: &str,
    key: &str,
    separators: Separators,
) -> (String, String) {
    match kind {
        NodeKind::Map => (join_path(path, key), join_env(env, separators.nesting, key)),
        NodeKind::List => (
            format!("{path}[{key}]"),
            join_env(env, separators.nesting, key),
        ),
        NodeKind::Optional | NodeKind::Tagged { .. } => (path.to_owned(), env.to_owned()),
    }
}

/// Whether `path` lies strictly inside `root`: `sinks.http.uri` and `data_dirs[0].path` are
/// below `sinks` and `data_dirs`; `sinks_old` is not.
pub(crate) fn is_below(path: &str, root: &str) -> bool {
    path.strip_prefix(root).is_some_and(starts_a_child)
}

/// Whether the rest of a path after a root begins a child: `.key` or `[index]`.
pub(crate) fn starts_a_child(rest: &str) -> bool {
    rest.starts_with('.') || rest.starts_with('[')
}

pub(crate) fn join_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// `prefix` + `separator` + the key as a variable name (upper case, `-` and `.` as `_`).
pub(crate) fn join_env(prefix: &str, separator: &str, key: &str) -> String {
    let name: String = key
        .chars()
        .map(|c| match c {
            'a'..='z' => c.to_ascii_uppercase(),
            // `<` `>`: the placeholder of an entry's key in docs (`QD__SINKS__<NAME>__URI`).
            'A'..='Z' | '0'..='9' | '_' | '<' | '>' => c,
            _ => '_',
        })
        .collect();
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}{separator}{name}")
    }
}

/// Builds the declared schema of `T`; called once per type by the generated `schema()`.
pub fn schema_of<T: crate::Config>(
    type_name: &'static str,
    prefix: Option<&'static str>,
    doc: &'static str,
    separators: Separators,
) -> Schema {
    let mut describe = Describe::new(prefix.unwrap_or(""), doc, separators);
    T::__describe(&mut describe);
    finish(describe, type_name, prefix, Some(T::__describe))
}

/// The schema of one load of a type with nodes: every entry the sources gave, described.
pub(crate) fn expand(declared: &Schema, scan: &dyn Scan) -> Schema {
    let describe_root = declared
        .describe
        .expect("a declared schema records its type's describe");
    let root = &declared.sections[0];
    let mut describe = Describe::new(&root.env_prefix, root.doc, declared.separators);
    describe.scan = Some(scan);
    describe_root(&mut describe);
    finish(
        describe,
        declared.type_name,
        declared.prefix,
        declared.describe,
    )
}

/// The declared schema of one entry type on its own (keys relative to it): what docs show
/// for each entry of a map, list or optional section.
pub(crate) fn declared_element(describe: DescribeFn, separators: Separators) -> Schema {
    let mut element = Describe::new("", "", separators);
    element.in_entry = true;
    describe(&mut element);
    finish(element, "", None, Some(describe))
}

/// The variables of one entry type described on its own (relative to the entry): how the
/// variables of a map's entries end (`TARGET`, `TLS_CERT`), and the names its own maps,
/// lists and optional sections go on from (`POOL` in `MAIN_POOL_P1_SIZE`).
pub(crate) fn relative_names(describe: DescribeFn, separators: Separators) -> RelativeNames {
    let element = declared_element(describe, separators);
    let names = |envs: Vec<String>| envs.into_iter().filter(|env| !env.is_empty()).collect();
    RelativeNames {
        fields: names(element.fields.into_iter().map(|f| f.env).collect()),
        nodes: names(element.nodes.into_iter().map(|n| n.env).collect()),
    }
}

/// See [`relative_names`].
#[derive(Debug, Default)]
pub(crate) struct RelativeNames {
    pub fields: Vec<String>,
    pub nodes: Vec<String>,
}

/// The schema of `describe`'s fields placed at `path` / `env` (a variant's fields inside a
/// tagged section), with `scan` naming the entries of its nodes.
pub(crate) fn describe_at(
    path: &str,
    env: &str,
    separators: Separators,
    scan: &dyn Scan,
    describe: DescribeFn,
) -> Schema {
    let mut at = Describe::new(env, "", separators);
    at.sections[0].path = path.to_owned();
    at.scan = Some(scan);
    describe(&mut at);
    finish(at, "", None, Some(describe))
}

/// How the variables a load looks at can start: a declared variable (a field's `NAME_FILE`
/// starts as `NAME` does), one with the prefix and `_` (with no prefix, `_` itself), and one
/// under a node's key path or variable.
fn initials(by_env: &NameMap, prefix: Option<&str>, nodes: &[NodeSchema]) -> Initials {
    let mut initials = Initials::default();
    by_env.keys().for_each(|name| initials.insert(name));
    if let Some(prefix) = prefix {
        initials.insert(if prefix.is_empty() { "_" } else { prefix });
    }
    for node in nodes {
        initials.insert(&node.path);
        initials.insert(&node.env);
    }
    initials
}

fn finish(
    describe: Describe<'_>,
    type_name: &'static str,
    prefix: Option<&'static str>,
    describe_fn: Option<DescribeFn>,
) -> Schema {
    let Describe {
        fields,
        sections,
        nodes,
        relaxed,
        separators,
        ..
    } = describe;
    let mut by_env = NameMap::default();
    let mut by_path = NameMap::default();
    let mut problems = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        by_path.insert(field.path.clone(), index);
        for alias in &field.file_aliases {
            by_path.entry(alias.clone()).or_insert(index);
        }
        for name in std::iter::once(&field.env).chain(&field.aliases) {
            if let Some(previous) = by_env.insert(name.clone(), index) {
                problems.push(format!(
                    "variable {name} is used by both `{}` and `{}`; give one of them another `env`",
                    fields[previous].path, field.path
                ));
            }
        }
    }
    let mut node_by_path = NameMap::default();
    let mut node_by_env = NameMap::default();
    for (index, node) in nodes.iter().enumerate() {
        node_by_path.entry(node.path.clone()).or_insert(index);
        if !node.env.is_empty() {
            node_by_env.entry(node.env.clone()).or_insert(index);
        }
    }
    let initials = initials(&by_env, prefix, &nodes);
    let leaf_paths = LeafPaths::of(&fields);
    let text_defaults = TextDefaults(
        (fields.iter().enumerate())
            .filter_map(|(index, field)| Some((index, field.default_raw?)))
            .collect(),
    );
    let env_aliases = (fields.iter())
        .flat_map(|field| field.aliases.iter().cloned())
        .collect();
    let file_aliases = (fields.iter())
        .flat_map(|field| field.file_aliases.iter().cloned())
        .collect();
    Schema {
        fields,
        sections,
        nodes,
        type_name,
        prefix,
        separators,
        by_env,
        by_path,
        leaf_paths,
        node_by_path,
        node_by_env,
        initials,
        text_defaults,
        env_aliases,
        file_aliases,
        problems,
        relaxed,
        describe: describe_fn,
    }
}
