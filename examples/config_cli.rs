//! The configuration command line of the billing service: `check`, `explain`, `example`,
//! `schema`, `diff` and `migrate` over [`AppConfig`], in one line of `main` plus the stores
//! this program knows.
//!
//! ```sh
//! cargo run -p config-examples --features cli --example config_cli -- check --env-file examples/demo.env
//! cargo run -p config-examples --features cli --example config_cli -- explain --json --env-file examples/demo.env
//! cargo run -p config-examples --features cli --example config_cli -- diff .env.staging .env.production
//! VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=… \
//!   cargo run -p config-examples --features cli --example config_cli -- migrate --from .env --to vault:secret/app --write
//! ```
//!
//! With `VAULT_ADDR` (or `BAO_ADDR`) set, `${vault:..}` references resolve and `migrate` can
//! write to Vault/OpenBao; without it, the commands work on plain values only.

use std::process::ExitCode;

use config_examples::AppConfig;
use config_providers::vault::VaultProvider;
use config_runtime::cli::Cli;

fn main() -> ExitCode {
    let vault_configured = ["VAULT_ADDR", "BAO_ADDR"]
        .iter()
        .any(|name| std::env::var_os(name).is_some());
    if !vault_configured {
        return Cli::<AppConfig>::new().main();
    }
    let vault = match VaultProvider::from_env() {
        Ok(vault) => vault,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let reads = vault.clone();
    Cli::<AppConfig>::new()
        .loader(move |loader| loader.provider(reads.clone()))
        .writer(vault)
        .main()
}
