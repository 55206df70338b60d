//! Loads `AppConfig` from this process's real environment (and `./.env`), printing the
//! explain report (or the error) so tests can check `from_env` without touching their own
//! environment. Modes: `from-env`, `loader` (`.dotenv(".env").env()` with profile `APP_ENV`),
//! `debug` (prints `{:?}` of the config), `shaped` (loads [`Shaped`], whose map comes before
//! its plain fields, from the environment alone, and prints every value), `initials` (loads
//! [`Initials`] from the environment alone and prints its values).

use std::collections::BTreeMap;

use config_runtime::Config;
use config_tests::AppConfig;

/// A map before plain fields: a load expands the schema with the map's entries, so the
/// fields after it are numbered anew for that load.
#[derive(Config)]
#[config(prefix = "SP", env_separator = "__")]
struct Shaped {
    #[config(nested)]
    ups: BTreeMap<String, Up>,
    port: u16,
    #[config(alias = "SP__OLD_NAME")]
    name: String,
}

#[derive(Config)]
struct Up {
    url: String,
}

/// Variables that start unlike the prefix: a field's own variable and an alias.
#[derive(Config)]
#[config(prefix = "IN")]
struct Initials {
    #[config(env = "ZONE_NAME")]
    zone: String,
    #[config(alias = "LEGACY_LIMIT")]
    limit: u16,
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let result = match mode.as_str() {
        "from-env" => AppConfig::from_env().map(|c| format!("{c:?}")),
        "loader" => AppConfig::loader()
            .file_optional("config.toml")
            .dotenv(".env")
            .env()
            .profile_env("APP_ENV")
            .explain()
            .map(|e| e.to_string()),
        "shaped" => Shaped::loader().env().load().map(|c| {
            let urls: Vec<(&String, &str)> = c.ups.iter().map(|(k, up)| (k, &*up.url)).collect();
            format!("ups: {urls:?}, port: {}, name: {}", c.port, c.name)
        }),
        "initials" => Initials::loader()
            .env()
            .load()
            .map(|c| format!("zone: {}, limit: {}", c.zone, c.limit)),
        _ => AppConfig::loader()
            .dotenv(".env")
            .env()
            .explain()
            .map(|e| e.to_string()),
    };
    match result {
        Ok(text) => println!("{text}"),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    }
}
