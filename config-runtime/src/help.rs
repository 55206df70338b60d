//! The `--help` text of a config's command-line flags (`Loader::help`): one line per flag,
//! aligned, written from the schema's doc comments, types, defaults and variables.

use std::fmt::Write as _;

use crate::schema::{FieldSchema, Schema};
use crate::source::args::{flag_of_path, is_switch, placeholder};

/// The help text: what the root struct's doc says, the usage line, then every flag.
pub(crate) fn render(schema: &Schema, program: &str) -> String {
    let mut out = String::new();
    if let Some(about) = schema
        .sections
        .first()
        .and_then(|root| first_line(root.doc))
    {
        let _ = writeln!(out, "{about}\n");
    }
    let _ = writeln!(out, "Usage: {program} [OPTIONS]\n\nOptions:");
    let mut rows: Vec<(String, String)> = schema
        .fields
        .iter()
        .map(|field| (flag_column(field), description(field)))
        .collect();
    rows.push(("-h, --help".to_owned(), "Print this help".to_owned()));
    let width = rows.iter().map(|(flag, _)| flag.chars().count()).max();
    let width = width.unwrap_or(0);
    for (flag, text) in rows {
        let line = format!("  {flag:<width$}  {text}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// `--redis.port <u16>`, `--verbose`.
fn flag_column(field: &FieldSchema) -> String {
    let flag = flag_of_path(&field.path);
    if is_switch(field) {
        format!("    --{flag}")
    } else {
        format!("    --{flag} <{}>", placeholder(field))
    }
}

/// The doc's first line, then `[default: 8080]` (never a secret's), `[required]`,
/// `[env: APP_PORT]`.
fn description(field: &FieldSchema) -> String {
    let mut parts: Vec<String> = first_line(field.doc)
        .map(str::to_owned)
        .into_iter()
        .collect();
    match (&field.default, field.secret) {
        (_, true) => parts.push("[secret]".to_owned()),
        (Some(default), false) if default.is_empty() => parts.push("[default: \"\"]".to_owned()),
        (Some(default), false) => parts.push(format!("[default: {default}]")),
        (None, false) => {}
    }
    if field.required {
        parts.push("[required]".to_owned());
    }
    parts.push(format!("[env: {}]", field.env));
    parts.join(" ")
}

fn first_line(doc: &str) -> Option<&str> {
    doc.lines().map(str::trim).find(|line| !line.is_empty())
}
