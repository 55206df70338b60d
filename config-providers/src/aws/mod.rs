//! AWS Secrets Manager (`${aws-sm:..}`) and SSM Parameter Store (`${ssm:..}`), through the
//! official SDK crates (the standard credential chain — environment, profile, web identity,
//! instance metadata — and `AWS_ENDPOINT_URL` come with them).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use config_providers::aws::{SecretsManagerProvider, SsmProvider};
//! let sm = SecretsManagerProvider::from_env().await?;   // ${aws-sm:prod/db#password}
//! let ssm = SsmProvider::from_env().await?;             // ${ssm:/prod/app/db_url}
//! # Ok(()) }
//! ```
//!
//! References:
//! - `${aws-sm:prod/db#password}`: field `password` of the JSON secret `prod/db`;
//!   `${aws-sm:prod/db@AWSPREVIOUS#password}` reads a version stage (`AWSCURRENT` by default).
//!   Binary secrets are given as UTF-8 text when they are, else as base64.
//! - `${ssm:/prod/app/db_url}`: a parameter, SecureStrings decrypted; `${ssm:/prod/app/db_url:3}`
//!   reads version 3.

mod errors;
mod secrets_manager;
mod ssm;

pub use secrets_manager::SecretsManagerProvider;
pub use ssm::SsmProvider;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::config::Credentials;

/// Where and as whom to reach AWS, for the builders; `from_env` uses the standard chain.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// A custom endpoint (LocalStack, moto, a VPC endpoint).
    pub endpoint: Option<String>,
    /// The region (otherwise from the standard chain).
    pub region: Option<String>,
    /// Static credentials (otherwise from the standard chain).
    pub credentials: Option<(String, String)>,
}

impl AwsSettings {
    /// Loads the SDK configuration: the standard chain, overridden by what is set here.
    pub(crate) async fn sdk_config(&self) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(endpoint) = &self.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some((key, secret)) = &self.credentials {
            loader = loader.credentials_provider(Credentials::new(
                key,
                secret,
                None,
                None,
                "config-providers",
            ));
        }
        loader.load().await
    }
}
