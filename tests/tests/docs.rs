//! Generated documentation: `.env.example` (compared with a reviewed snapshot), the JSON
//! Schema, and the build helpers that keep a committed `.env.example` fresh.

use config_runtime::Config;
use config_runtime::build::{check_env_example, write_env_example};
use config_tests::{AppConfig, Scratch};

/// The generated `.env.example` is the reviewed snapshot (`UPDATE_SNAPSHOTS=1` to refresh).
#[test]
fn env_example_matches_the_reviewed_snapshot() {
    config_tests::snapshot::assert_snapshot("app_config.env.example", &AppConfig::env_example());
}

#[test]
fn env_example_documents_every_variable() {
    let text = AppConfig::env_example();
    for field in &AppConfig::schema().fields {
        assert!(
            text.contains(&format!("{}=", field.env)),
            "{} missing",
            field.env
        );
        assert!(text.contains(field.doc), "doc of {} missing", field.path);
    }
    assert!(text.contains("APP_STRIPE_KEY=sk_test_..."));
    assert!(text.contains("DATABASE_URL=<secret>"));
    assert!(text.contains("# APP_PORT=8080"));
    assert!(text.contains("# [redis]"));
}

#[test]
fn json_schema_describes_the_file_form() {
    let schema = AppConfig::schema().json_schema();
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["description"], "Settings of the billing service.");
    let props = &schema["properties"];
    assert_eq!(props["port"]["type"], "integer");
    assert_eq!(props["port"]["minimum"], 1);
    assert_eq!(props["port"]["maximum"], 65535);
    assert_eq!(props["port"]["default"], 8080);
    assert_eq!(
        props["log_level"]["enum"],
        serde_json::json!(["error", "warn", "info", "debug"])
    );
    assert_eq!(props["database_url"]["format"], "uri");
    assert_eq!(props["database_url"]["writeOnly"], true);
    assert_eq!(props["stripe_key"]["minLength"], 32);
    assert_eq!(props["cors_origins"]["type"], "array");
    assert_eq!(props["cors_origins"]["items"]["type"], "string");
    assert_eq!(props["redis"]["type"], "object");
    assert_eq!(props["redis"]["properties"]["port"]["default"], 6379);
    let required = schema["required"].as_array().unwrap();
    assert!(required.contains(&"database_url".into()) && required.contains(&"stripe_key".into()));
    assert!(!required.contains(&"port".into()) && !required.contains(&"sentry_dsn".into()));
}

#[test]
fn check_env_example_detects_a_stale_file_and_write_fixes_it() {
    let dir = Scratch::new();
    let path = dir.path().join(".env.example");
    assert!(
        check_env_example::<AppConfig>(&path).is_err(),
        "a missing file is stale"
    );
    assert!(
        write_env_example::<AppConfig>(&path).unwrap(),
        "first write"
    );
    assert!(
        !write_env_example::<AppConfig>(&path).unwrap(),
        "unchanged: not rewritten"
    );
    check_env_example::<AppConfig>(&path).unwrap();

    let stale = AppConfig::env_example().replace("# Redis port.", "# Port of Redis.");
    std::fs::write(&path, stale).unwrap();
    let err = check_env_example::<AppConfig>(&path).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("is out of date"), "{message}");
    assert!(
        message.contains("\"# Port of Redis.\", expected \"# Redis port.\""),
        "{message}"
    );
}
