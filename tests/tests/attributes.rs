//! Every container and field attribute of the contract, observed through loading, errors and
//! the schema.

use config_runtime::{Config, ErrorKind, Secret, Warning};
use std::time::Duration;

fn check_pair(c: &Pair) -> Result<(), String> {
    if c.low > c.high {
        return Err(format!("low ({}) must not exceed high ({})", c.low, c.high));
    }
    Ok(())
}

fn even(n: &u32) -> Result<(), String> {
    if n.is_multiple_of(2) {
        Ok(())
    } else {
        Err("must be even".to_owned())
    }
}

/// A struct exercising field attributes.
#[derive(Config, Debug)]
#[config(prefix = "ATTR", validate = check_pair)]
struct Pair {
    /// Lower bound.
    #[config(default = 1)]
    low: u32,
    /// Upper bound.
    #[config(default = "10")]
    high: u32,
    /// Read from a variable without the prefix.
    #[config(env = "PAIR_LABEL", default = "none")]
    label: String,
    /// Renamed variable; the old name still works.
    #[config(alias = "ATTR_OLD_NAME", default = "x")]
    name: String,
    /// Not loaded at all.
    #[config(skip)]
    cache: Vec<String>,
    /// Only at start.
    #[config(default = 2, restart)]
    threads: usize,
    /// Timeout as an expression default.
    #[config(default = Duration::from_millis(1500))]
    timeout: Duration,
    /// Checked by a custom function.
    #[config(default = 2, validate(custom = even))]
    step: u32,
    /// An API token.
    #[config(
        example = "tok_example",
        validate(min_len = 8, max_len = 16, pattern = "^tok_")
    )]
    token: Secret<String>,
    /// Mode.
    #[config(default = "fast", validate(one_of("fast", "safe")))]
    mode: String,
    /// Upstream.
    #[config(default = "https://up.example.com", validate(url_scheme("https")))]
    upstream: url::Url,
    /// Tags, each non-empty and short.
    #[config(default = "a,b", validate(non_empty, max_len = 3))]
    tags: Vec<String>,
    /// Nested section.
    #[config(nested)]
    inner: Inner,
}

/// Settings of the inner part.
#[derive(Config, Debug)]
struct Inner {
    /// Percent in 0..=100.
    #[config(default = 50, validate(range(min = 0, max = 100)))]
    percent: u8,
    /// Explicit name inside a nested struct: used as is.
    #[config(env = "INNER_FLAG", default = false)]
    flag: bool,
}

fn load(vars: &[(&str, &str)]) -> Result<Pair, config_runtime::ConfigError> {
    let mut all = vec![("ATTR_TOKEN", "tok_abcdef")];
    all.extend_from_slice(vars);
    Pair::from_map(all)
}

#[test]
fn defaults_string_literals_and_expressions() {
    let c = load(&[]).unwrap();
    assert_eq!((c.low, c.high), (1, 10));
    assert_eq!(c.label, "none");
    assert_eq!(c.timeout, Duration::from_millis(1500));
    assert_eq!(c.threads, 2);
    assert_eq!(c.tags, vec!["a", "b"]);
    assert_eq!(c.inner.percent, 50);
    assert!(c.cache.is_empty(), "skip gives Default::default()");
    assert_eq!(c.step, 2);
    assert_eq!(c.mode, "fast");
    assert_eq!(c.upstream.host_str(), Some("up.example.com"));
    assert_eq!(c.token.expose_secret(), "tok_abcdef");
}

#[test]
fn prefix_env_and_nested_names() {
    let c = load(&[
        ("ATTR_LOW", "3"),
        ("PAIR_LABEL", "lbl"),
        ("ATTR_INNER_PERCENT", "70"),
        ("INNER_FLAG", "true"),
    ])
    .unwrap();
    assert_eq!(c.low, 3);
    assert_eq!(c.label, "lbl");
    assert_eq!(c.inner.percent, 70);
    assert!(c.inner.flag);
    let schema = Pair::schema();
    assert_eq!(schema.field("label").unwrap().env, "PAIR_LABEL");
    assert_eq!(
        schema.field("inner.percent").unwrap().env,
        "ATTR_INNER_PERCENT"
    );
    assert_eq!(schema.field("inner.flag").unwrap().env, "INNER_FLAG");
    assert!(
        schema.field("cache").is_none(),
        "skipped fields are not in the schema"
    );
}

#[test]
fn the_prefixed_label_variable_is_unknown_because_env_overrides_it() {
    let err = load(&[("ATTR_LABEL", "x")]).unwrap_err();
    assert!(
        matches!(err.errors()[0].kind(), ErrorKind::Unknown { .. }),
        "{err}"
    );
}

#[test]
fn alias_is_accepted_with_a_deprecation_warning() {
    let explain = Pair::loader()
        .vars([("ATTR_TOKEN", "tok_abcdef"), ("ATTR_OLD_NAME", "legacy")])
        .explain()
        .unwrap();
    assert_eq!(explain.row("name").unwrap().value, "legacy");
    assert_eq!(explain.warnings().len(), 1);
    assert!(matches!(
        &explain.warnings()[0],
        Warning::DeprecatedAlias { alias, .. } if alias == "ATTR_OLD_NAME"
    ));
    assert!(
        explain.warnings()[0]
            .to_string()
            .contains("ATTR_OLD_NAME is deprecated; rename it to ATTR_NAME")
    );
    assert!(
        explain
            .to_string()
            .contains("warning: ATTR_OLD_NAME is deprecated")
    );

    // The current name wins over the alias in the same source.
    let c = load(&[("ATTR_NAME", "new"), ("ATTR_OLD_NAME", "old")]).unwrap();
    assert_eq!(c.name, "new");
}

#[test]
fn container_validate_runs_after_fields_are_valid() {
    let err = load(&[("ATTR_LOW", "20")]).unwrap_err();
    assert_eq!(err.errors().len(), 1);
    let e = &err.errors()[0];
    assert!(matches!(e.kind(), ErrorKind::Check { .. }));
    assert_eq!(e.to_string(), "low (20) must not exceed high (10)");

    // A field error stops the cross-field check (it would see an invalid struct).
    let err = load(&[("ATTR_LOW", "20"), ("ATTR_HIGH", "x")]).unwrap_err();
    assert_eq!(err.errors().len(), 1);
    assert_eq!(err.errors()[0].path(), "high");
}

#[test]
fn each_rule_reports_its_requirement() {
    let cases: &[(&str, &str, &str)] = &[
        ("ATTR_STEP", "3", "ATTR_STEP (environment): must be even"),
        (
            "ATTR_MODE",
            "fsat",
            "must be one of: fast, safe (did you mean fast?), got \"fsat\"",
        ),
        (
            "ATTR_UPSTREAM",
            "http://up",
            "must be a URL with scheme https, got scheme \"http\"",
        ),
        (
            "ATTR_TAGS",
            "ok,long",
            "must be at most 3 characters, got 4 characters",
        ),
        (
            "ATTR_INNER_PERCENT",
            "101",
            "ATTR_INNER_PERCENT (environment): must be in 0..=100, got \"101\"",
        ),
        (
            "ATTR_TOKEN",
            "tok_1",
            "must be at least 8 characters, got 5 characters",
        ),
        (
            "ATTR_TOKEN",
            "tok_1234567890abcdef",
            "must be at most 16 characters, got 20 characters",
        ),
        (
            "ATTR_TOKEN",
            "key_12345",
            "must match the pattern /^tok_/ (value not shown: secret)",
        ),
    ];
    for (var, value, message) in cases {
        let err = load(&[(var, value)]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(message), "{var}={value}: {text}");
        assert!(
            matches!(err.errors()[0].kind(), ErrorKind::Rule { .. }),
            "{text}"
        );
    }

    // An empty item reaches the item rules from a file's array (comma text refuses it
    // before any rule runs).
    let err = Pair::loader()
        .string(r#"tags = ["ok", "", "x"]"#, config_runtime::Format::Toml)
        .vars([("ATTR_TOKEN", "tok_abcdef")])
        .load()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("must not be empty"), "{text}");
    assert!(
        matches!(err.errors()[0].kind(), ErrorKind::Rule { .. }),
        "{text}"
    );
}

#[test]
fn range_shapes_the_parse_message() {
    let err = load(&[("ATTR_INNER_PERCENT", "lots")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("expected an integer in 0..=100, got \"lots\""),
        "{err}"
    );
}

#[test]
fn schema_carries_docs_restart_example_and_rules() {
    let schema = Pair::schema();
    let threads = schema.field("threads").unwrap();
    assert!(threads.restart);
    assert_eq!(threads.doc, "Only at start.");
    assert_eq!(threads.default.as_deref(), Some("2"));
    let token = schema.field("token").unwrap();
    assert!(token.secret && token.required);
    assert_eq!(token.example, Some("tok_example"));
    assert_eq!(token.rules.len(), 3);
    let timeout = schema.field("timeout").unwrap();
    assert_eq!(
        timeout.default.as_deref(),
        Some("Duration::from_millis(1500)")
    );
    assert_eq!(schema.sections[1].doc, "Nested section.");
    assert_eq!(
        schema.sections[0].doc,
        "A struct exercising field attributes."
    );
    assert_eq!(
        schema.field("name").unwrap().aliases,
        vec!["ATTR_OLD_NAME".to_owned()]
    );
}

/// A nested section read only at start.
#[derive(Config, Debug)]
#[config(prefix = "RS")]
struct WithRestartSection {
    #[config(default = 1)]
    live_value: u8,
    /// Pool settings: a new pool needs a restart.
    #[config(nested, restart)]
    pool: Inner,
}

#[test]
fn restart_on_a_nested_field_covers_its_whole_section() {
    let schema = WithRestartSection::schema();
    assert!(!schema.field("live_value").unwrap().restart);
    assert!(schema.field("pool.percent").unwrap().restart);
    assert!(schema.field("pool.flag").unwrap().restart);
    let cfg = WithRestartSection::from_map([("RS_POOL_PERCENT", "7")]).unwrap();
    assert_eq!((cfg.live_value, cfg.pool.percent), (1, 7));
}
