//! Cross-attribute checks. Each misuse becomes an error spanned on the token at fault, with
//! a hint; all of them are collected (never `?`), so one compile shows every problem.

mod literal;
mod names;

use darling::error::Accumulator;
use proc_macro2::Span;
use quote::ToTokens;

use crate::attr::{ContainerAttrs, DefaultValue, FieldAttrs, Rules, VariantAttrs};
use crate::shape::{LeafKind, Shape};
use crate::tokens;

pub use literal::{parse_byte_size, parse_duration};
pub use names::env_names;

/// An error at `span`.
fn error(span: Span, message: impl std::fmt::Display) -> darling::Error {
    darling::Error::from(syn::Error::new(span, message))
}

/// Checks on the struct's (or enum's) own attributes and shape.
pub fn container(attrs: &ContainerAttrs, is_enum: bool, errors: &mut Accumulator) {
    if let Some(param) = attrs.generics.params.first() {
        errors.push(error(
            first_span(param),
            format!(
                "`#[derive(Config)]` does not support generic structs: every field needs a concrete type \
                 to parse from text; remove `{}` and name the concrete types in the fields",
                tokens::text(param)
            ),
        ));
    }
    if let Some(prefix) = &attrs.prefix {
        names::check_prefix(prefix, errors);
    }
    for separator in [&attrs.env_separator, &attrs.prefix_separator]
        .into_iter()
        .flatten()
    {
        let fits = !separator.is_empty() && separator.chars().all(|c| c == '_');
        if !fits {
            errors.push(error(
                separator.span(),
                "a separator in variable names is made of underscores: `_` (the default) or `__`",
            ));
        }
    }
    if let Some(style) = &attrs.rename_all
        && crate::case::rename(style, "x").is_none()
    {
        errors.push(error(
            style.span(),
            format!(
                "unknown `rename_all` style `{}`; use one of: {}",
                style.as_str(),
                crate::case::STYLES.join(", ")
            ),
        ));
    }
    if let Some(unknown) = &attrs.unknown
        && !["error", "warn", "ignore"].contains(&unknown.as_str())
    {
        errors.push(error(
            unknown.span(),
            "`unknown` is `\"error\"` (the default), `\"warn\"` or `\"ignore\"`",
        ));
    }
    if is_enum {
        let struct_only = [
            ("prefix", attrs.prefix.as_ref().map(|p| p.span())),
            ("validate", attrs.validate.as_ref().map(first_span)),
            (
                "env_separator",
                attrs.env_separator.as_ref().map(|p| p.span()),
            ),
            (
                "prefix_separator",
                attrs.prefix_separator.as_ref().map(|p| p.span()),
            ),
            ("unknown", attrs.unknown.as_ref().map(|p| p.span())),
        ];
        for (name, span) in struct_only {
            if let Some(span) = span {
                errors.push(error(
                    span,
                    format!(
                        "`{name}` applies to a struct; on an enum, set it on the variants' structs"
                    ),
                ));
            }
        }
        if attrs.tag.is_none() {
            errors.push(error(
                attrs.ident.span(),
                "an enum deriving `Config` needs `#[config(tag = \"type\")]`: the key whose value names the variant",
            ));
        }
    } else if let Some(tag) = &attrs.tag {
        errors.push(error(
            tag.span(),
            "`tag` names the key that picks an enum's variant; a struct has no variants: remove `tag`",
        ));
    }
}

/// An enum's variants: unit or one unnamed field (the struct of its settings), with distinct
/// names.
pub fn variants(variants: &[VariantAttrs], style: Option<&str>, errors: &mut Accumulator) {
    let mut seen: Vec<String> = Vec::new();
    for variant in variants {
        let fields = &variant.fields;
        let fits = match fields.style {
            darling::ast::Style::Unit => true,
            darling::ast::Style::Tuple => fields.fields.len() == 1,
            darling::ast::Style::Struct => false,
        };
        if !fits {
            errors.push(error(
                variant.ident.span(),
                format!(
                    "variant `{}` must be a unit variant or hold one struct deriving `Config` \
                     (`{}(Settings)`): its keys sit beside the tag",
                    variant.ident, variant.ident
                ),
            ));
        }
        let plain = variant.ident.to_string();
        let (name, span) = match (&variant.rename, style) {
            (Some(rename), _) => (rename.as_str().to_owned(), rename.span()),
            (None, Some(style)) => (
                crate::case::rename(style, &plain).unwrap_or(plain),
                variant.ident.span(),
            ),
            (None, None) => (plain, variant.ident.span()),
        };
        if seen.contains(&name) {
            errors.push(error(
                span,
                format!("two variants are named `{name}`: the tag could not tell them apart; `rename` one"),
            ));
        }
        seen.push(name);
    }
}

/// No two fields of a struct have one key in files (after `rename`, `rename_all`,
/// `file_alias`).
pub fn keys(fields: &[FieldAttrs], style: Option<&str>, errors: &mut Accumulator) {
    let mut seen: Vec<(String, String)> = Vec::new();
    for field in fields {
        if field.skip.is_present() || field.flatten.is_present() {
            continue;
        }
        let Some(ident) = &field.ident else { continue };
        let key = crate::model::field_key(field, style);
        let primary = (
            key,
            field
                .rename
                .as_ref()
                .map_or(ident.span(), |r| r.value.span()),
        );
        let aliases = field
            .file_alias
            .iter()
            .map(|alias| (alias.value.value(), alias.value.span()));
        for (key, span) in std::iter::once(primary).chain(aliases) {
            match seen.iter().find(|(k, _)| *k == key) {
                Some((_, owner)) => errors.push(error(
                    span,
                    format!(
                        "the key `{key}` is already the key of field `{owner}`; each key feeds one field, \
                         so `rename` one of them"
                    ),
                )),
                None => seen.push((key, ident.to_string())),
            }
        }
    }
}

/// The error for an enum, union, tuple or unit struct, on its keyword or name, with what to
/// do instead.
pub fn unsupported_shape(input: &syn::DeriveInput) -> darling::Error {
    let named = "write a struct with named fields: each field name is a file key and part of a variable name";
    match &input.data {
        syn::Data::Enum(data) => error(
            data.enum_token.span,
            "`#[derive(Config)]` works on structs with named fields, not enums; to use an enum as a field \
             type, implement `ConfigValue` for it with `config_runtime::impl_serde_enum!` or `impl_from_str!`",
        ),
        syn::Data::Union(data) => error(
            data.union_token.span,
            format!("`#[derive(Config)]` works on structs with named fields, not unions; {named}"),
        ),
        syn::Data::Struct(data) => {
            let what = match data.fields {
                syn::Fields::Unit => "a unit struct",
                _ => "a tuple struct",
            };
            let ident = &input.ident;
            error(
                ident.span(),
                format!("`#[derive(Config)]` needs named fields, and `{ident}` is {what}; {named}"),
            )
        }
    }
}

/// Checks on one field's attributes against each other and against its type.
pub fn field(attrs: &FieldAttrs, errors: &mut Accumulator) {
    let shape = Shape::of(&attrs.ty);
    if attrs.skip.is_present() {
        check_skip(attrs, errors);
    } else if attrs.flatten.is_present() {
        check_flatten(attrs, errors);
    } else if attrs.nested.is_present() {
        check_nested(attrs, &shape, errors);
    } else {
        check_leaf(attrs, &shape, errors);
    }
}

/// Every other attribute set on the field, with the span of its key.
fn other_attributes(attrs: &FieldAttrs) -> Vec<(&'static str, Span)> {
    let mut present = Vec::new();
    present.extend(attrs.default.as_ref().map(|a| ("default", a.key)));
    present.extend(attrs.env.as_ref().map(|a| ("env", a.key)));
    present.extend(attrs.validate.as_ref().map(|a| ("validate", a.key)));
    present.extend(attrs.example.as_ref().map(|a| ("example", a.key)));
    present.extend(attrs.alias.iter().map(|a| ("alias", a.key)));
    if attrs.restart.is_present() {
        present.push(("restart", attrs.restart.span()));
    }
    present
}

fn check_flatten(attrs: &FieldAttrs, errors: &mut Accumulator) {
    let mut others = other_attributes(attrs);
    if attrs.nested.is_present() {
        others.push(("nested", attrs.nested.span()));
    }
    others.extend(attrs.rename.as_ref().map(|r| ("rename", r.key)));
    for (name, span) in others {
        errors.push(error(
            span,
            format!(
                "`{name}` cannot be used with `flatten`: the flattened struct's fields keep their own settings; \
                 set `{name}` on them"
            ),
        ));
    }
    let shape = Shape::of(&attrs.ty);
    if shape.outer().is_some() || crate::shape::map_value(&attrs.ty).is_some() {
        errors.push(error(
            first_span(&attrs.ty),
            "`flatten` needs a struct that derives `Config`, not an `Option`, `Vec`, map or `Secret`",
        ));
    }
}

fn check_skip(attrs: &FieldAttrs, errors: &mut Accumulator) {
    let mut others = other_attributes(attrs);
    if attrs.nested.is_present() {
        others.push(("nested", attrs.nested.span()));
    }
    for (name, span) in others {
        errors.push(error(
            span,
            format!(
                "`{name}` has no effect on a `skip` field: it is not loaded, only set to `Default::default()`; \
                 remove `{name}`, or remove `skip`"
            ),
        ));
    }
}

fn check_nested(attrs: &FieldAttrs, shape: &Shape, errors: &mut Accumulator) {
    for (name, span) in other_attributes(attrs) {
        let hint = match name {
            "default" => {
                "a nested struct takes its defaults from its own fields; put `default` on those"
            }
            "env" | "alias" => {
                "a nested struct's variables are named `<PREFIX>_<FIELD>_<SUBFIELD>`; set `env`/`alias` on the fields of the nested struct"
            }
            "validate" => {
                "put the rules on the nested struct's fields, or a cross-field check on the struct itself with `#[config(validate = path)]`"
            }
            "example" => "`example` documents one variable; set it on the nested struct's fields",
            _ => continue, // `restart` applies to the whole section
        };
        errors.push(error(
            span,
            format!("`{name}` cannot be used with `nested`: {hint}"),
        ));
    }
    if shape.is_secret() {
        errors.push(error(
            first_span(&attrs.ty),
            "`nested` needs a struct that derives `Config`, not `Secret<..>`: make the secret fields \
             inside the nested struct `Secret<..>` instead",
        ));
        return;
    }
    let element = crate::shape::map_value(&attrs.ty)
        .or_else(|| crate::shape::unwrap_one(&attrs.ty, "Option"))
        .or_else(|| crate::shape::unwrap_one(&attrs.ty, "Vec"))
        .unwrap_or(&attrs.ty);
    let inner = Shape::of(element);
    if inner.kind != LeafKind::Other || inner.outer().is_some() {
        errors.push(error(
            first_span(&attrs.ty),
            format!(
                "`nested` needs a struct or enum that derives `Config`, and `{}` holds plain values: \
                 remove `nested` (a map or list of values is a plain field)",
                tokens::text(&attrs.ty)
            ),
        ));
    }
}

fn check_leaf(attrs: &FieldAttrs, shape: &Shape, errors: &mut Accumulator) {
    if let Some(value) = crate::shape::map_value(&attrs.ty) {
        // A map of plain values: rules apply to each value; its variables come from its key.
        let value_shape = Shape::of(value);
        for (name, span) in [
            ("env", attrs.env.as_ref().map(|e| e.key)),
            ("alias", attrs.alias.first().map(|a| a.key)),
        ] {
            if let Some(span) = span {
                errors.push(error(
                    span,
                    format!(
                        "`{name}` does not apply to a map: each entry's variable is named from the map's \
                         key and the entry's key (`<PREFIX>_<FIELD>_<KEY>`), and the whole map can be \
                         given as JSON in `<PREFIX>_<FIELD>`"
                    ),
                ));
            }
        }
        if let Some(rules) = &attrs.validate {
            check_rules(&rules.value.0, rules.key, &value_shape, errors);
        }
        return;
    }
    if let Some(default) = &attrs.default {
        match &default.value {
            DefaultValue::Raw(text) => literal::check_default(text, shape, errors),
            DefaultValue::Expr(expr) => literal::check_default_expr(expr, shape, errors),
        }
    }
    if let Some(env) = &attrs.env {
        names::check_variable(&env.value, "env", errors);
    }
    for alias in &attrs.alias {
        names::check_variable(&alias.value, "alias", errors);
    }
    if let Some(rules) = &attrs.validate {
        check_rules(&rules.value.0, rules.key, shape, errors);
    }
}

/// Each rule against the leaf type (rules apply inside `Option`, `Vec` and `Secret`), and
/// each rule's own arguments.
fn check_rules(rules: &Rules, key: Span, shape: &Shape, errors: &mut Accumulator) {
    let kind = shape.kind;
    let leaf = tokens::text(&shape.leaf);
    let fit = |rule: &str, span: Span, fits: bool, why: &str| {
        (!fits).then(|| error(span, format!("`{rule}` does not apply to `{leaf}`: {why}")))
    };
    let length_fits = matches!(kind, LeafKind::Text | LeafKind::Path | LeafKind::Other);
    let text_fits = matches!(
        kind,
        LeafKind::Text | LeafKind::Path | LeafKind::Url | LeafKind::Other
    );
    let not_text = not_text(kind, &leaf);
    let counts = format!("it counts characters of text, and {not_text}");
    let mut found = Vec::new();

    if let Some(range) = &rules.range {
        let why = match kind {
            LeafKind::Text | LeafKind::Path => {
                "it compares numbers; limit the length of text with `min_len`/`max_len`"
            }
            _ => "it compares numbers; check other values with `custom = path`",
        };
        found.push(fit(
            "range",
            range.key,
            kind.is_number()
                || matches!(
                    kind,
                    LeafKind::Other
                        | LeafKind::Duration
                        | LeafKind::ByteSize
                        | LeafKind::NonZero(_)
                ),
            why,
        ));
        literal::check_range(&range.value, range.key, kind, errors);
    }
    if let Some(min) = &rules.min_len {
        found.push(fit("min_len", min.key, length_fits, &counts));
    }
    if let Some(max) = &rules.max_len {
        found.push(fit("max_len", max.key, length_fits, &counts));
    }
    if rules.non_empty.is_present() {
        found.push(fit(
            "non_empty",
            rules.non_empty.span(),
            length_fits,
            &counts,
        ));
    }
    if let Some(pattern) = &rules.pattern {
        let why = format!("it matches text, and {not_text}");
        found.push(fit("pattern", pattern.key, text_fits, &why));
    }
    if let Some(one_of) = &rules.one_of {
        let why = format!("it compares text, and {not_text}");
        found.push(fit("one_of", one_of.key, text_fits, &why));
    }
    if let Some(schemes) = &rules.url_scheme {
        let why = "it checks a `url::Url`; declare the field as `url::Url` (or `Secret<url::Url>`) \
                   to have the URL parsed and checked";
        found.push(fit("url_scheme", schemes.key, kind == LeafKind::Url, why));
    }
    if rules.custom.is_some() {
        found.push(None); // a user function fits whatever it accepts
    }
    if found.is_empty() {
        errors.push(error(
            key,
            "`validate(..)` lists no rule; add one of `range`, `min_len`, `max_len`, `pattern`, \
             `one_of`, `url_scheme`, `non_empty`, `custom`, or remove it",
        ));
    }
    found.into_iter().flatten().for_each(|e| errors.push(e));
    check_rule_arguments(rules, errors);
}

/// Each rule's own arguments, whatever the field type.
fn check_rule_arguments(rules: &Rules, errors: &mut Accumulator) {
    if let (Some(min), Some(max)) = (&rules.min_len, &rules.max_len)
        && min.value > max.value
    {
        errors.push(error(
            min.key,
            format!(
                "`min_len = {}` is greater than `max_len = {}`: no value can pass",
                min.value, max.value
            ),
        ));
    }
    if let Some(pattern) = &rules.pattern
        && let Err(e) = regex::Regex::new(&pattern.value.value())
    {
        errors.push(error(
            pattern.value.span(),
            format!("invalid regular expression in `pattern`:\n{e}"),
        ));
    }
    if let Some(one_of) = &rules.one_of
        && one_of.value.is_empty()
    {
        errors.push(error(
            one_of.key,
            "`one_of` needs at least one allowed value: `one_of(\"a\", \"b\")`",
        ));
    }
    if let Some(schemes) = &rules.url_scheme
        && schemes.value.is_empty()
    {
        errors.push(error(
            schemes.key,
            "`url_scheme` needs at least one scheme: `url_scheme(\"https\")`",
        ));
    }
}

/// Why a text rule does not fit a leaf kind.
fn not_text(kind: LeafKind, leaf: &str) -> String {
    match kind {
        LeafKind::Int(_) | LeafKind::Float => {
            format!("`{leaf}` is a number; bound a number with `range(min = .., max = ..)`")
        }
        LeafKind::Bool => format!("`{leaf}` is not text"),
        LeafKind::Url => {
            format!(
                "`{leaf}` is a URL; check it with `url_scheme(..)`, `pattern` or `custom = path`"
            )
        }
        _ => format!("`{leaf}` is not text; check it with `custom = path`"),
    }
}

/// The span of the first token: enough to point at a type or parameter without `Span::join`.
fn first_span(tokens: &impl ToTokens) -> Span {
    tokens
        .to_token_stream()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |token| token.span())
}
