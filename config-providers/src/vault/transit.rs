//! Vault/OpenBao transit as a key service: opens the data keys of SOPS files encrypted to a
//! transit key (`sops encrypt --hc-vault-transit $VAULT_ADDR/v1/transit/keys/NAME`), with the
//! provider's own address, TLS settings, namespace and login.

use base64::Engine as _;
use config_runtime::key_service::{EncryptedDataKey, KeyService, KeyServiceKind};
use config_runtime::{BoxFuture, ProviderError, ProviderErrorKind};
use zeroize::Zeroizing;

use super::{VaultProvider, VaultStore};

/// Register it with `Loader::key_service(vault.clone())` (feature `sops` of config-runtime).
impl KeyService for VaultProvider {
    fn kind(&self) -> KeyServiceKind {
        KeyServiceKind::VaultTransit
    }

    fn open<'a>(
        &'a self,
        key: &'a EncryptedDataKey,
    ) -> BoxFuture<'a, Result<Zeroizing<Vec<u8>>, ProviderError>> {
        Box::pin(self.inner.transit_decrypt(key))
    }
}

impl VaultStore {
    /// `POST <engine>/decrypt/<key>`; the plaintext is the data key, base64.
    async fn transit_decrypt(
        &self,
        key: &EncryptedDataKey,
    ) -> Result<Zeroizing<Vec<u8>>, ProviderError> {
        let invalid = |message: String| ProviderError::new(ProviderErrorKind::Invalid, message);
        let EncryptedDataKey::VaultTransit {
            address,
            engine_path,
            key_name,
            ciphertext,
        } = key
        else {
            return Err(invalid(
                "not a data key of Vault's transit engine".to_owned(),
            ));
        };
        if address.trim_end_matches('/') != self.http.addr() {
            return Err(invalid(format!(
                "the data key is encrypted by transit key `{key_name}` at {address}, and this \
                 provider talks to {}",
                self.http.addr()
            )));
        }
        let path = format!("{}/decrypt/{key_name}", engine_path.trim_matches('/'));
        let body = serde_json::json!({ "ciphertext": ciphertext });
        let post = |token: Zeroizing<String>| {
            let (path, body) = (&path, &body);
            async move {
                (self.http)
                    .write(
                        reqwest::Method::POST,
                        path,
                        Some(token.as_str()),
                        body,
                        path,
                    )
                    .await
            }
        };
        let token = self.token.current(&self.http).await?;
        let answer = match post(token).await {
            Err(e) if e.kind == ProviderErrorKind::Denied && self.token.can_login() => {
                post(self.token.relogin(&self.http).await?).await
            }
            other => other,
        }?;
        let plaintext = answer["data"]["plaintext"]
            .as_str()
            .ok_or_else(|| invalid(format!("`{path}` answered without a plaintext")))?;
        base64::engine::general_purpose::STANDARD
            .decode(plaintext)
            .map(Zeroizing::new)
            .map_err(|_| {
                invalid(format!(
                    "`{path}` answered with a plaintext that is not base64"
                ))
            })
    }
}
