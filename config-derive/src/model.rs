//! The typed model between parsing and generating: each field's kind (leaf, nested,
//! skipped), its shape (optional, list, secret, leaf type), names, default and rules.
//! Built only from attributes that passed every check, so generators need not re-check.

use darling::FromDeriveInput;
use darling::{FromField, FromVariant};
use syn::ext::IdentExt;
use syn::{Attribute, DeriveInput, Expr, Ident, LitStr, Path, Type};

use crate::attr::{self, ContainerAttrs, DefaultValue, FieldAttrs, Rules, VariantAttrs};
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
    /// Fields in declaration order (none for an enum).
    pub fields: Vec<Field>,
    /// `prefix_separator` and `env_separator`, defaults applied.
    pub separators: Separators,
    /// `unknown = ".."`: `warn` or `ignore` (`None`: unknown keys are errors).
    pub unknown: Option<String>,
    /// An enum: its tag key and variants.
    pub tagged: Option<Tagged>,
}

/// How variable names are joined.
pub struct Separators {
    /// After the prefix.
    pub prefix: String,
    /// Between nesting levels.
    pub nesting: String,
}

/// A tagged enum: `tag = "type"` and its variants.
pub struct Tagged {
    /// The key naming the variant.
    pub tag: String,
    /// The variants in declaration order.
    pub variants: Vec<VariantModel>,
}

/// One variant of a tagged enum.
pub struct VariantModel {
    /// The Rust name.
    pub ident: Ident,
    /// Its name in files (renamed by `rename` or `rename_all`).
    pub name: String,
    /// The doc comment.
    pub doc: String,
    /// The struct of its settings; `None` for a unit variant.
    pub ty: Option<Type>,
}

/// One named field.
pub struct Field {
    /// The Rust identifier.
    pub ident: Ident,
    /// The name without `r#`.
    pub name: String,
    /// The key in files: the name, `rename = ".."`, or as `rename_all` spells it.
    pub key: String,
    /// `file_alias = ".."`s: old keys also accepted.
    pub file_aliases: Vec<String>,
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
    /// `nested`: another `Config` struct or enum, or an optional one, a list or a map of
    /// them; `restart` makes all of it read at start only.
    Nested {
        /// `#[config(nested, restart)]`.
        restart: bool,
        /// The shape around the `Config` type.
        shape: Box<NestedShape>,
    },
    /// A `HashMap`/`BTreeMap<String, V>` of plain values: each entry a leaf of type `V`
    /// (the leaf's shape is `V`'s).
    MapValues(Box<Leaf>),
    /// `flatten`: another `Config` struct's fields at this level.
    Flatten,
    /// `skip`: `Default::default()`.
    Skipped,
}

/// What surrounds the `Config` type of a `nested` field.
pub enum NestedShape {
    /// The type itself (a struct, or a tagged enum).
    Plain,
    /// `Option<T>`: a section present only when the sources give a key of it.
    Optional(Type),
    /// `Vec<T>`: an array of sections.
    List(Type),
    /// `HashMap`/`BTreeMap<String, T>`: a map of sections.
    Map(Type),
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
            _ => Vec::new(),
        };
        let fields: Vec<FieldAttrs> = raw_fields
            .into_iter()
            .filter_map(|field| {
                let attrs = FieldAttrs::from_field(field);
                errors.handle(attrs.map_err(|e| attr::reword_unknown(e, "attribute")))
            })
            .collect();
        let variants: Vec<VariantAttrs> = match &input.data {
            syn::Data::Enum(data) => data
                .variants
                .iter()
                .filter_map(|variant| {
                    let attrs = VariantAttrs::from_variant(variant);
                    errors.handle(attrs.map_err(|e| attr::reword_unknown(e, "attribute")))
                })
                .collect(),
            _ => Vec::new(),
        };
        let is_enum = matches!(input.data, syn::Data::Enum(_));

        if let Some(container) = &container {
            check::container(container, is_enum, &mut errors);
            let style = container.rename_all.as_ref().map(|s| s.as_str());
            if is_enum {
                check::variants(&variants, style, &mut errors);
            } else {
                check::keys(&fields, style, &mut errors);
            }
        }
        for field in &fields {
            check::field(field, &mut errors);
        }
        let prefix = container
            .as_ref()
            .and_then(|c| c.prefix.as_ref())
            .map(|p| p.as_str());
        let style = container
            .as_ref()
            .and_then(|c| c.rename_all.as_ref())
            .map(|s| s.as_str());
        check::env_names(prefix, style, &fields, &mut errors);

        errors.finish()?;
        let container = container.expect("no errors, so the container parsed");
        Ok(Self::lower(container, fields, variants, is_enum))
    }

    fn lower(
        container: ContainerAttrs,
        fields: Vec<FieldAttrs>,
        variants: Vec<VariantAttrs>,
        is_enum: bool,
    ) -> Self {
        let style = container.rename_all.as_ref().map(|s| s.as_str().to_owned());
        let nesting = container
            .env_separator
            .map(|s| s.into_inner())
            .unwrap_or_else(|| "_".to_owned());
        let separators = Separators {
            prefix: container
                .prefix_separator
                .map(|s| s.into_inner())
                .unwrap_or_else(|| nesting.clone()),
            nesting,
        };
        let tagged = is_enum.then(|| Tagged {
            tag: container
                .tag
                .as_ref()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_else(|| "type".to_owned()),
            variants: variants
                .into_iter()
                .map(|v| VariantModel::lower(v, style.as_deref()))
                .collect(),
        });
        Container {
            ident: container.ident,
            doc: doc_comment(&container.attrs),
            prefix: container.prefix.map(|p| p.into_inner()),
            validate: container.validate,
            krate: container.krate.map(|k| k.0),
            fields: fields
                .into_iter()
                .map(|f| Field::lower(f, style.as_deref()))
                .collect(),
            separators,
            unknown: container.unknown.map(|u| u.into_inner()),
            tagged,
        }
    }
}

impl VariantModel {
    fn lower(attrs: VariantAttrs, style: Option<&str>) -> Self {
        let plain = attrs.ident.unraw().to_string();
        let name = match (&attrs.rename, style) {
            (Some(rename), _) => rename.as_str().to_owned(),
            (None, Some(style)) => crate::case::rename(style, &plain).unwrap_or(plain),
            (None, None) => plain,
        };
        VariantModel {
            doc: doc_comment(&attrs.attrs),
            ty: attrs.fields.fields.into_iter().next(),
            ident: attrs.ident,
            name,
        }
    }
}

/// The key of a field in files: `rename`, else the name as `rename_all` spells it.
pub fn field_key(attrs: &FieldAttrs, style: Option<&str>) -> String {
    let name = attrs
        .ident
        .as_ref()
        .map(|ident| ident.unraw().to_string())
        .unwrap_or_default();
    match (&attrs.rename, style) {
        (Some(rename), _) => rename.value.value(),
        (None, Some(style)) => crate::case::rename(style, &name).unwrap_or(name),
        (None, None) => name,
    }
}

impl Field {
    fn lower(attrs: FieldAttrs, style: Option<&str>) -> Self {
        let key = field_key(&attrs, style);
        let file_aliases = attrs.file_alias.iter().map(|a| a.value.value()).collect();
        let ident = attrs.ident.clone().expect("named struct fields have names");
        let map_value = crate::shape::map_value(&attrs.ty).cloned();
        let kind = if attrs.skip.is_present() {
            FieldKind::Skipped
        } else if attrs.flatten.is_present() {
            FieldKind::Flatten
        } else if attrs.nested.is_present() {
            let shape = if let Some(value) = map_value {
                NestedShape::Map(value)
            } else if let Some(inner) = crate::shape::unwrap_one(&attrs.ty, "Option") {
                NestedShape::Optional(inner.clone())
            } else if let Some(inner) = crate::shape::unwrap_one(&attrs.ty, "Vec") {
                NestedShape::List(inner.clone())
            } else {
                NestedShape::Plain
            };
            FieldKind::Nested {
                restart: attrs.restart.is_present(),
                shape: Box::new(shape),
            }
        } else if let Some(value) = map_value {
            FieldKind::MapValues(Box::new(Leaf::lower(&attrs, &value)))
        } else {
            FieldKind::Leaf(Box::new(Leaf::lower(&attrs, &attrs.ty)))
        };
        Field {
            name: ident.unraw().to_string(),
            key,
            file_aliases,
            doc: doc_comment(&attrs.attrs),
            ident,
            ty: attrs.ty,
            kind,
        }
    }
}

impl Leaf {
    /// The leaf of a field whose values have type `ty` (the field's type, or a map's values).
    fn lower(attrs: &FieldAttrs, ty: &Type) -> Self {
        Leaf {
            shape: Shape::of(ty),
            env: attrs.env.as_ref().map(|env| env.value.value()),
            aliases: attrs
                .alias
                .iter()
                .map(|alias| alias.value.value())
                .collect(),
            default: match attrs.default.as_ref().map(|d| &d.value) {
                None => Default::None,
                Some(DefaultValue::Raw(text)) => Default::Raw(text.value()),
                Some(DefaultValue::Expr(expr)) => Default::Expr {
                    text: tokens::text(expr),
                    expr: expr.clone(),
                },
            },
            example: attrs.example.as_ref().map(|example| example.value.value()),
            restart: attrs.restart.is_present(),
            rules: attrs
                .validate
                .as_ref()
                .map(|rules| lower_rules(&rules.value.0))
                .unwrap_or_default(),
        }
    }
}

fn lower_rules(rules: &Rules) -> Vec<Rule> {
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
    let strings = |list: &Vec<LitStr>| list.iter().map(LitStr::value).collect();
    let mut out = Vec::new();
    if let Some(range) = &rules.range {
        let range = &range.value;
        out.push(Rule::Range {
            min: range.min.clone().map(bound),
            max: range.max.clone().map(bound),
        });
    }
    out.extend(rules.min_len.as_ref().map(|n| Rule::MinLen(n.value)));
    out.extend(rules.max_len.as_ref().map(|n| Rule::MaxLen(n.value)));
    if rules.non_empty.is_present() {
        out.push(Rule::NonEmpty);
    }
    out.extend(
        rules
            .pattern
            .as_ref()
            .map(|p| Rule::Pattern(p.value.clone())),
    );
    out.extend(
        rules
            .one_of
            .as_ref()
            .map(|list| Rule::OneOf(strings(&list.value))),
    );
    out.extend(
        rules
            .url_scheme
            .as_ref()
            .map(|list| Rule::UrlScheme(strings(&list.value))),
    );
    out.extend(
        rules
            .custom
            .as_ref()
            .map(|path| Rule::Custom(path.value.clone())),
    );
    out
}

/// The `///` lines, each trimmed, joined with '\n'. `#[doc = macro!()]` forms are skipped.
pub(crate) fn doc_comment(attrs: &[Attribute]) -> String {
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
