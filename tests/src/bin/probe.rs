//! Loads `AppConfig` from this process's real environment (and `./.env`), printing the
//! explain report (or the error) so tests can check `from_env` without touching their own
//! environment. Modes: `from-env`, `loader` (`.dotenv(".env").env()` with profile `APP_ENV`),
//! `debug` (prints `{:?}` of the config).

use config_runtime::Config;
use config_tests::AppConfig;

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
