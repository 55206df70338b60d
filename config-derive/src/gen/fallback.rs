//! When the input is broken: the errors as `compile_error!`s plus a stub `impl Config`, so
//! the user sees the errors at the derive and not a second wave of "`Config` is not
//! implemented" wherever the struct is used (thiserror's fallback idea).

use darling::FromDeriveInput;
use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use super::wrap_in_const;
use crate::attr::ContainerAttrs;

/// The errors, and an `impl Config` whose methods are never meant to run.
pub fn fallback(input: &DeriveInput, errors: darling::Error) -> TokenStream {
    let errors = errors.write_errors();
    let krate = ContainerAttrs::from_derive_input(input)
        .ok()
        .and_then(|attrs| attrs.krate);
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let predicates = where_clause.map(|w| &w.predicates);
    let stub = quote! {
        #[automatically_derived]
        impl #impl_generics _config::Config for #ident #ty_generics
        where
            #ident #ty_generics: 'static,
            #predicates
        {
            fn schema() -> &'static _config::Schema {
                ::core::unreachable!("#[derive(Config)] failed to compile")
            }
            fn __describe(_: &mut _config::__private::Describe<'_>) {}
            fn __assemble(_: &mut _config::__private::Assemble<'_>) -> ::core::option::Option<Self> {
                ::core::option::Option::None
            }
        }
    };
    let stub = wrap_in_const(krate.as_ref().map(|k| &k.0), stub);
    quote! {
        #errors
        #stub
    }
}
