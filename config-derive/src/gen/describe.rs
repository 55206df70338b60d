//! `__describe`: each field's name, variable, docs, default and rules, for the schema. It
//! visits fields in the same order as `__assemble`, which walks the schema with a cursor.

use proc_macro2::TokenStream;
use quote::quote;

use super::option_str;
use crate::model::{
    Container, Default, Field, FieldKind, Leaf, NestedShape, Rule, Tagged, VariantModel,
};
use crate::tokens;

/// The `__describe` function.
pub fn describe(container: &Container) -> TokenStream {
    if let Some(tagged) = &container.tagged {
        return describe_enum(tagged);
    }
    let unknown = match container.unknown.as_deref() {
        Some("warn") => quote!(__d.unknown(_config::__private::UnknownKeys::Warn);),
        Some("ignore") => quote!(__d.unknown(_config::__private::UnknownKeys::Ignore);),
        _ => TokenStream::new(),
    };
    let fields = container.fields.iter().map(describe_field);
    quote! {
        fn __describe(__d: &mut _config::__private::Describe<'_>) {
            #unknown
            #(#fields)*
        }
    }
}

/// An enum: the tag, and each variant's struct.
fn describe_enum(tagged: &Tagged) -> TokenStream {
    let tag = &tagged.tag;
    let names = tagged.variants.iter().map(|v| &v.name);
    let variants = tagged.variants.iter().map(|variant| {
        let VariantModel { name, doc, ty, .. } = variant;
        let describe = match ty {
            Some(ty) => quote!(::core::option::Option::Some(<#ty as _config::Config>::__describe)),
            None => quote!(::core::option::Option::None),
        };
        quote!(_config::__private::Variant { name: #name, doc: #doc, describe: #describe })
    });
    quote! {
        fn __describe(__d: &mut _config::__private::Describe<'_>) {
            const __TAG_RULES: &[_config::RuleSpec] = &[_config::RuleSpec::OneOf(&[#(#names),*])];
            const __VARIANTS: &[_config::__private::Variant] = &[#(#variants),*];
            __d.tagged(#tag, __TAG_RULES, __VARIANTS);
        }
    }
}

fn describe_field(field: &Field) -> TokenStream {
    let Field {
        name, key, ty, doc, ..
    } = field;
    match &field.kind {
        FieldKind::Skipped => TokenStream::new(),
        FieldKind::Flatten => quote! { __d.flatten::<#ty>(); },
        FieldKind::Nested { restart, shape } => {
            if *restart && matches!(**shape, NestedShape::Plain) {
                return quote! { __d.nested_restart::<#ty>(#key, #doc); };
            }
            let call = match &**shape {
                NestedShape::Plain => quote!(__d.nested::<#ty>(#key, #doc)),
                NestedShape::Optional(inner) => quote!(__d.optional::<#inner>(#key, #doc)),
                NestedShape::List(inner) => quote!(__d.list::<#inner>(#key, #doc)),
                NestedShape::Map(inner) => quote!(__d.map::<#inner>(#key, #doc)),
            };
            if *restart {
                quote! { __d.with_restart(|__d| #call); }
            } else {
                quote! { #call; }
            }
        }
        FieldKind::Leaf(leaf) => {
            let spec = leaf_spec(field, leaf);
            quote! { __d.leaf::<#ty>(#spec); }
        }
        FieldKind::MapValues(leaf) => {
            let spec = leaf_spec(field, leaf);
            let value = crate::shape::map_value(ty).expect("a map of values has a value type");
            let _ = name;
            quote! { __d.map_values::<#value>(#spec); }
        }
    }
}

fn leaf_spec(field: &Field, leaf: &Leaf) -> TokenStream {
    let Field {
        name,
        key,
        doc,
        file_aliases,
        ..
    } = field;
    let env = option_str(leaf.env.as_deref());
    let aliases = &leaf.aliases;
    let default = match &leaf.default {
        Default::None => quote!(_config::__private::DefaultSpec::None),
        Default::Raw(text) => quote!(_config::__private::DefaultSpec::Raw(#text)),
        Default::Expr { text, .. } => quote!(_config::__private::DefaultSpec::Expr(#text)),
    };
    let example = option_str(leaf.example.as_deref());
    let restart = leaf.restart;
    let rules = leaf.rules.iter().map(rule_spec);
    quote! {
        _config::__private::LeafSpec {
            name: #name,
            key: #key,
            env: #env,
            aliases: &[#(#aliases),*],
            file_aliases: &[#(#file_aliases),*],
            doc: #doc,
            default: #default,
            example: #example,
            restart: #restart,
            rules: &[#(#rules),*],
        }
    }
}

fn rule_spec(rule: &Rule) -> TokenStream {
    match rule {
        Rule::Range { min, max } => {
            let min = option_str(min.as_ref().map(|b| b.text.as_str()));
            let max = option_str(max.as_ref().map(|b| b.text.as_str()));
            quote!(_config::RuleSpec::Range { min: #min, max: #max })
        }
        Rule::MinLen(n) => quote!(_config::RuleSpec::MinLen(#n)),
        Rule::MaxLen(n) => quote!(_config::RuleSpec::MaxLen(#n)),
        Rule::NonEmpty => quote!(_config::RuleSpec::NonEmpty),
        Rule::Pattern(re) => {
            let re = re.value();
            quote!(_config::RuleSpec::Pattern(#re))
        }
        Rule::OneOf(words) => quote!(_config::RuleSpec::OneOf(&[#(#words),*])),
        Rule::UrlScheme(schemes) => {
            quote!(_config::RuleSpec::UrlScheme(&[#(#schemes),*]))
        }
        Rule::Custom(path) => {
            let text = tokens::text(path);
            quote!(_config::RuleSpec::Custom(#text))
        }
    }
}
