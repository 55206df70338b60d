//! Checks on variable names: the `prefix`, each `env` and `alias`, and that no two fields of
//! one struct read the same variable.

use std::collections::HashMap;

use darling::error::Accumulator;
use darling::util::SpannedValue;
use proc_macro2::Span;
use syn::LitStr;
use syn::ext::IdentExt;

use super::error;
use crate::attr::FieldAttrs;

/// `prefix` is UPPER_SNAKE_CASE without a trailing `_` (the separator is added).
pub fn check_prefix(prefix: &SpannedValue<String>, errors: &mut Accumulator) {
    let text = prefix.as_str();
    let upper_snake = text.starts_with(|c: char| c.is_ascii_uppercase())
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !text.contains("__");
    if text.ends_with('_') && upper_snake {
        errors.push(error(
            prefix.span(),
            format!(
                "`prefix = {text:?}` ends with `_`; leave it out: the `_` between the prefix and each field \
                 name is added for you (`prefix = {:?}` gives `{}FIELD`)",
                text.trim_end_matches('_'),
                text
            ),
        ));
    } else if !upper_snake {
        let suggestion = text.to_ascii_uppercase().replace(['-', ' ', '.'], "_");
        errors.push(error(
            prefix.span(),
            format!(
                "`prefix = {text:?}` is not UPPER_SNAKE_CASE; environment variable prefixes are upper-case \
                 letters, digits and `_`, starting with a letter, e.g. `prefix = {suggestion:?}`"
            ),
        ));
    }
}

/// An `env` or `alias` value is a name a shell can export.
pub fn check_variable(name: &LitStr, attribute: &str, errors: &mut Accumulator) {
    let text = name.value();
    let valid = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        errors.push(error(
            name.span(),
            format!(
                "`{attribute} = {text:?}` is not a valid environment variable name: use letters, digits and `_`, \
                 not starting with a digit (e.g. `DATABASE_URL`)"
            ),
        ));
    }
}

/// No two leaf fields of one struct may read the same variable, whether by the implicit name
/// (`<PREFIX>_<FIELD>`), an explicit `env` or an `alias`.
pub fn env_names(
    prefix: Option<&str>,
    style: Option<&str>,
    fields: &[FieldAttrs],
    errors: &mut Accumulator,
) {
    let mut seen: HashMap<String, String> = HashMap::new();
    for field in fields {
        if field.skip.is_present() || field.nested.is_present() || field.flatten.is_present() {
            continue;
        }
        let Some(ident) = &field.ident else { continue };
        let field_name = ident.unraw().to_string();
        let primary = match &field.env {
            Some(env) => (env.value.value(), env.value.span()),
            None => {
                let upper = crate::model::field_key(field, style)
                    .to_ascii_uppercase()
                    .replace(['-', '.'], "_");
                let name = prefix.map_or(upper.clone(), |prefix| format!("{prefix}_{upper}"));
                (name, ident.span())
            }
        };
        let aliases = field
            .alias
            .iter()
            .map(|alias| (alias.value.value(), alias.value.span()));
        for (name, span) in std::iter::once(primary).chain(aliases) {
            claim(&mut seen, name, span, &field_name, errors);
        }
    }
}

fn claim(
    seen: &mut HashMap<String, String>,
    name: String,
    span: Span,
    field: &str,
    errors: &mut Accumulator,
) {
    match seen.get(&name) {
        Some(owner) if owner == field => errors.push(error(
            span,
            format!("field `{field}` names the variable `{name}` twice; remove the repeated name"),
        )),
        Some(owner) => errors.push(error(
            span,
            format!(
                "the variable `{name}` is already read by field `{owner}`; each variable feeds one field, \
                 so give this one another `env`/`alias`"
            ),
        )),
        None => {
            seen.insert(name, field.to_owned());
        }
    }
}
