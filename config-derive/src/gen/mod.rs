//! Code generation: one module per output, all reading the model. Everything is wrapped in
//! `const _: () = { use <runtime> as _config; .. };` so generated code names the runtime by
//! one alias (`crate = ".."` changes it) and leaks no names into the user's module.

mod assemble;
mod describe;
mod fallback;

pub use fallback::fallback;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

use crate::model::Container;

/// The `impl Config` for a checked struct.
pub fn expand(container: &Container) -> TokenStream {
    let ident = &container.ident;
    let schema = schema(container);
    let describe = describe::describe(container);
    let assemble = assemble::assemble(container);
    wrap_in_const(
        container.krate.as_ref(),
        quote! {
            #[automatically_derived]
            impl _config::Config for #ident {
                #schema
                #describe
                #assemble
            }
        },
    )
}

/// `const _: () = { use ::config_runtime as _config; #body };`
fn wrap_in_const(krate: Option<&Path>, body: TokenStream) -> TokenStream {
    let krate = match krate {
        Some(path) => quote!(#path),
        None => quote!(::config_runtime),
    };
    quote! {
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            use #krate as _config;
            #body
        };
    }
}

/// `schema()`: built once per type from `__describe`.
fn schema(container: &Container) -> TokenStream {
    let name = container.ident.to_string();
    let prefix = option_str(container.prefix.as_deref());
    let doc = &container.doc;
    quote! {
        fn schema() -> &'static _config::Schema {
            static SCHEMA: _config::__private::OnceLock<_config::Schema> = _config::__private::OnceLock::new();
            SCHEMA.get_or_init(|| _config::__private::schema_of::<Self>(#name, #prefix, #doc))
        }
    }
}

/// `Some("..")` or `None`, fully qualified.
fn option_str(value: Option<&str>) -> TokenStream {
    match value {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    }
}
