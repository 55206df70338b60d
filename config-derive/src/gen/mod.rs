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
pub(crate) fn wrap_in_const(krate: Option<&Path>, body: TokenStream) -> TokenStream {
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
    let (prefix_separator, nesting) = (&container.separators.prefix, &container.separators.nesting);
    quote! {
        fn schema() -> &'static _config::Schema {
            static SCHEMA: _config::__private::OnceLock<_config::Schema> = _config::__private::OnceLock::new();
            SCHEMA.get_or_init(|| {
                let separators = _config::__private::Separators {
                    prefix: #prefix_separator,
                    nesting: #nesting,
                };
                _config::__private::schema_of::<Self>(#name, #prefix, #doc, separators)
            })
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

#[cfg(test)]
mod tests {
    use crate::model::Container;
    use proc_macro2::{TokenStream, TokenTree};

    fn expand(input: TokenStream) -> TokenStream {
        let input = syn::parse2(input).unwrap();
        match Container::from_input(&input) {
            Ok(container) => super::expand(&container),
            Err(errors) => panic!("{errors}"),
        }
    }

    fn sample(krate: Option<&str>) -> TokenStream {
        let krate = krate.map(|path| quote::quote!(#[config(crate = #path)]));
        quote::quote! {
            /// Settings.
            #[derive(Config)]
            #krate
            #[config(prefix = "APP", validate = Self::check)]
            struct Settings {
                /// Port.
                #[config(default = 8080, validate(range(min = 1, max = 65535)))]
                port: u16,
                #[config(validate(pattern = "^[a-z]+$", min_len = 1, one_of("a")))]
                names: Option<Vec<Secret<String>>>,
                #[config(validate(url_scheme("https"), custom = check_url), alias = "OLD")]
                url: Url,
                #[config(nested)]
                redis: Redis,
                #[config(skip)]
                started: bool,
            }
        }
    }

    /// Idents and the tokens before them, flattened through groups.
    fn idents(stream: TokenStream, out: &mut Vec<(String, String)>, previous: &mut String) {
        for token in stream {
            match token {
                TokenTree::Group(group) => idents(group.stream(), out, previous),
                TokenTree::Ident(ident) => {
                    out.push((ident.to_string(), previous.clone()));
                    *previous = ident.to_string();
                }
                TokenTree::Punct(punct) => *previous = punct.as_char().to_string(),
                TokenTree::Literal(lit) => *previous = lit.to_string(),
            }
        }
    }

    #[test]
    #[ignore = "prints the expansion"]
    fn print_expansion() {
        println!("{}", expand(sample(None)));
    }

    #[test]
    fn crate_path_replaces_the_runtime_name_everywhere() {
        let code = expand(sample(Some("renamed"))).to_string();
        assert!(code.contains("use renamed as _config"), "{code}");
        assert!(!code.contains("config_runtime"), "{code}");
        let code = expand(sample(None)).to_string();
        assert!(code.contains("use :: config_runtime as _config"), "{code}");
    }

    #[test]
    fn prelude_names_are_always_fully_qualified() {
        let mut found = Vec::new();
        idents(expand(sample(None)), &mut found, &mut String::new());
        assert!(
            found
                .iter()
                .any(|(ident, previous)| ident == "Some" && previous == ":")
        );
        for (ident, previous) in found {
            if ["Option", "Some", "None", "Default", "Result", "Ok", "Err", "String", "Vec"]
                .contains(&ident.as_str())
                // `Secret<..>`/`Option<..>` inside the user's own field types are theirs.
                && previous != "<"
                && previous != ","
            {
                assert_eq!(previous, ":", "`{ident}` is not behind a path");
            }
        }
    }
}
