//! Secret-store providers for `config-runtime`, each behind a cargo feature so that an
//! application compiles only the clients it uses:
//!
//! | feature | provider | answers |
//! |---|---|---|
//! | `vault` | HashiCorp Vault / OpenBao | `${vault:mount/path#key}` |
//! | `aws` | AWS Secrets Manager, SSM Parameter Store | `${aws-sm:..}`, `${ssm:..}` |
//! | `etcd` | etcd | `${etcd:/key}`, keys under a prefix as a source |
//! | `etcd-flags` | etcd | one key as a flag document for `LiveFlags` (with `etcd`) |
//! | `gcp` | Google Cloud Secret Manager | `${gcp-sm:name@version#key}` |
//! | `azure` | Azure Key Vault secrets | `${azure-kv:name@version#key}` |
//!
//! Each provider is a cloneable handle implementing `config_runtime::SecretProvider`;
//! register it on a loader and load with `load_async`:
//!
//! ```no_run
//! # #[cfg(feature = "vault")]
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use config_runtime::{Config, Secret};
//! use config_providers::vault::VaultProvider;
//!
//! #[derive(Config)]
//! #[config(prefix = "APP")]
//! struct AppConfig {
//!     /// `${vault:secret/app#db_password}` in the environment.
//!     db_password: Secret<String>,
//! }
//!
//! let vault = VaultProvider::from_env()?;
//! let cfg = AppConfig::loader().env().provider(vault).load_async().await?;
//! # let _ = cfg; Ok(()) }
//! ```
//!
//! Every provider is built the same way: `from_env()` (async for AWS, whose credential chain
//! is), or `builder(..)` with the store's settings and `.safeguards(..)`, then `.build()`.
//!
//! What every provider shares lives beside them: [`safeguards`] configures the [`cache`]
//! (TTL, refresh ahead, single flight, stale values while the store is down), a circuit
//! breaker and request-rate bound, the [`lkg`] store (encrypted last-known-good values) and
//! the [`audit`] trail (keyed fingerprints, never values). Each provider is one
//! [`store::CachedProvider`] over its store; a new store implements [`store::SecretStore`]
//! and gets all of that.

#![deny(missing_docs)]

#[cfg(feature = "cache")]
pub mod audit;
#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "azure")]
pub mod azure;
#[cfg(feature = "cache")]
mod body;
#[cfg(feature = "cache")]
pub mod cache;
#[cfg(feature = "etcd")]
pub mod etcd;
#[cfg(any(feature = "unleash", feature = "etcd-flags"))]
mod flag_backup;
#[cfg(feature = "gcp")]
pub mod gcp;
#[cfg(feature = "cache")]
mod guard;
#[cfg(feature = "cache")]
pub mod lkg;
#[cfg(feature = "cache")]
mod metrics;
#[cfg(any(feature = "gcp", feature = "azure"))]
mod oauth;
#[cfg(feature = "cache")]
pub mod safeguards;
#[cfg(feature = "cache")]
pub mod store;
#[cfg(feature = "unleash")]
pub mod unleash;
#[cfg(feature = "vault")]
pub mod vault;

#[cfg(test)]
mod tests {
    /// The unit tests sit behind the provider features; the crate's self dev-dependency turns
    /// them on for `cargo test -p config-providers`. Without it this fails instead of
    /// passing with nothing tested.
    #[test]
    fn unit_tests_build_with_every_provider() {
        let features = [
            ("vault", cfg!(feature = "vault")),
            ("etcd", cfg!(feature = "etcd")),
            ("etcd-flags", cfg!(feature = "etcd-flags")),
            ("aws", cfg!(feature = "aws")),
            ("unleash", cfg!(feature = "unleash")),
            ("gcp", cfg!(feature = "gcp")),
            ("azure", cfg!(feature = "azure")),
        ];
        let missing: Vec<&str> = features
            .iter()
            .filter(|(_, on)| !on)
            .map(|(name, _)| *name)
            .collect();
        assert!(missing.is_empty(), "unit tests built without {missing:?}");
    }
}
