//! Layering: defaults < files < `.env` < environment < overrides, in the order sources are
//! listed; directory sources; profiles; and the real process environment via the probe binary.

use config_runtime::{Config, Origin};
use config_tests::{AppConfig, DATABASE_URL, STRIPE_KEY, Scratch, probe, required_vars};

const PROBE: &str = env!("CARGO_BIN_EXE_probe");

#[test]
fn later_sources_win_key_by_key() {
    let dir = Scratch::new();
    let toml = dir.write(
        "config.toml",
        "port = 1000\nlog_level = \"warn\"\nworkers = 8\n[redis]\nhost = \"file-host\"\nport = 1001\n",
    );
    let dotenv = dir.write(
        ".env",
        "APP_PORT=2000\nAPP_LOG_LEVEL=error\nAPP_REDIS_PORT=2001\n",
    );
    let secrets = dir.path().join("secrets");
    dir.write("secrets/APP_PORT", "3000\n");
    dir.write("secrets/redis.port", "3001");

    let explain = AppConfig::loader()
        .file(&toml)
        .dotenv(&dotenv)
        .dir(&secrets)
        .vars(required_vars(&[("APP_PORT", "4000")]))
        .set("port", "5000")
        .explain()
        .unwrap();
    let source = |key: &str| explain.row(key).unwrap().source();
    let value = |key: &str| explain.row(key).unwrap().value.clone();

    assert_eq!(value("port"), "5000");
    assert_eq!(source("port"), "override");
    assert_eq!(value("redis.port"), "3001");
    assert!(source("redis.port").ends_with("secrets/redis.port"));
    assert_eq!(value("log_level"), "error");
    assert!(
        source("log_level").ends_with(".env line 2"),
        "{}",
        source("log_level")
    );
    assert_eq!(value("workers"), "8");
    assert!(
        source("workers").ends_with("config.toml line 3"),
        "{}",
        source("workers")
    );
    assert_eq!(value("redis.host"), "file-host");
    assert!(source("redis.host").ends_with("config.toml line 5"));
    assert_eq!(value("request_timeout"), "30s");
    assert_eq!(source("request_timeout"), "default");
    assert_eq!(source("database_url"), "environment");
    assert_eq!(value("database_url"), "[REDACTED]");
}

#[test]
fn order_of_listing_decides() {
    let dir = Scratch::new();
    let toml = dir.write("config.toml", "port = 1000\n");
    // The map first, then the file: the file wins.
    let c = AppConfig::loader()
        .vars(required_vars(&[("APP_PORT", "4000")]))
        .file(&toml)
        .load()
        .unwrap();
    assert_eq!(c.port, 1000);
}

#[test]
fn overrides_accept_paths_and_variable_names_and_reject_unknown_keys() {
    let c = AppConfig::loader()
        .vars(required_vars(&[]))
        .set("redis.port", "7000")
        .set("APP_WORKERS", "9")
        .load()
        .unwrap();
    assert_eq!((c.redis.port, c.workers), (7000, 9));

    let err = AppConfig::loader()
        .vars(required_vars(&[]))
        .set("redis.prot", "1")
        .load()
        .unwrap_err();
    assert_eq!(
        err.to_string().lines().nth(1).unwrap().trim(),
        "redis.prot (override): unknown key; did you mean redis.port?"
    );
}

#[test]
fn missing_files_are_errors_unless_optional() {
    let dir = Scratch::new();
    let missing = dir.path().join("nope.toml");
    let err = AppConfig::loader()
        .vars(required_vars(&[]))
        .file(&missing)
        .load()
        .unwrap_err();
    assert!(
        err.to_string().contains("nope.toml: file not found"),
        "{err}"
    );
    AppConfig::loader()
        .vars(required_vars(&[]))
        .file_optional(&missing)
        .load()
        .unwrap();
}

#[test]
fn profile_files_load_after_their_base() {
    let dir = Scratch::new();
    let toml = dir.write("config.toml", "port = 1000\nworkers = 2\n");
    dir.write("config.staging.toml", "port = 1100\n");
    let dotenv = dir.write(".env", "APP_LOG_LEVEL=warn\n");
    dir.write(".env.staging", "APP_LOG_LEVEL=debug\n");
    let explain = AppConfig::loader()
        .file(&toml)
        .dotenv(&dotenv)
        .vars(required_vars(&[("APP_ENV", "staging")]))
        .profile_env("APP_ENV")
        .explain()
        .unwrap();
    assert_eq!(explain.profile(), Some("staging"));
    assert_eq!(explain.row("port").unwrap().value, "1100");
    assert!(
        explain
            .row("port")
            .unwrap()
            .source()
            .ends_with("config.staging.toml line 1")
    );
    assert_eq!(explain.row("workers").unwrap().value, "2");
    assert_eq!(explain.row("log_level").unwrap().value, "debug");
    assert!(
        explain
            .row("log_level")
            .unwrap()
            .source()
            .ends_with(".env.staging line 1")
    );
}

/// A profile names files next to the base ones, so it is a plain name: one that could reach
/// another directory (`../secrets`) or is not a name at all is an error naming the variable,
/// where it was silently looked up as a path.
#[test]
fn a_profile_that_is_not_a_plain_name_is_refused() {
    let dir = Scratch::new();
    let toml = dir.write(
        "config.toml",
        "port = 1000
",
    );
    for profile in ["../secrets", "eu/west", "prod.old", "staging "] {
        let loaded = AppConfig::loader()
            .file(&toml)
            .vars(required_vars(&[("APP_ENV", profile)]))
            .profile_env("APP_ENV")
            .load();
        match (profile, loaded) {
            // Blanks around the value are not part of the name.
            ("staging ", loaded) => assert_eq!(loaded.unwrap().port, 1000),
            (_, Ok(_)) => panic!("profile {profile:?} was taken"),
            (_, Err(err)) => assert_eq!(
                config_tests::problems(&err),
                [format!(
                    "APP_ENV (environment): expected a profile name: letters, digits, `-` and \
                     `_`, got {profile:?}"
                )]
            ),
        }
    }
    let err = AppConfig::loader()
        .file(&toml)
        .vars(required_vars(&[]))
        .profile("../secrets")
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("expected a profile name"), "{err}");
}

#[test]
fn directory_sources_trim_one_newline_and_skip_kubernetes_internals() {
    let dir = Scratch::new();
    dir.write("k8s/..data/APP_STRIPE_KEY", "ignored");
    dir.write("k8s/APP_STRIPE_KEY", &format!("{STRIPE_KEY}\n"));
    dir.write("k8s/DATABASE_URL", &format!("{DATABASE_URL}\r\n"));
    dir.write("k8s/unrelated-key", "whatever");
    let c = AppConfig::loader()
        .dir(dir.path().join("k8s"))
        .load()
        .unwrap();
    assert_eq!(c.stripe_key.expose_secret(), STRIPE_KEY);
    assert_eq!(c.database_url.expose_secret().as_str(), DATABASE_URL);
}

#[test]
fn from_env_reads_dot_env_in_the_working_directory_and_the_real_environment_wins() {
    let dir = Scratch::new();
    dir.write(
        ".env",
        &format!("DATABASE_URL={DATABASE_URL}\nAPP_STRIPE_KEY={STRIPE_KEY}\nAPP_PORT=7000\nAPP_WORKERS=3\n"),
    );
    let (ok, out, err) = probe(PROBE, dir.path(), "explain", &[("APP_PORT", "7100")]);
    assert!(ok, "{err}");
    let port = out
        .lines()
        .find(|l| l.trim_start().starts_with("port "))
        .unwrap();
    assert!(
        port.contains("APP_PORT") && port.contains("environment") && port.contains("7100"),
        "{port}"
    );
    let workers = out
        .lines()
        .find(|l| l.trim_start().starts_with("workers "))
        .unwrap();
    assert!(
        workers.contains(".env line 4") && workers.ends_with('3'),
        "{workers}"
    );

    let (ok, out, err) = probe(PROBE, dir.path(), "from-env", &[]);
    assert!(ok, "{err}");
    assert!(out.contains("port: 7000"), "{out}");
}

#[test]
fn from_env_without_dot_env_uses_the_environment_only() {
    let dir = Scratch::new();
    let (ok, out, err) = probe(
        PROBE,
        dir.path(),
        "from-env",
        &[
            ("DATABASE_URL", DATABASE_URL),
            ("APP_STRIPE_KEY", STRIPE_KEY),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("port: 8080"));

    let (ok, _, err) = probe(
        PROBE,
        dir.path(),
        "from-env",
        &[("APP_STRIPE_KEY", STRIPE_KEY)],
    );
    assert!(!ok);
    assert!(
        err.contains("DATABASE_URL: required, not set (see .env.example)"),
        "{err}"
    );
}

#[test]
fn unknown_prefixed_process_variables_are_errors_but_the_profile_variable_is_not() {
    let dir = Scratch::new();
    let vars = [
        ("DATABASE_URL", DATABASE_URL),
        ("APP_STRIPE_KEY", STRIPE_KEY),
        ("APP_ENV", "staging"),
        ("APP_PROT", "1"),
        ("OTHER_THING", "1"),
    ];
    let (ok, _, err) = probe(PROBE, dir.path(), "loader", &vars);
    assert!(!ok);
    assert!(
        err.contains("APP_PROT (environment): unknown variable; did you mean APP_PORT?"),
        "{err}"
    );
    assert!(!err.contains("APP_ENV"), "{err}");
    assert!(!err.contains("OTHER_THING"), "{err}");
}

/// The environment tells the merge which declared field each variable names; a load whose
/// schema is expanded with a map's entries numbers the fields after the map anew, and each
/// variable still sets its own field (aliases and typos as ever).
#[test]
fn process_variables_reach_their_fields_after_a_map_expands_the_schema() {
    let dir = Scratch::new();
    let vars = [
        ("SP__UPS__A__URL", "http://a"),
        ("SP__UPS__B__URL", "http://b"),
        ("SP__PORT", "8081"),
        ("SP__OLD_NAME", "edge"),
    ];
    let (ok, out, err) = probe(PROBE, dir.path(), "shaped", &vars);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        r#"ups: [("a", "http://a"), ("b", "http://b")], port: 8081, name: edge"#
    );

    let vars = [
        ("SP__PORT", "8081"),
        ("SP__NAME", "edge"),
        ("SP__PROT", "1"),
    ];
    let (ok, out, err) = probe(PROBE, dir.path(), "shaped", &vars);
    assert!(!ok, "{out}");
    assert!(
        err.contains("SP__PROT (environment): unknown variable; did you mean SP__PORT?"),
        "{err}"
    );
}

/// The environment passes over a variable by its first letter before reading it: one that
/// starts unlike the prefix still reaches its field when a field declares it or names it as
/// an alias, and a typo of a prefixed one is still reported.
#[test]
fn process_variables_that_start_unlike_the_prefix_reach_their_fields() {
    let dir = Scratch::new();
    let vars = [
        ("ZONE_NAME", "eu-west"),
        ("LEGACY_LIMIT", "7"),
        ("ANOTHER", "x"),
    ];
    let (ok, out, err) = probe(PROBE, dir.path(), "initials", &vars);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "zone: eu-west, limit: 7");

    let vars = [("ZONE_NAME", "eu-west"), ("IN_LIMT", "7")];
    let (ok, out, err) = probe(PROBE, dir.path(), "initials", &vars);
    assert!(!ok, "{out}");
    assert!(
        err.contains("IN_LIMT (environment): unknown variable; did you mean IN_LIMIT?"),
        "{err}"
    );
}

#[test]
fn origins_are_structured() {
    let dir = Scratch::new();
    let toml = dir.write("c.toml", "\n\nport = \"x\"\n");
    let err = AppConfig::loader()
        .vars(required_vars(&[]))
        .file(&toml)
        .load()
        .unwrap_err();
    let e = &err.errors()[0];
    assert_eq!(e.path(), "port");
    assert_eq!(e.env(), Some("APP_PORT"));
    match e.origin() {
        Some(Origin::File { path, line }) => {
            assert_eq!(**path, *toml);
            assert_eq!(*line, Some(3));
        }
        other => panic!("unexpected origin {other:?}"),
    }
}

/// A file of `name` holding `text`, whose `redis.port` on line 11 is `bad`: the error and,
/// once `bad` is replaced with `good`, the explain rows name each key's line.
fn file_gives_each_key_its_line(
    dir: &Scratch,
    name: &str,
    text: &str,
    (bad, good): (&str, &str),
    lines: [(&str, u32); 5],
) {
    let file = dir.write(name, text);
    let err = AppConfig::loader()
        .vars(required_vars(&[]))
        .file(&file)
        .load()
        .unwrap_err();
    assert_eq!(err.errors().len(), 1, "{err}");
    let e = &err.errors()[0];
    assert_eq!(e.path(), "redis.port");
    match e.origin() {
        Some(Origin::File { path, line }) => {
            assert_eq!(**path, *file);
            assert_eq!(*line, Some(11));
        }
        other => panic!("unexpected origin {other:?}"),
    }
    assert!(
        err.to_string()
            .contains(&format!("redis.port ({} line 11):", file.display())),
        "{err}"
    );

    let fixed = dir.write(name, &text.replace(bad, good));
    let explain = AppConfig::loader()
        .vars(required_vars(&[]))
        .file(&fixed)
        .explain()
        .unwrap();
    let source = |key: &str| explain.row(key).unwrap().source();
    for (key, line) in lines {
        assert_eq!(
            source(key),
            format!("{} line {line}", fixed.display()),
            "{key}"
        );
    }
    assert!(
        explain
            .to_string()
            .contains(&format!("{} line 11", fixed.display())),
        "{explain}"
    );
}

#[test]
fn yaml_files_give_each_key_its_line() {
    let text = "# service settings\n\nlog_level: warn\ncors_origins:\n  - https://a.example\n  - https://b.example\nworkers: 8\nredis:\n  host: file-host\n\n  port: lots\n";
    let lines = [
        ("log_level", 3),
        ("cors_origins", 4),
        ("workers", 7),
        ("redis.host", 9),
        ("redis.port", 11),
    ];
    file_gives_each_key_its_line(
        &Scratch::new(),
        "config.yaml",
        text,
        ("lots", "6380"),
        lines,
    );
}

#[test]
fn json_files_give_each_key_its_line() {
    let dir = Scratch::new();
    let text = "{\n  \"log_level\": \"warn\",\n  \"cors_origins\": [\n    \"https://a.example\",\n    \"https://b.example\"\n  ],\n  \"workers\": 8,\n  \"redis\": {\n    \"host\": \"file-host\",\n\n    \"port\": \"lots\"\n  }\n}\n";
    let lines = [
        ("log_level", 2),
        ("cors_origins", 3),
        ("workers", 7),
        ("redis.host", 9),
        ("redis.port", 11),
    ];
    file_gives_each_key_its_line(&dir, "config.json", text, ("\"lots\"", "6380"), lines);

    // Minified, every key is on line 1.
    let minified = dir.write(
        "config.json",
        r#"{"workers":8,"redis":{"host":"file-host","port":"lots"}}"#,
    );
    let err = AppConfig::loader()
        .vars(required_vars(&[]))
        .file(&minified)
        .load()
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("redis.port ({} line 1):", minified.display())),
        "{err}"
    );
}
