//! Key services that open the data key of an encrypted file (Vault/OpenBao transit, AWS KMS),
//! for SOPS files encrypted to them rather than to an age recipient. A store implements
//! [`KeyService`] (`config-providers` does: `VaultProvider`, `aws::KmsKeyService`) and
//! the application registers it with `Loader::key_service` (feature `sops`). Opening a key
//! is network I/O: such a file is read by `load_async` and by `Live`.
//!
//! A file encrypted to several master keys (KMS keys in two regions, a KMS key and a transit
//! key) is opened as the `sops` tool opens it: each master key a registered service of its
//! kind can open is asked in turn (in the order of `SOPS_DECRYPTION_ORDER`, see
//! `sops::DecryptionOrder`; by default age identities first, then KMS keys, then transit keys,
//! each in file order; each with every registered service of its kind), and the first data
//! key answered is used. A service that fails, or answers with something that is not a data
//! key, passes to the next; when none opens it, the error lists every key tried and why it
//! failed (the service's reason, or why no age identity opened it).

use crate::provider::{BoxFuture, ProviderError};

/// A service that decrypts data keys encrypted to it.
pub trait KeyService: Send + Sync + 'static {
    /// Which kind of encrypted data key it opens.
    fn kind(&self) -> KeyServiceKind;

    /// The plaintext data key. The error names the key and the service, never the key's
    /// bytes; it is shown with the other attempts when no master key of the file opens.
    fn open<'a>(
        &'a self,
        key: &'a EncryptedDataKey,
    ) -> BoxFuture<'a, Result<zeroize::Zeroizing<Vec<u8>>, ProviderError>>;
}

/// The kinds of key service a file can be encrypted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyServiceKind {
    /// Vault's or OpenBao's transit engine.
    VaultTransit,
    /// AWS KMS.
    AwsKms,
}

/// A data key encrypted by a key service, as the file's metadata holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncryptedDataKey {
    /// Encrypted by a transit key: `POST <address>/v1/<engine_path>/decrypt/<key_name>`.
    VaultTransit {
        /// The server the file names (`https://vault.internal:8200`).
        address: String,
        /// The transit engine's mount (`transit`).
        engine_path: String,
        /// The key's name.
        key_name: String,
        /// The ciphertext (`vault:v1:..`).
        ciphertext: String,
    },
    /// Encrypted by a KMS key.
    AwsKms {
        /// The key's ARN (its region is the one to ask).
        arn: String,
        /// The ciphertext blob, base64.
        ciphertext: String,
        /// The encryption context the key was encrypted with.
        context: Vec<(String, String)>,
        /// A role to assume first, when the file names one.
        role: Option<String>,
    },
}

impl EncryptedDataKey {
    /// The kind of service that opens it.
    pub fn kind(&self) -> KeyServiceKind {
        match self {
            EncryptedDataKey::VaultTransit { .. } => KeyServiceKind::VaultTransit,
            EncryptedDataKey::AwsKms { .. } => KeyServiceKind::AwsKms,
        }
    }
}

impl std::fmt::Debug for dyn KeyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyService")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}
