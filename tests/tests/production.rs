//! Profile `production` rejects placeholder secrets: empty, equal to the example, or a
//! well-known placeholder word.

use config_runtime::{Config, ErrorKind};
use config_tests::{AppConfig, DATABASE_URL, STRIPE_KEY};

fn load(
    profile: &str,
    stripe: &str,
    password: Option<&str>,
) -> Result<AppConfig, config_runtime::ConfigError> {
    let mut vars = vec![
        ("DATABASE_URL", DATABASE_URL),
        ("APP_STRIPE_KEY", stripe),
        ("APP_ENV", profile),
    ];
    if let Some(password) = password {
        vars.push(("APP_REDIS_PASSWORD", password));
    }
    AppConfig::loader().vars(vars).profile_env("APP_ENV").load()
}

#[test]
fn placeholders_fail_in_production_only() {
    for placeholder in [
        "changeme",
        "CHANGE-ME",
        "password",
        "secret",
        "xxx",
        "todo",
        "test",
    ] {
        let err = load("production", STRIPE_KEY, Some(placeholder)).unwrap_err();
        assert_eq!(err.errors().len(), 1, "{err}");
        assert!(matches!(
            err.errors()[0].kind(),
            ErrorKind::Placeholder { .. }
        ));
        assert_eq!(
            err.errors()[0].to_string(),
            "APP_REDIS_PASSWORD (environment): is a well-known placeholder value; not allowed in profile production"
        );
        load("staging", STRIPE_KEY, Some(placeholder)).unwrap();
    }
}

#[test]
fn the_example_and_empty_values_fail_in_production() {
    // The example is "sk_test_..." (too short for min_len 32, so pad a custom example test).
    let err = load("production", STRIPE_KEY, Some("")).unwrap_err();
    assert!(
        err.to_string().contains(
            "APP_REDIS_PASSWORD (environment): is empty; not allowed in profile production"
        ),
        "{err}"
    );

    #[derive(config_runtime::Config, Debug)]
    #[config(prefix = "P")]
    struct WithExample {
        #[config(example = "example-token-value")]
        token: config_runtime::Secret<String>,
    }
    let err = WithExample::loader()
        .vars([("P_TOKEN", "example-token-value")])
        .profile("production")
        .load()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("P_TOKEN (environment): equals its example from .env.example"),
        "{err}"
    );
    let outside_production = WithExample::loader()
        .vars([("P_TOKEN", "example-token-value")])
        .load()
        .unwrap();
    assert_eq!(
        outside_production.token.expose_secret(),
        "example-token-value"
    );
}

#[test]
fn real_values_pass_in_production() {
    load("production", STRIPE_KEY, Some("a-real-redis-password")).unwrap();
    load("production", STRIPE_KEY, None).unwrap();
}
