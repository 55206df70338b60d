//! Step 3 of a load, pure: the references of merged local values are listed ([`wanted`]),
//! their targets fetched (by `gather.rs`, the only I/O), then rendered here from the
//! [`Answers`]. A value that took anything from a reference is tainted: it is never quoted in
//! an error, and one that took anything from a secret provider may only land in a `Secret<T>`.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use super::merge::Merged;
use crate::error::{ErrorKind, FieldError};
use crate::origin::Taint;
use crate::provider::{OutagePolicy, ProviderError, SecretData, SecretProvider};
use crate::reference::{Fallback, Reference};
use crate::schema::Schema;
use crate::secret::Secret;
use crate::value::RawValue;
use crate::warning::Warning;

/// The registered providers, by scheme.
pub(crate) type Providers = std::collections::HashMap<String, Arc<dyn SecretProvider>>;

/// A provider secret, by (scheme, path).
pub(crate) type SecretKey = (String, String);

/// What the merged values reference, each target once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Wanted {
    pub vars: BTreeSet<String>,
    pub files: BTreeSet<PathBuf>,
    pub secrets: BTreeSet<SecretKey>,
}

/// Lists the targets of every reference in the merged values (parsed once, in the merge).
pub(crate) fn wanted(merged: &Merged, providers: &Providers) -> Wanted {
    let mut wanted = Wanted::default();
    let templates = merged
        .parsed
        .iter()
        .flat_map(|(_, parsed)| parsed)
        .flatten();
    for reference in templates.flat_map(|template| template.references()) {
        match reference.scheme.as_str() {
            "env" => {
                wanted.vars.insert(reference.path.clone());
            }
            "file" => {
                wanted.files.insert(PathBuf::from(&reference.path));
            }
            scheme if providers.contains_key(scheme) => {
                wanted
                    .secrets
                    .insert((scheme.to_owned(), reference.path.clone()));
            }
            _ => {}
        }
    }
    wanted
}

/// The fetched targets of the references.
#[derive(Clone, Default)]
pub(crate) struct Answers {
    /// `${env:..}`: the value, or `None` when unset.
    pub vars: HashMap<String, Option<Secret<String>>>,
    /// `${file:..}`: the text (one trailing newline trimmed), or why it could not be read.
    pub files: HashMap<PathBuf, Result<Secret<String>, String>>,
    /// Provider answers; `None` in a synchronous load (they cannot be fetched).
    pub secrets: Option<HashMap<SecretKey, Result<SecretData, ProviderError>>>,
}

impl Answers {
    #[cfg(feature = "live")]
    /// The store version of each secret fetched successfully.
    pub fn versions(&self) -> HashMap<SecretKey, crate::source::Version> {
        self.secrets
            .iter()
            .flatten()
            .filter_map(|(key, answer)| Some((key.clone(), answer.as_ref().ok()?.version.clone()?)))
            .collect()
    }
}

/// Why a reference has no value. `skip` marks an unreachable provider whose outage policy is
/// `Optional`: the value is dropped with a warning instead of failing the load.
struct Unresolved {
    reference: String,
    message: String,
    skip: Skip,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Skip {
    No,
    Optional,
}

/// Renders every reference in the merged values from `answers`, recording an error per failed
/// reference. Pure: no I/O.
///
/// `max_file_bytes` bounds what the `${file:..}` references of one value may pull in, all
/// together (each file is within it already; this stops one value from repeating a file
/// hundreds of times).
pub(crate) fn resolve(
    schema: &Schema,
    merged: &mut Merged,
    providers: &Providers,
    answers: &Answers,
    max_file_bytes: u64,
) {
    for (index, parsed) in std::mem::take(&mut merged.parsed) {
        let Some(sourced) = merged.values[index].as_mut() else {
            continue;
        };
        let mut failures: Vec<Unresolved> = Vec::new();
        let mut references = Vec::new();
        let mut taint = sourced.taint;
        let mut rendered = Vec::with_capacity(parsed.len());
        let mut file_bytes: u64 = 0;
        for template in &parsed {
            let template = match template {
                Ok(template) => template,
                Err(e) => {
                    failures.push(Unresolved {
                        reference: "${..}".to_owned(),
                        message: e.to_string(),
                        skip: Skip::No,
                    });
                    continue;
                }
            };
            references.extend(template.references().map(Reference::to_string));
            let text = template.render(|reference, fallback| {
                let (value, from) = match reference.scheme.as_str() {
                    "env" | "file" => (builtin(reference, fallback, answers), Taint::Referenced),
                    _ => (provided(reference, providers, answers), Taint::Provider),
                };
                taint = taint.max(from);
                if reference.scheme == "file"
                    && let Ok(text) = &value
                {
                    let size = u64::try_from(text.len()).unwrap_or(u64::MAX);
                    file_bytes = file_bytes.saturating_add(size);
                    if file_bytes > max_file_bytes {
                        return Err(Unresolved {
                            reference: reference.to_string(),
                            message: format!(
                                "the files this value references add up to more than the limit of {} (`Loader::max_file_size`)",
                                crate::source::file::show_size(max_file_bytes)
                            ),
                            skip: Skip::No,
                        });
                    }
                }
                value
            });
            match text {
                Ok(text) => rendered.push(text),
                Err(unresolved) => failures.push(unresolved),
            }
        }
        sourced.references = references.into_boxed_slice();
        sourced.taint = taint;
        if failures.is_empty() {
            let new = match &sourced.raw {
                RawValue::Str(_) => RawValue::Str(rendered.pop().unwrap_or_default()),
                RawValue::List(_) => RawValue::List(rendered),
            };
            // The template text goes the way every merged text goes: wiped.
            match std::mem::replace(&mut sourced.raw, new) {
                RawValue::Str(mut text) => crate::secret::wipe_text(&mut text),
                RawValue::List(mut items) => items.iter_mut().for_each(crate::secret::wipe_text),
            }
            continue;
        }
        let origin = merged.documents.origin(&sourced.provenance);
        let field = &schema.fields[index];
        let field = (field.path.clone(), field.env.clone());
        if failures.iter().all(|f| f.skip == Skip::Optional) {
            for failure in failures {
                merged.warnings.push(Warning::ProviderUnavailable {
                    key: field.0.clone(),
                    env: field.1.clone(),
                    origin: origin.clone(),
                    reference: failure.reference,
                    reason: failure.message,
                });
            }
            merged.values[index] = None;
            continue;
        }
        for failure in failures.into_iter().filter(|f| f.skip == Skip::No) {
            merged.errors.push(FieldError::key(
                field.0.clone(),
                Some(field.1.clone()),
                Some(origin.clone()),
                ErrorKind::Reference {
                    reference: failure.reference,
                    message: failure.message,
                },
            ));
        }
        // Reported here; assembly must not report the field again.
        merged.failed[index] = true;
    }
    if let Some(secrets) = &answers.secrets {
        let mut noted: Vec<(&SecretKey, &String)> = secrets
            .iter()
            .filter_map(|(key, answer)| Some((key, answer.as_ref().ok()?.warning.as_ref()?)))
            .collect();
        noted.sort();
        for ((scheme, path), note) in noted {
            merged.warnings.push(Warning::ProviderNote {
                scheme: scheme.clone(),
                path: path.clone(),
                note: note.clone(),
            });
        }
    }
}

/// A provider reference's value from the fetched answers.
fn provided(
    reference: &Reference,
    providers: &Providers,
    answers: &Answers,
) -> Result<String, Unresolved> {
    let fail = |message: String| Unresolved {
        reference: reference.to_string(),
        message,
        skip: Skip::No,
    };
    let Some(provider) = providers.get(&reference.scheme) else {
        let register = if reference.scheme == "secret" {
            "`.default_provider(..)`"
        } else {
            "`.provider(..)`"
        };
        return Err(fail(format!(
            "no provider handles `{}:` references; register one with {register}",
            reference.scheme
        )));
    };
    let Some(secrets) = &answers.secrets else {
        return Err(fail(
            "provider references are fetched asynchronously: load with `.load_async().await`"
                .to_owned(),
        ));
    };
    match secrets.get(&(reference.scheme.clone(), reference.path.clone())) {
        Some(Ok(data)) => data.select(reference.key.as_deref()).map_err(fail),
        Some(Err(e)) => {
            let optional = provider.outage_policy() == OutagePolicy::Optional;
            let skip = if optional && e.is_transient() {
                Skip::Optional
            } else {
                Skip::No
            };
            Err(Unresolved {
                skip,
                ..fail(e.message.clone())
            })
        }
        None => Err(fail(
            "the provider was not asked (internal error)".to_owned(),
        )),
    }
}

/// One `env:`/`file:` reference's value (a shell form's fallback applied), or why not:
/// never a value.
fn builtin(
    reference: &Reference,
    fallback: Option<&Fallback>,
    answers: &Answers,
) -> Result<String, Unresolved> {
    let fail = |message: String| Unresolved {
        reference: fallback.map_or_else(|| reference.to_string(), |f| f.show(&reference.path)),
        message,
        skip: Skip::No,
    };
    if let Some(fallback) = fallback {
        let value = answers
            .vars
            .get(&reference.path)
            .and_then(Option::as_ref)
            .map(|value| value.expose_secret().as_str());
        return shell_value(&reference.path, value, fallback).map_err(fail);
    }
    if reference.key.is_some() {
        return Err(fail(format!(
            "`#key` selects a field of a provider secret; `{}:` values have no fields",
            reference.scheme
        )));
    }
    match reference.scheme.as_str() {
        "env" => match answers.vars.get(&reference.path) {
            Some(Some(value)) => Ok(value.expose_secret().clone()),
            _ => Err(fail(format!("variable {} is not set", reference.path))),
        },
        "file" => match answers.files.get(&PathBuf::from(&reference.path)) {
            Some(Ok(text)) => Ok(text.expose_secret().clone()),
            Some(Err(message)) => Err(fail(message.clone())),
            None => Err(fail(format!(
                "{} was not read (internal error)",
                reference.path
            ))),
        },
        scheme => Err(fail(format!(
            "`{scheme}:` is not a built-in reference kind"
        ))),
    }
}

/// A shell form's value: the variable's, or its fallback; the error never holds a value.
pub(crate) fn shell_value(
    name: &str,
    value: Option<&str>,
    fallback: &Fallback,
) -> Result<String, String> {
    match (value, fallback) {
        (Some(value), Fallback::Plain) => Ok(value.to_owned()),
        (Some(value), _) if !value.is_empty() => Ok(value.to_owned()),
        (_, Fallback::Default(default)) => Ok(default.clone()),
        (_, Fallback::Required(message)) if !message.is_empty() => {
            Err(format!("variable {name} is not set or empty: {message}"))
        }
        (_, Fallback::Required(_)) => Err(format!("variable {name} is not set or empty")),
        (None, Fallback::Plain) => Err(format!("variable {name} is not set")),
    }
}
