//! Secret-store providers for `config-runtime`, each behind a cargo feature so that an
//! application compiles only the clients it uses:
//!
//! | feature | provider | answers |
//! |---|---|---|
//! | `vault` | HashiCorp Vault / OpenBao | `${vault:mount/path#key}` |
//! | `aws` | AWS Secrets Manager, SSM Parameter Store | `${aws-sm:..}`, `${ssm:..}` |
//! | `etcd` | etcd | `${etcd:/key}`, and keys under a prefix as a source |
//!
//! The providers themselves are not written yet (see the project's open issues); this crate
//! only fixes the feature names so that applications can declare them today.
//!
//! ```
//! // With no feature enabled the crate is empty and compiles to nothing.
//! assert_eq!(config_providers::FEATURES, &["vault", "aws", "etcd"]);
//! ```

#![deny(missing_docs)]

/// The provider features this crate declares.
pub const FEATURES: &[&str] = &["vault", "aws", "etcd"];
