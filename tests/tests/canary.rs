//! Secret canaries: load configs whose secrets hold unique values, then search every output a
//! user or a log can see — Debug, Display, serde JSON, errors (Display and Debug), the explain
//! report, `.env.example`, the schema — for them. Never found. Also when validation fails.

use config_runtime::{Config, Secret};
use config_tests::{AppConfig, Scratch};

const CANARY_KEY: &str = "sk_live_CANARY_4b1d9e7c2a_CANARY_0f3e8d6c5b";
const CANARY_PASS: &str = "CANARYpw9c1e";
const CANARY_REDIS: &str = "CANARY-redis-77aa";

fn assert_clean(what: &str, text: &str) {
    for canary in [CANARY_KEY, CANARY_PASS, CANARY_REDIS, "CANARY"] {
        assert!(!text.contains(canary), "{what} leaks {canary:?}:\n{text}");
    }
}

fn db_url() -> String {
    format!("postgres://billing:{CANARY_PASS}@db.internal/billing")
}

#[test]
fn a_loaded_config_never_shows_its_secrets() {
    let url = db_url();
    let vars = [
        ("DATABASE_URL", url.as_str()),
        ("APP_STRIPE_KEY", CANARY_KEY),
        ("APP_REDIS_PASSWORD", CANARY_REDIS),
    ];
    let cfg = AppConfig::from_map(vars).unwrap();
    assert_eq!(
        cfg.stripe_key.expose_secret(),
        CANARY_KEY,
        "the value is there, only hidden"
    );
    assert_clean("Debug", &format!("{cfg:?}"));
    assert_clean("pretty Debug", &format!("{cfg:#?}"));
    assert_clean("Display of a secret", &cfg.stripe_key.to_string());
    assert_clean(
        "serde JSON of a secret",
        &serde_json::to_string(&cfg.database_url).unwrap(),
    );
    let explain = AppConfig::loader().vars(vars).explain().unwrap();
    assert_clean("explain Display", &explain.to_string());
    assert_clean("explain Debug", &format!("{explain:?}"));
    assert_clean(".env.example", &AppConfig::env_example());
    assert_clean(
        "JSON schema",
        &AppConfig::schema().json_schema().to_string(),
    );
    assert_clean("schema Debug", &format!("{:?}", AppConfig::schema()));
}

#[test]
fn serde_output_of_a_whole_struct_is_redacted() {
    #[derive(Config, Debug, serde::Serialize)]
    #[config(prefix = "S")]
    struct Service {
        #[config(default = "svc")]
        name: String,
        token: Secret<String>,
        password: Option<Secret<String>>,
    }
    let cfg = Service::from_map([("S_TOKEN", CANARY_KEY), ("S_PASSWORD", CANARY_REDIS)]).unwrap();
    let json = serde_json::to_string(&cfg).unwrap();
    assert_eq!(
        json,
        r#"{"name":"svc","token":"[REDACTED]","password":"[REDACTED]"}"#
    );
}

fn echo_secret(value: &String) -> Result<(), String> {
    Err(format!("custom check saw {value}"))
}

fn echo_all(cfg: &Leaky) -> Result<(), String> {
    Err(format!("cross check saw {}", cfg.other.expose_secret()))
}

/// Exists only to fail validation with messages that quote its secrets.
#[derive(Config, Debug)]
#[config(prefix = "L", validate = echo_all)]
#[allow(dead_code)]
struct Leaky {
    #[config(validate(custom = echo_secret))]
    echoed: Secret<String>,
    other: Secret<String>,
}

#[test]
fn errors_of_secrets_that_fail_validation_never_show_them() {
    let short = CANARY_REDIS;
    let mysql = format!("mysql://billing:{CANARY_PASS}@db/billing");
    let not_a_url = format!("{CANARY_PASS} is not a url");
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("DATABASE_URL", &mysql), ("APP_STRIPE_KEY", short)],
        vec![("DATABASE_URL", &not_a_url), ("APP_STRIPE_KEY", CANARY_KEY)],
        vec![
            ("DATABASE_URL", &mysql),
            ("APP_STRIPE_KEY", CANARY_KEY),
            ("APP_PORT", "0"),
        ],
    ];
    for vars in cases {
        let err = AppConfig::from_map(vars.clone()).unwrap_err();
        assert_clean("error Display", &err.to_string());
        assert_clean("error Debug", &format!("{err:?}"));
        for e in err.errors() {
            assert_clean("field error", &e.to_string());
        }
        let explain = AppConfig::loader().vars(vars).explain().unwrap_err();
        assert_clean("explain error", &explain.to_string());
    }
}

#[test]
fn user_validators_that_echo_secrets_are_scrubbed() {
    let err = Leaky::from_map([("L_ECHOED", CANARY_KEY), ("L_OTHER", CANARY_REDIS)]).unwrap_err();
    assert!(
        err.to_string().contains("custom check saw [REDACTED]"),
        "{err}"
    );
    assert_clean("custom rule message", &err.to_string());
    assert_clean("custom rule Debug", &format!("{err:?}"));
}

#[test]
fn production_rule_and_file_sources_never_show_secrets() {
    let dir = Scratch::new();
    let toml = dir.write(
        "config.toml",
        &format!("stripe_key = \"{CANARY_KEY}\"\nport = \"{CANARY_PASS}\"\n[redis]\npassword = \"changeme\"\n"),
    );
    let err = AppConfig::loader()
        .file(&toml)
        .vars([("DATABASE_URL", db_url())])
        .profile("production")
        .load()
        .unwrap_err();
    let text = err.to_string();
    // A canary in a plain (non-secret) field is shown: only the port error may contain it.
    let secret_lines: Vec<&str> = text.lines().filter(|l| !l.contains("port (")).collect();
    assert_clean("production errors", &secret_lines.join("\n"));
    assert!(text.contains("redis.password"), "{text}");
}
