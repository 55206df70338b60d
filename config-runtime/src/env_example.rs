//! Generates `.env.example` from the schema: one block per struct, each variable with its doc
//! comment, type, rules, default or `required`. Secrets show their `example` or a placeholder,
//! never a default (a secret's default may be real).

use std::fmt::Write;

use crate::schema::{FieldSchema, RuleSpec, Schema};
use crate::value::ValueKind;

/// The placeholder written for a secret without an `example`.
pub const SECRET_PLACEHOLDER: &str = "<secret>";

/// Renders the `.env.example` text of a schema.
pub fn render(schema: &Schema) -> String {
    let mut out = String::new();
    let root = &schema.sections[0];
    let _ = writeln!(out, "# Environment of {}.", schema.type_name);
    for line in root.doc.lines() {
        let _ = writeln!(out, "# {line}");
    }
    out.push_str("#\n# Generated from the Rust type; regenerate it rather than editing it.\n");
    out.push_str("# Lines starting with `# NAME=` show defaults: uncomment to change them.\n");

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
            out.push_str("\n# ---------------------------------------------------------------\n");
            let _ = writeln!(out, "# [{}]", section.path);
            for line in section.doc.lines() {
                let _ = writeln!(out, "# {line}");
            }
            out.push_str("# ---------------------------------------------------------------\n");
        }
        for field in fields {
            out.push('\n');
            write_field(&mut out, field);
        }
    }
    out
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
