//! `#[derive(Flags)]`: a struct whose fields are the feature flags an application reads.
//! Each field becomes a declaration (name, doc comment, default) and a handle bound to it,
//! so code names flags by field and a misspelling does not compile.

use darling::util::SpannedValue;
use darling::{FromDeriveInput, FromField};
use heck::ToKebabCase;
use proc_macro2::TokenStream;
use quote::quote;
use std::collections::HashMap;
use syn::{Attribute, DeriveInput, Generics, Ident, Type};

use crate::attr::CratePath;
use crate::generate::wrap_in_const;
use crate::model::doc_comment;

/// `#[flag(..)]` on the struct.
#[derive(FromDeriveInput)]
#[darling(attributes(flag), supports(struct_named))]
struct FlagsAttrs {
    ident: Ident,
    generics: Generics,
    data: darling::ast::Data<(), FieldAttrs>,
    /// `crate = "path"`.
    #[darling(default, rename = "crate")]
    krate: Option<CratePath>,
}

/// `#[flag(..)]` on a field.
#[derive(FromField)]
#[darling(attributes(flag), forward_attrs(doc))]
struct FieldAttrs {
    ident: Option<Ident>,
    ty: Type,
    attrs: Vec<Attribute>,
    /// `name = ".."`: the flag's name in the document (the field name in kebab-case).
    #[darling(default)]
    name: Option<SpannedValue<String>>,
    /// `default = true`: on when the document lacks the flag.
    #[darling(default)]
    default: Option<bool>,
}

/// One checked field.
struct Declared<'a> {
    ident: &'a Ident,
    ty: &'a Type,
    name: String,
    doc: String,
    default: bool,
}

/// The impl, or every error with a stub impl.
pub fn expand(input: &DeriveInput) -> TokenStream {
    match FlagsAttrs::from_derive_input(input).and_then(|attrs| generate(&attrs)) {
        Ok(tokens) => tokens,
        Err(errors) => {
            let errors = errors.write_errors();
            let ident = &input.ident;
            let stub = quote! {
                #[automatically_derived]
                impl _config::flags::FlagSet for #ident {
                    fn declare() -> Self {
                        ::core::unreachable!("#[derive(Flags)] failed to compile")
                    }
                    fn declared() -> &'static [_config::flags::FlagInfo] {
                        &[]
                    }
                }
            };
            let krate = FlagsAttrs::from_derive_input(input)
                .ok()
                .and_then(|a| a.krate);
            let stub = wrap_in_const(krate.as_ref().map(|k| &k.0), stub);
            quote!(#errors #stub)
        }
    }
}

fn generate(attrs: &FlagsAttrs) -> darling::Result<TokenStream> {
    let mut errors = darling::Error::accumulator();
    if let Some(param) = attrs.generics.params.first() {
        errors.push(
            darling::Error::custom("a flag set is a concrete struct; remove the generics")
                .with_span(param),
        );
    }
    let fields = attrs
        .data
        .as_ref()
        .take_struct()
        .expect("named struct")
        .fields;
    let mut seen: HashMap<String, &Ident> = HashMap::new();
    let mut declared = Vec::new();
    for field in fields {
        let ident = field.ident.as_ref().expect("named field");
        let name = match &field.name {
            Some(name) if name.trim().is_empty() => {
                errors.push(
                    darling::Error::custom("a flag name cannot be empty").with_span(&name.span()),
                );
                continue;
            }
            Some(name) => name.as_str().to_owned(),
            None => ident.to_string().trim_start_matches("r#").to_kebab_case(),
        };
        if let Some(first) = seen.insert(name.clone(), ident) {
            let at = field.name.as_ref().map_or(ident.span(), |n| n.span());
            errors.push(
                darling::Error::custom(format!("flag `{name}` is already declared by `{first}`"))
                    .with_span(&at),
            );
            continue;
        }
        declared.push(Declared {
            ident,
            ty: &field.ty,
            name,
            doc: doc_comment(&field.attrs),
            default: field.default.unwrap_or(false),
        });
    }
    errors.finish()?;
    let ident = &attrs.ident;
    let infos = declared.iter().map(|d| {
        let (name, doc, default) = (&d.name, &d.doc, d.default);
        quote!(_config::flags::FlagInfo { name: #name, doc: #doc, default: #default })
    });
    let bindings = declared.iter().enumerate().map(|(i, d)| {
        let (field, ty) = (d.ident, d.ty);
        quote!(#field: <#ty as _config::flags::FlagField>::declare(&DECLARED[#i]))
    });
    Ok(wrap_in_const(
        attrs.krate.as_ref().map(|k| &k.0),
        quote! {
            const DECLARED: &[_config::flags::FlagInfo] = &[#(#infos),*];
            #[automatically_derived]
            impl _config::flags::FlagSet for #ident {
                fn declare() -> Self {
                    #ident { #(#bindings),* }
                }
                fn declared() -> &'static [_config::flags::FlagInfo] {
                    DECLARED
                }
            }
        },
    ))
}
