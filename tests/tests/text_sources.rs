//! `Loader::string`: a document given as text (a default file built in with `include_str!`)
//! is read like a file of its format, and provenance and errors name it with lines.

use config_runtime::{Config, Format, Origin, Secret};

#[derive(Config, Debug)]
#[config(prefix = "SVC")]
struct Service {
    /// Port of the HTTP server.
    #[config(validate(range(min = 1, max = 65535)))]
    port: u16,
    /// Log level.
    #[config(default = "info")]
    log_level: String,
    /// API key.
    api_key: Option<Secret<String>>,
    /// Redis.
    #[config(nested)]
    redis: Redis,
}

#[derive(Config, Debug)]
struct Redis {
    /// Host.
    #[config(default = "localhost")]
    host: String,
    /// Port.
    #[config(default = 6379)]
    port: u16,
}

const YAML: &str = "port: 8080\nredis:\n  host: cache\n  port: 6380\n";

#[test]
fn each_format_reads_text_like_a_file() {
    let toml = "port = 8080\n[redis]\nhost = \"cache\"\nport = 6380\n";
    let json = r#"{"port": 8080, "redis": {"host": "cache", "port": 6380}}"#;
    for (text, format) in [
        (YAML, Format::Yaml),
        (toml, Format::Toml),
        (json, Format::Json),
    ] {
        let service = Service::loader().string(text, format).load().unwrap();
        assert_eq!(service.port, 8080, "{format}");
        assert_eq!(service.redis.host, "cache", "{format}");
        assert_eq!(service.redis.port, 6380, "{format}");
    }
}

#[test]
fn later_sources_win_over_the_built_in_text() {
    let service = Service::loader()
        .string(YAML, Format::Yaml)
        .vars([("SVC_REDIS_PORT", "7000")])
        .load()
        .unwrap();
    assert_eq!(service.redis.port, 7000);
    assert_eq!(service.redis.host, "cache");
    assert_eq!(service.log_level, "info");
}

#[test]
fn provenance_names_the_text_and_the_line() {
    let explain = Service::loader()
        .string("port: 8080\nredis:\n  host: cache\n", Format::Yaml)
        .explain()
        .unwrap();
    let row = explain.row("redis.host").unwrap();
    assert_eq!(row.source(), "embedded YAML line 3");
    let explain = Service::loader()
        .string_named(
            "defaults.toml (built in)",
            "port = 1\n[redis]\nhost = \"h\"\n",
            Format::Toml,
        )
        .explain()
        .unwrap();
    let row = explain.row("redis.host").unwrap();
    assert_eq!(
        row.origin,
        Some(Origin::Text {
            name: "defaults.toml (built in)".to_owned(),
            line: Some(3)
        })
    );
    assert_eq!(row.source(), "defaults.toml (built in) line 3");
}

#[test]
fn bad_values_and_unknown_keys_name_the_text() {
    let err = Service::loader()
        .string_named(
            "defaults.toml",
            "port = 0\n[redis]\nhots = \"h\"\n",
            Format::Toml,
        )
        .load()
        .unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("port (defaults.toml line 1): must be in 1..=65535, got \"0\""),
        "{shown}"
    );
    assert!(
        shown.contains("redis.hots (defaults.toml line 3): unknown key; did you mean host?"),
        "{shown}"
    );
}

#[test]
fn syntax_errors_give_the_line_and_never_the_text() {
    let err = Service::loader()
        .string(
            "port = 1\napi_key = \"sk-canary-1234\nlog_level = 2\n",
            Format::Toml,
        )
        .load()
        .unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("embedded TOML line 2: invalid TOML"),
        "{shown}"
    );
    assert!(!shown.contains("sk-canary"), "{shown}");

    let err = Service::loader()
        .string("port: 1\nport: 2\n", Format::Yaml)
        .load()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("embedded YAML line 2: invalid YAML: duplicate key `port`"),
        "{err}"
    );
    let err = Service::loader()
        .string("{\"port\": 1,,}", Format::Json)
        .load()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("embedded JSON line 1: invalid JSON"),
        "{err}"
    );
}

#[test]
fn a_secret_in_the_text_is_never_shown() {
    let text = "port: 8080\napi_key: sk-canary-5678\n";
    let loader = Service::loader().string(text, Format::Yaml);
    let service = loader.load().unwrap();
    let shown = format!("{service:?} {loader:?} {}", loader.explain().unwrap());
    assert!(!shown.contains("sk-canary"), "{shown}");
    assert_eq!(
        service.api_key.as_ref().map(|k| k.expose_secret().as_str()),
        Some("sk-canary-5678")
    );
}
