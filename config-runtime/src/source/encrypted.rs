//! Files that hold encrypted values: recognised whatever the build, decrypted by the `sops`
//! feature, refused with the feature to turn on otherwise.

use super::{Entry, GatherContext, Gathered, Problem, Trust};
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
                Entry::document(table, whole.clone()).with_trust(Trust::Decrypted),
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
                        Entry::variable(v.name, v.value, origin).with_trust(Trust::Decrypted)
                    })
                    .collect(),
            ),
            Err(e) => Gathered::failed(Problem::new(whole, e.to_string())),
        }
    }
    #[cfg(not(feature = "sops"))]
    Gathered::failed(Problem::new(whole, not_built_in()))
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
