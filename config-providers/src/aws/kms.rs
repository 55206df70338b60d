//! AWS KMS as a key service: opens the data keys of SOPS files encrypted to a KMS key
//! (`sops encrypt --kms arn:aws:kms:..`), asking the key's own region, with the standard
//! credential chain and `AWS_ENDPOINT_URL` honoured (what [`AwsSettings`] configures).

use aws_config::{Region, SdkConfig};
use aws_sdk_kms::primitives::Blob;
use base64::Engine as _;
use config_runtime::key_service::{EncryptedDataKey, KeyService, KeyServiceKind};
use config_runtime::{BoxFuture, ProviderError, ProviderErrorKind};
use zeroize::Zeroizing;

use super::AwsSettings;
use super::errors::to_provider_error;

/// Opens SOPS data keys encrypted by KMS keys. Register it with
/// `Loader::key_service(kms)` (feature `sops` of config-runtime); a file that needs it is read
/// by `load_async` and by `Live`.
///
/// ```no_run
/// # async fn demo() -> Result<(), config_runtime::ProviderError> {
/// use config_providers::aws::{AwsSettings, KmsKeyService};
/// let kms = KmsKeyService::new(AwsSettings::new()).await?;
/// # let _ = kms; Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct KmsKeyService {
    config: SdkConfig,
}

impl KmsKeyService {
    /// With these settings (the standard chain, overridden by what is set; the region of each
    /// key's ARN is the one asked).
    pub async fn new(settings: AwsSettings) -> Result<KmsKeyService, ProviderError> {
        Ok(KmsKeyService {
            config: settings.sdk_config().await?,
        })
    }

    /// The SDK client in the configured region (to create keys in a test, say).
    pub fn client(&self) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.config)
    }

    async fn decrypt(&self, key: &EncryptedDataKey) -> Result<Zeroizing<Vec<u8>>, ProviderError> {
        let invalid = |message: String| ProviderError::new(ProviderErrorKind::Invalid, message);
        let EncryptedDataKey::AwsKms {
            arn,
            ciphertext,
            context,
            role,
        } = key
        else {
            return Err(invalid("not a data key of AWS KMS".to_owned()));
        };
        if role.is_some() {
            return Err(invalid(format!(
                "the data key of KMS key {arn} is to be opened through a role; assuming a role \
                 is not supported: give the application credentials that may use the key"
            )));
        }
        let blob = base64::engine::general_purpose::STANDARD
            .decode(ciphertext)
            .map_err(|_| invalid(format!("the data key for KMS key {arn} is not base64")))?;
        let mut config = aws_sdk_kms::config::Builder::from(&self.config);
        if let Some(region) = arn.split(':').nth(3).filter(|r| !r.is_empty()) {
            config = config.region(Region::new(region.to_owned()));
        }
        let client = aws_sdk_kms::Client::from_conf(config.build());
        let mut request = client
            .decrypt()
            .key_id(arn)
            .ciphertext_blob(Blob::new(blob));
        for (name, value) in context {
            request = request.encryption_context(name, value);
        }
        let what = format!("AWS KMS key {arn}");
        let answer = request
            .send()
            .await
            .map_err(|e| to_provider_error(&e, &what))?;
        let plaintext = answer
            .plaintext
            .ok_or_else(|| invalid(format!("{what} answered without a plaintext")))?;
        Ok(Zeroizing::new(plaintext.into_inner()))
    }
}

impl KeyService for KmsKeyService {
    fn kind(&self) -> KeyServiceKind {
        KeyServiceKind::AwsKms
    }

    fn open<'a>(
        &'a self,
        key: &'a EncryptedDataKey,
    ) -> BoxFuture<'a, Result<Zeroizing<Vec<u8>>, ProviderError>> {
        Box::pin(self.decrypt(key))
    }
}
