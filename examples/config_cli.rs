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
//! write to Vault/OpenBao; with `AWS_REGION` (or `AWS_DEFAULT_REGION`) set, the same for
//! `${aws-sm:..}` and AWS Secrets Manager. Without them, the commands work on plain values.

use std::process::ExitCode;

use config_examples::AppConfig;
use config_providers::aws::SecretsManagerProvider;
use config_providers::vault::VaultProvider;
use config_runtime::ProviderError;
use config_runtime::cli::Cli;

/// Whether any of these variables is set.
fn configured(names: &[&str]) -> bool {
    names.iter().any(|name| std::env::var_os(name).is_some())
}

/// The stores whose settings are in the environment.
fn stores() -> Result<(Option<VaultProvider>, Option<SecretsManagerProvider>), ProviderError> {
    let vault = configured(&["VAULT_ADDR", "BAO_ADDR"])
        .then(VaultProvider::from_env)
        .transpose()?;
    let secrets_manager = if configured(&["AWS_REGION", "AWS_DEFAULT_REGION"]) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        Some(runtime.block_on(SecretsManagerProvider::from_env())?)
    } else {
        None
    };
    Ok((vault, secrets_manager))
}

fn main() -> ExitCode {
    let (vault, secrets_manager) = match stores() {
        Ok(stores) => stores,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let mut cli = Cli::<AppConfig>::new();
    if let Some(vault) = vault {
        let reads = vault.clone();
        cli = cli
            .loader(move |loader| loader.provider(reads.clone()))
            .writer(vault);
    }
    if let Some(secrets_manager) = secrets_manager {
        let reads = secrets_manager.clone();
        cli = cli
            .loader(move |loader| loader.provider(reads.clone()))
            .writer(secrets_manager);
    }
    cli.main()
}
