//! The `sops` section of an encrypted file: who can open the data key, the MAC, and which
//! values are encrypted. In YAML and JSON it is a table; in dotenv files it is flattened into
//! `sops_*` variables (`sops_age__list_0__map_recipient`), unflattened here the way sops does.

use std::fmt;

use serde::Deserialize;
use serde_json::{Map, Value};

/// The parts of the metadata a reader needs. Unknown fields are ignored, as sops does.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Metadata {
    pub age: Vec<AgeStanza>,
    pub kms: Vec<KmsStanza>,
    pub hc_vault: Vec<VaultStanza>,
    pub pgp: Vec<Value>,
    pub gcp_kms: Vec<Value>,
    pub azure_kv: Vec<Value>,
    pub hckms: Vec<Value>,
    pub key_groups: Vec<Value>,
    pub lastmodified: String,
    pub mac: String,
    pub unencrypted_suffix: String,
    pub encrypted_suffix: String,
    pub unencrypted_regex: String,
    pub encrypted_regex: String,
    pub unencrypted_comment_regex: String,
    pub encrypted_comment_regex: String,
    #[serde(deserialize_with = "flag")]
    pub mac_only_encrypted: bool,
}

/// The data key, encrypted to one age recipient.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct AgeStanza {
    pub recipient: String,
    pub enc: String,
}

/// The data key, encrypted by an AWS KMS key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct KmsStanza {
    pub arn: String,
    pub enc: String,
    pub role: String,
    pub aws_profile: String,
    pub context: Map<String, Value>,
}

/// The data key, encrypted by a Vault/OpenBao transit key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct VaultStanza {
    pub vault_address: String,
    pub engine_path: String,
    pub key_name: String,
    pub enc: String,
}

/// `true` in YAML and JSON, `"true"` in dotenv files (where every value is text).
fn flag<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::Bool(b) => b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    })
}

impl Metadata {
    /// Reads the `sops` table of a document.
    pub fn from_value(value: Value) -> Result<Self, String> {
        serde_json::from_value(value).map_err(|e| format!("malformed sops metadata: {e}"))
    }

    /// Reads the `sops_*` variables of a dotenv file (names without the `sops_` prefix).
    pub fn from_flat(pairs: &[(String, String)]) -> Result<Self, String> {
        let mut root = Value::Object(Map::new());
        for (name, value) in pairs {
            let slot = unflatten_slot(&mut root, name)
                .ok_or_else(|| format!("malformed sops metadata variable sops_{name}"))?;
            *slot = Value::String(value.clone());
        }
        Self::from_value(root)
    }

    /// Who the file is encrypted to, for messages: age recipients, KMS keys, transit keys.
    pub fn recipients(&self) -> Recipients<'_> {
        Recipients(self)
    }
}

/// Where `age__list_0__map_recipient` lives in the tree, creating the way there.
fn unflatten_slot<'v>(root: &'v mut Value, name: &str) -> Option<&'v mut Value> {
    let mut current = root;
    for step in tokens(name) {
        current = match step {
            Step::Key(key) => {
                if !current.is_object() {
                    *current = Value::Object(Map::new());
                }
                current.as_object_mut()?.entry(key).or_insert(Value::Null)
            }
            Step::Index(index) => {
                if !current.is_array() {
                    *current = Value::Array(Vec::new());
                }
                let items = current.as_array_mut()?;
                // Indexes come in order in files sops writes; a gap is malformed.
                if index > items.len() {
                    return None;
                }
                if index == items.len() {
                    items.push(Value::Null);
                }
                &mut items[index]
            }
        };
    }
    Some(current)
}

/// One step of a flattened name.
enum Step {
    Key(String),
    Index(usize),
}

/// `age__list_0__map_recipient` → `age`, `[0]`, `recipient`.
fn tokens(name: &str) -> Vec<Step> {
    const MAP: &str = "__map_";
    const LIST: &str = "__list_";
    let mut steps = Vec::new();
    let mut rest = name;
    let mut is_index = false;
    loop {
        let next = [rest.find(MAP), rest.find(LIST)]
            .into_iter()
            .flatten()
            .min();
        let (token, after) = match next {
            Some(at) => (&rest[..at], Some(at)),
            None => (rest, None),
        };
        steps.push(if is_index {
            token
                .parse()
                .map_or(Step::Key(token.to_owned()), Step::Index)
        } else {
            Step::Key(token.to_owned())
        });
        let Some(at) = after else { break };
        if rest[at..].starts_with(MAP) {
            is_index = false;
            rest = &rest[at + MAP.len()..];
        } else {
            is_index = true;
            rest = &rest[at + LIST.len()..];
        }
    }
    steps
}

/// The recipients of a file, shown as `age1..., arn:aws:kms:...`.
pub(crate) struct Recipients<'m>(&'m Metadata);

impl fmt::Display for Recipients<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        let names = (m.age.iter().map(|s| s.recipient.clone()))
            .chain(m.kms.iter().map(|s| s.arn.clone()))
            .chain(m.hc_vault.iter().map(|s| {
                format!(
                    "{}/v1/{}/keys/{}",
                    s.vault_address, s.engine_path, s.key_name
                )
            }))
            .chain((m.pgp.iter()).map(|_| "a PGP key".to_owned()))
            .chain((m.gcp_kms.iter()).map(|_| "a GCP KMS key".to_owned()))
            .chain((m.azure_kv.iter()).map(|_| "an Azure Key Vault key".to_owned()))
            .chain((m.hckms.iter()).map(|_| "a HuaweiCloud KMS key".to_owned()));
        let mut first = true;
        for name in names {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            f.write_str(&crate::error::escape_controls(&name))?;
        }
        if first {
            f.write_str("no recipient")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattened_dotenv_metadata_reads_like_the_table() {
        let pairs = [
            ("age__list_0__map_recipient", "age1one"),
            ("age__list_0__map_enc", "E1"),
            ("age__list_1__map_recipient", "age1two"),
            ("age__list_1__map_enc", "E2"),
            ("lastmodified", "2026-01-01T00:00:00Z"),
            ("mac", "ENC[..]"),
            ("unencrypted_suffix", "_unencrypted"),
            ("mac_only_encrypted", "true"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let m = Metadata::from_flat(&pairs).unwrap();
        assert_eq!(m.age.len(), 2);
        assert_eq!(
            (m.age[1].recipient.as_str(), m.age[1].enc.as_str()),
            ("age1two", "E2")
        );
        assert_eq!(m.unencrypted_suffix, "_unencrypted");
        assert!(m.mac_only_encrypted);
        assert_eq!(m.recipients().to_string(), "age1one, age1two");
    }
}
