//! The source seam: everything a loader reads from is a [`Source`].
//!
//! A source does its I/O in [`Source::gather`] and hands back plain data: entries (a name, a
//! value, a typed [`Origin`]), problems, and a [`Version`] of what it read. Everything after
//! that (merging the sources in order, resolving `${..}` references, assembling the struct)
//! is a pure function of what the sources gave. The source also says how far its values are
//! trusted ([`Trust`]) and what can tell that it changed (paths to watch, a push stream, a
//! poll), which is all a `Live` config needs to follow it.
//!
//! Files, `.env` files, directories of files, the process environment, maps, overrides and
//! remote stores (etcd, SSM parameters by path) are all implementations; write one for your
//! own store:
//!
//! ```
//! use config_runtime::source::{Entry, Gathered, Gathering, GatherContext, Source, Trust};
//! use config_runtime::{Config, Origin};
//!
//! /// Values kept in a table of the application's own database, say.
//! struct Table(Vec<(&'static str, &'static str)>);
//!
//! impl Source for Table {
//!     fn name(&self) -> String {
//!         "settings table".to_owned()
//!     }
//!
//!     // Data from outside this machine: `${..}` in it stays literal text.
//!     fn trust(&self) -> Trust {
//!         Trust::RemoteData
//!     }
//!
//!     fn gather(&self, _: &GatherContext) -> Gathering<'_> {
//!         let entries = self.0.iter().map(|(key, value)| {
//!             let origin = Origin::Remote { source: self.name(), key: Some((*key).to_owned()) };
//!             Entry::key(*key, *value, origin)
//!         });
//!         Gathering::Ready(Ok(Gathered::new(entries.collect())))
//!     }
//! }
//!
//! #[derive(Config)]
//! struct App {
//!     #[config(default = 8080)]
//!     port: u16,
//!     #[config(default = "none")]
//!     motd: String,
//! }
//!
//! let table = Table(vec![("port", "9000"), ("motd", "${env:HOME}")]);
//! let app = App::loader().source(table).load().unwrap();
//! assert_eq!(app.port, 9000);
//! assert_eq!(app.motd, "${env:HOME}"); // remote data is never resolved against this machine
//! ```

pub(crate) mod args;
mod dir;
pub(crate) mod encrypted;
mod env;
pub(crate) mod file;
mod retained;
mod text;
mod var_file;
pub(crate) mod vars;

use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use futures_util::stream::BoxStream;

pub use crate::format::{FileValue, Located};
pub use dir::Dir;
pub use env::Environment;
pub use file::{DEFAULT_MAX_FILE_SIZE, Dotenv, File};
pub use text::Text;
pub use vars::{Overrides, Vars};

use crate::origin::Origin;
use crate::provider::{BoxFuture, ProviderError};
use crate::schema::Schema;
pub(crate) use retained::Retained;

/// A source of configuration values. See the [module docs](self).
pub trait Source: std::any::Any + Send + Sync {
    /// Names the source in messages and logs (`config.toml`, `etcd /app/`).
    fn name(&self) -> String;

    /// How far its values are trusted; decides what the pipeline does with `${..}` in them.
    fn trust(&self) -> Trust {
        Trust::Local
    }

    /// Where it sits among the sources; see [`Layering`].
    fn layering(&self) -> Layering {
        Layering::InOrder
    }

    /// Reads the source: all of its I/O happens here. Local sources answer at once
    /// ([`Gathering::Ready`]); network sources return a future, which only
    /// `load_async` (and `Live`) can wait for.
    fn gather(&self, context: &GatherContext) -> Gathering<'_>;

    /// Files and directories whose change means the source should be gathered again (a
    /// `Live` config watches them).
    fn watch_paths(&self) -> Vec<WatchedPath> {
        Vec::new()
    }

    /// A stream that yields whenever the source changed after the latest gathering (etcd's
    /// watch), for sources that can push. A `Live` config asks once, after its first load, and
    /// drops the stream when it stops.
    fn pushes(&self) -> Option<BoxStream<'static, ()>> {
        None
    }

    /// Whether a `Live` config gathers the source again on its poll interval (and reloads
    /// only when the [`Version`] moved).
    fn poll(&self) -> Poll {
        Poll::Never
    }

    /// The source that follows this one under a profile (`config.toml` →
    /// `config.production.toml`), if it has such a variant.
    fn for_profile(&self, profile: &str) -> Option<Arc<dyn Source>> {
        let _ = profile;
        None
    }
}

/// How far a source's values are trusted, per the contract's Trust rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trust {
    /// Written by whoever runs the process (files, `.env`, the environment, overrides):
    /// `${..}` references in its values are resolved.
    Local,
    /// Data from a store others may write (etcd, SSM parameters by path): `${..}` stays
    /// literal text, never resolved against this machine's environment, files or stores.
    RemoteData,
    /// Secret values handed out by a store (decrypted SecureString parameters): literal, and
    /// like any provider value they may only land in `Secret<T>` fields and are never quoted.
    SecretProvider,
    /// Plaintext of an encrypted file: literal, may land in any field, never quoted in errors;
    /// explain shows it as `(encrypted)`.
    Decrypted,
    /// The content of a file another variable names (`NAME_FILE`): literal, may land in any
    /// field, never quoted in errors.
    FileContent,
}

/// Where a source sits among the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Layering {
    /// Later sources win over earlier ones (the rule for almost every source).
    #[default]
    InOrder,
    /// The process environment: what `UnderEnvironment` sources never override.
    Environment,
    /// Fills gaps only: a variable the process environment sets (when the loader reads it)
    /// is not taken from here. `.env` files.
    UnderEnvironment,
}

/// What [`Source::gather`] gives: its entries at once, or a future of them.
pub enum Gathering<'a> {
    /// Read already (local sources).
    Ready(Result<Gathered, ProviderError>),
    /// To be awaited (network sources): a synchronous `load` reports it as an error.
    Pending(BoxFuture<'a, Result<Gathered, ProviderError>>),
}

impl fmt::Debug for Gathering<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Gathering::Ready(_) => "Gathering::Ready",
            Gathering::Pending(_) => "Gathering::Pending",
        })
    }
}

/// What the loader tells a source while it gathers.
#[derive(Debug, Clone)]
pub struct GatherContext {
    pub(crate) schema: &'static Schema,
    pub(crate) max_file_size: u64,
    /// The identities that open SOPS-encrypted files.
    #[cfg(feature = "sops")]
    pub(crate) age_keys: crate::sops::AgeKeys,
    /// In which order the kinds of master key of SOPS files are tried.
    #[cfg(feature = "sops")]
    pub(crate) decryption_order: crate::sops::DecryptionOrder,
    /// The key services that open data keys encrypted to them.
    #[cfg(feature = "sops")]
    pub(crate) key_services: Vec<Arc<dyn crate::key_service::KeyService>>,
}

impl GatherContext {
    pub(crate) fn new(schema: &'static Schema, max_file_size: u64) -> Self {
        GatherContext {
            schema,
            max_file_size,
            #[cfg(feature = "sops")]
            age_keys: crate::sops::AgeKeys::from_env(),
            #[cfg(feature = "sops")]
            decryption_order: crate::sops::DecryptionOrder::from_env(),
            #[cfg(feature = "sops")]
            key_services: Vec::new(),
        }
    }

    /// The most bytes a source should read from one file (`Loader::max_file_size`, 1 MiB by
    /// default): the built-in sources refuse bigger files, naming the path and the cap.
    pub fn max_file_size(&self) -> u64 {
        self.max_file_size
    }

    /// Whether `name` is a key path (`redis.port`) or variable (`APP_REDIS_PORT`) of the
    /// config: lets a source skip what cannot matter (a directory need not read every file).
    pub fn names_a_field(&self, name: &str) -> bool {
        self.schema.by_path.contains_key(name)
            || self.schema.by_env.contains_key(name)
            || self.in_a_node(name)
    }

    /// Whether `name` is a map's, list's or optional section's key path or variable, or
    /// starts like one (its entries are known only once the sources are read).
    fn in_a_node(&self, name: &str) -> bool {
        self.schema.nodes.iter().any(|node| {
            let under = |root: &str| !root.is_empty() && name.starts_with(root);
            under(&node.path) || under(&node.env)
        })
    }

    /// How the loader reads the variable `name` (a source that keeps every variable it is
    /// given): a declared variable's name is shared with the schema rather than copied, and
    /// the field found travels with the entry to the merge.
    pub(crate) fn variable(&self, name: &str) -> EnvVariable {
        self.declared_variable(name)
            .unwrap_or_else(|| EnvVariable::undeclared(name))
    }

    /// [`variable`](Self::variable), when the loader looks at `name` (see
    /// [`wants_variable`](Self::wants_variable)); `None` for any other: the environment holds
    /// every variable of the process, so one lookup of the declared names answers both.
    pub(crate) fn wanted_variable(&self, name: &str) -> Option<EnvVariable> {
        self.declared_variable(name).or_else(|| {
            self.wants_undeclared(name)
                .then(|| EnvVariable::undeclared(name))
        })
    }

    /// A field's variable: its name borrowed from the schema, and the field; `None` when no
    /// field declares `name`.
    fn declared_variable(&self, name: &str) -> Option<EnvVariable> {
        let (declared, &index) = self.schema.by_env.get_key_value(name)?;
        Some(EnvVariable {
            origin: Origin::Env {
                var: Cow::Borrowed(declared.as_str()),
            },
            declared: Some(DeclaredField(index)),
        })
    }

    /// Whether `name` (as the process environment holds it) may be a variable the loader
    /// looks at: a check of its first byte, before the name is read as text and looked up.
    pub(crate) fn may_want(&self, name: &std::ffi::OsStr) -> bool {
        self.schema.initials.may_start(name.as_encoded_bytes())
    }

    /// Whether `name` is a variable the loader looks at: a field's variable or one with the
    /// config's prefix (those are checked for typos).
    pub fn wants_variable(&self, name: &str) -> bool {
        self.schema.by_env.contains_key(name) || self.wants_undeclared(name)
    }

    /// Whether the loader looks at `name` though no field declares it: it has the config's
    /// prefix, names a map's, list's or optional section's entry, or names a field's file.
    fn wants_undeclared(&self, name: &str) -> bool {
        let prefixed = self.schema.prefix.is_some_and(|prefix| {
            name.len() > prefix.len()
                && name.starts_with(prefix)
                && name.as_bytes()[prefix.len()] == b'_'
        });
        prefixed || self.in_a_node(name) || var_file::target(self, name).is_some()
    }
}

/// A variable as the loader reads it: where its value is read, and the field that declares
/// it, if one does.
pub(crate) struct EnvVariable {
    pub origin: Origin,
    pub declared: Option<DeclaredField>,
}

impl EnvVariable {
    /// A variable no field declares (a typo of one, a map's entry): its origin holds its own
    /// name.
    fn undeclared(name: &str) -> Self {
        EnvVariable {
            origin: Origin::Env {
                var: Cow::Owned(name.to_owned()),
            },
            declared: None,
        }
    }

    /// The entry of this variable holding `value`.
    pub fn entry(self, name: String, value: String) -> Entry {
        Entry {
            declared: self.declared,
            ..Entry::variable(name, value, self.origin)
        }
    }
}

/// Everything one source gave in one gather.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Gathered {
    /// The values, in the order the source holds them (a later entry wins over an earlier one
    /// for the same key).
    pub entries: Vec<Entry>,
    /// What could not be read (a malformed file, a variable that is not UTF-8).
    pub problems: Vec<Problem>,
    /// The version the store reports (an etcd revision); `None`: what was read is compared
    /// by a keyed hash of its content, computed only when a `Live` config needs it.
    pub version: Option<Version>,
    /// The text a file's document was parsed from, when kept (see [`Retained`]).
    pub(crate) retained: Option<Retained>,
}

impl Gathered {
    /// These entries.
    pub fn new(entries: Vec<Entry>) -> Self {
        Gathered {
            entries,
            ..Gathered::default()
        }
    }

    /// A source that could not be read as a whole.
    pub fn failed(problem: Problem) -> Self {
        Gathered {
            problems: vec![problem],
            ..Gathered::default()
        }
    }

    /// Adds a problem.
    pub fn with_problem(mut self, problem: Problem) -> Self {
        self.problems.push(problem);
        self
    }

    /// Sets the version the store reports (an etcd revision), instead of the content hash.
    pub fn with_version(mut self, version: Version) -> Self {
        self.version = Some(version);
        self
    }

    /// Keeps the text the entries were parsed from (a file's document).
    pub(crate) fn retaining(mut self, retained: Retained) -> Self {
        self.retained = Some(retained);
        self
    }

    /// Whether a merge may move this gathering's texts out: it can parse them again.
    pub(crate) fn is_retained(&self) -> bool {
        self.retained.is_some()
    }

    /// After a merge moved the texts out: a gathering that keeps its text drops its document
    /// (parsed again by [`restore`](Self::restore) when needed), wiping the texts the merge
    /// left in it (unknown keys, refused values).
    pub(crate) fn spend(&mut self) {
        if let Some(retained) = &mut self.retained {
            retained.spend();
            self.wipe();
            self.entries.clear();
        }
    }

    /// Overwrites every text of the entries (values a source gave may be secrets).
    pub(crate) fn wipe(&mut self) {
        for entry in &mut self.entries {
            entry.value.wipe();
        }
        if let Some(retained) = &mut self.retained {
            retained.wipe();
        }
    }

    /// The document of a spent gathering, parsed again from its text; nothing otherwise (a
    /// gathering that keeps its text holds its document, as entries or keys in the text,
    /// until spent).
    #[cfg(feature = "live")]
    pub(crate) fn restore(&mut self) {
        let Some(retained) = &mut self.retained else {
            return;
        };
        if self.entries.is_empty() && !retained.is_spanned() {
            match retained.parse() {
                Ok(Some(entry)) => self.entries.push(entry),
                Ok(None) => {}
                Err(problem) => self.problems.push(problem),
            }
        }
    }

    /// The document held with its keys in its text, that text, and the document's origin.
    pub(crate) fn spanned_document(
        &mut self,
    ) -> Option<(&mut crate::format::SpannedDoc, &str, &Origin)> {
        self.retained.as_mut()?.spanned_mut()
    }

    /// A document held with its keys in its text becomes the entry of a value tree (for
    /// what reads every entry, such as the expansion of maps and lists).
    pub(crate) fn copy_keys_out(&mut self) {
        if let Some(entry) = self.retained.as_mut().and_then(Retained::take_tree) {
            self.entries.push(entry);
        }
    }

    /// The store's version, or a keyed hash of the content (the kept text, else the entries
    /// and problems): equal versions mean equal content.
    pub fn current_version(&self) -> Version {
        if let Some(version) = &self.version {
            return version.clone();
        }
        if let Some(retained) = &self.retained {
            return Version::hash(&retained.content());
        }
        let mut hasher = process_keys().build_hasher();
        for entry in &self.entries {
            entry.name.hash_into(&mut hasher);
            hash_value(&entry.value, &mut hasher);
            entry.origin.hash(&mut hasher);
        }
        for problem in &self.problems {
            (&problem.message, &problem.origin, &problem.variable).hash(&mut hasher);
        }
        Version(format!("h{:016x}", hasher.finish()))
    }
}

/// One value of a source. Its `Debug` shows the name and origin, never the value.
#[derive(Clone)]
#[non_exhaustive]
pub struct Entry {
    /// What the value is for.
    pub name: Name,
    /// The value.
    pub value: FileValue,
    /// Where it was read.
    pub origin: Origin,
    /// How far this value is trusted when it differs from its source (a decrypted
    /// SecureString among plain parameters); `None`: the source's [`Trust`].
    pub trust: Option<Trust>,
    /// The declared field the variable names, when the source looked it up already (the
    /// environment and maps of variables do, for its origin): the merge then does not look
    /// the name up again.
    pub(crate) declared: Option<DeclaredField>,
}

/// A field of a config type's declared schema (an index into [`Schema::fields`]), as a
/// source found it by its variable. An expanded schema numbers its leaves anew, so the merge
/// reads this against the declared schema only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DeclaredField(pub usize);

impl Entry {
    /// This entry, trusted as `trust` whatever its source says.
    pub fn with_trust(mut self, trust: Trust) -> Self {
        self.trust = Some(trust);
        self
    }

    /// A value named by key path or variable name (overrides, remote stores).
    pub fn key(key: impl Into<String>, value: impl Into<String>, origin: Origin) -> Self {
        Entry {
            name: Name::Key(key.into()),
            value: FileValue::Scalar(value.into()),
            origin,
            trust: None,
            declared: None,
        }
    }

    /// A variable, read like the process environment.
    pub fn variable(name: impl Into<String>, value: impl Into<String>, origin: Origin) -> Self {
        Entry {
            name: Name::Variable(name.into()),
            value: FileValue::Scalar(value.into()),
            origin,
            trust: None,
            declared: None,
        }
    }

    /// A whole document (a parsed file), walked along the config's sections.
    pub fn document(root: Vec<(String, Located<FileValue>)>, origin: Origin) -> Self {
        Entry {
            name: Name::Document,
            value: FileValue::Table(root),
            origin,
            trust: None,
            declared: None,
        }
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("value", &crate::secret::REDACTED)
            .field("origin", &self.origin)
            .field("trust", &self.trust)
            .finish()
    }
}

/// What an entry's value is for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Name {
    /// A key path (`redis.port`) or a variable name (`APP_REDIS_PORT`); an unknown one is an
    /// error with a suggestion.
    Key(String),
    /// A variable, read like the process environment: aliases are followed, a variable with
    /// the config's prefix that names no field is an error, others are ignored.
    Variable(String),
    /// The root table of a document; its keys are walked along the config's sections.
    Document,
}

/// Something a source could not read; becomes one error of the load.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Problem {
    /// Where: the file (and line), the variable.
    pub origin: Origin,
    /// What went wrong; never a value.
    pub message: String,
    /// The variable concerned, when the problem is one variable's (its field is then
    /// reported here only).
    pub variable: Option<String>,
}

impl Problem {
    /// A problem of the source as a whole, or of a place in it.
    pub fn new(origin: Origin, message: impl Into<String>) -> Self {
        Problem {
            origin,
            message: message.into(),
            variable: None,
        }
    }

    /// A problem of one variable.
    pub fn of_variable(
        name: impl Into<String>,
        origin: Origin,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            origin,
            message: message.into(),
            variable: Some(name.into()),
        }
    }
}

/// A version of a source's content (a store's revision, or a keyed content hash). Opaque:
/// only equality means something, and it reveals nothing about values.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Version(String);

impl Version {
    /// A version the store reports (a revision, an ETag).
    pub fn new(version: impl Into<String>) -> Self {
        Version(version.into())
    }

    /// A keyed hash of `content` (the key is random per process, so hashes of short secrets
    /// cannot be looked up).
    pub fn hash(content: &impl Hash) -> Self {
        Version(format!("h{:016x}", process_keys().hash_one(content)))
    }
}

impl Version {
    /// The version as text (a store's revision, or `h` and a hash).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Version {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({})", self.0)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Name {
    fn hash_into(&self, hasher: &mut impl Hasher) {
        match self {
            Name::Key(key) => (0u8, key).hash(hasher),
            Name::Variable(name) => (1u8, name).hash(hasher),
            Name::Document => 2u8.hash(hasher),
        }
    }
}

fn hash_value(value: &FileValue, hasher: &mut impl Hasher) {
    match value {
        FileValue::Scalar(text) => (0u8, text).hash(hasher),
        FileValue::List(items) => {
            (1u8, items.len()).hash(hasher);
            for item in items {
                item.line.hash(hasher);
                hash_value(&item.value, hasher);
            }
        }
        FileValue::Table(entries) => {
            (2u8, entries.len()).hash(hasher);
            for (key, located) in entries {
                (key, located.line).hash(hasher);
                hash_value(&located.value, hasher);
            }
        }
        FileValue::Null => 4u8.hash(hasher),
        FileValue::Unsupported(what) => (3u8, what).hash(hasher),
    }
}

/// The per-process key of content hashes and fingerprints.
pub(crate) fn process_keys() -> &'static RandomState {
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    KEYS.get_or_init(RandomState::new)
}

/// Whether a source is gathered again on the poll interval of a `Live` config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Poll {
    /// Never polled (files are watched, pushes are followed).
    #[default]
    Never,
    /// Gathered again on every poll; a reload happens only when its version moved.
    OnInterval,
}

/// A path a source reads, to watch for changes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchedPath {
    /// The path, as the source was given it.
    pub path: PathBuf,
    /// A file or a directory of files.
    pub kind: PathKind,
}

impl WatchedPath {
    /// A file (that may not exist yet).
    pub fn file(path: impl Into<PathBuf>) -> Self {
        WatchedPath {
            path: path.into(),
            kind: PathKind::File,
        }
    }

    /// A directory whose entries are read.
    pub fn dir(path: impl Into<PathBuf>) -> Self {
        WatchedPath {
            path: path.into(),
            kind: PathKind::Dir,
        }
    }
}

/// What a [`WatchedPath`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathKind {
    /// One file.
    File,
    /// A directory of files (a Kubernetes secret volume).
    Dir,
}
