//! Which kinds of master key of a SOPS file are tried first: `SOPS_DECRYPTION_ORDER`, read
//! as the `sops` tool reads it.

use std::fmt;

/// `SOPS_DECRYPTION_ORDER`: the kinds of master key to try first, comma-separated, as sops
/// names them (`age`, `pgp`, `kms`, `gcp_kms`, `azure_kv`, `hc_vault`, `hckms`).
pub const SOPS_DECRYPTION_ORDER: &str = "SOPS_DECRYPTION_ORDER";

/// The order sops uses when none is given: age keys, then PGP keys, then the rest.
const DEFAULT: [&str; 2] = ["age", "pgp"];

/// The kinds of master key in the order sops lists the keys of a file before sorting them
/// (each kind's keys in file order): the order of the kinds an order does not name.
const LISTED: [Kind; 7] = [
    Kind::Kms,
    Kind::GcpKms,
    Kind::HuaweiKms,
    Kind::AzureKeyVault,
    Kind::VaultTransit,
    Kind::Pgp,
    Kind::Age,
];

/// A kind of master key a SOPS file can be encrypted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Kms,
    GcpKms,
    HuaweiKms,
    AzureKeyVault,
    VaultTransit,
    Pgp,
    Age,
}

impl Kind {
    /// How sops names the kind (its metadata key, and its word in an order).
    fn name(self) -> &'static str {
        match self {
            Kind::Kms => "kms",
            Kind::GcpKms => "gcp_kms",
            Kind::HuaweiKms => "hckms",
            Kind::AzureKeyVault => "azure_kv",
            Kind::VaultTransit => "hc_vault",
            Kind::Pgp => "pgp",
            Kind::Age => "age",
        }
    }
}

/// In which order the kinds of master key of a SOPS file are tried (feature `sops`): by
/// default as the `sops` tool reads [`SOPS_DECRYPTION_ORDER`], at every load.
///
/// The kinds it names come first, in its order; the others follow in the order sops lists a
/// file's keys (AWS KMS, GCP KMS, HuaweiCloud KMS, Azure Key Vault, Vault transit, PGP, age),
/// and the keys of one kind in the file's order. Without an order (unset or empty) it is
/// `age,pgp`: an age identity is tried before any key service is asked. As with sops, the
/// words are taken as written (`kms, age` names `kms` and ` age`, which is no kind), a word
/// that is no kind is ignored, and a kind named twice is an error. Only the kinds this reader
/// can use are tried: age identities, and the KMS and transit keys of the registered
/// [key services](crate::Loader::key_service).
///
/// When a key service comes before age, the file's data key is asked over the network before
/// any age identity is looked for (the key files are read, and `SOPS_AGE_KEY_CMD` is run, only
/// if that fails, on the task that loads), so the file needs
/// [`load_async`](crate::Loader::load_async).
///
/// ```no_run
/// # #[cfg(feature = "derive")] {
/// use config_runtime::Config;
/// use config_runtime::sops::DecryptionOrder;
///
/// #[derive(Config)]
/// struct App {
///     token: String,
/// }
///
/// // Ask Vault/OpenBao transit first, then AWS KMS, then use an age identity.
/// let app = App::loader()
///     .decryption_order(DecryptionOrder::new(["hc_vault", "kms", "age"]))
///     .file("config.enc.yaml")
///     .load();
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DecryptionOrder {
    lookup: Lookup,
}

#[derive(Clone, PartialEq, Eq)]
enum Lookup {
    Environment,
    Given(Vec<String>),
}

impl DecryptionOrder {
    /// As the `sops` tool reads it: [`SOPS_DECRYPTION_ORDER`], at every load. The default.
    pub fn from_env() -> Self {
        DecryptionOrder {
            lookup: Lookup::Environment,
        }
    }

    /// These kinds first, in this order (`"age"`, `"pgp"`, `"kms"`, `"gcp_kms"`,
    /// `"azure_kv"`, `"hc_vault"`, `"hckms"`), read as the words of
    /// [`SOPS_DECRYPTION_ORDER`] are. None at all is sops' default order.
    pub fn new<I>(kinds: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        DecryptionOrder {
            lookup: Lookup::Given(kinds.into_iter().map(Into::into).collect()),
        }
    }

    /// The kinds of master key in the order they are tried, or why the order cannot be used
    /// (a kind named twice, a variable that is not UTF-8).
    pub(crate) fn kinds(&self) -> Result<Vec<Kind>, String> {
        match &self.lookup {
            Lookup::Environment => match std::env::var_os(SOPS_DECRYPTION_ORDER) {
                None => Ok(sorted(&DEFAULT)),
                Some(value) => {
                    let value = value
                        .into_string()
                        .map_err(|_| format!("{SOPS_DECRYPTION_ORDER} is not valid UTF-8"))?;
                    let words: Vec<&str> = value.split(',').collect();
                    read(&words, SOPS_DECRYPTION_ORDER)
                }
            },
            Lookup::Given(words) => {
                let words: Vec<&str> = words.iter().map(String::as_str).collect();
                read(&words, "the decryption order given to the loader")
            }
        }
    }
}

impl Default for DecryptionOrder {
    fn default() -> Self {
        Self::from_env()
    }
}

impl fmt::Debug for DecryptionOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lookup {
            Lookup::Environment => f.write_str("DecryptionOrder::from_env()"),
            Lookup::Given(words) => write!(f, "DecryptionOrder::new({words:?})"),
        }
    }
}

/// The order `words` give (from `place`, for the message): no words, or one empty word (an
/// empty variable), is the default; a word given twice is an error, as with sops.
fn read(words: &[&str], place: &str) -> Result<Vec<Kind>, String> {
    if words.is_empty() || words == [""] {
        return Ok(sorted(&DEFAULT));
    }
    for (at, word) in words.iter().enumerate() {
        if words[..at].contains(word) {
            return Err(format!(
                "{place} names `{}` twice",
                crate::error::escape_controls(word)
            ));
        }
    }
    Ok(sorted(words))
}

/// Every kind, those `words` name first in their order, the others in sops' listing order
/// (a stable sort by rank, as sops sorts a file's keys).
fn sorted(words: &[&str]) -> Vec<Kind> {
    let rank = |kind: &Kind| {
        (words.iter())
            .position(|word| *word == kind.name())
            .unwrap_or(words.len())
    };
    let mut kinds = LISTED.to_vec();
    kinds.sort_by_key(rank);
    kinds
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(words: &[&str]) -> Result<Vec<Kind>, String> {
        DecryptionOrder::new(words.iter().copied()).kinds()
    }

    #[test]
    fn by_default_age_and_pgp_come_first_then_the_kinds_as_sops_lists_them() {
        use Kind::*;
        let default = [
            Age,
            Pgp,
            Kms,
            GcpKms,
            HuaweiKms,
            AzureKeyVault,
            VaultTransit,
        ];
        assert_eq!(order(&[]).unwrap(), default);
        assert_eq!(order(&[""]).unwrap(), default);
        assert_eq!(order(&["age", "pgp"]).unwrap(), default);
    }

    #[test]
    fn the_named_kinds_come_first_and_the_rest_keep_their_place() {
        use Kind::*;
        assert_eq!(
            order(&["hc_vault", "kms"]).unwrap(),
            [
                VaultTransit,
                Kms,
                GcpKms,
                HuaweiKms,
                AzureKeyVault,
                Pgp,
                Age
            ]
        );
        assert_eq!(
            order(&["hc_vault", "age", "kms"]).unwrap(),
            [
                VaultTransit,
                Age,
                Kms,
                GcpKms,
                HuaweiKms,
                AzureKeyVault,
                Pgp
            ]
        );
        // Words are not trimmed, and a word that is no kind is ignored, as with sops.
        assert_eq!(
            order(&["kms", " age", "nothing"]).unwrap(),
            [
                Kms,
                GcpKms,
                HuaweiKms,
                AzureKeyVault,
                VaultTransit,
                Pgp,
                Age
            ]
        );
    }

    #[test]
    fn a_kind_named_twice_is_an_error() {
        let error = order(&["kms", "age", "kms"]).unwrap_err();
        assert_eq!(
            error,
            "the decryption order given to the loader names `kms` twice"
        );
    }

    #[test]
    fn debug_shows_where_the_order_comes_from() {
        assert_eq!(
            format!("{:?}", DecryptionOrder::from_env()),
            "DecryptionOrder::from_env()"
        );
        assert_eq!(
            format!("{:?}", DecryptionOrder::new(["kms"])),
            "DecryptionOrder::new([\"kms\"])"
        );
    }
}
