//! Files that hold encrypted values: recognised whatever the build, decrypted by the `sops`
//! feature, refused with the feature to turn on otherwise.

use std::sync::Arc;

use super::{Entry, GatherContext, Gathered, Gathering, Problem};
use crate::format::{FileValue, Format, Located};
use crate::origin::Origin;

/// The name of SOPS' metadata table, and the prefix of its flattened variables.
pub(crate) const METADATA: &str = "sops";

/// Whether a parsed YAML or JSON document is one sops wrote: a `sops` table with a `mac`.
pub(crate) fn is_sops_document(root: &[(String, Located<FileValue>)]) -> bool {
    root.iter().any(|(key, value)| {
        key == METADATA
            && matches!(&value.value, FileValue::Table(inner) if inner.iter().any(|(k, _)| k == "mac"))
    })
}

/// Whether a dotenv text is one sops wrote: it has a `sops_mac` variable.
pub(crate) fn is_sops_dotenv(text: &str) -> bool {
    text.split('\n').any(|line| line.starts_with("sops_mac="))
}

/// The decrypted document of a SOPS file, as one entry trusted as decrypted; `written` is
/// the root table the format's reader gave for `text`, whose lines each decrypted key keeps. A
/// file whose data key a key service opens is read asynchronously.
#[cfg_attr(not(feature = "sops"), allow(unused_variables))]
pub(crate) fn sops_document(
    format: Format,
    text: &str,
    written: Vec<(String, Located<FileValue>)>,
    whole: &Origin,
    context: &GatherContext,
) -> Gathering<'static> {
    #[cfg(feature = "sops")]
    {
        let typed = match crate::format::parse_typed(format, text) {
            Ok(typed) => typed,
            Err(e) => {
                return Gathering::Ready(Ok(Gathered::failed(Problem::new(
                    whole.clone(),
                    e.message,
                ))));
            }
        };
        let parsed = crate::sops::Parsed::document(typed, written);
        decrypt_sops(parsed, whole.clone(), context)
    }
    #[cfg(not(feature = "sops"))]
    Gathering::Ready(Ok(Gathered::failed(Problem::new(
        whole.clone(),
        not_built_in(),
    ))))
}

/// The decrypted variables of a SOPS dotenv file, trusted as decrypted.
#[cfg_attr(not(feature = "sops"), allow(unused_variables))]
pub(crate) fn sops_dotenv(
    text: &str,
    path: &std::path::Path,
    context: &GatherContext,
) -> Gathering<'static> {
    let whole = Origin::File {
        path: Arc::from(path),
        line: None,
    };
    #[cfg(feature = "sops")]
    {
        decrypt_sops(crate::sops::Parsed::dotenv(text), whole, context)
    }
    #[cfg(not(feature = "sops"))]
    Gathering::Ready(Ok(Gathered::failed(Problem::new(whole, not_built_in()))))
}

/// Opens the data key (at once with an age identity that comes first in the decryption order,
/// else later with the key services and age, one master key after the other until one opens
/// it), decrypts, and turns what the file held into
/// entries; any failure fails the whole file.
#[cfg(feature = "sops")]
fn decrypt_sops(
    parsed: Result<crate::sops::Parsed, crate::sops::SopsError>,
    whole: Origin,
    context: &GatherContext,
) -> Gathering<'static> {
    use crate::sops::KeyPlan;
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return Gathering::Ready(Ok(failed(&whole, e.to_string()))),
    };
    let plan = parsed.key_plan(
        &context.age_keys,
        &context.decryption_order,
        &context.key_services,
        context.max_file_size(),
    );
    match plan {
        Err(e) => Gathering::Ready(Ok(failed(&whole, e.to_string()))),
        Ok(KeyPlan::Ready(key)) => Gathering::Ready(Ok(finish(parsed, &key, &whole))),
        Ok(KeyPlan::Services(steps)) => Gathering::Pending(Box::pin(async move {
            Ok(match parsed.open_by_services(&steps).await {
                Ok(key) => finish(parsed, &key, &whole),
                Err(e) => failed(&whole, e.to_string()),
            })
        })),
    }
}

/// A file that did not open, as its one problem.
#[cfg(feature = "sops")]
fn failed(whole: &Origin, message: String) -> Gathered {
    Gathered::failed(Problem::new(whole.clone(), message))
}

/// Decrypts with the data key: the entries of the file, or its one problem.
#[cfg(feature = "sops")]
fn finish(parsed: crate::sops::Parsed, key: &crate::sops::DataKey, whole: &Origin) -> Gathered {
    use crate::sops::Plain;
    match parsed.decrypt(key) {
        Ok(Plain::Table(table)) => Gathered::new(vec![
            Entry::document(table, whole.clone()).with_trust(super::Trust::Decrypted),
        ]),
        Ok(Plain::Variables(values)) => {
            let Origin::File { path, .. } = whole else {
                unreachable!("a dotenv file's origin is its path")
            };
            let entries = values.into_iter().map(|v| {
                let origin = Origin::Dotenv {
                    path: path.clone(),
                    line: v.line,
                };
                Entry::variable(v.name, v.value, origin).with_trust(super::Trust::Decrypted)
            });
            Gathered::new(entries.collect())
        }
        Err(e) => failed(whole, e.to_string()),
    }
}

/// What marks a dotenvx-encrypted value.
const DOTENVX_PREFIX: &str = "encrypted:";

/// Whether a `.env` file holds dotenvx-encrypted values.
pub(crate) fn has_dotenvx_values(entries: &[Entry]) -> bool {
    entries
        .iter()
        .any(|entry| matches!(&entry.value, FileValue::Scalar(v) if v.starts_with(DOTENVX_PREFIX)))
}

/// The variables of a `.env` file with its dotenvx values decrypted (trusted as decrypted):
/// all of them, or one error naming the file and its public key.
#[cfg_attr(not(feature = "sops"), allow(unused_variables))]
pub(crate) fn dotenvx(
    entries: Vec<Entry>,
    path: &std::path::Path,
    context: &GatherContext,
) -> Gathered {
    let whole = Origin::File {
        path: Arc::from(path),
        line: None,
    };
    #[cfg(feature = "sops")]
    {
        let public_key = entries
            .iter()
            .find_map(|entry| match (&entry.name, &entry.value) {
                (super::Name::Variable(name), FileValue::Scalar(key))
                    if name.starts_with("DOTENV_PUBLIC_KEY") =>
                {
                    Some(crate::error::escape_controls(key).into_owned())
                }
                _ => None,
            });
        let fail = |failure: crate::dotenvx::Failure| {
            let recipient = public_key.as_deref().unwrap_or("an unnamed public key");
            let message =
                format!("cannot decrypt this dotenvx file: {failure} (encrypted to {recipient})");
            Gathered::failed(Problem::new(whole.clone(), message))
        };
        let keys = match crate::dotenvx::private_keys(path, context.max_file_size()) {
            Ok(keys) => keys,
            Err(failure) => return fail(failure),
        };
        let mut decrypted = Vec::with_capacity(entries.len());
        for mut entry in entries {
            if let (super::Name::Variable(name), FileValue::Scalar(value)) =
                (&entry.name, &entry.value)
                && value.starts_with(DOTENVX_PREFIX)
            {
                match crate::dotenvx::decrypt(name, value, &keys) {
                    Ok(plain) => {
                        entry.value = FileValue::Scalar(plain);
                        entry = entry.with_trust(super::Trust::Decrypted);
                    }
                    Err(failure) => return fail(failure),
                }
            }
            decrypted.push(entry);
        }
        Gathered::new(decrypted)
    }
    #[cfg(not(feature = "sops"))]
    Gathered::failed(Problem::new(
        whole,
        "this .env file holds dotenvx-encrypted values; turn on the `sops` feature of config-runtime to decrypt them",
    ))
}

#[cfg(not(feature = "sops"))]
fn not_built_in() -> &'static str {
    "this file is SOPS-encrypted; turn on the `sops` feature of config-runtime to decrypt it"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sops_files_are_recognised_by_their_metadata() {
        let table = |keys: &[&str]| -> Vec<(String, Located<FileValue>)> {
            let inner = (keys.iter())
                .map(|k| {
                    let value = FileValue::Scalar(String::new());
                    ((*k).to_owned(), Located { value, line: None })
                })
                .collect();
            let value = FileValue::Table(inner);
            vec![(METADATA.to_owned(), Located { value, line: None })]
        };
        assert!(is_sops_document(&table(&["age", "mac"])));
        assert!(!is_sops_document(&table(&["age"])));
        assert!(is_sops_dotenv("A=1\nsops_mac=ENC[..]\n"));
        assert!(!is_sops_dotenv("A=1\nMY_sops_mac=x\n"));
    }

    #[cfg(not(feature = "sops"))]
    #[test]
    fn without_the_feature_an_encrypted_file_names_the_feature() {
        assert!(not_built_in().contains("`sops` feature"));
    }
}
