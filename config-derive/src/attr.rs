//! The attributes as written: darling receivers for `#[config(..)]` on the struct and on each
//! field. Every value keeps a span so a later check can point at the token at fault.

use darling::util::{Flag, SpannedValue};
use darling::{FromDeriveInput, FromField, FromMeta};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, ExprLit, Generics, Ident, Lit, LitStr, Meta, Path, Type};

/// `#[config(..)]` on the struct.
#[derive(FromDeriveInput)]
#[darling(
    attributes(config),
    forward_attrs(doc),
    supports(struct_named, enum_any)
)]
pub struct ContainerAttrs {
    /// The struct's name.
    pub ident: Ident,
    /// Its generics (rejected by the checks: a config type is concrete).
    pub generics: Generics,
    /// The doc comment, among other forwarded attributes.
    pub attrs: Vec<Attribute>,
    /// `prefix = "APP"`.
    #[darling(default)]
    pub prefix: Option<SpannedValue<String>>,
    /// `validate = path`.
    #[darling(default)]
    pub validate: Option<Path>,
    /// `crate = "path"`.
    #[darling(default, rename = "crate")]
    pub krate: Option<CratePath>,
    /// `env_separator = "__"`: between nesting levels in variable names.
    #[darling(default)]
    pub env_separator: Option<SpannedValue<String>>,
    /// `prefix_separator = "_"`: after the prefix (the `env_separator` by default).
    #[darling(default)]
    pub prefix_separator: Option<SpannedValue<String>>,
    /// `rename_all = "kebab-case"`: how field keys (or variant names) are spelt in files.
    #[darling(default)]
    pub rename_all: Option<SpannedValue<String>>,
    /// `unknown = "warn" | "ignore"`: keys of this section that name no field.
    #[darling(default)]
    pub unknown: Option<SpannedValue<String>>,
    /// `tag = "type"`: the key naming an enum's variant.
    #[darling(default)]
    pub tag: Option<SpannedValue<String>>,
}

/// `#[config(..)]` on an enum variant.
#[derive(darling::FromVariant)]
#[darling(attributes(config), forward_attrs(doc))]
pub struct VariantAttrs {
    /// The variant's name.
    pub ident: Ident,
    /// Its fields (none, or one: the struct of its settings).
    pub fields: darling::ast::Fields<syn::Type>,
    /// The doc comment, among other forwarded attributes.
    pub attrs: Vec<Attribute>,
    /// `rename = ".."`: its name in files.
    #[darling(default)]
    pub rename: Option<SpannedValue<String>>,
}

/// `#[config(..)]` on a field.
#[derive(FromField)]
#[darling(attributes(config), forward_attrs(doc))]
pub struct FieldAttrs {
    /// The field's name (always present: only named structs are accepted).
    pub ident: Option<Ident>,
    /// The field's type, as written.
    pub ty: Type,
    /// The doc comment, among other forwarded attributes.
    pub attrs: Vec<Attribute>,
    /// `default = ..`.
    #[darling(default)]
    pub default: Option<Keyed<DefaultValue>>,
    /// `env = "NAME"`.
    #[darling(default)]
    pub env: Option<Keyed<LitStr>>,
    /// `nested`.
    #[darling(default)]
    pub nested: Flag,
    /// `validate(..)`.
    #[darling(default)]
    pub validate: Option<Keyed<Validate>>,
    /// `example = ".."`.
    #[darling(default)]
    pub example: Option<Keyed<LitStr>>,
    /// `restart`.
    #[darling(default)]
    pub restart: Flag,
    /// `alias = "OLD"`, repeatable.
    #[darling(multiple)]
    pub alias: Vec<Keyed<LitStr>>,
    /// `skip`.
    #[darling(default)]
    pub skip: Flag,
    /// `flatten`: the fields of another `Config` struct at this level.
    #[darling(default)]
    pub flatten: Flag,
    /// `rename = ".."`: the key in files (and so the variable) differs from the field name.
    #[darling(default)]
    pub rename: Option<Keyed<LitStr>>,
    /// `file_alias = "old_key"`, repeatable: an old file key still accepted.
    #[darling(multiple)]
    pub file_alias: Vec<Keyed<LitStr>>,
}

/// `validate(..)`: the rules, with darling's "unknown field" called an unknown rule.
pub struct Validate(pub Rules);

impl FromMeta for Validate {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        Rules::from_meta(item)
            .map(Validate)
            .map_err(|e| reword_unknown(e, "rule"))
    }
}

/// The rules inside `validate(..)`.
#[derive(FromMeta)]
pub struct Rules {
    /// `range(min = .., max = ..)`.
    #[darling(default)]
    pub range: Option<Keyed<Range>>,
    /// `min_len = N`.
    #[darling(default)]
    pub min_len: Option<Keyed<usize>>,
    /// `max_len = N`.
    #[darling(default)]
    pub max_len: Option<Keyed<usize>>,
    /// `pattern = "regex"`.
    #[darling(default)]
    pub pattern: Option<Keyed<LitStr>>,
    /// `one_of("a", "b")`.
    #[darling(default)]
    pub one_of: Option<Keyed<Vec<LitStr>>>,
    /// `url_scheme("https", ..)`.
    #[darling(default)]
    pub url_scheme: Option<Keyed<Vec<LitStr>>>,
    /// `non_empty`.
    #[darling(default)]
    pub non_empty: Flag,
    /// `custom = path`.
    #[darling(default)]
    pub custom: Option<Keyed<Path>>,
}

/// `range(min = .., max = ..)`: bounds are expressions so `-5` and `0.5` work, and texts
/// (`"1s"`) on a `Duration`.
#[derive(FromMeta)]
pub struct Range {
    /// Lower bound, inclusive.
    #[darling(default, map = "BoundExpr::into_inner")]
    pub min: Option<Expr>,
    /// Upper bound, inclusive.
    #[darling(default, map = "BoundExpr::into_inner")]
    pub max: Option<Expr>,
}

/// A `range` bound as written: a string literal stays a literal (darling's own `Expr` parser
/// would read the text inside it as an expression).
pub struct BoundExpr(Expr);

impl BoundExpr {
    fn into_inner(bound: Option<BoundExpr>) -> Option<Expr> {
        bound.map(|b| b.0)
    }
}

impl FromMeta for BoundExpr {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Group(group) => Self::from_expr(&group.expr),
            other => Ok(BoundExpr(other.clone())),
        }
    }
}

/// An attribute value together with the span of its key, so that an error about the
/// attribute as a whole (`min_len` on a number) points at `min_len`, not at its value.
pub struct Keyed<T> {
    /// The parsed value.
    pub value: T,
    /// The span of the key (`min_len` in `min_len = 32`).
    pub key: Span,
}

impl<T: FromMeta> FromMeta for Keyed<T> {
    fn from_meta(item: &Meta) -> darling::Result<Self> {
        Ok(Keyed {
            value: T::from_meta(item)?,
            key: item.path().span(),
        })
    }
}

/// `default = ..`: a string literal is text parsed like an environment value; anything else
/// is a Rust expression of the field's type. (darling's own `Expr` parser would read the
/// contents of a string literal as an expression, which is not what `"30s"` means here.)
pub enum DefaultValue {
    /// `default = "30s"`.
    Raw(LitStr),
    /// `default = 8080`, `default = Duration::from_secs(30)`.
    Expr(Expr),
}

impl FromMeta for DefaultValue {
    fn from_word() -> darling::Result<Self> {
        Err(darling::Error::custom(
            "`default` needs a value: `default = 8080` (a Rust expression) or `default = \"30s\"` (text parsed like an environment value)",
        ))
    }

    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        Ok(match expr {
            Expr::Lit(ExprLit {
                lit: Lit::Str(text),
                ..
            }) => DefaultValue::Raw(text.clone()),
            Expr::Group(group) => return Self::from_expr(&group.expr),
            other => DefaultValue::Expr(other.clone()),
        })
    }
}

/// `crate = "path"` (or a bare path): where the runtime is, when it was renamed.
pub struct CratePath(pub Path);

impl FromMeta for CratePath {
    fn from_expr(expr: &Expr) -> darling::Result<Self> {
        match expr {
            Expr::Lit(ExprLit {
                lit: Lit::Str(text),
                ..
            }) => text.parse().map(CratePath).map_err(|_| {
                darling::Error::custom("`crate` must be a path, e.g. `crate = \"my_config\"`")
                    .with_span(text)
            }),
            Expr::Path(path) => Ok(CratePath(path.path.clone())),
            Expr::Group(group) => Self::from_expr(&group.expr),
            other => Err(darling::Error::unexpected_expr_type(other)),
        }
    }
}

/// darling reports an unknown key as an unknown "field"; to a user it is an unknown
/// attribute (or rule). Rewords those errors, keeping their spans.
pub fn reword_unknown(errors: darling::Error, noun: &str) -> darling::Error {
    map_errors(errors, |message, span| {
        message
            .strip_prefix("Unknown field: ")
            .map(|rest| syn::Error::new(span, format!("unknown {noun} {rest}")).into())
    })
}

/// Replaces each error for which `replace(message, span)` gives a replacement.
pub fn map_errors(
    errors: darling::Error,
    replace: impl Fn(&str, Span) -> Option<darling::Error>,
) -> darling::Error {
    let errors = errors
        .into_iter()
        .map(|error| {
            let error = syn::Error::from(error);
            replace(&error.to_string(), error.span()).unwrap_or_else(|| error.into())
        })
        .collect();
    darling::Error::multiple(errors)
}
