//! Loads `AppConfig` from the demo `.env` beside this file, prints where every value came
//! from (secrets redacted), then shows what a user sees when the environment is broken.
//!
//! Run: `cargo run -p config-examples --example quickstart`

use config_examples::AppConfig;
use config_runtime::Config;

fn main() {
    let demo_env = concat!(env!("CARGO_MANIFEST_DIR"), "/demo.env");

    println!("== Loaded from {demo_env} (the real environment wins over it) ==\n");
    match AppConfig::loader().dotenv(demo_env).env().explain() {
        Ok(report) => println!("{report}"),
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    }

    println!("== A broken environment reports every problem at once ==\n");
    let broken = AppConfig::from_map([
        ("APP_PORT", "abc"),
        ("APP_STRIPE_KEY", "sk_test_tiny"),
        ("APP_DATABSE_URL", "postgres://app@db/app"),
        ("APP_REQUEST_TIMEOUT", "soon"),
    ]);
    match broken {
        Ok(_) => unreachable!("the broken environment is invalid"),
        Err(error) => println!("{error}"),
    }

    println!("== The documented .env.example ==\n");
    print!("{}", AppConfig::env_example());
}
