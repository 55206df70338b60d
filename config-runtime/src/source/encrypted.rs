//! Files that hold encrypted values: recognised whatever the build, decrypted by the `sops`
//! feature, refused with the feature to turn on otherwise.

use super::{Entry, GatherContext, Gathered, Problem};
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

/// The decrypted document of a SOPS file, as one entry trusted as decrypted.
#[cfg_attr(not(feature = "sops"), allow(unused_variables))]
pub(crate) fn sops_document(
    format: Format,
    text: &str,
    whole: &Origin,
    context: &GatherContext,
) -> Gathered {
    #[cfg(feature = "sops")]
    {
        let typed = match crate::format::parse_typed(format, text) {
            Ok(typed) => typed,
            Err(e) => return Gathered::failed(Problem::new(whole.clone(), e.message)),
        };
        match crate::sops::decrypt_document(&typed, &context.age_keys, context.max_file_size()) {
            Ok(table) => Gathered::new(vec![
                Entry::document(table, whole.clone()).with_trust(super::Trust::Decrypted),
            ]),
            Err(e) => Gathered::failed(Problem::new(whole.clone(), e.to_string())),
        }
    }
    #[cfg(not(feature = "sops"))]
    Gathered::failed(Problem::new(whole.clone(), not_built_in()))
}

/// The decrypted variables of a SOPS dotenv file, trusted as decrypted.
#[cfg_attr(not(feature = "sops"), allow(unused_variables))]
pub(crate) fn sops_dotenv(text: &str, path: &std::path::Path, context: &GatherContext) -> Gathered {
    let whole = Origin::File {
        path: path.to_owned(),
        line: None,
    };
    #[cfg(feature = "sops")]
    {
        match crate::sops::decrypt_dotenv(text, &context.age_keys, context.max_file_size()) {
            Ok(values) => Gathered::new(
                values
                    .into_iter()
                    .map(|v| {
                        let origin = Origin::Dotenv {
                            path: path.to_owned(),
                            line: v.line,
                        };
                        Entry::variable(v.name, v.value, origin).with_trust(super::Trust::Decrypted)
                    })
                    .collect(),
            ),
            Err(e) => Gathered::failed(Problem::new(whole, e.to_string())),
        }
    }
    #[cfg(not(feature = "sops"))]
    Gathered::failed(Problem::new(whole, not_built_in()))
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
        path: path.to_owned(),
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
