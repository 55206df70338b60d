//! `__assemble`: reads every field (each records its own errors), then builds the struct
//! only if all succeeded, then runs the container's `validate`. All leaves are read before
//! the first `?`, so one load reports every bad field.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Lit, LitFloat, UnOp};

use crate::model::{Bound, Container, Default, FieldKind, Leaf, NestedShape, Rule, Tagged};
use crate::shape::LeafKind;

/// The `__assemble` function.
pub fn assemble(container: &Container) -> TokenStream {
    if let Some(tagged) = &container.tagged {
        return assemble_enum(tagged);
    }
    let vars: Vec<_> = (0..container.fields.len())
        .map(|i| format_ident!("__field{}", i))
        .collect();
    let reads = container.fields.iter().zip(&vars).map(|(field, var)| {
        let name = &field.name;
        let key = &field.key;
        let ty = &field.ty;
        let read = match &field.kind {
            FieldKind::Skipped => quote!(::core::default::Default::default()),
            FieldKind::Flatten => quote!(__a.flatten::<#ty>()),
            FieldKind::Nested { shape, .. } => match &**shape {
                NestedShape::Plain => quote!(__a.nested::<#ty>(#key)),
                NestedShape::Optional(inner) => quote!(__a.optional::<#inner>(#key)),
                NestedShape::List(inner) => quote!(__a.list::<#inner>(#key)),
                NestedShape::Map(inner) => quote!(__a.map::<#ty, #inner>(#key)),
            },
            FieldKind::Leaf(leaf) => {
                let default = default_fn(ty, leaf);
                let check = check_closure(leaf);
                quote!(__a.leaf::<#ty>(#name, #default, #check))
            }
            FieldKind::MapValues(leaf) => {
                let value = crate::shape::map_value(ty).expect("a map of values has a value type");
                let default = default_fn(ty, leaf);
                let check = check_closure(leaf);
                quote!(__a.map_values::<#ty, #value>(#name, #default, #check))
            }
        };
        quote! { let #var = #read; }
    });
    let inits = container.fields.iter().zip(&vars).map(|(field, var)| {
        let ident = &field.ident;
        match field.kind {
            FieldKind::Skipped => quote!(#ident: #var),
            _ => quote!(#ident: #var?),
        }
    });
    // A closure rather than the bare path: a wrong signature is then reported on the
    // user's path ("expected `Result<(), String>`, found `bool`") instead of inside `Some`.
    let validate = match &container.validate {
        Some(path) => {
            let call = quote_spanned!(path.span()=> #path(__v));
            quote!(::core::option::Option::Some(|__v| #call))
        }
        None => quote!(::core::option::Option::None),
    };
    quote! {
        fn __assemble(__a: &mut _config::__private::Assemble<'_>) -> ::core::option::Option<Self> {
            #(#reads)*
            __a.finish(Self { #(#inits),* }, #validate)
        }
    }
}

/// An enum: the tag picks the variant, whose struct is assembled in place.
fn assemble_enum(tagged: &Tagged) -> TokenStream {
    let tag = &tagged.tag;
    let arms = tagged.variants.iter().enumerate().map(|(index, variant)| {
        let ident = &variant.ident;
        match &variant.ty {
            Some(ty) => quote! {
                #index => ::core::option::Option::Some(Self::#ident(__a.flatten::<#ty>()?)),
            },
            None => quote! { #index => ::core::option::Option::Some(Self::#ident), },
        }
    });
    quote! {
        fn __assemble(__a: &mut _config::__private::Assemble<'_>) -> ::core::option::Option<Self> {
            match __a.variant(#tag)? {
                #(#arms)*
                _ => ::core::option::Option::None,
            }
        }
    }
}

/// `Some(|| -> T { expr })` for an expression default. The expression keeps its own span,
/// so `default = true` on a `u16` is reported by rustc on `true`.
fn default_fn(ty: &syn::Type, leaf: &Leaf) -> TokenStream {
    match &leaf.default {
        // `default = 3600` on an `Option<u64>`: the value inside (`Some(..)` also works).
        Default::Expr { expr, .. } if leaf.shape.is_optional() => {
            let body = quote_spanned!(expr.span()=> { ::core::convert::From::from(#expr) });
            quote!(::core::option::Option::Some(|| -> #ty #body))
        }
        Default::Expr { expr, .. } => {
            // `default = 4` on a `NonZeroUsize` reads as it is written (0 is refused by the checks).
            let is_number = matches!(expr, Expr::Lit(lit) if matches!(lit.lit, Lit::Int(_)))
                || matches!(expr, Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)));
            let body = if matches!(leaf.shape.kind, LeafKind::NonZero(_))
                && leaf.shape.wrappers.is_empty()
                && is_number
            {
                quote_spanned!(expr.span()=> { _config::__private::non_zero_bound(#expr) })
            } else {
                quote_spanned!(expr.span()=> { #expr })
            };
            quote!(::core::option::Option::Some(|| -> #ty #body))
        }
        Default::None | Default::Raw(_) => quote!(::core::option::Option::None),
    }
}

/// The `check` closure: the field's rules, applied to the inner value through one
/// `Inner::each_inner` per wrapper (`Option` when present, each `Vec` item, a `Secret`'s value).
fn check_closure(leaf: &Leaf) -> TokenStream {
    if leaf.rules.is_empty() {
        return quote!(|_, _| {});
    }
    let statics = leaf.rules.iter().filter_map(|rule| match rule {
        Rule::Pattern(re) => Some(quote! {
            static __PATTERN: _config::__private::LazyLock<_config::__private::Regex> =
                _config::__private::LazyLock::new(|| {
                    _config::__private::Regex::new(#re).expect("checked by #[derive(Config)]")
                });
        }),
        _ => None,
    });
    let pushes = leaf.rules.iter().map(|rule| {
        let call = rule_call(rule, leaf.shape.kind);
        quote!(__c.push(#call);)
    });
    let mut body = quote!(#(#pushes)*);
    for _ in &leaf.shape.wrappers {
        body = quote! {
            _config::__private::Inner::each_inner(__v, &mut |__v| { #body });
        };
    }
    quote! {
        |__v, __c| {
            #(#statics)*
            #body
        }
    }
}

/// One rule applied to `__v`, giving a `Result<(), Violation>`.
fn rule_call(rule: &Rule, kind: LeafKind) -> TokenStream {
    let rules = quote!(_config::__private::rules);
    match rule {
        Rule::Range { min, max } => {
            let bound = |b: &Option<Bound>| match b {
                Some(b) => {
                    let expr = bound_expr(&b.expr, kind);
                    quote!(::core::option::Option::Some(#expr))
                }
                None => quote!(::core::option::Option::None),
            };
            let (min, max) = (bound(min), bound(max));
            match kind {
                LeafKind::Duration => quote!(#rules::duration_range(__v, #min, #max)),
                LeafKind::ByteSize => quote!(#rules::byte_size_range(__v, #min, #max)),
                _ => quote!(#rules::range(__v, #min, #max)),
            }
        }
        Rule::MinLen(n) => quote!(#rules::min_len(__v, #n)),
        Rule::MaxLen(n) => quote!(#rules::max_len(__v, #n)),
        Rule::NonEmpty => quote!(#rules::non_empty(__v)),
        Rule::Pattern(re) => quote!(#rules::pattern(__v, &__PATTERN, #re)),
        Rule::OneOf(words) => quote!(#rules::one_of(__v, &[#(#words),*])),
        Rule::UrlScheme(schemes) => quote!(#rules::url_scheme(__v, &[#(#schemes),*])),
        Rule::Custom(path) => {
            let call = quote_spanned!(path.span()=> #path(__v));
            quote!(#rules::custom(#call))
        }
    }
}

/// A bound as Rust code. On a float field an integer literal becomes a float literal, so
/// `range(min = 1)` works on an `f64` as it reads; on a `Duration` or a `ByteSize` a text
/// (checked to parse) becomes the duration or size it names; on a `NonZero*` integer a plain
/// number becomes a bound of that type.
fn bound_expr(expr: &Expr, kind: LeafKind) -> TokenStream {
    if kind == LeafKind::Duration
        && let Expr::Lit(lit) = expr
        && let Lit::Str(text) = &lit.lit
        && let Ok(duration) = crate::check::parse_duration(&text.value())
    {
        let (secs, nanos) = (duration.as_secs(), duration.subsec_nanos());
        return quote_spanned!(text.span()=> _config::__private::Duration::new(#secs, #nanos));
    }
    if kind == LeafKind::ByteSize
        && let Expr::Lit(lit) = expr
        && let Lit::Str(text) = &lit.lit
        && let Ok(bytes) = crate::check::parse_byte_size(&text.value())
    {
        return quote_spanned!(text.span()=> _config::__private::ByteSize::b(#bytes));
    }
    if let LeafKind::NonZero(_) = kind {
        return quote!(_config::__private::non_zero_bound(#expr));
    }
    if kind == LeafKind::Float {
        match expr {
            Expr::Lit(lit) => {
                if let Lit::Int(int) = &lit.lit
                    && int.suffix().is_empty()
                {
                    let float = LitFloat::new(&format!("{}.0", int.base10_digits()), int.span());
                    return quote!(#float);
                }
            }
            Expr::Unary(unary) if matches!(unary.op, UnOp::Neg(_)) => {
                let inner = bound_expr(&unary.expr, kind);
                let op = &unary.op;
                return quote!(#op #inner);
            }
            _ => {}
        }
    }
    quote!(#expr)
}
