//! Resolving `${..}` references after all sources are merged, so a reference in any source
//! (a file, `.env`, the environment, an override) works the same way.
//!
//! `${env:VAR}` and `${file:/path}` are resolved here directly; any other scheme names a
//! provider, whose answers were fetched beforehand (see [`Fetched`]). A value that took
//! anything from a provider is marked, so it can only land in a `Secret<T>` field.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::Source;
use super::layers::{Layers, trim_one_newline};
use crate::error::{ErrorKind, FieldError};
use crate::provider::{OutagePolicy, ProviderError, SecretData, SecretProvider};
use crate::reference::{Reference, Template, contains_reference_syntax};
use crate::value::RawValue;
use crate::warning::Warning;

type Providers = HashMap<String, Arc<dyn SecretProvider>>;

/// Provider answers fetched before resolution, by (scheme, path).
pub(crate) struct Fetched {
    answers: Option<HashMap<(String, String), Result<SecretData, ProviderError>>>,
}

impl Fetched {
    /// For a synchronous load: nothing was fetched.
    pub fn none() -> Self {
        Fetched { answers: None }
    }

    pub fn new(answers: HashMap<(String, String), Result<SecretData, ProviderError>>) -> Self {
        Fetched {
            answers: Some(answers),
        }
    }

    /// The store version of each secret fetched successfully.
    #[cfg(feature = "live")]
    pub fn versions(&self) -> HashMap<(String, String), String> {
        self.answers
            .iter()
            .flatten()
            .filter_map(|(key, answer)| Some((key.clone(), answer.as_ref().ok()?.version.clone()?)))
            .collect()
    }
}

/// The files that `${file:..}` references in the merged values name, in order, once each.
#[cfg(feature = "live")]
pub(crate) fn referenced_files(layers: &Layers<'_>) -> Vec<std::path::PathBuf> {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for sourced in layers.values.iter().flatten() {
        for text in sourced.raw.texts().filter(|t| contains_reference_syntax(t)) {
            let Ok(template) = Template::parse(text) else {
                continue;
            };
            for reference in template.references().filter(|r| r.scheme == "file") {
                let path = std::path::PathBuf::from(&reference.path);
                if !files.contains(&path) {
                    files.push(path);
                }
            }
        }
    }
    files
}

/// Every distinct (scheme, path) that merged values reference and a registered provider answers.
pub(crate) fn provider_references(
    layers: &Layers<'_>,
    providers: &Providers,
) -> Vec<(String, String)> {
    let mut wanted = BTreeSet::new();
    for sourced in layers.values.iter().flatten() {
        for text in sourced.raw.texts().filter(|t| contains_reference_syntax(t)) {
            let Ok(template) = Template::parse(text) else {
                continue;
            };
            for reference in template.references() {
                if providers.contains_key(&reference.scheme) {
                    wanted.insert((reference.scheme.clone(), reference.path.clone()));
                }
            }
        }
    }
    wanted.into_iter().collect()
}

/// Why a reference has no value. `skip` marks an unreachable provider whose outage policy is
/// `Optional`: the value is dropped with a warning instead of failing the load.
struct Unresolved {
    reference: String,
    message: String,
    skip: bool,
}

/// Resolves every reference in every merged value, recording an error per failed reference.
pub(crate) fn resolve(
    layers: &mut Layers<'_>,
    sources: &[Source],
    providers: &Providers,
    fetched: &Fetched,
) {
    let schema = layers.schema;
    for index in 0..layers.values.len() {
        let Some(sourced) = layers.values[index].as_mut() else {
            continue;
        };
        if !sourced.raw.texts().any(contains_reference_syntax) {
            continue;
        }
        let field = &schema.fields[index];
        let mut failures: Vec<Unresolved> = Vec::new();
        let mut references = Vec::new();
        let mut from_provider = false;
        let mut render = |text: &str| -> Option<String> {
            let template = match Template::parse(text) {
                Ok(template) => template,
                Err(e) => {
                    failures.push(Unresolved {
                        reference: "${..}".to_owned(),
                        message: e.to_string(),
                        skip: false,
                    });
                    return None;
                }
            };
            references.extend(template.references().map(Reference::to_string));
            template
                .render(|reference| {
                    let builtin = matches!(reference.scheme.as_str(), "env" | "file");
                    from_provider |= !builtin;
                    if builtin {
                        resolve_builtin(reference, sources)
                    } else {
                        resolve_provided(reference, providers, fetched)
                    }
                })
                .map_err(|unresolved| failures.push(unresolved))
                .ok()
        };
        let rendered = match &sourced.raw {
            RawValue::Str(text) => render(text).map(RawValue::Str),
            RawValue::List(items) => items
                .iter()
                .map(|item| render(item))
                .collect::<Option<Vec<_>>>()
                .map(RawValue::List),
        };
        sourced.references = references;
        sourced.from_provider = from_provider;
        if let Some(raw) = rendered {
            sourced.raw = raw;
            continue;
        }
        let origin = sourced.origin.clone();
        if failures.iter().all(|f| f.skip) {
            for failure in failures {
                layers.warnings.push(Warning::ProviderUnavailable {
                    key: field.path.clone(),
                    env: field.env.clone(),
                    origin: origin.clone(),
                    reference: failure.reference,
                    reason: failure.message,
                });
            }
            layers.values[index] = None;
            continue;
        }
        for failure in failures.into_iter().filter(|f| !f.skip) {
            layers.errors.push(FieldError::key(
                field.path.clone(),
                Some(field.env.clone()),
                Some(origin.clone()),
                ErrorKind::Reference {
                    reference: failure.reference,
                    message: failure.message,
                },
            ));
        }
        // Reported here; assembly must not report the field again.
        layers.failed[index] = true;
    }
    if let Some(answers) = &fetched.answers {
        let mut noted: Vec<(&(String, String), &String)> = answers
            .iter()
            .filter_map(|(key, answer)| Some((key, answer.as_ref().ok()?.warning.as_ref()?)))
            .collect();
        noted.sort();
        for ((scheme, path), warning) in noted {
            layers.warnings.push(Warning::ProviderNote {
                scheme: scheme.clone(),
                path: path.clone(),
                note: warning.clone(),
            });
        }
    }
}

/// A provider reference's value from the fetched answers.
fn resolve_provided(
    reference: &Reference,
    providers: &Providers,
    fetched: &Fetched,
) -> Result<String, Unresolved> {
    let fail = |message: String| Unresolved {
        reference: reference.to_string(),
        message,
        skip: false,
    };
    if !providers.contains_key(&reference.scheme) {
        let register = if reference.scheme == "secret" {
            "`.default_provider(..)`"
        } else {
            "`.provider(..)`"
        };
        return Err(fail(format!(
            "no provider handles `{}:` references; register one with {register}",
            reference.scheme
        )));
    }
    let Some(answers) = &fetched.answers else {
        return Err(fail(
            "provider references are fetched asynchronously: load with `.load_async().await`"
                .to_owned(),
        ));
    };
    match answers.get(&(reference.scheme.clone(), reference.path.clone())) {
        Some(Ok(data)) => data.select(reference.key.as_deref()).map_err(fail),
        Some(Err(e)) => {
            let optional = providers[&reference.scheme].outage_policy() == OutagePolicy::Optional;
            Err(Unresolved {
                skip: optional && e.is_transient(),
                ..fail(e.message.clone())
            })
        }
        None => Err(fail(
            "the provider was not asked (internal error)".to_owned(),
        )),
    }
}

/// One `env:`/`file:` reference's value, or why not — never a value.
fn resolve_builtin(reference: &Reference, sources: &[Source]) -> Result<String, Unresolved> {
    let fail = |message: String| Unresolved {
        reference: reference.to_string(),
        message,
        skip: false,
    };
    if reference.key.is_some() {
        return Err(fail(format!(
            "`#key` selects a field of a provider secret; `{}:` values have no fields",
            reference.scheme
        )));
    }
    match reference.scheme.as_str() {
        "env" => lookup_var(&reference.path, sources)
            .ok_or_else(|| fail(format!("variable {} is not set", reference.path))),
        "file" => {
            let mut text = std::fs::read_to_string(&reference.path)
                .map_err(|e| fail(format!("cannot read {}: {e}", reference.path)))?;
            trim_one_newline(&mut text);
            Ok(text)
        }
        scheme => Err(fail(format!(
            "`{scheme}:` is not a built-in reference kind"
        ))),
    }
}

/// `${env:VAR}` reads the maps given to the loader (latest first), then the process environment.
fn lookup_var(name: &str, sources: &[Source]) -> Option<String> {
    sources
        .iter()
        .rev()
        .find_map(|source| match source {
            Source::Map(vars) => vars
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
            _ => None,
        })
        .or_else(|| std::env::var(name).ok())
}
