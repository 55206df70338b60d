//! The [`Loader`]: a list of sources, merged in order (later wins) into one value per key,
//! then references are resolved, then the typed struct is assembled and validated.
//!
//! ```text
//! sources ──► Layers (one Sourced per leaf, later wins) ──► references ──► Assemble ──► T
//!               unknown keys, source errors ───────────────────────────────────┐
//!                                                  every error ──► ConfigError ◄┘
//! ```

mod layers;
mod references;

use std::borrow::Cow;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;

use crate::Config;
use crate::assemble::{Assemble, Placeholders, Rows};
use crate::error::ConfigError;
use crate::explain::Explain;
#[cfg(feature = "live")]
use crate::origin::Sourced;
use crate::provider::{ProviderError, RemoteSource, SecretData, SecretProvider};
use layers::{Layers, Merged};
pub(crate) use references::Fetched;

/// How many provider requests one load keeps in flight at most.
const MAX_CONCURRENT_FETCHES: usize = 16;

/// What `load_pinned` gives `Live`: the config, the resolved raw value of every leaf, and the
/// store version of every provider secret it used.
#[cfg(feature = "live")]
pub(crate) type Pinned<T> = (T, Vec<Option<Sourced>>, HashMap<(String, String), String>);

/// One source of values, in the order the user listed it.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    File { path: PathBuf, required: bool },
    Dotenv { path: PathBuf, required: bool },
    Dir(PathBuf),
    Env,
    Map(Vec<(String, String)>),
    Set { key: String, value: String },
    Remote(RemoteHandle),
}

/// A registered remote source and its position among the loader's remote sources.
#[derive(Clone)]
pub(crate) struct RemoteHandle {
    pub id: usize,
    pub source: Arc<dyn RemoteSource>,
}

impl std::fmt::Debug for RemoteHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source.describe())
    }
}

/// Entries fetched from each remote source (by id) before a merge.
pub(crate) type RemoteEntries = HashMap<usize, Result<Vec<(String, String)>, ProviderError>>;

/// Builds a config of type `T` from layered sources. Get one with `T::loader()`.
///
/// Sources are applied in the order they are added; a later source wins over an earlier one
/// for the keys it sets. Defaults are always the lowest layer.
#[must_use = "a loader does nothing until `.load()`"]
pub struct Loader<T> {
    sources: Vec<Source>,
    profile_var: Option<String>,
    profile: Option<String>,
    providers: HashMap<String, Arc<dyn SecretProvider>>,
    _config: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Loader<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Sources may hold override values; show only their kinds.
        let kinds: Vec<&str> = self
            .sources
            .iter()
            .map(|source| match source {
                Source::File { .. } => "file",
                Source::Dotenv { .. } => "dotenv",
                Source::Dir(_) => "dir",
                Source::Env => "env",
                Source::Map(_) => "map",
                Source::Set { .. } => "set",
                Source::Remote(_) => "remote",
            })
            .collect();
        f.debug_struct("Loader").field("sources", &kinds).finish()
    }
}

impl<T: Config> Default for Loader<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Config> Loader<T> {
    /// A loader with no sources: only defaults.
    pub fn new() -> Self {
        Loader {
            sources: Vec::new(),
            profile_var: None,
            profile: None,
            providers: HashMap::new(),
            _config: PhantomData,
        }
    }

    /// A TOML, YAML or JSON file, chosen by extension. A missing file is an error.
    pub fn file(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        self.sources.push(Source::File {
            path,
            required: true,
        });
        self
    }

    /// Like [`file`](Self::file), but a missing file is skipped.
    pub fn file_optional(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        self.sources.push(Source::File {
            path,
            required: false,
        });
        self
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

    /// A `.env` file. Its values never override variables of the real environment. A missing
    /// file is skipped (use [`dotenv_required`](Self::dotenv_required) to insist).
    pub fn dotenv(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        self.sources.push(Source::Dotenv {
            path,
            required: false,
        });
        self
    }

    /// Like [`dotenv`](Self::dotenv), but a missing file is an error.
    pub fn dotenv_required(mut self, path: impl AsRef<Path>) -> Self {
        let path = path.as_ref().to_path_buf();
        self.sources.push(Source::Dotenv {
            path,
            required: true,
        });
        self
    }

    /// A directory with one file per key, each named by the key path (`redis.port`) or the
    /// variable (`APP_REDIS_PORT`), as Kubernetes mounts secrets. One trailing newline is
    /// trimmed; files that name no key are ignored.
    pub fn dir(mut self, path: impl AsRef<Path>) -> Self {
        self.sources.push(Source::Dir(path.as_ref().to_path_buf()));
        self
    }

    /// The process environment.
    pub fn env(mut self) -> Self {
        self.sources.push(Source::Env);
        self
    }

    /// A map of variables, read exactly like the process environment.
    pub fn vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self.sources.push(Source::Map(vars));
        self
    }

    /// An explicit override, by key path (`"redis.port"`) or variable name.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.sources.push(Source::Set {
            key: key.into(),
            value: value.into(),
        });
        self
    }

    /// A remote store of values (e.g. etcd keys under a prefix), fetched by
    /// [`load_async`](Self::load_async); with a `Live` config, its pushed changes reload.
    pub fn remote(mut self, source: impl RemoteSource) -> Self {
        let id = self
            .sources
            .iter()
            .filter(|s| matches!(s, Source::Remote(_)))
            .count();
        self.sources.push(Source::Remote(RemoteHandle {
            id,
            source: Arc::new(source),
        }));
        self
    }

    /// The remote sources, in order.
    #[cfg(feature = "live")]
    pub(crate) fn remote_sources(&self) -> Vec<Arc<dyn RemoteSource>> {
        self.sources
            .iter()
            .filter_map(|s| match s {
                Source::Remote(handle) => Some(Arc::clone(&handle.source)),
                _ => None,
            })
            .collect()
    }

    /// Fetches every remote source, concurrently.
    async fn fetch_remote(&self) -> RemoteEntries {
        let handles: Vec<RemoteHandle> = self
            .sources
            .iter()
            .filter_map(|s| match s {
                Source::Remote(handle) => Some(handle.clone()),
                _ => None,
            })
            .collect();
        futures_util::future::join_all(handles.into_iter().map(|handle| async move {
            let entries = handle.source.entries().await;
            (handle.id, entries)
        }))
        .await
        .into_iter()
        .collect()
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

    /// Loads, resolves references, validates. Returns every problem at once.
    ///
    /// References to secret providers need [`load_async`](Self::load_async).
    pub fn load(&self) -> Result<T, ConfigError> {
        let (layers, profile) = self.merge();
        self.finish(layers, profile, &Fetched::none(), false)
            .map(|(config, _)| config)
    }

    /// Loads like [`load`](Self::load) and returns the report of where each value came from.
    pub fn explain(&self) -> Result<Explain, ConfigError> {
        let (layers, profile) = self.merge();
        self.finish(layers, profile, &Fetched::none(), true)
            .map(|(_, explain)| explain)
    }

    /// Loads like [`load`](Self::load), first fetching every secret the config references
    /// from its provider: each distinct secret once, concurrently (at most 16 requests in
    /// flight).
    pub async fn load_async(&self) -> Result<T, ConfigError> {
        self.run_async(false).await.map(|(config, _)| config)
    }

    /// [`explain`](Self::explain) with provider references resolved.
    pub async fn explain_async(&self) -> Result<Explain, ConfigError> {
        self.run_async(true).await.map(|(_, explain)| explain)
    }

    async fn run_async(&self, explain: bool) -> Result<(T, Explain), ConfigError> {
        let remote = self.fetch_remote().await;
        let (layers, profile) = self.merge_with(Some(&remote));
        let wanted = references::provider_references(&layers, &self.providers);
        let fetched = self.fetch(wanted).await;
        self.finish(layers, profile, &fetched, explain)
    }

    /// Hidden hook for `Live`: loads like [`load_async`](Self::load_async) and also returns
    /// the resolved raw value of every leaf (by schema index). `pin` sees those values and
    /// may return replacements (index, value); when it does, the unpinned result must be valid
    /// too, and the config returned is assembled from the pinned values.
    #[cfg(feature = "live")]
    pub(crate) async fn load_pinned(
        &self,
        pin: impl FnOnce(&[Option<Sourced>]) -> Vec<(usize, Option<Sourced>)>,
    ) -> Result<Pinned<T>, ConfigError> {
        let remote = self.fetch_remote().await;
        let (mut layers, profile) = self.merge_with(Some(&remote));
        let wanted = references::provider_references(&layers, &self.providers);
        let fetched = self.fetch(wanted).await;
        let versions = fetched.versions();
        references::resolve(&mut layers, &self.sources, &self.providers, &fetched);
        let mut merged = layers.finish();
        let resolved = merged.values.clone();
        let pins = pin(&resolved);
        if !pins.is_empty() {
            let unpinned = Merged {
                values: merged.values.clone(),
                failed: merged.failed.clone(),
                errors: merged.errors.clone(),
                warnings: merged.warnings.clone(),
            };
            self.assemble(unpinned, profile.clone(), false)?;
            for (index, value) in pins {
                merged.values[index] = value;
            }
        }
        let (config, _) = self.assemble(merged, profile, false)?;
        Ok((config, resolved, versions))
    }

    /// Hidden hook for `Live`: the current version of every provider secret the config
    /// references, as the stores report it (`None`: the store cannot tell, or did not answer).
    #[cfg(feature = "live")]
    pub(crate) async fn provider_versions(&self) -> Vec<((String, String), Option<String>)> {
        // Remote values are not refetched here: references in them are seen at the next load.
        let (layers, _) = self.merge();
        let wanted = references::provider_references(&layers, &self.providers);
        drop(layers);
        futures_util::stream::iter(wanted)
            .map(|(scheme, path)| {
                let provider = Arc::clone(&self.providers[&scheme]);
                async move {
                    let version = match provider.current_version(&path).await {
                        Ok(version) => version,
                        Err(e) => {
                            tracing::debug!(scheme, path, "cannot read the secret's version: {e}");
                            None
                        }
                    };
                    ((scheme, path), version)
                }
            })
            .buffer_unordered(MAX_CONCURRENT_FETCHES)
            .collect()
            .await
    }

    /// Hidden hook for `Live`: makes the provider of `scheme` forget its cached `path`.
    #[cfg(feature = "live")]
    pub(crate) fn invalidate_secret(&self, scheme: &str, path: &str) {
        if let Some(provider) = self.providers.get(scheme) {
            provider.invalidate(path);
        }
    }

    /// Hidden hook for `Live`: the files (`.env` included, with their profile variants) and
    /// directories this loader reads, in order, then the files that `${file:..}` references
    /// in the current values point to (a mounted secret read by reference changes too).
    #[cfg(feature = "live")]
    pub(crate) fn watched_paths(&self) -> Vec<(PathBuf, bool)> {
        let profile = self.resolve_profile();
        let mut paths: Vec<(PathBuf, bool)> = self
            .expanded_sources(profile.as_deref())
            .iter()
            .filter_map(|source| match source.as_ref() {
                Source::File { path, .. } | Source::Dotenv { path, .. } => {
                    Some((path.clone(), false))
                }
                Source::Dir(path) => Some((path.clone(), true)),
                _ => None,
            })
            .collect();
        let (layers, _) = self.merge();
        for file in references::referenced_files(&layers) {
            if !paths.iter().any(|(known, _)| *known == file) {
                paths.push((file, false));
            }
        }
        paths
    }

    /// Fetches each (scheme, path), concurrently with a bound.
    async fn fetch(&self, wanted: Vec<(String, String)>) -> Fetched {
        let results: HashMap<(String, String), Result<SecretData, ProviderError>> =
            futures_util::stream::iter(wanted)
                .map(|(scheme, path)| {
                    let provider = Arc::clone(&self.providers[&scheme]);
                    async move {
                        let result = provider.fetch(&path).await;
                        ((scheme, path), result)
                    }
                })
                .buffer_unordered(MAX_CONCURRENT_FETCHES)
                .collect()
                .await;
        Fetched::new(results)
    }

    /// Applies every source; the profile in use.
    fn merge(&self) -> (Layers<'static>, Option<String>) {
        self.merge_with(None)
    }

    /// Applies every source; `remote` holds what remote sources answered (`None` in a
    /// synchronous load, where they cannot be fetched).
    fn merge_with(&self, remote: Option<&RemoteEntries>) -> (Layers<'static>, Option<String>) {
        let profile = self.resolve_profile();
        let mut layers = Layers::new(T::schema(), self.profile_var.as_deref());
        for source in self.expanded_sources(profile.as_deref()) {
            match source.as_ref() {
                Source::Remote(handle) => {
                    let entries = remote.map(|fetched| fetched.get(&handle.id));
                    layers.apply_remote(&handle.source.describe(), entries.flatten());
                }
                other => layers.apply(other, self.reads_process_env()),
            }
        }
        (layers, profile)
    }

    /// Resolves references, assembles, validates.
    fn finish(
        &self,
        mut layers: Layers<'static>,
        profile: Option<String>,
        fetched: &Fetched,
        explain: bool,
    ) -> Result<(T, Explain), ConfigError> {
        references::resolve(&mut layers, &self.sources, &self.providers, fetched);
        self.assemble(layers.finish(), profile, explain)
    }

    /// Assembles and validates merged, resolved values.
    fn assemble(
        &self,
        merged: Merged,
        profile: Option<String>,
        explain: bool,
    ) -> Result<(T, Explain), ConfigError> {
        let schema = T::schema();
        let placeholders = Placeholders::for_profile(profile.as_deref());
        let rows = if explain { Rows::Collect } else { Rows::Skip };
        let Merged {
            values,
            failed,
            mut errors,
            warnings,
        } = merged;
        let mut assemble = Assemble::new(schema, &values, &failed, placeholders, rows);
        let config = T::__assemble(&mut assemble);
        errors.append(&mut assemble.errors);

        for warning in &warnings {
            tracing::warn!(target: "config_runtime", "{warning}");
        }
        match config {
            Some(config) if errors.is_empty() => {
                let explain = Explain::new(schema, assemble.rows, warnings, profile);
                Ok((config, explain))
            }
            _ => {
                let mut error = ConfigError::new(errors, warnings);
                error.scrub(&layers::secret_texts(schema, &values));
                Err(error)
            }
        }
    }

    fn reads_process_env(&self) -> bool {
        self.sources.iter().any(|s| matches!(s, Source::Env))
    }

    /// The profile: set directly, or read from the profile variable (in the maps given, then
    /// in the process environment).
    fn resolve_profile(&self) -> Option<String> {
        if let Some(profile) = &self.profile {
            return Some(profile.clone());
        }
        let var = self.profile_var.as_deref()?;
        let from_map = self.sources.iter().rev().find_map(|source| match source {
            Source::Map(vars) => vars
                .iter()
                .rev()
                .find(|(k, _)| k == var)
                .map(|(_, v)| v.clone()),
            _ => None,
        });
        from_map
            .or_else(|| std::env::var(var).ok())
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
    }

    /// The sources with each file's and `.env`'s profile variant inserted after it.
    fn expanded_sources(&self, profile: Option<&str>) -> Vec<Cow<'_, Source>> {
        let mut out = Vec::with_capacity(self.sources.len() * 2);
        for source in &self.sources {
            out.push(Cow::Borrowed(source));
            let Some(profile) = profile else { continue };
            match source {
                Source::File { path, .. } => out.push(Cow::Owned(Source::File {
                    path: profile_file(path, profile),
                    required: false,
                })),
                Source::Dotenv { path, .. } => {
                    let mut name = path.as_os_str().to_owned();
                    name.push(format!(".{profile}"));
                    out.push(Cow::Owned(Source::Dotenv {
                        path: PathBuf::from(name),
                        required: false,
                    }));
                }
                _ => {}
            }
        }
        out
    }
}

/// `config.toml` + `production` → `config.production.toml`.
fn profile_file(path: &Path, profile: &str) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}.{profile}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{profile}"),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::profile_file;
    use std::path::Path;

    #[test]
    fn profile_files_keep_their_extension() {
        assert_eq!(
            profile_file(Path::new("conf/config.toml"), "production"),
            Path::new("conf/config.production.toml")
        );
    }
}
