//! `__describe`: each field's name, variable, docs, default and rules, for the schema. It
//! visits fields in the same order as `__assemble`, which walks the schema with a cursor.

use proc_macro2::TokenStream;
use quote::quote;

use super::option_str;
use crate::model::{Container, Default, Field, FieldKind, Leaf, Rule};
use crate::tokens;

/// The `__describe` function.
pub fn describe(container: &Container) -> TokenStream {
    let fields = container.fields.iter().map(describe_field);
    quote! {
        fn __describe(__d: &mut _config::__private::Describe) {
            #(#fields)*
        }
    }
}

fn describe_field(field: &Field) -> TokenStream {
    let Field { name, ty, doc, .. } = field;
    match &field.kind {
        FieldKind::Skipped => TokenStream::new(),
        FieldKind::Nested { restart: true } => {
            quote! { __d.nested_restart::<#ty>(#name, #doc); }
        }
        FieldKind::Nested { restart: false } => quote! { __d.nested::<#ty>(#name, #doc); },
        FieldKind::Leaf(leaf) => {
            let spec = leaf_spec(name, doc, leaf);
            quote! { __d.leaf::<#ty>(#spec); }
        }
    }
}

fn leaf_spec(name: &str, doc: &str, leaf: &Leaf) -> TokenStream {
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
            env: #env,
            aliases: &[#(#aliases),*],
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
