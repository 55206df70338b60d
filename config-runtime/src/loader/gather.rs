//! Step 1 of a load, and the only one that does I/O: every source is gathered (network
//! sources concurrently), and later the targets of the references the merge found are
//! fetched (`${env:..}`, `${file:..}`, provider secrets, each once, concurrently with a bound).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use futures_util::StreamExt;

use super::merge::Outcome;
use super::resolve::{Answers, Providers, SecretKey};
use crate::provider::{ProviderError, SecretData};
use crate::secret::Secret;
use crate::source::file::trim_one_newline;
use crate::source::{GatherContext, Gathering, Source, Vars, Version};

/// How many provider requests one load keeps in flight at most.
const MAX_CONCURRENT_FETCHES: usize = 16;

/// Gathers one source without waiting: network sources are not read.
pub(crate) fn gather_now(source: &dyn Source, context: &GatherContext) -> Outcome {
    match source.gather(context) {
        Gathering::Ready(Ok(gathered)) => Outcome::Gathered(gathered),
        Gathering::Ready(Err(e)) => Outcome::Failed(e),
        Gathering::Pending(_) => Outcome::NeedsAsync,
    }
}

/// Gathers one source, waiting for a network source.
pub(crate) async fn gather(source: &dyn Source, context: &GatherContext) -> Outcome {
    let result = match source.gather(context) {
        Gathering::Ready(result) => result,
        Gathering::Pending(future) => future.await,
    };
    match result {
        Ok(gathered) => Outcome::Gathered(gathered),
        Err(e) => Outcome::Failed(e),
    }
}

/// Gathers every source, network sources concurrently.
pub(crate) async fn gather_all(
    sources: &[Arc<dyn Source>],
    context: &GatherContext,
) -> Vec<Outcome> {
    futures_util::future::join_all(sources.iter().map(|source| gather(&**source, context))).await
}

/// `${env:..}`: the maps given to the loader (latest first), then the process environment.
pub(crate) fn read_var(name: &str, maps: &[Arc<Vars>]) -> Option<Secret<String>> {
    maps.iter()
        .rev()
        .find_map(|vars| vars.get(name).map(str::to_owned))
        .or_else(|| std::env::var(name).ok())
        .map(Secret::new)
}

/// `${file:..}`: the file's text, one trailing newline trimmed; the error names the path only.
pub(crate) fn read_file(path: &Path) -> Result<Secret<String>, String> {
    let mut text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    trim_one_newline(&mut text);
    Ok(Secret::new(text))
}

/// Fetches each secret from its provider, concurrently with a bound.
pub(crate) async fn fetch_secrets(
    wanted: impl IntoIterator<Item = SecretKey>,
    providers: &Providers,
) -> HashMap<SecretKey, Result<SecretData, ProviderError>> {
    futures_util::stream::iter(wanted)
        .map(|(scheme, path)| {
            let provider = Arc::clone(&providers[&scheme]);
            async move {
                let result = provider.fetch(&path).await;
                ((scheme, path), result)
            }
        })
        .buffer_unordered(MAX_CONCURRENT_FETCHES)
        .collect()
        .await
}

#[cfg(feature = "live")]
/// The store's current version of each secret (`None`: it cannot tell, or did not answer).
pub(crate) async fn secret_versions(
    keys: impl IntoIterator<Item = SecretKey>,
    providers: &Providers,
) -> Vec<(SecretKey, Option<Version>)> {
    futures_util::stream::iter(keys)
        .map(|(scheme, path)| {
            let provider = Arc::clone(&providers[&scheme]);
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

/// Fills `answers` with the local targets (variables, files) of `wanted` that it lacks.
pub(crate) fn fetch_local(
    answers: &mut Answers,
    wanted: &super::resolve::Wanted,
    maps: &[Arc<Vars>],
) {
    for name in &wanted.vars {
        if !answers.vars.contains_key(name) {
            answers.vars.insert(name.clone(), read_var(name, maps));
        }
    }
    for path in &wanted.files {
        if !answers.files.contains_key(path) {
            answers.files.insert(path.clone(), read_file(path));
        }
    }
}
