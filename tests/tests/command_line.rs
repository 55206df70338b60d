//! `Loader::args`: command-line flags over the same struct, with provenance, errors naming
//! the flag, did-you-mean for typos, and `--help` written from the doc comments.

use config_runtime::{Config, Origin, Secret};
use std::ffi::OsString;
use std::time::Duration;

/// Settings of the search service.
#[derive(Config, Debug)]
#[config(prefix = "SRCH")]
struct Search {
    /// Log level.
    #[config(default = "info", validate(one_of("error", "warn", "info", "debug")))]
    log_level: String,
    /// Log every request.
    #[config(default = false)]
    verbose: bool,
    /// Request timeout.
    #[config(default = "30s")]
    request_timeout: Duration,
    /// Master key.
    master_key: Option<Secret<String>>,
    /// Allowed origins.
    #[config(default = "")]
    cors_origins: Vec<String>,
    /// The HTTP service.
    #[config(nested)]
    service: Service,
    /// Redis.
    #[config(nested)]
    redis: Redis,
}

#[derive(Config, Debug)]
struct Service {
    /// Port of the HTTP API.
    #[config(default = 7700)]
    http_port: u16,
}

#[derive(Config, Debug)]
struct Redis {
    /// Redis port.
    #[config(default = 6379)]
    port: u16,
}

fn args(items: &[&str]) -> Vec<OsString> {
    std::iter::once("search")
        .chain(items.iter().copied())
        .map(OsString::from)
        .collect()
}

#[test]
fn flags_set_kebab_case_key_paths() {
    let search = Search::loader()
        .args(args(&[
            "--redis.port",
            "9000",
            "--log-level=debug",
            "--service.http-port",
            "8080",
            "--verbose",
            "--request-timeout",
            "1m",
            "--cors-origins",
            "http://a,http://b",
        ]))
        .load()
        .unwrap();
    assert_eq!(search.redis.port, 9000);
    assert_eq!(search.log_level, "debug");
    assert_eq!(search.service.http_port, 8080);
    assert!(search.verbose);
    assert_eq!(search.request_timeout, Duration::from_secs(60));
    assert_eq!(search.cors_origins, ["http://a", "http://b"]);
}

#[test]
fn a_switch_takes_an_explicit_value_after_equals() {
    let search = Search::loader()
        .args(args(&["--verbose=false"]))
        .load()
        .unwrap();
    assert!(!search.verbose);
}

/// `--verbose false` is a switch and a stray word: the error says to write `--verbose=false`
/// (a stray word that is not `true` or `false` gets the usual message, unquoted).
#[test]
fn a_switch_followed_by_true_or_false_says_to_write_equals() {
    let err = Search::loader()
        .args(args(&["--verbose", "false"]))
        .load()
        .unwrap_err();
    assert_eq!(
        err.errors()[0].to_string(),
        "command line argument 2: `false` after --verbose: a switch stands alone (true) or \
         takes its value after `=`: write --verbose=false"
    );
    let err = Search::loader()
        .args(args(&["--verbose", "stray"]))
        .load()
        .unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("argument 2: not a flag"), "{shown}");
    assert!(!shown.contains("stray"), "{shown}");
}

/// A list's flag given again adds its items, as clap appends; another flag given again
/// takes the last value.
#[test]
fn a_list_flag_given_again_adds_its_items() {
    let search = Search::loader()
        .args(args(&[
            "--cors-origins",
            "http://a",
            "--cors-origins=http://b,http://c",
            "--redis.port",
            "1",
            "--redis.port",
            "2",
        ]))
        .load()
        .unwrap();
    assert_eq!(search.cors_origins, ["http://a", "http://b", "http://c"]);
    assert_eq!(search.redis.port, 2);
    // An empty first value is no item.
    let search = Search::loader()
        .args(args(&["--cors-origins=", "--cors-origins", "http://a"]))
        .load()
        .unwrap();
    assert_eq!(search.cors_origins, ["http://a"]);
}

#[test]
fn flags_win_over_earlier_sources_and_name_the_flag_in_provenance() {
    let loader = Search::loader()
        .vars([("SRCH_REDIS_PORT", "7000"), ("SRCH_LOG_LEVEL", "warn")])
        .args(args(&["--redis.port", "9000"]));
    let explain = loader.explain().unwrap();
    let row = explain.row("redis.port").unwrap();
    assert_eq!(
        row.origin,
        Some(Origin::Arg {
            flag: "--redis.port".to_owned()
        })
    );
    assert_eq!(row.source(), "command line --redis.port");
    assert_eq!(explain.row("log_level").unwrap().source(), "environment");
}

#[test]
fn everything_after_double_dash_is_left_to_the_app() {
    let search = Search::loader()
        .args(args(&[
            "--redis.port",
            "1",
            "--",
            "--redis.port",
            "2",
            "positional",
        ]))
        .load()
        .unwrap();
    assert_eq!(search.redis.port, 1);
}

#[test]
fn bad_values_name_the_key_and_the_flag() {
    let err = Search::loader()
        .args(args(&["--redis.port", "abc"]))
        .load()
        .unwrap_err();
    assert!(
        err.to_string().contains(
            "redis.port (command line --redis.port): expected an integer in 0..=65535, got \"abc\""
        ),
        "{err}"
    );
}

#[test]
fn unknown_flags_get_a_suggestion_and_their_value_is_not_a_second_error() {
    let err = Search::loader()
        .args(args(&[
            "--redis.prot",
            "9000",
            "--log-levle=debug",
            "--nothing-like-it",
        ]))
        .load()
        .unwrap_err();
    let shown = err.to_string();
    assert_eq!(err.errors().len(), 3, "{shown}");
    assert!(
        shown.contains("command line --redis.prot: unknown flag; did you mean --redis.port?"),
        "{shown}"
    );
    assert!(
        shown.contains("command line --log-levle: unknown flag; did you mean --log-level?"),
        "{shown}"
    );
    assert!(
        shown.contains("command line --nothing-like-it: unknown flag; `--help` lists the flags"),
        "{shown}"
    );
}

#[test]
fn a_missing_value_and_a_stray_argument_are_errors() {
    let err = Search::loader()
        .args(args(&["stray", "--redis.port"]))
        .load()
        .unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("command line --redis.port: needs a value: --redis.port <u16>"),
        "{shown}"
    );
    assert!(
        shown.contains("command line argument 1: not a flag: flags are written"),
        "{shown}"
    );
    assert!(!shown.contains("stray"), "{shown}");
    let err = Search::loader()
        .args(args(&["--redis.port", "--verbose"]))
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("needs a value"), "{err}");
}

#[test]
fn a_secret_flag_is_never_shown() {
    let loader = Search::loader().args(args(&[
        "--master-key",
        "mk-canary-0001",
        "--bogus",
        "mk-canary-0002",
    ]));
    let err = loader.load().unwrap_err();
    let shown = format!("{err} {err:?} {loader:?}");
    assert!(!shown.contains("mk-canary"), "{shown}");
    let loader = Search::loader().args(args(&["--master-key=mk-canary-0003"]));
    let search = loader.load().unwrap();
    let shown = format!("{search:?} {} {loader:?}", loader.explain().unwrap());
    assert!(!shown.contains("mk-canary"), "{shown}");
    let key = search
        .master_key
        .as_ref()
        .map(|k| k.expose_secret().as_str());
    assert_eq!(key, Some("mk-canary-0003"));
}

#[test]
fn help_stops_the_load_with_the_flags_described() {
    let loader = Search::loader()
        .vars([("SRCH_REDIS_PORT", "not-a-port")])
        .args(args(&["--redis.port", "9000", "--help"]));
    let err = loader.load().unwrap_err();
    let help = err.help().expect("help was asked for");
    assert!(err.errors().is_empty());
    assert_eq!(err.to_string(), help);
    assert_eq!(help, loader.help());
    let expected = "\
Settings of the search service.

Usage: search [OPTIONS]

Options:
      --log-level <string>          Log level. [default: info] [env: SRCH_LOG_LEVEL]
      --verbose                     Log every request. [default: false] [env: SRCH_VERBOSE]
      --request-timeout <duration>  Request timeout. [default: 30s] [env: SRCH_REQUEST_TIMEOUT]
      --master-key <string>         Master key. [secret] [env: SRCH_MASTER_KEY]
      --cors-origins <string,..>    Allowed origins. [default: \"\"] [env: SRCH_CORS_ORIGINS]
      --service.http-port <u16>     Port of the HTTP API. [default: 7700] [env: SRCH_SERVICE_HTTP_PORT]
      --redis.port <u16>            Redis port. [default: 6379] [env: SRCH_REDIS_PORT]
  -h, --help                        Print this help
";
    assert_eq!(help, expected);
    let short = Search::loader().args(args(&["-h"])).load().unwrap_err();
    assert!(short.help().is_some());
}

#[test]
fn help_stops_an_async_load_and_a_live_config_too() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let err = runtime
        .block_on(Search::loader().args(args(&["--help"])).load_async())
        .unwrap_err();
    assert!(err.help().is_some_and(|h| h.contains("--redis.port <u16>")));
    let Err(err) = runtime.block_on(Search::loader().args(args(&["-h"])).watch()) else {
        panic!("a live config does not start for --help");
    };
    assert!(err.help().is_some_and(|h| h.contains("--redis.port <u16>")));
}

#[cfg(unix)]
#[test]
fn an_argument_that_is_not_utf8_is_named_never_shown() {
    use std::os::unix::ffi::OsStringExt;
    let mut items = args(&["--redis.port"]);
    items.push(OsString::from_vec(b"90\xff0".to_vec()));
    items.push(OsString::from_vec(b"\xffstray".to_vec()));
    let err = Search::loader().args(items).load().unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("command line --redis.port: the value is not valid UTF-8"),
        "{shown}"
    );
    assert!(
        shown.contains("command line argument 3: the argument is not valid UTF-8"),
        "{shown}"
    );
    assert!(!shown.contains("stray") && !shown.contains("90"), "{shown}");
}

#[test]
fn help_without_a_command_line_names_this_program() {
    let help = Search::loader().help();
    let program = std::env::args_os().next().unwrap();
    let program = std::path::Path::new(&program).file_name().unwrap();
    let usage = format!("Usage: {} [OPTIONS]", program.to_string_lossy());
    assert!(help.contains(&usage), "{help}");
    assert!(help.contains("  -h, --help"), "{help}");
}
