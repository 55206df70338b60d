//! AWS KMS as a key service: opens the data keys of SOPS files encrypted to a KMS key
//! (`sops encrypt --kms arn:aws:kms:..`), asking the key's own region, with the standard
//! credential chain and `AWS_ENDPOINT_URL` honoured (what [`AwsSettings`] configures).
//!
//! A key the file names with a role (`sops encrypt --kms "KEY_ARN+ROLE_ARN"`, or `role` in
//! `.sops.yaml`) is opened as `sops` opens it: the configured credentials assume the role
//! through STS in the key's region, with the session name `sops` gives (`sops@` and the host
//! name) and STS's default duration (one hour), and the role's temporary credentials call KMS.
//! They are kept per role and region and renewed shortly before they expire, so the files that
//! name the role and the reloads of `Live` do not assume it again meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use aws_config::sts::AssumeRoleProvider;
use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_kms::primitives::Blob;
use base64::Engine as _;
use config_runtime::key_service::{EncryptedDataKey, KeyService, KeyServiceKind};
use config_runtime::{BoxFuture, ProviderError, ProviderErrorKind};
use zeroize::Zeroizing;

use super::errors::{assume_role_failure, to_provider_error};
use super::{AwsSettings, describe_target};

/// The longest role session name STS accepts.
const SESSION_NAME_LIMIT: usize = 64;

/// Opens SOPS data keys encrypted by KMS keys, assuming the role a key names first. Register
/// it with `Loader::key_service(kms)` (feature `sops` of config-runtime); a file that needs it
/// is read by `load_async` and by `Live`.
///
/// Clones share the credentials of the roles assumed. The file's `aws_profile` is not used: the
/// settings given here (or `AWS_PROFILE`) choose the credentials, for keys with a role as
/// for keys without.
///
/// ```no_run
/// # async fn demo() -> Result<(), config_runtime::ProviderError> {
/// use config_providers::aws::{AwsSettings, KmsKeyService};
/// let kms = KmsKeyService::new(AwsSettings::new()).await?;
/// # let _ = kms; Ok(()) }
/// ```
#[derive(Clone)]
pub struct KmsKeyService {
    config: SdkConfig,
    /// The role session name, as `sops` names it.
    session_name: String,
    /// One credentials provider per role and region asked. The SDK configuration's identity
    /// cache holds credentials per provider, so the role of a provider kept here is assumed
    /// once, and again only when its credentials near their expiry.
    roles: Arc<Mutex<HashMap<RoleKey, SharedCredentialsProvider>>>,
}

/// A role ARN and the region its STS is asked in.
type RoleKey = (String, Option<String>);

impl std::fmt::Debug for KmsKeyService {
    // Hand-written: the SDK configuration's credentials provider is left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let roles = self.roles.lock().unwrap_or_else(PoisonError::into_inner);
        let mut roles: Vec<&str> = roles.keys().map(|(role, _)| role.as_str()).collect();
        roles.sort_unstable();
        roles.dedup();
        f.debug_struct("KmsKeyService")
            .field("target", &describe_target(&self.config))
            .field("session_name", &self.session_name)
            .field("roles_assumed", &roles)
            .finish()
    }
}

impl KmsKeyService {
    /// With these settings (the standard chain, overridden by what is set; the region of each
    /// key's ARN is the one asked). They are also the credentials that assume a key's role.
    pub async fn new(settings: AwsSettings) -> Result<KmsKeyService, ProviderError> {
        Ok(KmsKeyService {
            config: settings.sdk_config().await?,
            session_name: session_name(host_name().as_deref()),
            roles: Arc::default(),
        })
    }

    /// The SDK client in the configured region (to create keys in a test, say).
    pub fn client(&self) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.config)
    }

    /// The credentials of `role`, assumed through STS in `region`: the provider kept for them,
    /// or a new one.
    async fn role_credentials(
        &self,
        role: &str,
        region: Option<&str>,
    ) -> SharedCredentialsProvider {
        let key = (role.to_owned(), region.map(str::to_owned));
        let roles = || self.roles.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(provider) = roles().get(&key) {
            return provider.clone();
        }
        let mut builder = AssumeRoleProvider::builder(role)
            .configure(&self.config)
            .session_name(&self.session_name);
        if let Some(region) = region {
            builder = builder.region(Region::new(region.to_owned()));
        }
        // Nothing is asked of STS yet: the first request that needs the credentials does.
        let provider = SharedCredentialsProvider::new(builder.build().await);
        // Two first uses at once keep the same one.
        roles().entry(key).or_insert(provider).clone()
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
        let blob = base64::engine::general_purpose::STANDARD
            .decode(ciphertext)
            .map_err(|_| invalid(format!("the data key for KMS key {arn} is not base64")))?;
        let region = arn.split(':').nth(3).filter(|r| !r.is_empty());
        let mut config = aws_sdk_kms::config::Builder::from(&self.config);
        if let Some(region) = region {
            config = config.region(Region::new(region.to_owned()));
        }
        let role = role.as_deref().filter(|r| !r.is_empty());
        if let Some(role) = role {
            // Given as is, not wrapped again: the SDK's cache knows the provider by its
            // identity, so the credentials it holds are found by the next client.
            let credentials = self.role_credentials(role, region).await;
            config.set_credentials_provider(Some(credentials));
        }
        let client = aws_sdk_kms::Client::from_conf(config.build());
        let mut request = client
            .decrypt()
            .key_id(arn)
            .ciphertext_blob(Blob::new(blob));
        for (name, value) in context {
            request = request.encryption_context(name, value);
        }
        let what = match role {
            Some(role) => format!("AWS KMS key {arn} (through role {role})"),
            None => format!("AWS KMS key {arn}"),
        };
        let answer = request.send().await.map_err(|e| {
            let assuming =
                |role| format!("cannot assume role {role} to open the data key of KMS key {arn}");
            role.and_then(|role| assume_role_failure(&e, &assuming(role)))
                .unwrap_or_else(|| to_provider_error(&e, &what))
        })?;
        let plaintext = answer
            .plaintext
            .ok_or_else(|| invalid(format!("{what} answered without a plaintext")))?;
        Ok(Zeroizing::new(plaintext.into_inner()))
    }
}

/// The role session name `sops` uses: `sops@` and the host name with only letters, digits
/// and `=,.@_` kept (`sops` drops the rest, hyphens too), at most 64 characters.
fn session_name(host: Option<&str>) -> String {
    let host = host
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | ',' | '.' | '@' | '_'));
    let mut name = String::from("sops@");
    name.extend(host);
    name.truncate(SESSION_NAME_LIMIT);
    name
}

/// This machine's host name, as the kernel reports it (or the environment says).
fn host_name() -> Option<String> {
    let from_file = |path: &str| std::fs::read_to_string(path).ok();
    let from_env = |name: &str| std::env::var(name).ok();
    [
        from_file("/proc/sys/kernel/hostname"),
        from_file("/etc/hostname"),
        from_env("HOSTNAME"),
        from_env("COMPUTERNAME"),
    ]
    .into_iter()
    .flatten()
    .map(|name| name.trim().to_owned())
    .find(|name| !name.is_empty())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_those_of_sops() {
        assert_eq!(
            session_name(Some("build-07.example.org")),
            "sops@build07.example.org"
        );
        assert_eq!(session_name(Some("Host_1")), "sops@Host_1");
        assert_eq!(session_name(None), "sops@");
        let long = session_name(Some(&"h".repeat(100)));
        assert_eq!(long.len(), SESSION_NAME_LIMIT);
        assert!(long.starts_with("sops@hhh"));
    }
}
