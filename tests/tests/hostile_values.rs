//! Hostile values: secrets in lists, secrets printed by a custom check in other forms, URL
//! passwords of plain fields, secret defaults in the schema, `NaN` against a range, bounded
//! durations, huge values and control characters in messages, and the wording newcomers read.
//! Each test names the leak or wrong accept it guards against.

// The configs exist to be loaded and printed; most fields are never read.
#![allow(dead_code)]

use std::time::Duration;

use config_runtime::{Config, ConfigError, ErrorKind, Secret};
use config_tests::AppConfig;

const CANARY_ONE: &str = "CANARYone7f3a";
const CANARY_TWO: &str = "CANARYtwo9b2c";

fn assert_clean(what: &str, text: &str) {
    for canary in [CANARY_ONE, CANARY_TWO, "CANARY"] {
        assert!(!text.contains(canary), "{what} leaks {canary:?}:\n{text}");
    }
}

/// Every text a user or a log can see of a failed load.
fn error_texts(error: &ConfigError) -> String {
    format!("{error}\n{error:?}")
}

#[derive(Config, Debug)]
#[config(prefix = "LIST")]
struct SecretLists {
    /// API keys, any of which is accepted.
    #[config(validate(pattern = "^sk_"))]
    keys: Vec<Secret<String>>,
    /// Old keys still accepted during a rotation.
    #[config(validate(pattern = "^sk_"))]
    old_keys: Option<Vec<Secret<String>>>,
}

#[test]
fn lists_of_secrets_are_secret_in_explain_errors_schema_and_docs() {
    let vars = [
        ("LIST_KEYS", format!("sk_{CANARY_ONE},sk_{CANARY_TWO}")),
        ("LIST_OLD_KEYS", format!("sk_{CANARY_TWO}")),
    ];
    let explain = SecretLists::loader().vars(vars.clone()).explain().unwrap();
    assert_clean("explain", &explain.to_string());
    assert_clean("explain Debug", &format!("{explain:?}"));
    for field in &SecretLists::schema().fields {
        assert!(field.secret, "{} is not secret", field.path);
    }
    assert!(SecretLists::env_example().contains("; secret;"));

    let error = SecretLists::from_map([
        ("LIST_KEYS", format!("sk_ok,{CANARY_ONE}")),
        ("LIST_OLD_KEYS", CANARY_TWO.to_owned()),
    ])
    .unwrap_err();
    assert_eq!(error.errors().len(), 2, "{error}");
    assert_clean("pattern errors", &error_texts(&error));

    // An empty item is named by its place (its commas tell it), and the items beside it are
    // not quoted.
    let error = SecretLists::from_map([("LIST_KEYS", format!("sk_{CANARY_ONE},"))]).unwrap_err();
    let text = error.to_string();
    let expected = "LIST_KEYS (environment): expected a comma-separated list of texts (item 2 \
                    is empty; value not shown: secret)";
    assert!(text.contains(expected), "{text}");
    assert_clean("empty item error", &error_texts(&error));
    // Other faults of an item (here its rule) are not placed: what a rule or a parser says
    // of an item could hold some of it.
    let error = SecretLists::from_map([("LIST_KEYS", format!("sk_ok,{CANARY_ONE}"))]);
    let text = error.unwrap_err().to_string();
    assert!(!text.contains("item"), "{text}");
}

#[derive(Config, Debug)]
#[config(prefix = "PINS")]
struct SecretPins {
    /// Door codes.
    codes: Vec<Secret<u16>>,
}

#[test]
fn a_secret_list_names_its_empty_item_but_not_an_item_its_parser_refused() {
    let error = SecretPins::from_map([("PINS_CODES", "1234,,5678")]).unwrap_err();
    let text = error.to_string();
    let expected = "PINS_CODES (environment): expected a comma-separated list of integers in \
                    0..=65535 (item 2 is empty; value not shown: secret)";
    assert!(text.contains(expected), "{text}");

    // The parser's words about an item are withheld with its place.
    let error = SecretPins::from_map([("PINS_CODES", format!("1234,{CANARY_ONE}"))]);
    let error = error.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("0..=65535 (value not shown: secret)"),
        "{text}"
    );
    assert!(!text.contains("item"), "{text}");
    assert_clean("parse error of a secret item", &error_texts(&error));
}

fn debug_print(value: &String) -> Result<(), String> {
    Err(format!("rejected {value:?}"))
}

fn print_parsed(url: &url::Url) -> Result<(), String> {
    Err(format!("rejected {url} ({url:?})"))
}

#[derive(Config, Debug)]
#[config(prefix = "SCRUB")]
struct Scrubbed {
    #[config(validate(custom = debug_print))]
    token: Secret<String>,
    #[config(validate(custom = print_parsed))]
    database_url: Secret<url::Url>,
    #[config(validate(custom = debug_print))]
    keys: Vec<Secret<String>>,
}

#[test]
fn a_custom_check_printing_a_secret_in_another_form_is_scrubbed() {
    let token = format!("{CANARY_ONE}\"quoted\"\nsecond line");
    // An upper-case host and a percent-encoded password: the parsed URL prints them otherwise.
    let url = format!("https://app:{CANARY_TWO}%21@DB-{CANARY_ONE}.Internal:443/app");
    let error = Scrubbed::from_map([
        ("SCRUB_TOKEN", token.as_str()),
        ("SCRUB_DATABASE_URL", url.as_str()),
        ("SCRUB_KEYS", &format!("{CANARY_TWO}-a, {CANARY_TWO}-b")),
    ])
    .unwrap_err();
    let text = error_texts(&error);
    assert_eq!(error.errors().len(), 4, "{text}");
    assert_clean("custom check messages", &text);
    assert!(!text.contains("second line"), "{text}");
}

#[derive(Config, Debug)]
#[config(prefix = "PLAIN")]
struct PlainUrls {
    #[config(validate(pattern = "^https://"))]
    sentry_dsn: url::Url,
    mirror: Option<url::Url>,
    backup: Option<url::Url>,
    #[config(default = "https://user:hunter22@cache.internal/")]
    cache: url::Url,
}

#[test]
fn the_password_of_a_plain_url_is_masked_in_errors_and_explain() {
    let dsn = "http://key:hunter22@sentry.internal/4";
    // A password longer than what a message shows of a value is masked all the same.
    let backup = format!("http://u:hunter22{}@[::1", "x".repeat(300));
    let error = PlainUrls::from_map([
        ("PLAIN_SENTRY_DSN", dsn),
        ("PLAIN_MIRROR", "http://u:hunter22@[::1"),
        ("PLAIN_BACKUP", backup.as_str()),
    ])
    .unwrap_err();
    let text = error_texts(&error);
    assert_eq!(error.errors().len(), 3, "{text}");
    assert!(!text.contains("hunter22"), "{text}");
    assert!(
        text.contains("http://key:[REDACTED]@sentry.internal/4"),
        "{text}"
    );

    let explain = PlainUrls::loader()
        .vars([("PLAIN_SENTRY_DSN", "https://key:hunter22@sentry.internal/4")])
        .explain()
        .unwrap();
    for shown in [explain.to_string(), format!("{explain:?}")] {
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(shown.contains("key:[REDACTED]@sentry.internal"), "{shown}");
    }
}

#[derive(Config, Debug)]
#[config(prefix = "DEFAULTED")]
struct SecretDefault {
    #[config(default = "CANARYone7f3a-default")]
    token: Secret<String>,
}

#[test]
fn the_schema_debug_never_shows_a_secret_default() {
    let schema = SecretDefault::schema();
    assert_clean("schema Debug", &format!("{schema:?}"));
    assert_clean("schema pretty Debug", &format!("{schema:#?}"));
    assert_clean("JSON schema", &schema.json_schema().to_string());
    assert_clean(".env.example", &SecretDefault::env_example());
}

#[derive(Config, Debug)]
#[config(prefix = "RATIO")]
struct Ratio {
    #[config(validate(range(min = 0.0, max = 1.0)))]
    sample: f64,
    #[config(default = 0.5, validate(range(max = 1)))]
    share: f32,
}

#[test]
fn nan_is_outside_a_float_range() {
    for nan in ["NaN", "-NaN", "nan", "NAN"] {
        let result = Ratio::from_map([("RATIO_SAMPLE", nan), ("RATIO_SHARE", nan)]);
        let error = result.expect_err(nan);
        assert_eq!(error.errors().len(), 2, "{error}");
        assert!(
            error.to_string().contains("must be in 0..=1, got \"NaN\""),
            "{error}"
        );
    }
    let ok = Ratio::from_map([("RATIO_SAMPLE", "0.25")]).unwrap();
    assert_eq!(ok.sample, 0.25);
}

#[derive(Config, Debug)]
#[config(prefix = "POLL")]
struct Poll {
    #[config(default = "30s", validate(range(min = "1s", max = "1h")))]
    interval: Duration,
    #[config(validate(range(min = "100ms")))]
    grace: Option<Duration>,
}

#[test]
fn a_duration_takes_a_range_of_duration_texts() {
    let poll = Poll::from_map([("POLL_INTERVAL", "5m"), ("POLL_GRACE", "1s")]).unwrap();
    assert_eq!(poll.interval, Duration::from_secs(300));
    let error = Poll::from_map([("POLL_INTERVAL", "2h"), ("POLL_GRACE", "10ms")]).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("POLL_INTERVAL (environment): must be in 1s..=1h, got \"2h\""),
        "{text}"
    );
    assert!(
        text.contains("POLL_GRACE (environment): must be at least 100ms, got \"10ms\""),
        "{text}"
    );
    assert!(
        Poll::env_example().contains("1s..=1h"),
        "{}",
        Poll::env_example()
    );
}

#[derive(Config, Debug)]
#[config(prefix = "REF")]
struct Referenced {
    port: u16,
}

#[derive(Config, Debug)]
#[config(prefix = "HIDDEN")]
struct HiddenPort {
    port: Secret<u16>,
}

#[test]
fn a_plain_value_not_shown_is_not_called_a_secret() {
    let error = Referenced::loader()
        .vars([
            ("REF_PORT", "${env:HOSTILE_SOURCE}"),
            ("HOSTILE_SOURCE", "CANARYone7f3a"),
        ])
        .load()
        .unwrap_err();
    let text = error.to_string();
    assert_clean("a referenced value", &text);
    assert!(!text.contains("secret"), "{text}");
    assert!(
        text.contains("value not shown: taken through a reference"),
        "{text}"
    );
}

#[derive(Config, Debug)]
#[config(prefix = "NET")]
struct Network {
    allowed: Vec<std::net::IpAddr>,
}

#[test]
fn list_messages_speak_of_ip_addresses() {
    let error = Network::from_map([("NET_ALLOWED", "10.0.0.1,nope")]).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("a comma-separated list of IP addresses like"),
        "{text}"
    );
    assert!(!text.contains("IPs"), "{text}");
}

#[derive(Config, Debug)]
#[config(prefix = "BIG")]
struct Big {
    #[config(validate(pattern = "^[a-z]+$"))]
    name: String,
    count: u32,
}

#[test]
fn a_huge_value_is_cut_in_messages_and_explain() {
    let huge = "X".repeat(1_000_000);
    let error =
        Big::from_map([("BIG_NAME", huge.as_str()), ("BIG_COUNT", huge.as_str())]).unwrap_err();
    let text = error.to_string();
    assert_eq!(error.errors().len(), 2, "{text}");
    assert!(text.len() < 1_000, "{} bytes", text.len());
    assert!(format!("{error:?}").len() < 2_000);
    assert_eq!(text.matches("1000000 characters").count(), 2, "{text}");

    let lower = "x".repeat(1_000_000);
    let explain = Big::loader()
        .vars([("BIG_NAME", lower.as_str()), ("BIG_COUNT", "1")])
        .explain()
        .unwrap();
    assert!(explain.to_string().len() < 1_000);
    assert!(explain.to_string().contains("(1000000 characters)"));
}

fn echo(value: &String) -> Result<(), String> {
    Err(format!("refused {value}"))
}

#[derive(Config, Debug)]
#[config(prefix = "CTL")]
struct Controls {
    #[config(default = "ok", validate(custom = echo))]
    motd: String,
}

#[test]
fn control_characters_are_escaped_in_errors() {
    let hostile = "a\nFAKE_ROW  ok\u{1b}[2J\r\u{7}";
    let error = Controls::from_map([("CTL_MOTD", hostile)]).unwrap_err();
    let text = error.to_string();
    assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text:?}");
    assert_eq!(
        text.lines().count(),
        2,
        "one header and one problem: {text:?}"
    );
    assert!(
        text.contains("refused a\\nFAKE_ROW  ok\\u{1b}[2J\\r\\u{7}"),
        "{text:?}"
    );
}

#[derive(Config, Debug)]
#[config(prefix = "ROW")]
struct Row {
    #[config(default = "x")]
    title: String,
}

#[test]
fn control_characters_are_escaped_in_the_explain_table() {
    let explain = Row::loader()
        .vars([("ROW_TITLE", "a\nFAKE  ROW\u{1b}[2J")])
        .explain()
        .unwrap();
    let text = explain.to_string();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert_eq!(text.lines().count(), 3, "title, header, one row: {text:?}");
    assert!(text.contains("a\\nFAKE  ROW\\u{1b}[2J"), "{text:?}");
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum LogFormat {
    Json,
    Text,
}
config_runtime::impl_serde_enum!(LogFormat);

#[derive(Config, Debug)]
#[config(prefix = "LOG")]
struct Logging {
    /// Output format.
    #[config(default = "text")]
    format: LogFormat,
}

#[test]
fn env_example_lists_the_words_of_an_enum() {
    let text = Logging::env_example();
    assert!(
        text.contains("# (type: LogFormat; one of: json, text; default: text)"),
        "{text}"
    );
    assert_eq!(
        Logging::from_map([("LOG_FORMAT", "JSON")]).unwrap().format,
        LogFormat::Json
    );
}

#[test]
fn the_readme_sample_error_is_the_real_output() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("invalid configuration (5 problems):")
        .expect("the README shows a sample error");
    let sample = &readme[start..];
    let sample = &sample[..sample.find("```").unwrap()];
    // The quickstart's broken environment.
    let error = AppConfig::from_map([
        ("APP_PORT", "abc"),
        ("APP_STRIPE_KEY", "sk_test_tiny"),
        ("APP_DATABSE_URL", "postgres://app@db/app"),
        ("APP_REQUEST_TIMEOUT", "soon"),
    ])
    .unwrap_err();
    assert_eq!(error.to_string(), sample);
    let kinds: Vec<_> = error.errors().iter().map(|e| e.path()).collect();
    assert_eq!(
        kinds,
        ["port", "database_url", "stripe_key", "request_timeout", ""],
        "declaration order, then the unknown variable"
    );
    assert!(matches!(
        error.errors()[4].kind(),
        ErrorKind::Unknown { .. }
    ));
}
