//! The [`Schema`]: a flat description of every leaf of a config, built once per type from what
//! the derive declares. The loader, the validator, `.env.example`, the JSON Schema and the
//! explain report all read it, so they cannot disagree about names or defaults.

use std::collections::HashMap;

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
    pub type_name: String,
    /// The type's shape, for the JSON Schema.
    pub kind: ValueKind,
    /// The default as written in the source (`"30s"` or `8080`).
    pub default: Option<String>,
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
    pub(crate) default_raw: Option<&'static str>,
    pub(crate) name: &'static str,
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
            .field("default_raw", &redacted(self.default_raw, self.secret))
            .field("name", &self.name)
            .finish()
    }
}

/// One struct of the tree: the root, or a `nested` field.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Section {
    /// Key path of the struct (`""` for the root).
    pub path: String,
    /// Prefix of its variables, without the trailing `_` (may be empty).
    pub env_prefix: String,
    /// The doc comment of the struct or of the nested field.
    pub doc: &'static str,
}

/// The declared shape of a config type. Get it with `AppConfig::schema()`.
#[derive(Debug)]
pub struct Schema {
    /// Every leaf, depth first, in declaration order.
    pub fields: Vec<FieldSchema>,
    /// The root struct first, then each nested struct.
    pub sections: Vec<Section>,
    pub(crate) type_name: &'static str,
    pub(crate) prefix: Option<&'static str>,
    pub(crate) by_env: NameMap,
    pub(crate) by_path: NameMap,
    /// Inconsistencies found while building (reported by every load).
    pub(crate) problems: Vec<String>,
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

/// What the derive declares for one leaf field.
#[derive(Debug, Clone, Copy)]
pub struct LeafSpec {
    /// The Rust field name (the key in files).
    pub name: &'static str,
    /// An explicit variable name (no prefix added).
    pub env: Option<&'static str>,
    /// Deprecated variable names also accepted.
    pub aliases: &'static [&'static str],
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

/// Collects the schema while the derive's `__describe` walks the fields.
pub struct Describe {
    fields: Vec<FieldSchema>,
    sections: Vec<Section>,
    current: usize,
}

impl Describe {
    /// Records one leaf of type `T` in the current struct.
    pub fn leaf<T: ConfigValue>(&mut self, spec: LeafSpec) {
        let section = &self.sections[self.current];
        let path = join_path(&section.path, spec.name);
        let env = match spec.env {
            Some(env) => env.to_owned(),
            None => join_env(&section.env_prefix, spec.name),
        };
        let (default, default_raw) = match spec.default {
            DefaultSpec::None => (None, None),
            DefaultSpec::Raw(raw) => (Some(raw.to_owned()), Some(raw)),
            DefaultSpec::Expr(expr) => (Some(expr.to_owned()), None),
        };
        self.fields.push(FieldSchema {
            path,
            env,
            aliases: spec.aliases.iter().map(|a| (*a).to_owned()).collect(),
            type_name: T::type_name().into_owned(),
            kind: T::kind(),
            required: default.is_none() && T::when_missing().is_none(),
            default,
            doc: spec.doc,
            secret: T::SECRET,
            restart: spec.restart,
            example: spec.example,
            rules: spec.rules,
            section: self.current,
            default_raw,
            name: spec.name,
        });
    }

    /// Records a `#[config(nested, restart)]` struct: like [`nested`](Self::nested), with every
    /// field inside read at start only.
    pub fn nested_restart<T: crate::Config>(&mut self, name: &'static str, doc: &'static str) {
        let first = self.fields.len();
        self.nested::<T>(name, doc);
        for field in &mut self.fields[first..] {
            field.restart = true;
        }
    }

    /// Records a `nested` struct: its fields are described under `name`.
    pub fn nested<T: crate::Config>(&mut self, name: &'static str, doc: &'static str) {
        let parent = &self.sections[self.current];
        let section = Section {
            path: join_path(&parent.path, name),
            env_prefix: join_env(&parent.env_prefix, name),
            doc,
        };
        let saved = self.current;
        self.sections.push(section);
        self.current = self.sections.len() - 1;
        T::__describe(self);
        self.current = saved;
    }
}

fn join_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

fn join_env(prefix: &str, name: &str) -> String {
    let name = name.to_ascii_uppercase();
    if prefix.is_empty() {
        name
    } else {
        format!("{prefix}_{name}")
    }
}

/// Builds the schema of `T`; called once per type by the generated `schema()`.
pub fn schema_of<T: crate::Config>(
    type_name: &'static str,
    prefix: Option<&'static str>,
    doc: &'static str,
) -> Schema {
    let mut describe = Describe {
        fields: Vec::new(),
        sections: vec![Section {
            path: String::new(),
            env_prefix: prefix.unwrap_or("").to_owned(),
            doc,
        }],
        current: 0,
    };
    T::__describe(&mut describe);
    let Describe {
        fields, sections, ..
    } = describe;

    let mut by_env = NameMap::default();
    let mut by_path = NameMap::default();
    let mut problems = Vec::new();
    for (index, field) in fields.iter().enumerate() {
        by_path.insert(field.path.clone(), index);
        for name in std::iter::once(&field.env).chain(&field.aliases) {
            if let Some(previous) = by_env.insert(name.clone(), index) {
                problems.push(format!(
                    "variable {name} is used by both `{}` and `{}`; give one of them another `env`",
                    fields[previous].path, field.path
                ));
            }
        }
    }
    Schema {
        fields,
        sections,
        type_name,
        prefix,
        by_env,
        by_path,
        problems,
    }
}

impl Schema {
    /// The field with this key path (`"redis.port"`).
    pub fn field(&self, path: &str) -> Option<&FieldSchema> {
        self.by_path.get(path).map(|&i| &self.fields[i])
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
        let mut root = object_schema(self.sections[0].doc);
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("title".into(), json!(self.type_name));
        for section in &self.sections[1..] {
            let parent = parent_object(&mut root, &section.path);
            let name = section.path.rsplit('.').next().unwrap_or(&section.path);
            properties(parent).insert(name.to_owned(), Value::Object(object_schema(section.doc)));
        }
        for field in &self.fields {
            let parent = parent_object(&mut root, &field.path);
            if field.required
                && let Some(Value::Array(required)) = parent.get_mut("required")
            {
                required.push(json!(field.name));
            }
            properties(parent).insert(field.name.to_owned(), Value::Object(field_schema(field)));
        }
        Value::Object(root)
    }
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

/// Field index by variable or key path. The keys are fixed when the schema is built (a
/// lookup of any name, hostile ones included, probes a table whose contents it cannot
/// change), so a fast unkeyed hash is safe here; it is most of a load's lookup cost.
pub(crate) type NameMap = HashMap<String, usize, std::hash::BuildHasherDefault<NameHasher>>;

/// A multiply-rotate hash over 8-byte words (the scheme rustc uses for its own tables).
#[derive(Default, Clone, Copy)]
pub(crate) struct NameHasher(u64);

impl NameHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl std::hash::Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
