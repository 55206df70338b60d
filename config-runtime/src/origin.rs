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
    /// The origin of a value at `line` of the document this is the origin of. A value
    /// without a line of its own (inside a JSON string a key holds) keeps the document's.
    pub(crate) fn at_line(&self, line: Option<u32>) -> Origin {
        match self {
            Origin::File { path, line: outer } => Origin::File {
                path: path.clone(),
                line: line.or(*outer),
            },
            Origin::Text { name, line: outer } => Origin::Text {
                name: name.clone(),
                line: line.or(*outer),
            },
            other => other.clone(),
        }
    }

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
    /// Where it came from; a document's line is named by the document's place in the
    /// load's [`Documents`].
    pub provenance: Provenance,
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
    pub fn new(raw: RawValue, provenance: impl Into<Provenance>) -> Self {
        Sourced {
            raw,
            provenance: provenance.into(),
            references: Box::default(),
            taint: Taint::Plain,
            interpolation: Interpolation::Resolve,
        }
    }

    /// The same value with its origin whole, for a slot kept apart from the documents it was
    /// numbered by (a `restart` leaf's running value).
    #[cfg(feature = "live")]
    pub fn detached(&self, documents: &Documents) -> Sourced {
        let mut copy = self.clone();
        copy.provenance = Provenance::Origin(documents.origin(&self.provenance));
        copy
    }
}

/// Where a merged value came from, as a slot holds it. A value read from a document (a file,
/// an embedded text) names the document by its place in the load's [`Documents`] and keeps
/// its line: a slot of a thousand-key file holds no copy of the file's path, so a load
/// raises no reference count (nor copies a name) per key, and dropping a snapshot lowers
/// none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Provenance {
    /// A line of the document numbered `document`.
    Line {
        document: DocumentId,
        line: Option<u32>,
    },
    /// An origin of its own: a variable, an override, a default, a key of a remote store.
    Origin(Origin),
}

impl From<Origin> for Provenance {
    fn from(origin: Origin) -> Self {
        Provenance::Origin(origin)
    }
}

/// The place of a document in [`Documents`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DocumentId(u32);

/// The documents one merge read, each by its origin as a whole: what a
/// [`Provenance::Line`] names. It goes with the slots it numbers (a merge's result, a
/// running snapshot's report); a slot that leaves them is made whole first
/// ([`Sourced::detached`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Documents(Vec<Origin>);

impl Documents {
    /// Numbers a document; `None` for an origin that is not a document's (its values keep
    /// their origins whole).
    pub fn add(&mut self, whole: &Origin) -> Option<DocumentId> {
        if !matches!(whole, Origin::File { .. } | Origin::Text { .. }) {
            return None;
        }
        let id = DocumentId(u32::try_from(self.0.len()).ok()?);
        self.0.push(whole.clone());
        Some(id)
    }

    /// The origin a slot's provenance stands for.
    pub fn origin(&self, provenance: &Provenance) -> Origin {
        match provenance {
            Provenance::Origin(origin) => origin.clone(),
            Provenance::Line { document, line } => {
                let whole = self.0.get(document.0 as usize);
                // Slots are only read with the documents they were numbered by.
                debug_assert!(whole.is_some(), "a slot read with another load's documents");
                whole.map_or(Origin::Default, |whole| whole.at_line(*line))
            }
        }
    }
}
