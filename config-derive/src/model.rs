//! The typed model between parsing and generating: each field's kind (leaf, nested,
//! skipped), its shape (optional, list, secret, leaf type), names, default and rules.
//! Built only from attributes that passed every check, so generators need not re-check.

use darling::FromDeriveInput;
use darling::FromField;
use syn::ext::IdentExt;
use syn::{Attribute, DeriveInput, Expr, Ident, LitStr, Path, Type};

use crate::attr::{self, ContainerAttrs, DefaultValue, FieldAttrs, Rules};
use crate::check;
use crate::shape::Shape;
use crate::tokens;

/// A struct deriving `Config`.
pub struct Container {
    /// The struct's name.
    pub ident: Ident,
    /// Its doc comment: the schema's description.
    pub doc: String,
    /// `prefix = ".."`.
    pub prefix: Option<String>,
    /// `validate = path`.
    pub validate: Option<Path>,
    /// `crate = ".."`: where the runtime is.
    pub krate: Option<Path>,
    /// Fields in declaration order.
    pub fields: Vec<Field>,
}

/// One named field.
pub struct Field {
    /// The Rust identifier.
    pub ident: Ident,
    /// The name without `r#`: the file key.
    pub name: String,
    /// The type as written.
    pub ty: Type,
    /// The doc comment.
    pub doc: String,
    /// How the field is loaded.
    pub kind: FieldKind,
}

/// How a field is loaded.
pub enum FieldKind {
    /// A value parsed from one variable or key.
    Leaf(Box<Leaf>),
    /// `nested`: another `Config` struct; `restart` makes all of it read at start only.
    Nested {
        /// `#[config(nested, restart)]`.
        restart: bool,
    },
    /// `skip`: `Default::default()`.
    Skipped,
}

/// A leaf field's settings.
pub struct Leaf {
    /// Wrappers and leaf type.
    pub shape: Shape,
    /// An explicit `env` (the implicit name is the runtime's business).
    pub env: Option<String>,
    /// `alias = ".."`s.
    pub aliases: Vec<String>,
    /// `default = ..`.
    pub default: Default,
    /// `example = ".."`.
    pub example: Option<String>,
    /// `restart`.
    pub restart: bool,
    /// `validate(..)`, in a fixed order.
    pub rules: Vec<Rule>,
}

/// A field's default.
pub enum Default {
    /// None declared.
    None,
    /// A string literal: parsed at run time like an environment value.
    Raw(String),
    /// A Rust expression of the field's type, and its source text for docs.
    Expr {
        /// The expression, with its spans (so type errors point at it).
        expr: Expr,
        /// As written.
        text: String,
    },
}

/// One `validate(..)` rule.
pub enum Rule {
    /// `range(min = .., max = ..)`.
    Range {
        /// Lower bound.
        min: Option<Bound>,
        /// Upper bound.
        max: Option<Bound>,
    },
    /// `min_len = N`.
    MinLen(usize),
    /// `max_len = N`.
    MaxLen(usize),
    /// `non_empty`.
    NonEmpty,
    /// `pattern = ".."`, a regex known to compile.
    Pattern(LitStr),
    /// `one_of(..)`.
    OneOf(Vec<String>),
    /// `url_scheme(..)`.
    UrlScheme(Vec<String>),
    /// `custom = path`.
    Custom(Path),
}

/// A `range` bound: the expression and its text.
pub struct Bound {
    /// The expression (a literal, usually).
    pub expr: Box<Expr>,
    /// As written, for docs.
    pub text: String,
}

impl Container {
    /// Parses the attributes, runs every check, and builds the model; or returns all errors.
    pub fn from_input(input: &DeriveInput) -> darling::Result<Self> {
        let mut errors = darling::Error::accumulator();
        let container = errors.handle(ContainerAttrs::from_derive_input(input).map_err(|e| {
            let e = attr::map_errors(e, |message, _| {
                message
                    .starts_with("Unsupported shape")
                    .then(|| check::unsupported_shape(input))
            });
            attr::reword_unknown(e, "attribute")
        }));
        let raw_fields = match &input.data {
            syn::Data::Struct(data) => data.fields.iter().collect(),
            _ => Vec::new(), // the shape error is already reported
        };
        let fields: Vec<FieldAttrs> = raw_fields
            .into_iter()
            .filter_map(|field| {
                let attrs = FieldAttrs::from_field(field);
                errors.handle(attrs.map_err(|e| attr::reword_unknown(e, "attribute")))
            })
            .collect();

        if let Some(container) = &container {
            check::container(container, &mut errors);
        }
        for field in &fields {
            check::field(field, &mut errors);
        }
        let prefix = container
            .as_ref()
            .and_then(|c| c.prefix.as_ref())
            .map(|p| p.as_str());
        check::env_names(prefix, &fields, &mut errors);

        errors.finish()?;
        let container = container.expect("no errors, so the container parsed");
        Ok(Self::lower(container, fields))
    }

    fn lower(container: ContainerAttrs, fields: Vec<FieldAttrs>) -> Self {
        Container {
            ident: container.ident,
            doc: doc_comment(&container.attrs),
            prefix: container.prefix.map(|p| p.into_inner()),
            validate: container.validate,
            krate: container.krate.map(|k| k.0),
            fields: fields.into_iter().map(Field::lower).collect(),
        }
    }
}

impl Field {
    fn lower(attrs: FieldAttrs) -> Self {
        let ident = attrs.ident.expect("named struct fields have names");
        let kind = if attrs.skip.is_present() {
            FieldKind::Skipped
        } else if attrs.nested.is_present() {
            FieldKind::Nested {
                restart: attrs.restart.is_present(),
            }
        } else {
            FieldKind::Leaf(Box::new(Leaf {
                shape: Shape::of(&attrs.ty),
                env: attrs.env.map(|env| env.value.value()),
                aliases: attrs
                    .alias
                    .iter()
                    .map(|alias| alias.value.value())
                    .collect(),
                default: match attrs.default.map(|d| d.value) {
                    None => Default::None,
                    Some(DefaultValue::Raw(text)) => Default::Raw(text.value()),
                    Some(DefaultValue::Expr(expr)) => Default::Expr {
                        text: tokens::text(&expr),
                        expr,
                    },
                },
                example: attrs.example.map(|example| example.value.value()),
                restart: attrs.restart.is_present(),
                rules: attrs
                    .validate
                    .map(|rules| lower_rules(rules.value.0))
                    .unwrap_or_default(),
            }))
        };
        Field {
            name: ident.unraw().to_string(),
            doc: doc_comment(&attrs.attrs),
            ident,
            ty: attrs.ty,
            kind,
        }
    }
}

fn lower_rules(rules: Rules) -> Vec<Rule> {
    // A text bound (`min = "1s"` on a `Duration`) is documented as the text itself.
    let bound = |expr: Expr| Bound {
        text: match &expr {
            Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) => text.value(),
            other => tokens::text(other),
        },
        expr: Box::new(expr),
    };
    let strings = |list: Vec<LitStr>| list.iter().map(LitStr::value).collect();
    let mut out = Vec::new();
    if let Some(range) = rules.range {
        let range = range.value;
        out.push(Rule::Range {
            min: range.min.map(bound),
            max: range.max.map(bound),
        });
    }
    out.extend(rules.min_len.map(|n| Rule::MinLen(n.value)));
    out.extend(rules.max_len.map(|n| Rule::MaxLen(n.value)));
    if rules.non_empty.is_present() {
        out.push(Rule::NonEmpty);
    }
    out.extend(rules.pattern.map(|p| Rule::Pattern(p.value)));
    out.extend(rules.one_of.map(|list| Rule::OneOf(strings(list.value))));
    out.extend(
        rules
            .url_scheme
            .map(|list| Rule::UrlScheme(strings(list.value))),
    );
    out.extend(rules.custom.map(|path| Rule::Custom(path.value)));
    out
}

/// The `///` lines, each trimmed, joined with '\n'. `#[doc = macro!()]` forms are skipped.
fn doc_comment(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs.iter().filter(|attr| attr.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &nv.value
        {
            lines.extend(text.value().lines().map(|line| line.trim().to_owned()));
        }
    }
    lines.join("\n").trim().to_owned()
}
