//! Generates `.env.example` from the schema: one block per struct, each variable with its doc
//! comment, type, rules, default or `required`. Secrets show their `example` or a placeholder,
//! never a default (a secret's default may be real).

use std::fmt::Write;

use crate::describe::{Found, NodeAt, Scan, VariantAt};
use crate::schema::{FieldSchema, NodeKind, NodeSchema, RuleSpec, Schema};
use crate::value::ValueKind;

/// The placeholder written for a secret without an `example`.
pub const SECRET_PLACEHOLDER: &str = "<secret>";

/// Answers the docs' questions about entries: one placeholder entry per map (`<name>`), one
/// item per list (`0`), every optional section present, and (when asked for one) a variant.
struct Placeholders<'v> {
    variant: Option<&'v str>,
}

impl Scan for Placeholders<'_> {
    fn entries(&self, node: &NodeAt<'_>) -> Found {
        let key = match node.kind {
            NodeKind::Map => "<name>",
            NodeKind::List => "0",
            NodeKind::Optional => "",
            NodeKind::Tagged { .. } => return Found::default(),
        };
        Found {
            keys: vec![key.to_owned()],
            dropped: Vec::new(),
        }
    }

    fn variant(&self, _: &VariantAt<'_>) -> Option<String> {
        self.variant.map(str::to_owned)
    }
}

/// Renders the `.env.example` text of a schema. Maps, lists and optional sections show one
/// placeholder entry (`QD__SINKS__<NAME>__URI`); a tagged enum shows each variant's fields.
pub fn render(declared: &Schema) -> String {
    let expanded;
    let schema = if declared.nodes.is_empty() {
        declared
    } else {
        expanded = crate::describe::expand(declared, &Placeholders { variant: None });
        &expanded
    };
    let mut out = String::new();
    let root = &schema.sections[0];
    let _ = writeln!(out, "# Environment of {}.", schema.type_name);
    for line in root.doc.lines() {
        let _ = writeln!(out, "# {line}");
    }
    out.push_str("#\n# Generated from the Rust type; regenerate it rather than editing it.\n");
    out.push_str("# Lines starting with `# NAME=` show defaults: uncomment to change them.\n");

    // A tagged enum's variants follow the section that holds its tag.
    let mut tagged: Vec<&NodeSchema> = (schema.nodes.iter())
        .filter(|node| matches!(node.kind, NodeKind::Tagged { .. }))
        .collect();
    for (index, section) in schema.sections.iter().enumerate() {
        let fields: Vec<&FieldSchema> = schema
            .fields
            .iter()
            .filter(|f| f.section == index)
            .collect();
        if fields.is_empty() {
            continue;
        }
        if index > 0 {
            let whole = whole_node(schema, &section.path);
            write_header(&mut out, &section.path, section.doc, whole.as_deref());
        }
        for field in fields {
            out.push('\n');
            write_field(&mut out, field);
        }
        for node in tagged.extract_if(.., |node| node.path == section.path) {
            write_variants(&mut out, schema, node);
        }
    }
    for node in tagged {
        write_variants(&mut out, schema, node);
    }
    out
}

/// The sections of a tagged enum's variants that have fields, one after the other.
fn write_variants(out: &mut String, schema: &Schema, node: &NodeSchema) {
    let NodeKind::Tagged { tag, variants } = node.kind else {
        return;
    };
    for variant in variants {
        let Some(describe) = variant.describe else {
            continue;
        };
        let scan = Placeholders {
            variant: Some(variant.name),
        };
        let fields =
            crate::describe::describe_at(&node.path, &node.env, schema.separators, &scan, describe);
        let title = format!("{} with {tag} = \"{}\"", node.path, variant.name);
        write_header(out, &title, variant.doc, None);
        for field in &fields.fields {
            out.push('\n');
            write_field(out, field);
        }
    }
}

/// The line telling that a map's or list's entries can also come as one JSON variable.
fn whole_node(schema: &Schema, section_path: &str) -> Option<String> {
    schema.nodes.iter().find_map(|node| {
        if node.path == section_path && matches!(node.element, crate::schema::Element::Value(_)) {
            return Some(format!(
                "a map of values: one variable per key, or all of it in {} (`a=b,c=d` or JSON)",
                node.env
            ));
        }
        if node.path == section_path && node.kind == NodeKind::Optional {
            return Some(
                "an optional section: present when any of its keys or variables is set".to_owned(),
            );
        }
        let entry = match node.kind {
            NodeKind::Map => format!("{}.<name>", node.path),
            NodeKind::List => format!("{}[0]", node.path),
            _ => return None,
        };
        (entry == section_path).then(|| {
            let what = if node.kind == NodeKind::Map {
                "map"
            } else {
                "list"
            };
            format!(
                "one entry of the {what} `{}`; or all of it as JSON in {}",
                node.path, node.env
            )
        })
    })
}

fn write_header(out: &mut String, title: &str, doc: &str, note: Option<&str>) {
    out.push_str("\n# ---------------------------------------------------------------\n");
    let _ = writeln!(out, "# [{title}]");
    for line in doc.lines().chain(note) {
        let _ = writeln!(out, "# {line}");
    }
    out.push_str("# ---------------------------------------------------------------\n");
}

fn write_field(out: &mut String, field: &FieldSchema) {
    for line in field.doc.lines() {
        let _ = writeln!(out, "# {line}");
    }
    let mut facts = vec![format!("type: {}", field.type_name)];
    if field.secret {
        facts.push("secret".to_owned());
    }
    // An enum's words, unless a `one_of` rule lists the allowed ones already.
    let words = match &field.kind {
        ValueKind::OneOf(words) => Some(words),
        ValueKind::List(inner) => match &**inner {
            ValueKind::OneOf(words) => Some(words),
            _ => None,
        },
        _ => None,
    };
    if let Some(words) = words.filter(|words| !words.is_empty())
        && !field
            .rules
            .iter()
            .any(|rule| matches!(rule, RuleSpec::OneOf(_)))
    {
        facts.push(format!("one of: {}", words.join(", ")));
    }
    facts.extend(field.rules.iter().map(|rule| rule.describe()));
    if field.required {
        facts.push("required".to_owned());
    } else if let (Some(default), false) = (&field.default, field.secret) {
        facts.push(format!("default: {default}"));
    } else {
        facts.push("optional".to_owned());
    }
    if field.restart {
        facts.push("read at start only".to_owned());
    }
    if !field.aliases.is_empty() {
        facts.push(format!("formerly {}", field.aliases.join(", ")));
    }
    let _ = writeln!(out, "# ({})", facts.join("; "));

    let value = if field.secret {
        field.example.unwrap_or(SECRET_PLACEHOLDER).to_owned()
    } else {
        match (field.example, &field.default) {
            (Some(example), _) => example.to_owned(),
            (None, Some(default)) => default.trim_matches('"').to_owned(),
            (None, None) => String::new(),
        }
    };
    let commented = !field.required;
    let _ = writeln!(
        out,
        "{}{}={}",
        if commented { "# " } else { "" },
        field.env,
        quote_if_needed(&value)
    );
}

/// Quotes values a `.env` parser would otherwise split or strip.
fn quote_if_needed(value: &str) -> String {
    if value
        .chars()
        .any(|c| c.is_whitespace() || c == '#' || c == '"' || c == '\'')
    {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        value.to_owned()
    }
}
