//! The [`Schema`]: a flat description of every leaf of a config, built once per type from what
//! the derive declares. The loader, the validator, `.env.example`, the JSON Schema and the
//! explain report all read it, so they cannot disagree about names or defaults.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value, json};

use crate::secret::REDACTED;
use crate::value::{ConfigValue, ValueKind};

/// One leaf field of a config, with its place in the tree and everything the docs need.
/// Its `Debug` shows a secret field's default as `[REDACTED]` (a secret's default may be real).
#[derive(Clone)]
#[non_exhaustive]
pub struct FieldSchema {
    /// Key path, like `redis.port`; also the key in files.
    pub path: String,
    /// The environment variable.
    pub env: String,
    /// Deprecated variables also accepted.
    pub aliases: Vec<String>,
    /// The type, for people: `u16`, `duration`, `URL`.
    pub type_name: Cow<'static, str>,
    /// The type's shape, for the JSON Schema.
    pub kind: ValueKind,
    /// The default as written in the source (`"30s"` or `8080`).
    pub default: Option<Cow<'static, str>>,
    /// The doc comment.
    pub doc: &'static str,
    /// A `Secret<T>` field: its value is never shown.
    pub secret: bool,
    /// No default and not an `Option`: loading fails without a value.
    pub required: bool,
    /// A change is not applied by a hot reload.
    pub restart: bool,
    /// The `example` shown in `.env.example`.
    pub example: Option<&'static str>,
    /// The declared validation rules.
    pub rules: &'static [RuleSpec],
    /// Index into [`Schema::sections`] of the struct holding this field.
    pub section: usize,
    /// Old file keys also accepted (`file_alias = ".."`), as full key paths.
    pub file_aliases: Vec<String>,
    pub(crate) default_raw: Option<&'static str>,
    pub(crate) name: &'static str,
    /// An explicit `null` (or an empty variable) means "none" rather than "use the default".
    pub(crate) nullable: bool,
}

impl std::fmt::Debug for FieldSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn redacted(value: Option<&str>, secret: bool) -> Option<&str> {
            match value {
                Some(_) if secret => Some(REDACTED),
                other => other,
            }
        }
        f.debug_struct("FieldSchema")
            .field("path", &self.path)
            .field("env", &self.env)
            .field("aliases", &self.aliases)
            .field("type_name", &self.type_name)
            .field("kind", &self.kind)
            .field("default", &redacted(self.default.as_deref(), self.secret))
            .field("doc", &self.doc)
            .field("secret", &self.secret)
            .field("required", &self.required)
            .field("restart", &self.restart)
            .field("example", &self.example)
            .field("rules", &self.rules)
            .field("section", &self.section)
            .field("file_aliases", &self.file_aliases)
            .field("default_raw", &redacted(self.default_raw, self.secret))
            .field("name", &self.name)
            .finish()
    }
}

/// One struct of the tree: the root, or a `nested` field, or one entry of a map or list of
/// sections.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Section {
    /// Key path of the struct (`""` for the root).
    pub path: String,
    /// Prefix of its variables, without the trailing separator (may be empty).
    pub env_prefix: String,
    /// The doc comment of the struct or of the nested field.
    pub doc: &'static str,
    /// What a key in this section that names no field is.
    pub unknown: UnknownKeys,
}

/// What a key or variable that names no field is (`#[config(unknown = "..")]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnknownKeys {
    /// An error with a did-you-mean suggestion (the default).
    #[default]
    Error,
    /// Accepted, with a warning in the report.
    Warn,
    /// Accepted silently.
    Ignore,
}

/// How nested variable names are joined: `APP_REDIS_HOST` (the default `_`), or
/// `QDRANT__SERVICE__HTTP_PORT` with `env_separator = "__"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Separators {
    /// Between the prefix and the first name (`prefix_separator`; the `env_separator` by default).
    pub prefix: &'static str,
    /// Between nesting levels (`env_separator`).
    pub nesting: &'static str,
}

impl Default for Separators {
    fn default() -> Self {
        Separators {
            prefix: "_",
            nesting: "_",
        }
    }
}

/// The declared shape of a config type. Get it with `AppConfig::schema()`.
///
/// A config with maps, lists or optional sections of `nested` structs, or tagged enums, has
/// leaves that only the data can name (`sinks.http.uri`): `fields` holds the leaves every
/// load has, and `nodes` the places where the data decides. Each load expands them into a
/// schema of its own, with one leaf per key the sources gave.
#[derive(Debug)]
pub struct Schema {
    /// Every leaf, depth first, in declaration order.
    pub fields: Vec<FieldSchema>,
    /// The root struct first, then each nested struct.
    pub sections: Vec<Section>,
    /// Maps, lists and optional sections, and tagged enums, in declaration order.
    pub nodes: Vec<NodeSchema>,
    pub(crate) type_name: &'static str,
    pub(crate) prefix: Option<&'static str>,
    pub(crate) separators: Separators,
    pub(crate) by_env: NameMap,
    pub(crate) by_path: NameMap,
    /// Every leaf's key path, in one buffer (see [`LeafPaths`]).
    pub(crate) leaf_paths: LeafPaths,
    /// Whole-node names: a node's key path and variable (a JSON value for all of it).
    pub(crate) node_by_path: NameMap,
    pub(crate) node_by_env: NameMap,
    /// How the variables a load looks at can start (see [`Initials`]).
    pub(crate) initials: Initials,
    /// The leaves whose `default` is written as text, with it: a merge starts each of them
    /// from it, and every other leaf unset, without reading every leaf's description.
    pub(crate) text_defaults: TextDefaults,
    /// The deprecated names of fields' variables (`aliases = [..]`) and key paths
    /// (`file_alias = ..`): a merge tells a deprecated name without reading the field's
    /// description.
    pub(crate) env_aliases: NameSet,
    pub(crate) file_aliases: NameSet,
    /// Inconsistencies found while building (reported by every load).
    pub(crate) problems: Vec<String>,
    /// Key paths (and variable prefixes) under which unknown names are not errors: sections
    /// with `unknown = ".."`, entries a later source dropped, a variant not yet known.
    pub(crate) relaxed: Vec<Relaxed>,
    /// The type's `__describe`, to expand the nodes for a load.
    pub(crate) describe: Option<DescribeFn>,
}

/// The schema one load works with: the type's declared schema, or one expanded with the
/// entries of this load's maps, lists and optional sections.
#[derive(Debug, Clone)]
pub(crate) enum SchemaRef {
    Declared(&'static Schema),
    Expanded(std::sync::Arc<Schema>),
}

impl std::ops::Deref for SchemaRef {
    type Target = Schema;

    fn deref(&self) -> &Schema {
        match self {
            SchemaRef::Declared(schema) => schema,
            SchemaRef::Expanded(schema) => schema,
        }
    }
}

/// A subtree whose unknown names are not errors.
#[derive(Debug, Clone)]
pub(crate) struct Relaxed {
    pub path: String,
    pub env: String,
    pub unknown: UnknownKeys,
}

/// A place in the tree where the data decides what is there: a map, list or optional section,
/// a map of values, or a tagged enum (which variant).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NodeSchema {
    /// Key path (`sinks`, `data_dirs`, `tls`).
    pub path: String,
    /// The variable that holds all of it as JSON (`QDRANT__SINKS`).
    pub env: String,
    /// What kind of place it is.
    pub kind: NodeKind,
    /// The doc comment of the field.
    pub doc: &'static str,
    /// What one entry is (for maps, lists and optional sections).
    pub element: Element,
    /// Not applied by hot reloads.
    pub restart: bool,
    /// The entries of this load (map keys; list indices; `""` for a present optional
    /// section; the variant's name for an enum). Empty in the declared schema.
    pub entries: Vec<String>,
    /// Index into [`Schema::sections`] of the struct holding this node.
    pub section: usize,
    /// The default as written (a map of values: `""`, `"a=b,c=d"` or JSON).
    pub default: Option<&'static str>,
    /// For a tagged enum: what the chosen variant's description added after the tag.
    pub(crate) variant_extent: Extent,
    /// How many fields were described before this node: its place in declaration order.
    pub(crate) first_field: usize,
}

/// How many fields and nodes one part of a description added: the assembly steps over them
/// when it cannot build that part, so every later field still reads its own slot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Extent {
    pub fields: usize,
    pub nodes: usize,
}

/// The kind of a [`NodeSchema`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// `HashMap`/`BTreeMap<String, _>`: `[sinks.console]`, `QDRANT__SINKS__CONSOLE__TARGET`.
    Map,
    /// `Vec<Nested>`: `[[data_dirs]]`, a JSON array in `QDRANT__DATA_DIRS`.
    List,
    /// `Option<Nested>`: present when a key of it is set.
    Optional,
    /// A tagged enum: the value of `tag` picks the variant.
    Tagged {
        /// The key naming the variant (`type`).
        tag: &'static str,
        /// The variants, as their names are written.
        variants: &'static [Variant],
    },
}

/// One variant of a tagged enum.
#[derive(Clone, Copy)]
pub struct Variant {
    /// Its name as written in files (`console`).
    pub name: &'static str,
    /// The doc comment.
    pub doc: &'static str,
    /// The fields of its struct; `None` for a unit variant.
    pub describe: Option<DescribeFn>,
}

impl PartialEq for Variant {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.describe.is_none() == other.describe.is_none()
    }
}

impl Eq for Variant {}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variant")
            .field("name", &self.name)
            .field("unit", &self.describe.is_none())
            .finish()
    }
}

/// A type's `__describe`.
pub type DescribeFn = fn(&mut crate::describe::Describe<'_>);

/// What one entry of a map, list or optional section is.
#[derive(Clone, Copy)]
pub enum Element {
    /// A `Config` struct or tagged enum.
    Section(DescribeFn),
    /// A plain value (a map of values): its leaf spec and type.
    Value(crate::describe::ValueElement),
    /// Nothing (a tagged enum's node).
    None,
}

impl std::fmt::Debug for Element {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Element::Section(_) => f.write_str("Section"),
            Element::Value(value) => f.debug_tuple("Value").field(&value.type_name()).finish(),
            Element::None => f.write_str("None"),
        }
    }
}

/// How a field's `default` was written.
#[derive(Debug, Clone, Copy)]
pub enum DefaultSpec {
    /// No default.
    None,
    /// A string literal, parsed like an environment value.
    Raw(&'static str),
    /// Any other expression (its source text, for docs).
    Expr(&'static str),
}

/// A declared `validate(..)` rule, as written, for docs and the JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RuleSpec {
    /// `range(min = .., max = ..)`.
    Range {
        /// Lower bound, inclusive.
        min: Option<&'static str>,
        /// Upper bound, inclusive.
        max: Option<&'static str>,
    },
    /// `min_len = N`.
    MinLen(usize),
    /// `max_len = N`.
    MaxLen(usize),
    /// `pattern = ".."`.
    Pattern(&'static str),
    /// `one_of(..)`.
    OneOf(&'static [&'static str]),
    /// `url_scheme(..)`.
    UrlScheme(&'static [&'static str]),
    /// `non_empty`.
    NonEmpty,
    /// `custom = path`.
    Custom(&'static str),
}

impl RuleSpec {
    /// The rule in words, for docs: "1..=65535", "at least 32 characters".
    pub fn describe(&self) -> String {
        match self {
            RuleSpec::Range { min, max } => {
                format!("{}..={}", min.unwrap_or(""), max.unwrap_or(""))
            }
            RuleSpec::MinLen(n) => format!("at least {n} characters"),
            RuleSpec::MaxLen(n) => format!("at most {n} characters"),
            RuleSpec::Pattern(re) => format!("matches /{re}/"),
            RuleSpec::OneOf(words) => format!("one of: {}", words.join(", ")),
            RuleSpec::UrlScheme(schemes) => format!("scheme {}", schemes.join(" or ")),
            RuleSpec::NonEmpty => "not empty".to_owned(),
            RuleSpec::Custom(path) => format!("checked by {path}"),
        }
    }
}

impl Schema {
    /// The field with this key path (`"redis.port"`).
    pub fn field(&self, path: &str) -> Option<&FieldSchema> {
        self.by_path.get(path).map(|&i| &self.fields[i])
    }

    /// Where the field or node at `path` was declared, for listing problems in declaration
    /// order; after every declared place for a path that names neither.
    pub(crate) fn declared_position(&self, path: &str) -> usize {
        let node = || {
            let &index = self.node_by_path.get(path)?;
            Some(self.nodes[index].first_field)
        };
        self.by_path
            .get(path)
            .copied()
            .or_else(node)
            .unwrap_or(usize::MAX)
    }

    /// The subtree rules for a name that matches no field: the most specific section with
    /// `unknown = ".."` (or an entry a later source dropped) holding `path`, or `variable`.
    pub(crate) fn unknown_policy(&self, path: Option<&str>, variable: Option<&str>) -> UnknownKeys {
        let under = |name: &str, root: &str, separators: &[&str]| {
            name == root
                || root.is_empty()
                || separators.iter().any(|sep| {
                    name.strip_prefix(root)
                        .is_some_and(|rest| rest.starts_with(sep))
                })
        };
        let nesting = self.separators.nesting;
        self.relaxed
            .iter()
            .filter(|r| {
                path.is_some_and(|p| under(p, &r.path, &[".", "["]))
                    || variable
                        .is_some_and(|v| !r.env.is_empty() && under(v, &r.env, &[nesting, "_"]))
            })
            .max_by_key(|r| r.path.len())
            .map(|r| r.unknown)
            .unwrap_or_default()
    }

    /// Whether `name` is a deprecated alias of a field's variable.
    pub(crate) fn is_alias(&self, name: &str) -> bool {
        !self.env_aliases.is_empty() && self.env_aliases.contains(name)
    }

    /// Whether `key` is a deprecated alias of a field's key path.
    pub(crate) fn is_file_alias(&self, key: &str) -> bool {
        !self.file_aliases.is_empty() && self.file_aliases.contains(key)
    }

    /// The field read from this variable (its name or an alias).
    pub fn field_by_env(&self, env: &str) -> Option<&FieldSchema> {
        self.by_env.get(env).map(|&i| &self.fields[i])
    }

    /// The name of the Rust type this schema describes.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The container's `prefix`, if any.
    pub fn prefix(&self) -> Option<&'static str> {
        self.prefix
    }

    /// A JSON Schema (draft 2020-12) of the file form: nested tables are objects, unknown keys
    /// are not allowed, secrets are `writeOnly`.
    pub fn json_schema(&self) -> Value {
        let mut root = self.json_object();
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("title".into(), json!(self.type_name));
        Value::Object(root)
    }

    /// The object schema of this struct's file form, its maps, lists, optional sections and
    /// tagged enums included.
    fn json_object(&self) -> Map<String, Value> {
        let mut root = object_schema(self.sections[0].doc);
        let open = |section: &Section, object: &mut Map<String, Value>| {
            if section.unknown != UnknownKeys::Error {
                object.insert("additionalProperties".into(), json!(true));
            }
        };
        open(&self.sections[0], &mut root);
        for section in &self.sections[1..] {
            let mut object = object_schema(section.doc);
            open(section, &mut object);
            let parent = parent_object(&mut root, &section.path);
            properties(parent).insert(last_key(&section.path).to_owned(), Value::Object(object));
        }
        for field in &self.fields {
            let parent = parent_object(&mut root, &field.path);
            let key = last_key(&field.path);
            if field.required
                && let Some(Value::Array(required)) = parent.get_mut("required")
            {
                required.push(json!(key));
            }
            properties(parent).insert(key.to_owned(), Value::Object(field_schema(field)));
        }
        for node in &self.nodes {
            let schema = node_schema(node, self.separators);
            if node.path.is_empty() {
                root = schema;
                continue;
            }
            let parent = parent_object(&mut root, &node.path);
            properties(parent).insert(last_key(&node.path).to_owned(), Value::Object(schema));
        }
        root
    }
}

/// The last key of a path (`port` of `redis.port`).
fn last_key(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// A map (`additionalProperties`), a list (`items`), an optional section (the section), or
/// a tagged enum (`oneOf`, one object per variant with the tag as a `const`).
fn node_schema(node: &NodeSchema, separators: Separators) -> Map<String, Value> {
    let element = |describe| crate::describe::declared_element(describe, separators).json_object();
    let mut schema = match (node.kind, node.element) {
        (NodeKind::Map, Element::Section(describe)) => {
            let mut map = Map::new();
            map.insert("type".into(), json!("object"));
            map.insert(
                "additionalProperties".into(),
                Value::Object(element(describe)),
            );
            map
        }
        (NodeKind::Map, Element::Value(value)) => {
            let mut item = kind_schema(&value.kind());
            for rule in value.spec().rules {
                apply_rule(&mut item, rule);
            }
            if value.secret() {
                item.insert("writeOnly".into(), json!(true));
            }
            let mut map = Map::new();
            map.insert("type".into(), json!("object"));
            map.insert("additionalProperties".into(), Value::Object(item));
            map
        }
        (NodeKind::List, Element::Section(describe)) => {
            let mut list = Map::new();
            list.insert("type".into(), json!("array"));
            list.insert("items".into(), Value::Object(element(describe)));
            list
        }
        (NodeKind::Optional, Element::Section(describe)) => element(describe),
        (NodeKind::Tagged { tag, variants }, _) => {
            let one_of = variants
                .iter()
                .flat_map(|variant| {
                    let mut object = match variant.describe {
                        Some(describe) => element(describe),
                        None => object_schema(""),
                    };
                    if !variant.doc.is_empty() {
                        object.insert("description".into(), json!(variant.doc));
                    }
                    properties(&mut object)
                        .insert(tag.to_owned(), json!({ "const": variant.name }));
                    if let Some(Value::Array(required)) = object.get_mut("required") {
                        required.insert(0, json!(tag));
                    }
                    // A unit variant may also be written as its bare name.
                    let bare = variant
                        .describe
                        .is_none()
                        .then(|| json!({ "const": variant.name }));
                    std::iter::once(Value::Object(object)).chain(bare)
                })
                .collect::<Vec<_>>();
            let mut schema = Map::new();
            schema.insert("oneOf".into(), Value::Array(one_of));
            schema
        }
        _ => Map::new(),
    };
    if !node.doc.is_empty() && !schema.contains_key("description") {
        schema.insert("description".into(), json!(node.doc));
    }
    schema
}

fn object_schema(doc: &str) -> Map<String, Value> {
    let mut object = Map::new();
    object.insert("type".into(), json!("object"));
    if !doc.is_empty() {
        object.insert("description".into(), json!(doc));
    }
    object.insert("properties".into(), json!({}));
    object.insert("required".into(), json!([]));
    object.insert("additionalProperties".into(), json!(false));
    object
}

fn properties(object: &mut Map<String, Value>) -> &mut Map<String, Value> {
    match object.get_mut("properties") {
        Some(Value::Object(map)) => map,
        _ => unreachable!("object_schema always creates properties"),
    }
}

/// The object schema holding the last segment of `path`.
fn parent_object<'a>(root: &'a mut Map<String, Value>, path: &str) -> &'a mut Map<String, Value> {
    let mut segments: Vec<&str> = path.split('.').collect();
    segments.pop();
    let mut object = root;
    for segment in segments {
        object = match properties(object).get_mut(segment) {
            Some(Value::Object(child)) => child,
            _ => unreachable!("sections are inserted before their fields"),
        };
    }
    object
}

fn field_schema(field: &FieldSchema) -> Map<String, Value> {
    let mut schema = Map::new();
    if !field.doc.is_empty() {
        schema.insert("description".into(), json!(field.doc));
    }
    let (item, list) = match &field.kind {
        ValueKind::List(inner) => (&**inner, true),
        kind => (kind, false),
    };
    let mut item_schema = kind_schema(item);
    for rule in field.rules {
        apply_rule(&mut item_schema, rule);
    }
    if list {
        schema.insert("type".into(), json!("array"));
        schema.insert("items".into(), Value::Object(item_schema));
    } else {
        schema.extend(item_schema);
    }
    if let (Some(default), false) = (&field.default, field.secret) {
        schema.insert("default".into(), default_value(default, &field.kind));
    }
    if field.secret {
        schema.insert("writeOnly".into(), json!(true));
    }
    schema
}

fn kind_schema(kind: &ValueKind) -> Map<String, Value> {
    let mut schema = Map::new();
    match kind {
        ValueKind::Boolean => {
            schema.insert("type".into(), json!("boolean"));
        }
        ValueKind::Integer { min, max } => {
            schema.insert("type".into(), json!("integer"));
            schema.insert("minimum".into(), json_number(*min));
            schema.insert("maximum".into(), json_number(*max));
        }
        ValueKind::Number => {
            schema.insert("type".into(), json!("number"));
        }
        ValueKind::String { format } => {
            schema.insert("type".into(), json!("string"));
            if let Some(format) = format {
                schema.insert("format".into(), json!(format));
            }
        }
        ValueKind::OneOf(words) => {
            schema.insert("type".into(), json!("string"));
            schema.insert("enum".into(), json!(words));
        }
        ValueKind::List(inner) => {
            schema.insert("type".into(), json!("array"));
            schema.insert("items".into(), Value::Object(kind_schema(inner)));
        }
    }
    schema
}

fn json_number(n: i128) -> Value {
    i64::try_from(n)
        .map(Value::from)
        .or_else(|_| u64::try_from(n).map(Value::from))
        .unwrap_or(Value::Null)
}

fn apply_rule(schema: &mut Map<String, Value>, rule: &RuleSpec) {
    let number = |text: &str| -> Option<Value> {
        text.parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| text.parse::<f64>().ok().map(Value::from))
    };
    match rule {
        RuleSpec::Range { min, max } => {
            if let Some(min) = min.and_then(number) {
                schema.insert("minimum".into(), min);
            }
            if let Some(max) = max.and_then(number) {
                schema.insert("maximum".into(), max);
            }
        }
        RuleSpec::MinLen(n) => {
            schema.insert("minLength".into(), json!(n));
        }
        RuleSpec::MaxLen(n) => {
            schema.insert("maxLength".into(), json!(n));
        }
        RuleSpec::NonEmpty => {
            schema.insert("minLength".into(), json!(1));
        }
        RuleSpec::Pattern(re) => {
            schema.insert("pattern".into(), json!(re));
        }
        RuleSpec::OneOf(words) => {
            schema.insert("enum".into(), json!(words));
        }
        RuleSpec::UrlScheme(_) | RuleSpec::Custom(_) => {}
    }
}

/// The default as a JSON value of the field's type where it parses as one.
fn default_value(default: &str, kind: &ValueKind) -> Value {
    let text = default.trim_matches('"');
    match kind {
        ValueKind::Boolean => bool::parse_str(text)
            .map(Value::from)
            .unwrap_or(json!(text)),
        ValueKind::Integer { .. } => text.parse::<i64>().map(Value::from).unwrap_or(json!(text)),
        ValueKind::Number => text.parse::<f64>().map(Value::from).unwrap_or(json!(text)),
        ValueKind::List(_) => json!(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        ),
        _ => json!(text),
    }
}

/// The first bytes a variable the loader looks at can start with: those of the declared
/// variables, of the config's prefix and of the roots of its maps, lists and optional
/// sections. The process environment holds every variable of the process, most of them
/// starting with none of these, and this set passes them over before their names are
/// checked as text or looked up.
#[derive(Debug, Clone, Default)]
pub(crate) struct Initials([u64; 4]);

impl Initials {
    /// Adds the first byte of `name` (of an empty one, none: only an empty name starts like
    /// it, and [`may_start`](Self::may_start) lets those through).
    pub(crate) fn insert(&mut self, name: &str) {
        if let Some(&byte) = name.as_bytes().first() {
            self.0[usize::from(byte / 64)] |= 1 << (byte % 64);
        }
    }

    /// Whether `name` may be a variable the loader looks at: `false` only when no name it
    /// looks at starts with the same byte.
    pub(crate) fn may_start(&self, name: &[u8]) -> bool {
        name.first()
            .is_none_or(|&byte| self.0[usize::from(byte / 64)] & (1 << (byte % 64)) != 0)
    }
}

/// Every leaf's key path in one buffer, in leaf order. A merge compares each key of a file
/// with the path of the leaf after the one it found before (files tend to follow the fields'
/// order): read from one run of memory rather than from each field's description and the
/// path's own allocation, a walk of thousands of keys stays in cache.
#[derive(Debug, Clone, Default)]
pub(crate) struct LeafPaths {
    text: String,
    /// Where each leaf's path ends in `text`.
    ends: Vec<usize>,
}

impl LeafPaths {
    pub(crate) fn of(fields: &[FieldSchema]) -> Self {
        let mut paths = LeafPaths {
            text: String::with_capacity(fields.iter().map(|f| f.path.len()).sum()),
            ends: Vec::with_capacity(fields.len()),
        };
        for field in fields {
            paths.text.push_str(&field.path);
            paths.ends.push(paths.text.len());
        }
        paths
    }

    /// The key path of the leaf at `index`.
    pub(crate) fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(before) => self.ends[before],
            None => 0,
        };
        self.text.get(start..end)
    }
}

/// Each leaf whose `default` is written as text, by index, with that text. Its `Debug` shows
/// the indexes only: a secret's default is a secret.
#[derive(Clone, Default)]
pub(crate) struct TextDefaults(pub(crate) Vec<(usize, &'static str)>);

impl fmt::Debug for TextDefaults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(index, _)| index))
            .finish()
    }
}

/// Field index by variable or key path. foldhash's fast hash (seeded per map, as hashbrown's
/// own default): a load looks up every name it is given, and std's SipHash would be most of
/// that cost on these short keys.
pub(crate) type NameMap = HashMap<String, usize, foldhash::fast::RandomState>;

/// A set of variables or key paths, hashed as [`NameMap`].
pub(crate) type NameSet = HashSet<String, foldhash::fast::RandomState>;

#[cfg(test)]
mod initials_tests {
    use super::Initials;

    #[test]
    fn initials_let_through_names_that_start_like_one_given() {
        let mut initials = Initials::default();
        initials.insert("APP");
        initials.insert("DATABASE_URL");
        initials.insert("");
        for name in ["APP_PORT", "APPLE", "DATABASE_URL_FILE", "D", ""] {
            assert!(initials.may_start(name.as_bytes()), "{name}");
        }
        for name in ["PATH", "HOME", "_", "app_port", "\u{e9}t\u{e9}"] {
            assert!(!initials.may_start(name.as_bytes()), "{name}");
        }
        initials.insert("\u{e9}t\u{e9}");
        assert!(initials.may_start("\u{e9}".as_bytes()));
    }
}

#[cfg(all(test, feature = "derive"))]
mod leaf_paths_tests {
    #[allow(dead_code)] // only its schema is read
    #[derive(crate::Config, Debug)]
    #[config(crate = "crate")]
    struct Outer {
        /// First.
        a: u8,
        /// A section.
        #[config(nested)]
        inner: Inner,
        /// Last.
        zz: u8,
    }

    #[allow(dead_code)] // only its schema is read
    #[derive(crate::Config, Debug)]
    #[config(crate = "crate")]
    struct Inner {
        /// Inside.
        b: u8,
        /// Inside too.
        cc: u8,
    }

    #[test]
    fn every_leaf_path_is_read_back_from_the_one_buffer() {
        use crate::Config;
        let schema = Outer::schema();
        let paths: Vec<_> = (0..=schema.fields.len())
            .map(|index| schema.leaf_paths.get(index))
            .collect();
        assert_eq!(
            paths,
            [
                Some("a"),
                Some("inner.b"),
                Some("inner.cc"),
                Some("zz"),
                None
            ]
        );
    }
}
