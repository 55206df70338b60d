//! The [`Loader`]: a list of [`Source`]s and secret providers. A load runs in five steps:
//!
//! ```text
//!  1 gather    every source reads what it holds (all I/O; network sources concurrently)
//!  2 merge     sources in order over the defaults, one slot per leaf; references parsed once
//!  3 fetch     the targets of those references: ${env:..}, ${file:..}, provider secrets
//!  4 resolve   references rendered from what was fetched (local values only: Trust)
//!  5 assemble  each leaf parsed and checked, the struct built, every error collected
//! ```
//!
//! Steps 2, 4 and 5 are pure functions of what steps 1 and 3 gave (`merge.rs`, `resolve.rs`,
//! [`Assemble`]); `Live` runs the same steps and re-gathers only what changed.

mod expand;
pub(crate) mod gather;
pub(crate) mod merge;
pub(crate) mod resolve;

use std::collections::HashMap;
use std::ffi::OsString;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use crate::Config;
use crate::assemble::{Assemble, MergedTexts, Placeholders, Rows};
use crate::error::{ConfigError, ErrorKind, FieldError, Subject};
use crate::explain::Explain;
use crate::format::Format;
use crate::help;
use crate::provider::SecretProvider;
use crate::secret::Secret;
use crate::source::args::Request;
use crate::source::{self, GatherContext, Source, Vars};
use merge::{Gatherings, Layer, Merged, Outcome};
use resolve::{Answers, Providers};

/// Builds a config of type `T` from layered sources. Get one with `T::loader()`.
///
/// Sources are applied in the order they are added; a later source wins over an earlier one
/// for the keys it sets. Defaults are always the lowest layer.
#[must_use = "a loader does nothing until `.load()`"]
pub struct Loader<T> {
    sources: Vec<Arc<dyn Source>>,
    /// The maps among the sources: `${env:..}` and the profile variable look there first.
    maps: Vec<Arc<Vars>>,
    profile_var: Option<String>,
    profile: Option<String>,
    /// Variables the application reads itself (`*` globs): never unknown.
    allowed_vars: Vec<String>,
    /// The program's name, from the command line given to `args`.
    program: Option<String>,
    /// Whether that command line asked for help.
    request: Request,
    providers: Providers,
    max_file_size: u64,
    /// The identities that open SOPS-encrypted files.
    #[cfg(feature = "sops")]
    age_keys: crate::sops::AgeKeys,
    /// In which order the kinds of master key of SOPS files are tried.
    #[cfg(feature = "sops")]
    decryption_order: crate::sops::DecryptionOrder,
    /// Key services for data keys of encrypted files.
    #[cfg(feature = "sops")]
    key_services: Vec<Arc<dyn crate::key_service::KeyService>>,
    _config: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Loader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names only: sources may hold override values.
        let names: Vec<String> = self.sources.iter().map(|s| s.name()).collect();
        let mut schemes: Vec<&String> = self.providers.keys().collect();
        schemes.sort();
        f.debug_struct("Loader")
            .field("sources", &names)
            .field("providers", &schemes)
            .finish_non_exhaustive()
    }
}

impl<T: Config> Default for Loader<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// The sources of one load, with the profile's variants in place.
pub(crate) struct Plan {
    pub sources: Vec<Arc<dyn Source>>,
    pub profile: Option<String>,
    /// A profile that cannot name files (`../etc`): the load fails with this error.
    pub profile_problem: Option<FieldError>,
}

/// What assembly gives: the config and, when asked for, the explain report.
pub(crate) struct Assembled<T> {
    pub config: T,
    pub explain: Option<Explain>,
}

impl<T: Config> Loader<T> {
    /// A loader with no sources: only defaults.
    pub fn new() -> Self {
        Loader {
            sources: Vec::new(),
            maps: Vec::new(),
            profile_var: None,
            profile: None,
            allowed_vars: Vec::new(),
            program: None,
            request: Request::Load,
            providers: HashMap::new(),
            max_file_size: source::DEFAULT_MAX_FILE_SIZE,
            #[cfg(feature = "sops")]
            age_keys: crate::sops::AgeKeys::from_env(),
            #[cfg(feature = "sops")]
            decryption_order: crate::sops::DecryptionOrder::from_env(),
            #[cfg(feature = "sops")]
            key_services: Vec::new(),
            _config: PhantomData,
        }
    }

    /// Any [`Source`]: a remote store (etcd, SSM parameters by path) or one of your own.
    /// Network sources are read by [`load_async`](Self::load_async); with a `Live` config,
    /// their signals (pushes, polls) reload.
    pub fn source(mut self, source: impl Source) -> Self {
        self.sources.push(Arc::new(source));
        self
    }

    /// A TOML, YAML or JSON file, chosen by extension. A missing file is an error.
    pub fn file(self, path: impl AsRef<Path>) -> Self {
        self.source(source::File::required(path.as_ref()))
    }

    /// Like [`file`](Self::file), but a missing file is skipped.
    pub fn file_optional(self, path: impl AsRef<Path>) -> Self {
        self.source(source::File::optional(path.as_ref()))
    }

    /// Reads the profile name (e.g. `production`) from this variable. With a profile, every
    /// file `config.toml` is followed by `config.<profile>.toml` and every `.env` by
    /// `.env.<profile>`, each when present. Profile `production` also rejects placeholder secrets.
    pub fn profile_env(mut self, var: impl Into<String>) -> Self {
        self.profile_var = Some(var.into());
        self
    }

    /// Sets the profile directly (wins over [`profile_env`](Self::profile_env)).
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// A TOML, YAML or JSON document given as text: a default file shipped in the binary.
    /// It is read by the same parser as a file of its format; values and errors name it
    /// `embedded YAML line 3` (use [`string_named`](Self::string_named) to name it yourself).
    ///
    /// ```
    /// use config_runtime::{Config, Format};
    ///
    /// #[derive(Config)]
    /// struct App {
    ///     port: u16,
    /// }
    ///
    /// const DEFAULTS: &str = "port: 8080\n"; // include_str!("defaults.yaml") in an application
    /// let app = App::loader().string(DEFAULTS, Format::Yaml).load().unwrap();
    /// assert_eq!(app.port, 8080);
    /// ```
    pub fn string(self, text: impl Into<String>, format: Format) -> Self {
        self.source(source::Text::new(text, format))
    }

    /// Like [`string`](Self::string), with the name provenance and errors give the document
    /// (`defaults.yaml (built in) line 3`).
    pub fn string_named(
        self,
        name: impl Into<String>,
        text: impl Into<String>,
        format: Format,
    ) -> Self {
        self.source(source::Text::named(name, text, format))
    }

    /// Variables the application reads itself, so a name with the config's prefix among them
    /// is not reported as unknown (`LEMMY_CONFIG_LOCATION`, read before the config is
    /// loaded). A `*` matches any run of characters: `"ATUIN_*"`, `"*_LOCATION"`. They are
    /// only left alone: a name that is also a field's variable still sets the field.
    pub fn allow_vars<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowed_vars.extend(names.into_iter().map(Into::into));
        self
    }

    /// Command-line flags, e.g. `std::env::args_os()`: `--key.path value` or
    /// `--key.path=value`, key paths in kebab-case (`--redis.port 9000`, `--log-level debug`,
    /// `--service.http-port 80`). A `bool` flag alone (`--verbose`) means true. The first
    /// item is the program and is skipped; `--` ends the flags (what follows is the
    /// application's own); any other argument that is not a flag is an error, and so is an
    /// unknown flag, with a suggestion. Values from flags are trusted like
    /// [`set`](Self::set) and, like every source, win over the sources added before.
    ///
    /// `--help` (or `-h`) stops the load: [`load`](Self::load) returns an error whose
    /// [`help`](ConfigError::help) is [`help`](Self::help)'s text and whose `Display` is that
    /// text alone. A library does not exit the process: print it and exit with success.
    ///
    /// ```
    /// use config_runtime::Config;
    ///
    /// #[derive(Config, Debug)]
    /// struct App {
    ///     /// Port of the HTTP server.
    ///     #[config(default = 8080)]
    ///     port: u16,
    ///     /// Log every request.
    ///     #[config(default = false)]
    ///     verbose: bool,
    /// }
    ///
    /// let app = App::loader().args(["app", "--port", "9000", "--verbose"]).load().unwrap();
    /// assert_eq!((app.port, app.verbose), (9000, true));
    ///
    /// let help = App::loader().args(["app", "--help"]).load().unwrap_err();
    /// assert!(help.to_string().contains("--port <u16>  Port of the HTTP server. [default: 8080]"));
    /// ```
    pub fn args<I, A>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = A>,
        A: Into<OsString>,
    {
        let parsed = source::args::parse(T::schema(), args);
        if parsed.request == Request::Help {
            self.request = Request::Help;
        }
        self.program = parsed.program.or(self.program);
        self.source(parsed.flags)
    }

    /// The `--help` text of the flags [`args`](Self::args) reads: the root struct's doc, a
    /// usage line, then one aligned line per flag with its doc comment, type, default (never
    /// a secret's) and variable. The program name is the one `args` was given, else this
    /// process's.
    pub fn help(&self) -> String {
        let program = self.program.clone().or_else(|| {
            let first = std::env::args_os().next()?;
            let name = Path::new(&first).file_name()?;
            Some(name.to_string_lossy().into_owned())
        });
        help::render(T::schema(), program.as_deref().unwrap_or("app"))
    }

    /// The load stops here when the command line asked for help.
    fn stop_for_help(&self) -> Result<(), ConfigError> {
        match self.request {
            Request::Load => Ok(()),
            Request::Help => Err(ConfigError::help_requested(self.help())),
        }
    }

    /// A `.env` file. Its values never override variables of the real environment. A missing
    /// file is skipped (use [`dotenv_required`](Self::dotenv_required) to insist).
    pub fn dotenv(self, path: impl AsRef<Path>) -> Self {
        self.source(source::Dotenv::optional(path.as_ref()))
    }

    /// Like [`dotenv`](Self::dotenv), but a missing file is an error.
    pub fn dotenv_required(self, path: impl AsRef<Path>) -> Self {
        self.source(source::Dotenv::required(path.as_ref()))
    }

    /// A directory with one file per key, each named by the key path (`redis.port`) or the
    /// variable (`APP_REDIS_PORT`), as Kubernetes mounts secrets. One trailing newline is
    /// trimmed; files that name no key are ignored.
    pub fn dir(self, path: impl AsRef<Path>) -> Self {
        self.source(source::Dir::new(path.as_ref()))
    }

    /// The process environment.
    pub fn env(self) -> Self {
        self.source(source::Environment)
    }

    /// A map of variables, read exactly like the process environment.
    pub fn vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars = Arc::new(Vars::new(vars));
        self.maps.push(Arc::clone(&vars));
        self.sources.push(vars);
        self
    }

    /// An explicit override, by key path (`"redis.port"`) or variable name.
    pub fn set(self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.source(source::Overrides::one(key, value))
    }

    /// Registers a secret provider for the references of its scheme (`${vault:..}`).
    pub fn provider(mut self, provider: impl SecretProvider) -> Self {
        let scheme = provider.scheme().to_owned();
        self.providers.insert(scheme, Arc::new(provider));
        self
    }

    /// Registers the provider that answers `${secret:..}` references.
    pub fn default_provider(mut self, provider: impl SecretProvider) -> Self {
        self.providers
            .insert("secret".to_owned(), Arc::new(provider));
        self
    }

    /// The most bytes read from any one file: a `.file`, a `.dotenv`, an entry of a `.dir`, a
    /// `${file:..}` target (1 MiB by default). A bigger file is an error naming the path and
    /// the cap. Whatever the cap, only regular files are read: a FIFO, a device or a socket is
    /// an error naming the path.
    pub fn max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }

    /// Where the age identities that open SOPS-encrypted files come from (feature `sops`);
    /// by default [`AgeKeys::from_env`](crate::sops::AgeKeys::from_env), as the `sops` tool
    /// looks for them.
    #[cfg(feature = "sops")]
    pub fn age_keys(mut self, keys: crate::sops::AgeKeys) -> Self {
        self.age_keys = keys;
        self
    }

    /// In which order the kinds of master key of SOPS files are tried (feature `sops`); by
    /// default [`DecryptionOrder::from_env`](crate::sops::DecryptionOrder::from_env), which
    /// reads `SOPS_DECRYPTION_ORDER` as the `sops` tool does (age identities first when it is
    /// unset).
    #[cfg(feature = "sops")]
    pub fn decryption_order(mut self, order: crate::sops::DecryptionOrder) -> Self {
        self.decryption_order = order;
        self
    }

    /// A key service that opens the data keys of SOPS files encrypted to it (feature `sops`):
    /// Vault/OpenBao transit (a `VaultProvider` of config-providers) or AWS KMS (its
    /// `aws::KmsKeyService`). Register several: a file's keys are tried one after the other
    /// until one opens it, in sops' order (by default age identities, then the KMS keys, then
    /// the transit keys; see [`decryption_order`](Self::decryption_order)), each with every
    /// service of its kind in the order they were registered. Such a file is read over the
    /// network: load with [`load_async`](Self::load_async) or watch it.
    #[cfg(feature = "sops")]
    pub fn key_service(mut self, service: impl crate::key_service::KeyService) -> Self {
        self.key_services.push(Arc::new(service));
        self
    }

    /// What the sources are told while they gather.
    pub(crate) fn context(&self) -> GatherContext {
        #[allow(unused_mut)]
        let mut context = GatherContext::new(T::schema(), self.max_file_size);
        #[cfg(feature = "sops")]
        {
            context.age_keys = self.age_keys.clone();
            context.decryption_order = self.decryption_order.clone();
            context.key_services = self.key_services.clone();
        }
        context
    }

    /// Loads, resolves references, validates. Returns every problem at once.
    ///
    /// Network sources and references to secret providers need
    /// [`load_async`](Self::load_async).
    pub fn load(&self) -> Result<T, ConfigError> {
        self.run_now(Rows::Skip).map(|done| done.config)
    }

    /// Loads like [`load`](Self::load) and returns the report of where each value came from.
    pub fn explain(&self) -> Result<Explain, ConfigError> {
        self.run_now(Rows::Collect).map(Assembled::into_explain)
    }

    /// Loads like [`load`](Self::load), reading network sources and fetching every secret the
    /// config references from its provider: each distinct secret once, concurrently (at most
    /// 32 requests in flight). On a multi-threaded tokio runtime (with the `live` feature),
    /// file reads run outside the async workers (`tokio::task::block_in_place`), so a slow
    /// disk does not stall the application's other tasks.
    pub async fn load_async(&self) -> Result<T, ConfigError> {
        self.run_async(Rows::Skip).await.map(|done| done.config)
    }

    /// [`explain`](Self::explain) with network sources and provider references resolved.
    pub async fn explain_async(&self) -> Result<Explain, ConfigError> {
        self.run_async(Rows::Collect)
            .await
            .map(Assembled::into_explain)
    }

    fn run_now(&self, rows: Rows) -> Result<Assembled<T>, ConfigError> {
        self.stop_for_help()?;
        let plan = self.plan();
        let context = self.context();
        let mut outcomes = gather::gather_all_now(&plan.sources, &context);
        let dotenv = gather::dotenv_vars(&plan.sources, &outcomes, &self.maps);
        let mut merged = self.merge(&plan, &mut outcomes, Gatherings::Spent);
        let wanted = resolve::wanted(&merged, &self.providers);
        let mut answers = Answers::default();
        gather::fetch_local(
            &mut answers,
            &wanted,
            &self.maps,
            &dotenv,
            self.max_file_size,
        );
        self.resolve(&mut merged, &answers);
        self.assemble(&mut merged, MergedTexts::Spent, plan.profile, rows)
    }

    async fn run_async(&self, rows: Rows) -> Result<Assembled<T>, ConfigError> {
        let (plan, mut merged) = self.resolved_async().await?;
        self.assemble(&mut merged, MergedTexts::Spent, plan.profile, rows)
    }

    /// Steps 1 to 4, waiting for network sources and providers.
    async fn resolved_async(&self) -> Result<(Plan, Merged), ConfigError> {
        self.stop_for_help()?;
        let plan = self.plan();
        let context = self.context();
        let mut outcomes = gather::gather_all(&plan.sources, &context).await;
        let dotenv = gather::dotenv_vars(&plan.sources, &outcomes, &self.maps);
        let mut merged = self.merge(&plan, &mut outcomes, Gatherings::Spent);
        let answers = self.fetch(&dotenv, &merged, Answers::default()).await;
        self.resolve(&mut merged, &answers);
        Ok((plan, merged))
    }

    /// Every leaf after steps 1 to 4 (gathered, merged, resolved; not assembled, so a config
    /// that misses a required value still compares). A source that cannot be read is an
    /// error: comparing against what it failed to give would mislead.
    #[cfg(feature = "cli")]
    pub(crate) async fn leaves(&self) -> Result<Vec<crate::fingerprint::Leaf>, ConfigError> {
        let (_, merged) = self.resolved_async().await?;
        let unreadable: Vec<_> = merged
            .errors
            .iter()
            .filter(|e| matches!(e.subject(), Subject::Source))
            .cloned()
            .collect();
        if !unreadable.is_empty() {
            return Err(ConfigError::new(unreadable, Vec::new()));
        }
        Ok(crate::fingerprint::leaves(
            &merged.schema,
            &merged.values,
            &merged.documents,
        ))
    }

    /// The sources in order, each followed by its profile variant when a profile is set.
    pub(crate) fn plan(&self) -> Plan {
        let (profile, profile_problem) = match self.resolve_profile() {
            Some(profile) if !is_profile_name(&profile) => {
                (None, Some(self.profile_problem(&profile)))
            }
            profile => (profile, None),
        };
        let mut sources = Vec::with_capacity(self.sources.len() * 2);
        for source in &self.sources {
            sources.push(Arc::clone(source));
            if let Some(variant) = profile.as_deref().and_then(|p| source.for_profile(p)) {
                sources.push(variant);
            }
        }
        Plan {
            sources,
            profile,
            profile_problem,
        }
    }

    /// Step 2 (pure): the gathered sources merged in order; `gatherings` says whether their
    /// texts may move into the slots.
    pub(crate) fn merge(
        &self,
        plan: &Plan,
        outcomes: &mut [Outcome],
        gatherings: Gatherings,
    ) -> Merged {
        let layers: Vec<Layer<'_>> = plan
            .sources
            .iter()
            .zip(outcomes)
            .map(|(source, outcome)| Layer {
                source: &**source,
                outcome,
            })
            .collect();
        let ignored: Vec<&str> = self
            .profile_var
            .as_deref()
            .into_iter()
            .chain(self.allowed_vars.iter().map(String::as_str))
            .collect();
        let mut merged = merge::merge(T::schema(), layers, gatherings, &ignored);
        merged.errors.extend(plan.profile_problem.clone());
        merged
    }

    /// Step 3: fills `answers` with what the merged values reference and it lacks (`dotenv`:
    /// the variables the `.env` sources define, see [`gather::dotenv_vars`]).
    pub(crate) async fn fetch(
        &self,
        dotenv: &HashMap<String, Secret<String>>,
        merged: &Merged,
        mut answers: Answers,
    ) -> Answers {
        let wanted = resolve::wanted(merged, &self.providers);
        gather::off_workers(|| {
            let cap = self.max_file_size;
            gather::fetch_local(&mut answers, &wanted, &self.maps, dotenv, cap);
        });
        let known = answers.secrets.get_or_insert_with(HashMap::new);
        known.retain(|key, _| wanted.secrets.contains(key));
        let missing: Vec<_> = wanted
            .secrets
            .into_iter()
            .filter(|key| !known.contains_key(key))
            .collect();
        let fetched = gather::fetch_secrets(missing, &self.providers).await;
        answers
            .secrets
            .get_or_insert_with(HashMap::new)
            .extend(fetched);
        answers
    }

    /// Step 4 (pure): references rendered from the answers.
    pub(crate) fn resolve(&self, merged: &mut Merged, answers: &Answers) {
        let schema = merged.schema.clone();
        resolve::resolve(
            &schema,
            merged,
            &self.providers,
            answers,
            self.max_file_size,
        );
    }

    /// Step 5 (pure): assembles and validates merged, resolved values. A `Live` config keeps
    /// the merged values for its reports ([`MergedTexts::Kept`]); a one-off load lets plain
    /// texts move into the config.
    pub(crate) fn assemble(
        &self,
        merged: &mut Merged,
        texts: MergedTexts,
        profile: Option<String>,
        rows: Rows,
    ) -> Result<Assembled<T>, ConfigError> {
        self.stop_for_help()?; // a `Live` config assembles without `run_now`
        let placeholders = Placeholders::for_profile(profile.as_deref());
        let Merged {
            schema,
            values,
            documents,
            failed,
            errors,
            warnings,
            ..
        } = merged;
        let schema = &**schema;
        let mut assemble =
            Assemble::new(schema, values, documents, texts, failed, placeholders, rows);
        let config = T::__assemble(&mut assemble);
        let mut errors = errors.clone();
        errors.append(&mut assemble.errors);

        for warning in warnings.iter() {
            tracing::warn!(target: "config_runtime", "{warning}");
        }
        match config {
            Some(config) if errors.is_empty() => {
                let explain = (rows == Rows::Collect)
                    .then(|| Explain::new(schema, assemble.rows, warnings.clone(), profile));
                Ok(Assembled { config, explain })
            }
            _ => {
                // Problems found while merging and while assembling, in declaration order
                // (stable: a field's own problems keep the order they were found in).
                errors.sort_by_key(|e| match e.subject() {
                    Subject::Key(path) => schema.declared_position(path),
                    _ => usize::MAX,
                });
                let mut error = ConfigError::new(errors, warnings.clone());
                error.scrub(&merge::secret_texts(schema, values));
                Err(error)
            }
        }
    }

    #[cfg(feature = "live")]
    /// The cap of [`max_file_size`](Self::max_file_size).
    pub(crate) fn file_size_cap(&self) -> u64 {
        self.max_file_size
    }

    #[cfg(feature = "live")]
    /// The maps among the sources (`${env:..}` looks there first).
    #[cfg(feature = "live")]
    pub(crate) fn maps(&self) -> &[Arc<Vars>] {
        &self.maps
    }

    /// The registered providers.
    #[cfg(feature = "live")]
    pub(crate) fn providers(&self) -> &Providers {
        &self.providers
    }

    /// Why `profile` is refused, named by where it came from.
    fn profile_problem(&self, profile: &str) -> FieldError {
        let kind = ErrorKind::Invalid {
            expected: "a profile name: letters, digits, `-` and `_`".to_owned(),
            got: Some(profile.to_owned()),
            detail: None,
        };
        match (&self.profile, &self.profile_var) {
            (None, Some(var)) => {
                let origin = crate::Origin::Env {
                    var: std::borrow::Cow::Owned(var.clone()),
                };
                FieldError::variable(var.clone(), origin, kind)
            }
            _ => FieldError::config(kind),
        }
    }

    /// The profile: set directly, or read from the profile variable (in the maps given, then
    /// in the process environment).
    fn resolve_profile(&self) -> Option<String> {
        if let Some(profile) = &self.profile {
            return Some(profile.clone());
        }
        let var = self.profile_var.as_deref()?;
        gather::read_var(var, &self.maps)
            .map(|p| p.expose_secret().trim().to_owned())
            .filter(|p| !p.is_empty())
    }
}

/// A profile names files (`config.<profile>.toml`, `.env.<profile>`): letters, digits, `-`
/// and `_` only, so it cannot reach another directory or file.
fn is_profile_name(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl<T> Assembled<T> {
    fn into_explain(self) -> Explain {
        self.explain
            .expect("explain rows are collected when asked for")
    }
}
