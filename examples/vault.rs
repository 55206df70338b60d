//! Loads `AppConfig` with its secrets from Vault/OpenBao: `examples/vault.env` holds
//! `${vault:secret/billing#..}` references, resolved concurrently through a cached provider.
//!
//! ```sh
//! scripts/dev-services start
//! eval "$(scripts/dev-services env)"
//! cargo run -p config-examples --features vault --example vault
//! scripts/dev-services stop
//! ```

use config_examples::AppConfig;
use config_providers::vault::VaultProvider;
use config_runtime::Config;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let vault = match VaultProvider::from_env() {
        Ok(vault) => vault,
        Err(error) => {
            eprintln!(
                "{error}; start the servers with `scripts/dev-services start` and `eval \"$(scripts/dev-services env)\"`"
            );
            std::process::exit(1);
        }
    };
    let references = concat!(env!("CARGO_MANIFEST_DIR"), "/vault.env");
    let loader = AppConfig::loader()
        .dotenv(references)
        .env()
        .provider(vault.clone());
    match loader.explain_async().await {
        Ok(report) => println!("{report}"),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }
    // A second load is answered from the provider's cache.
    let config = loader.load_async().await.expect("loaded once already");
    println!(
        "database host: {:?}; cache: {:?}",
        config.database_url.expose_secret().host_str(),
        vault.cache_stats()
    );
}
