//! `#[derive(Config)]` for `config_runtime`. Use it through `config_runtime::Config`.
//!
//! The derive is a short chain: parse the attributes (`attr`), check them against each other
//! and the field types (`check`), build a typed `model`, and generate code from it
//! (`generate`, in `gen/`). When any step fails, every error is emitted at once, spanned on
//! the token at fault, together with a stub impl so those are the only errors the user sees.

mod attr;
mod case;
mod check;
mod flags;
// `gen` is a reserved word in edition 2024; the folder keeps the short name.
#[path = "gen/mod.rs"]
mod generate;
mod model;
mod shape;
mod tokens;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `config_runtime::Config`; see the documentation of that re-export.
#[proc_macro_derive(Config, attributes(config))]
pub fn derive_config(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match model::Container::from_input(&input) {
        Ok(container) => generate::expand(&container),
        Err(errors) => generate::fallback(&input, errors),
    }
    .into()
}

/// Derives `config_runtime::flags::FlagSet`; see the documentation of that re-export.
#[proc_macro_derive(Flags, attributes(flag))]
pub fn derive_flags(input: TokenStream) -> TokenStream {
    flags::expand(&parse_macro_input!(input as DeriveInput)).into()
}
