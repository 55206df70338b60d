//! Every problem at once, each naming the key, the variable, the source and what was expected.

use config_runtime::{Config, ErrorKind, Subject, UnknownName};
use config_tests::{AppConfig, Scratch, required_vars};

#[test]
fn five_different_faults_are_all_reported() {
    let dir = Scratch::new();
    let dotenv = dir.write(
        ".env",
        "# billing\nAPP_LOG_LEVEL=info\nAPP_WORKERS=4\nAPP_STRIPE_KEY=sk_test_tiny\n",
    );
    let err = AppConfig::loader()
        .dotenv(&dotenv)
        .vars([
            ("APP_PORT", "abc"),
            ("APP_DATABSE_URL", "postgres://x@db/app"),
            ("APP_REQUEST_TIMEOUT", "soon"),
        ])
        .load()
        .unwrap_err();
    let text = err.to_string();
    let lines: Vec<&str> = text.lines().skip(1).map(str::trim).collect();
    assert_eq!(err.errors().len(), 5, "{text}");
    let stripe = format!(
        "APP_STRIPE_KEY ({} line 4): must be at least 32 characters, got 12 characters",
        dotenv.display()
    );
    for expected in [
        "APP_PORT (environment): expected an integer in 1..=65535, got \"abc\"",
        "DATABASE_URL: required, not set (see .env.example)",
        &stripe,
        "APP_DATABSE_URL (environment): unknown variable; did you mean DATABASE_URL?",
        "APP_REQUEST_TIMEOUT (environment): expected a duration like 30s, 5m, 1h 30m, or whole seconds, got \"soon\"",
    ] {
        assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
    }
    assert!(
        text.starts_with("invalid configuration (5 problems):"),
        "{text}"
    );
}

#[test]
fn structured_errors_expose_path_env_origin_and_kind() {
    let err = AppConfig::from_map([("APP_PORT", "0"), ("APP_REDIS_PORT", "x")]).unwrap_err();
    let port = err.errors().iter().find(|e| e.path() == "port").unwrap();
    assert_eq!(port.env(), Some("APP_PORT"));
    assert!(matches!(port.kind(), ErrorKind::Rule { .. }));
    let redis = err
        .errors()
        .iter()
        .find(|e| e.path() == "redis.port")
        .unwrap();
    assert_eq!(redis.env(), Some("APP_REDIS_PORT"));
    assert!(matches!(redis.kind(), ErrorKind::Invalid { .. }));
    let missing = err
        .errors()
        .iter()
        .find(|e| e.path() == "stripe_key")
        .unwrap();
    assert!(missing.origin().is_none());
    assert_eq!(missing.kind(), &ErrorKind::Missing);
}

#[test]
fn file_errors_name_the_file_and_line() {
    let dir = Scratch::new();
    let toml = dir.write(
        "config.toml",
        "port = 70000\nlog_leve = \"debug\"\n\n[redis]\nhots = \"x\"\nport = \"six\"\n\n[redsi]\na = 1\n",
    );
    let err = AppConfig::loader()
        .file(&toml)
        .vars(required_vars(&[]))
        .load()
        .unwrap_err();
    let text = err.to_string();
    let shown = toml.display().to_string();
    for expected in [
        format!("port ({shown} line 1): expected an integer in 1..=65535, got \"70000\""),
        format!("log_leve ({shown} line 2): unknown key; did you mean log_level?"),
        format!("redis.hots ({shown} line 5): unknown key; did you mean host?"),
        format!("redis.port ({shown} line 6): expected an integer in 0..=65535, got \"six\""),
        format!("redsi ({shown} line 8): unknown key; did you mean redis?"),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in\n{text}");
    }
    assert_eq!(err.errors().len(), 5, "{text}");
}

#[test]
fn broken_files_are_reported_with_their_line() {
    let dir = Scratch::new();
    let toml = dir.write("bad.toml", "port = 1\nlog_level = \n");
    let err = AppConfig::loader()
        .file(&toml)
        .vars(required_vars(&[]))
        .load()
        .unwrap_err();
    let e = &err.errors()[0];
    assert!(matches!(e.kind(), ErrorKind::Source { .. }));
    assert!(
        e.to_string().contains("bad.toml line 2: invalid TOML file"),
        "{e}"
    );

    let json = dir.write("bad.json", "{\"port\": }");
    let err = AppConfig::loader()
        .file(&json)
        .vars(required_vars(&[]))
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("invalid JSON file"), "{err}");
}

#[test]
fn a_table_where_a_value_belongs_is_reported_once() {
    let dir = Scratch::new();
    let toml = dir.write("c.toml", "[port]\nx = 1\n");
    let err = AppConfig::loader()
        .file(&toml)
        .vars(required_vars(&[]))
        .load()
        .unwrap_err();
    assert_eq!(err.errors().len(), 1, "{err}");
    assert!(err.to_string().contains("port ("), "{err}");
    assert!(err.to_string().contains("got a table"), "{err}");
}

#[test]
fn unknown_variable_suggestions_compare_without_the_prefix() {
    let err = AppConfig::from_map(required_vars(&[
        ("APP_REDIS_HOTS", "x"),
        ("APP_ZZZZZZ", "1"),
    ]))
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(
            "APP_REDIS_HOTS (environment): unknown variable; did you mean APP_REDIS_HOST?"
        ),
        "{text}"
    );
    assert!(
        text.contains("APP_ZZZZZZ (environment): unknown variable\n"),
        "{text}"
    );
}

#[test]
fn each_error_names_its_subject() {
    let dir = Scratch::new();
    let missing = dir.path().join("absent.toml");
    let err = AppConfig::loader()
        .file(&missing)
        .vars(required_vars(&[
            ("APP_PORT", "abc"),
            ("APP_DATABSE_URL", "x"),
        ]))
        .load()
        .unwrap_err();
    let subjects: Vec<&Subject> = err.errors().iter().map(|e| e.subject()).collect();
    assert!(subjects.contains(&&Subject::Source), "{err}");
    assert!(
        subjects.contains(&&Subject::Key("port".to_owned())),
        "{err}"
    );
    assert!(
        subjects.contains(&&Subject::Variable("APP_DATABSE_URL".to_owned())),
        "{err}"
    );
    let unknown = err
        .errors()
        .iter()
        .find(|e| matches!(e.subject(), Subject::Variable(_)))
        .unwrap();
    assert!(matches!(
        unknown.kind(),
        ErrorKind::Unknown {
            what: UnknownName::Variable,
            ..
        }
    ));
    assert_eq!(unknown.path(), "", "a variable has no key path");
}

#[derive(Config, Debug)]
#[config(prefix = "ORD")]
#[allow(dead_code)]
struct Ordered {
    #[config(default = "")]
    probes: Vec<u16>,
    #[config(default = "")]
    labels: std::collections::HashMap<String, String>,
    #[config(default = 1)]
    pool: u32,
}

/// A map's problem is listed where the map is declared, between the fields around it, and a
/// file's array is quoted and expected as an array, not as a variable's comma-separated text.
#[test]
fn problems_follow_declaration_order_and_arrays_read_as_arrays() {
    let dir = Scratch::new();
    let toml = dir.write("ordered.toml", "probes = [1, 2, 70000]\npool = -1\n");
    let err = Ordered::loader()
        .file(&toml)
        .vars([("ORD_LABELS", "a=1,b")])
        .load()
        .unwrap_err();
    let shown = toml.display().to_string();
    let problems = config_tests::problems(&err);
    assert_eq!(
        problems,
        [
            format!(
                "probes ({shown} line 1): expected a list of integers in 0..=65535, \
                 got \"[1, 2, 70000]\" (item 3 is invalid)"
            ),
            "ORD_LABELS (environment): expected entries like `key=value,key=value`, or a JSON \
             object (entry 2 has no `=`)"
                .to_owned(),
            format!("pool ({shown} line 2): expected an integer in 0..=4294967295, got \"-1\""),
        ]
    );
    // The same list in a variable is comma-separated text.
    let err = Ordered::from_map([("ORD_PROBES", "1,2,70000")]).unwrap_err();
    assert_eq!(
        err.errors()[0].to_string(),
        "ORD_PROBES (environment): expected a comma-separated list of integers in 0..=65535, \
         got \"1,2,70000\" (item 3 is invalid)"
    );
}
