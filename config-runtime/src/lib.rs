//! Typed application configuration and secrets: declare a struct, derive [`Config`], and get
//! layered loading (defaults < files < `.env` < environment < overrides), validation that
//! reports every problem at once with where each bad value came from, secrets that never
//! leak, a documented `.env.example` and a JSON Schema.
//!
//! ```
//! use config_runtime::{Config, Secret};
//! use std::time::Duration;
//!
//! /// Settings of the billing service.
//! #[derive(Config, Debug)]
//! #[config(prefix = "APP")]
//! struct AppConfig {
//!     /// TCP port of the HTTP server.
//!     #[config(default = 8080, validate(range(min = 1, max = 65535)))]
//!     port: u16,
//!     /// Request timeout.
//!     #[config(default = "30s")]
//!     request_timeout: Duration,
//!     /// Stripe API key.
//!     #[config(validate(min_len = 8))]
//!     stripe_key: Secret<String>,
//! }
//!
//! let cfg = AppConfig::from_map([("APP_PORT", "9000"), ("APP_STRIPE_KEY", "sk_test_12345")]).unwrap();
//! assert_eq!(cfg.port, 9000);
//! assert_eq!(cfg.request_timeout, Duration::from_secs(30));
//! assert_eq!(format!("{:?}", cfg.stripe_key), "Secret([REDACTED])");
//!
//! let err = AppConfig::from_map([("APP_PORT", "abc"), ("APP_STRIPE_KEY", "short")]).unwrap_err();
//! assert_eq!(err.errors().len(), 2);
//! assert!(err.to_string().contains("APP_PORT (environment): expected an integer in 1..=65535, got \"abc\""));
//! assert!(!err.to_string().contains("short"));
//! ```
//!
//! # For application authors
//! - Declare the struct with `#[derive(Config)]` (attributes: see the [`Config`] derive).
//! - Load with [`Config::from_env`], [`Config::from_map`] or [`Config::loader`].
//! - Keep `.env.example` fresh with [`build::write_env_example`] / [`build::check_env_example`].
//! - Real services' shapes: a `nested` field may be an `Option`, a `Vec` or a
//!   `HashMap`/`BTreeMap<String, _>` of a `Config` struct or of a tagged `Config` enum
//!   (`#[config(tag = "type")]`); a map of plain values is a plain field; `flatten`, `rename`,
//!   `file_alias`, `rename_all`, `unknown = "warn"`, `env_separator = "__"` (see the README).
//!
//! # For library authors
//! - A field type needs [`ConfigValue`]; opt a `FromStr` type in with [`impl_from_str!`] and a
//!   serde enum with [`impl_serde_enum!`].

#![deny(missing_docs)]

mod assemble;
pub mod build;
#[cfg(feature = "cli")]
pub mod cli;
mod describe;
#[cfg(feature = "sops")]
mod dotenvx;
mod env_example;
mod error;
mod explain;
#[cfg(any(feature = "cli", feature = "live"))]
mod fingerprint;
#[cfg(feature = "flags")]
pub mod flags;
mod format;
mod help;
#[cfg(feature = "http")]
pub mod http;
mod key_path;
pub mod key_service;
#[cfg(feature = "live")]
pub mod live;
mod loader;
mod origin;
mod provider;
mod reference;
mod rules;
mod schema;
mod secret;
#[cfg(feature = "sops")]
pub mod sops;
pub mod source;
mod suggest;
mod value;
mod var_pattern;
mod warning;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use error::{ConfigError, ErrorKind, FieldError, Subject, UnknownName};
pub use explain::{Explain, ExplainRow};
#[cfg(any(feature = "cli", feature = "live"))]
pub use fingerprint::{BadHex, Fingerprint, FingerprintKey};
pub use format::Format;
pub use key_path::KeyPath;
pub use loader::Loader;
pub use origin::Origin;
pub use provider::{
    BoxFuture, Breaker, OutagePolicy, Payload, ProviderError, ProviderErrorKind, ProviderStatus,
    SecretData, SecretProvider, SecretWriter,
};
pub use reference::{Reference, ReferenceError};
pub use schema::{
    Element, FieldSchema, NodeKind, NodeSchema, RuleSpec, Schema, Section, Separators, UnknownKeys,
    Variant,
};
pub use secret::{REDACTED, Secret};
pub use value::{ConfigValue, RawValue, ValueError, ValueKind};

/// A number of bytes, read from `"100 MB"`, `"1MiB"`, `"1M"` or whole bytes (`"512"`).
///
/// A bare unit letter is decimal: `1M` is `1 MB` (1 000 000 bytes), as the `bytesize` crate,
/// Kubernetes and Garage read it; write `1Mi` or `1MiB` for 1 048 576 bytes. Units ignore
/// case. This is the `bytesize` crate's type: its constructors (`ByteSize::mib(1)`), `as_u64`
/// and arithmetic are yours to use.
///
/// ```
/// use config_runtime::{ByteSize, Config};
///
/// #[derive(Config, Debug)]
/// struct Limits {
///     /// Largest request body.
///     #[config(default = "100 MB", validate(range(min = "1 KiB", max = "1 GiB")))]
///     max_payload: ByteSize,
/// }
///
/// let limits = Limits::from_map([("MAX_PAYLOAD", "1M")]).unwrap();
/// assert_eq!(limits.max_payload, ByteSize::mb(1));
/// let err = Limits::from_map([("MAX_PAYLOAD", "2GiB")]).unwrap_err();
/// assert!(err.to_string().contains("must be in 1 KiB..=1 GiB, got \"2 GiB\""), "{err}");
/// ```
pub use bytesize::ByteSize;
pub use warning::Warning;

/// Derives [`Config`] for a struct with named fields.
///
/// Container attributes: `prefix = "APP"`, `validate = path` (a `fn(&Self) -> Result<(), String>`
/// run once every field is valid), `crate = "path"` (when `config_runtime` is renamed).
///
/// Field attributes: `default = <expr>` (a string literal is parsed like an environment value),
/// `env = "NAME"`, `nested`, `validate(range(min, max), min_len, max_len, pattern, one_of(..),
/// url_scheme(..), non_empty, custom = path)`, `example = ".."`, `restart`, `alias = "OLD"`,
/// `skip`. Doc comments become descriptions in `.env.example` and the schema.
///
/// It generates the schema (`schema()`), and the two hidden halves the loader drives:
/// `__describe` (the fields, their names and rules) and `__assemble` (parse and check each
/// field, in the same order).
#[cfg(feature = "derive")]
pub use config_derive::Config;

/// A configuration type. Derive it; do not implement it by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a configuration section: it does not derive `Config`",
    label = "`{Self}` does not derive `Config`",
    note = "`nested` and `flatten` need a struct (or a tagged enum) with `#[derive(Config)]`",
    note = "for a map or list of plain values, remove `nested`"
)]
pub trait Config: Sized + 'static {
    /// The declared shape: every field with its key, variable, type, default and docs.
    fn schema() -> &'static Schema;

    /// Loads from defaults < `./.env` (if present) < the process environment.
    fn from_env() -> Result<Self, ConfigError> {
        Self::loader().dotenv(".env").env().load()
    }

    /// Loads from defaults < this map, read exactly like the environment (no `.env`, no
    /// process environment). Handy in tests.
    fn from_map<I, K, V>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self::loader().vars(vars).load()
    }

    /// A loader to list sources explicitly.
    fn loader() -> Loader<Self> {
        Loader::new()
    }

    /// The `.env.example` text: every variable, documented; no secret values.
    fn env_example() -> String {
        env_example::render(Self::schema())
    }

    #[doc(hidden)]
    fn __describe(describe: &mut __private::Describe<'_>);

    #[doc(hidden)]
    fn __assemble(assemble: &mut __private::Assemble<'_>) -> Option<Self>;
}
