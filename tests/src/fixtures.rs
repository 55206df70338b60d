//! Config structs shared by several test files (the contract's `AppConfig` is in the crate
//! root).

use config_providers::vault::VaultProvider;
use config_runtime::{Config, Secret};

/// Database credentials read through secret references: `V_USER`, `V_PASSWORD`,
/// `V_PREVIOUS` (the previous password, during a rotation).
#[derive(Config, Debug)]
#[config(prefix = "V")]
pub struct Db {
    #[config(default = "app")]
    pub user: String,
    pub password: Secret<String>,
    #[config(default = "")]
    pub previous: Secret<String>,
}

/// Dynamic database credentials from Vault's database engine: `DB_USER`, `DB_PASSWORD`.
#[derive(Config, Debug)]
#[config(prefix = "DB")]
pub struct Database {
    pub user: Secret<String>,
    pub password: Secret<String>,
}

impl Database {
    /// Loads a pair of credentials for the role `app` (`database/creds/app`) from `vault`.
    pub async fn from_vault(vault: &VaultProvider) -> Database {
        Database::loader()
            .vars([
                ("DB_USER", "${vault:database/creds/app#username}"),
                ("DB_PASSWORD", "${vault:database/creds/app#password}"),
            ])
            .provider(vault.clone())
            .load_async()
            .await
            .unwrap()
    }
}
