//! Where a value came from. Every leaf of a loaded config remembers its [`Origin`], so errors
//! and the explain report can say "APP_PORT (environment)" or "config.toml line 3".

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::value::RawValue;

/// The source a value was read from. Paths are shared (`Arc<Path>`): every value of a file
/// carries its file's path, and a reload copies none of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// The field's `default`.
    Default,
    /// A TOML, YAML or JSON file; `line` when the parser reports it.
    File {
        /// The file as it was given to the loader.
        path: Arc<Path>,
        /// 1-based line of the key.
        line: Option<u32>,
    },
    /// A `.env` file.
    Dotenv {
        /// The file as it was given to the loader.
        path: Arc<Path>,
        /// 1-based line of the variable.
        line: u32,
    },
    /// The process environment (or the map given to `from_map`).
    Env {
        /// The variable that was read (the alias, when an alias was used). Borrowed from the
        /// config's own schema when it is a declared variable, so a load copies no names.
        var: Cow<'static, str>,
    },
    /// One file of a directory source (`.dir(..)`, e.g. a Kubernetes secret volume).
    Dir {
        /// The file that held the value.
        path: Arc<Path>,
    },
    /// The file a `NAME_FILE` variable names (Docker and Kubernetes secrets).
    VarFile {
        /// The variable that named the file (`APP_DB_PASSWORD_FILE`).
        var: String,
        /// The file that held the value.
        path: Arc<Path>,
    },
    /// An explicit `.set(key, value)` on the loader.
    Override,
    /// A document given as text (`Loader::string`), e.g. a default file built in with
    /// `include_str!`.
    Text {
        /// The name given with `Loader::string_named`, or `embedded TOML`/`YAML`/`JSON`.
        name: String,
        /// 1-based line of the key, when the format reports it.
        line: Option<u32>,
    },
    /// The command line (`Loader::args`).
    Arg {
        /// The flag as it was written, without its value (`--redis.port`), or `argument 3`
        /// for an argument that is not a flag.
        flag: String,
    },
    /// One key of a remote source (`.source(..)`): etcd and the like.
    Remote {
        /// The source, as it describes itself (`etcd /app/`).
        source: String,
        /// The key in that source; `None` for the source as a whole (it could not be read).
        key: Option<String>,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, "{} line {line}", path.display()),
            Origin::File { path, line: None } => write!(f, "{}", path.display()),
            Origin::Dotenv { path, line } => write!(f, "{} line {line}", path.display()),
            Origin::Env { .. } => f.write_str("environment"),
            Origin::Dir { path } => write!(f, "file {}", path.display()),
            Origin::VarFile { var, path } => write!(f, "file {} named by {var}", path.display()),
            Origin::Override => f.write_str("override"),
            Origin::Text {
                name,
                line: Some(line),
            } => write!(f, "{name} line {line}"),
            Origin::Text { name, line: None } => f.write_str(name),
            Origin::Arg { flag } => write!(f, "command line {flag}"),
            Origin::Remote {
                source,
                key: Some(key),
            } => write!(f, "{source} key {key}"),
            Origin::Remote { source, key: None } => f.write_str(source),
        }
    }
}

impl Origin {
    /// Whether the value was given by an environment-style variable, so a message should name
    /// the variable rather than the key path.
    pub fn is_variable(&self) -> bool {
        matches!(
            self,
            Origin::Env { .. } | Origin::Dotenv { .. } | Origin::VarFile { .. }
        )
    }
}

/// How a value may be shown, from what it went through. Ordered: a value that mixes two
/// takes the stricter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Taint {
    /// Text as a local source gave it: errors may quote it (unless the field is secret).
    Plain,
    /// Took text from `${env:..}` or `${file:..}`: never quoted.
    Referenced,
    /// Plaintext of an encrypted file: never quoted; explain shows `(encrypted)`.
    Decrypted,
    /// Took text from a secret provider: never quoted, only into `Secret<T>` fields.
    Provider,
}

/// What `${..}` in a value means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interpolation {
    /// A reference, resolved (local sources).
    Resolve,
    /// Literal text (data from remote stores, decrypted plaintext).
    Literal,
}

/// A raw value with its origin: what every source contributes for one key.
#[derive(Clone)]
pub(crate) struct Sourced {
    pub raw: RawValue,
    pub origin: Origin,
    /// References (`${..}`) this value contained, rendered without values (a boxed slice:
    /// most values have none, and a slot is one of a thousand in a wide config).
    pub references: Box<[String]>,
    /// What the value went through.
    pub taint: Taint,
    /// Whether `${..}` in it is a reference or text (remote and decrypted values).
    pub interpolation: Interpolation,
}

/// Merged texts may be secrets (a `Secret<T>` field's, a provider's): wiped when dropped,
/// which covers every load's slots and what `Live` keeps between reloads.
impl Drop for Sourced {
    fn drop(&mut self) {
        match &mut self.raw {
            RawValue::Str(text) => crate::secret::wipe_text(text),
            RawValue::List(items) => items.iter_mut().for_each(crate::secret::wipe_text),
        }
    }
}

impl Sourced {
    pub fn new(raw: RawValue, origin: Origin) -> Self {
        Sourced {
            raw,
            origin,
            references: Box::default(),
            taint: Taint::Plain,
            interpolation: Interpolation::Resolve,
        }
    }
}
