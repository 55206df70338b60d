//! Step 1 of a load, and the only one that does I/O: every source is gathered (network
//! sources concurrently), and later the targets of the references the merge found are
//! fetched (`${env:..}`, `${file:..}`, provider secrets, each once, concurrently with a bound).

use std::any::Any;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use futures_util::StreamExt;

use super::merge::Outcome;
use super::resolve::{Answers, Providers, SecretKey, shell_value};
use crate::format::FileValue;
use crate::provider::{ProviderError, SecretData};
use crate::reference::{Template, contains_reference_syntax};
use crate::secret::Secret;
use crate::source::file::File;
use crate::source::file::{ReadFailure, read_limited, trim_one_newline};
use crate::source::{GatherContext, Gathered, Gathering, Layering, Name, Source, Trust, Vars};

/// How many provider requests one load keeps in flight at most.
const MAX_CONCURRENT_FETCHES: usize = 32;

/// Gathers one source without waiting: network sources are not read.
pub(crate) fn gather_now(source: &dyn Source, context: &GatherContext) -> Outcome {
    match start_gather(source, context) {
        Gathering::Ready(result) => outcome(source, result),
        Gathering::Pending(_) => Outcome::NeedsAsync,
    }
}

/// Gathers every source without waiting (a one-off load): network sources are not read.
pub(crate) fn gather_all_now(sources: &[Arc<dyn Source>], context: &GatherContext) -> Vec<Outcome> {
    let gather = |source: &Arc<dyn Source>| gather_now(&**source, context);
    sources.iter().map(gather).collect()
}

/// Starts a source's gather. The file source itself hands its document on with the keys left
/// in its kept text (`File::gather_keeping_text`): the merge reads them there.
fn start_gather<'s>(source: &'s dyn Source, context: &GatherContext) -> Gathering<'s> {
    let any: &dyn Any = source;
    match any.downcast_ref::<File>() {
        Some(file) => file.gather_keeping_text(context),
        None => source.gather(context),
    }
}

/// What a gather gave, as the merge takes it. A gathering keeps the text of a file's document
/// only when it comes straight from the file source: a source that wraps another may have
/// changed the entries, which parsing the text again would not bring back.
fn outcome(source: &dyn Source, result: Result<Gathered, ProviderError>) -> Outcome {
    match result {
        Ok(mut gathered) => {
            let source: &dyn Any = source;
            if !source.is::<File>() {
                gathered.retained = None;
            }
            Outcome::Gathered(gathered)
        }
        Err(e) => Outcome::Failed(e),
    }
}

/// Runs blocking file work so that it does not hold an async worker: on a multi-threaded
/// tokio runtime the worker hands its other tasks to another thread for the duration
/// (`block_in_place`); elsewhere (no runtime, a current-thread runtime, no `live` feature) it
/// simply runs. Reads are bounded anyway (regular files only, a size cap): this keeps a slow
/// disk from stalling the application's other tasks.
pub(crate) fn off_workers<R>(work: impl FnOnce() -> R) -> R {
    #[cfg(feature = "live")]
    if let Ok(handle) = tokio::runtime::Handle::try_current()
        && handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
    {
        return tokio::task::block_in_place(work);
    }
    work()
}

/// Gathers one source, waiting for a network source. A local source's read runs off the
/// async workers ([`off_workers`]).
pub(crate) async fn gather(source: &dyn Source, context: &GatherContext) -> Outcome {
    let result = match off_workers(|| start_gather(source, context)) {
        Gathering::Ready(result) => result,
        Gathering::Pending(future) => future.await,
    };
    outcome(source, result)
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

/// The variables the `.env` sources define, for `${env:..}` and the shell forms: they come
/// after the maps and the process environment, as a `.env` never overrides the environment.
/// Each value has its own references to variables expanded, against the maps, the process
/// environment and the `.env` variables defined before it (as dotenvy reads a file); a value
/// with any other reference (a file, a provider) or one that cannot be expanded is left out.
pub(crate) fn dotenv_vars(
    sources: &[Arc<dyn Source>],
    outcomes: &[Outcome],
    maps: &[Arc<Vars>],
) -> HashMap<String, Secret<String>> {
    let mut defined: HashMap<String, Secret<String>> = HashMap::new();
    for (source, outcome) in sources.iter().zip(outcomes) {
        let Outcome::Gathered(gathered) = outcome else {
            continue;
        };
        if source.layering() != Layering::UnderEnvironment {
            continue;
        }
        for entry in &gathered.entries {
            let literal = entry.trust.unwrap_or(source.trust()) != Trust::Local;
            let (Name::Variable(name), FileValue::Scalar(value)) = (&entry.name, &entry.value)
            else {
                continue;
            };
            let expanded = if literal || !contains_reference_syntax(value) {
                Some(value.clone())
            } else {
                expand_variables(value, maps, &defined)
            };
            match expanded {
                Some(value) => defined.insert(name.clone(), Secret::new(value)),
                None => defined.remove(name),
            };
        }
    }
    defined
}

/// `value` with its variable references expanded; `None` when one cannot be.
fn expand_variables(
    value: &str,
    maps: &[Arc<Vars>],
    defined: &HashMap<String, Secret<String>>,
) -> Option<String> {
    let template = Template::parse(value).ok()?;
    template
        .render(|reference, fallback| {
            if reference.scheme != "env" || reference.key.is_some() {
                return Err(());
            }
            let found =
                read_var(&reference.path, maps).or_else(|| defined.get(&reference.path).cloned());
            let found = found.as_ref().map(|v| v.expose_secret().as_str());
            match fallback {
                Some(fallback) => shell_value(&reference.path, found, fallback).map_err(drop),
                None => found.map(str::to_owned).ok_or(()),
            }
        })
        .ok()
}

/// `${file:..}`: the file's text, one trailing newline trimmed; the error names the path only.
/// A regular file of at most `max_size` bytes.
pub(crate) fn read_file(path: &Path, max_size: u64) -> Result<Secret<String>, String> {
    let mut text = read_limited(path, max_size).map_err(|failure| match failure {
        ReadFailure::Missing => format!("cannot read {}: file not found", path.display()),
        ReadFailure::Refused(message) => message,
    })?;
    trim_one_newline(&mut text);
    Ok(Secret::new(text))
}

/// Fetches each secret from its provider, concurrently with a bound, after letting each
/// provider asked for several paths read them in batches ([`SecretProvider::prefetch`]).
///
/// [`SecretProvider::prefetch`]: crate::SecretProvider::prefetch
pub(crate) async fn fetch_secrets(
    wanted: impl IntoIterator<Item = SecretKey>,
    providers: &Providers,
) -> HashMap<SecretKey, Result<SecretData, ProviderError>> {
    let wanted: Vec<SecretKey> = wanted.into_iter().collect();
    let mut by_scheme: HashMap<&str, Vec<String>> = HashMap::new();
    for (scheme, path) in &wanted {
        by_scheme.entry(scheme).or_default().push(path.clone());
    }
    futures_util::future::join_all(
        by_scheme
            .iter()
            .filter(|(_, paths)| paths.len() > 1)
            .map(|(scheme, paths)| providers[*scheme].prefetch(paths)),
    )
    .await;
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
) -> Vec<(SecretKey, Option<crate::source::Version>)> {
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
    dotenv: &HashMap<String, Secret<String>>,
    max_file_size: u64,
) {
    for name in &wanted.vars {
        if !answers.vars.contains_key(name) {
            let value = read_var(name, maps).or_else(|| dotenv.get(name).cloned());
            answers.vars.insert(name.clone(), value);
        }
    }
    for path in &wanted.files {
        if !answers.files.contains_key(path) {
            answers
                .files
                .insert(path.clone(), read_file(path, max_file_size));
        }
    }
}
