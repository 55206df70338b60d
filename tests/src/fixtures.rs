//! Config structs shared by several test files (the contract's `AppConfig` is in the crate
//! root).

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
