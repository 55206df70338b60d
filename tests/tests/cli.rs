//! The configuration command line, run as a real program (the `config_cli` example): every
//! command, its exit code, `--json` parsed back, and no secret in any output.

use config_tests::Scratch;
use config_tests::cli::{Run, run};

const CLI: &str = env!("CARGO_BIN_EXE_config_cli");

/// A secret that must never be printed.
const CANARY: &str = "sk_live_CANARY_0123456789abcdef0123456789";
/// The canary's counterpart in the other environment.
const OTHER_KEY: &str = "sk_live_OTHER_00000000000000000000000000";
const DB_PASSWORD: &str = "db-password-canary";

fn env_file(stripe_key: &str, level: &str) -> String {
    format!(
        "DATABASE_URL=postgres://app:{DB_PASSWORD}@db:5432/app\n\
         APP_STRIPE_KEY={stripe_key}\n\
         APP_LOG_LEVEL={level}\n"
    )
}

/// Runs in `dir` with no variables at all.
fn cli(scratch: &Scratch, args: &[&str]) -> Run {
    let run = run(CLI, scratch.path(), args, &[]);
    let everything = run.everything();
    for secret in [CANARY, OTHER_KEY, DB_PASSWORD] {
        assert!(
            !everything.contains(secret),
            "{args:?} printed a secret:\n{everything}"
        );
    }
    run
}

#[test]
fn check_lists_every_problem_and_exits_by_validity() {
    let scratch = Scratch::new();
    scratch.write("good.env", &env_file(CANARY, "debug"));
    scratch.write(
        "bad.env",
        &format!("APP_STRIPE_KEY={CANARY}\nAPP_PORT=abc\nAPP_LOG_LEVEL=loud\n"),
    );

    let ok = cli(&scratch, &["check", "--env-file", "good.env"]);
    assert_eq!(ok.code, Some(0), "{ok:?}");
    assert!(ok.stdout.starts_with("ok AppConfig: "), "{}", ok.stdout);

    let bad = cli(&scratch, &["check", "--env-file", "bad.env"]);
    assert_eq!(bad.code, Some(1), "{bad:?}");
    assert!(
        bad.stderr.contains("invalid AppConfig: 3 problems"),
        "{}",
        bad.stderr
    );
    for wanted in [
        "APP_PORT (bad.env line 2)",
        "APP_LOG_LEVEL",
        "DATABASE_URL: required",
    ] {
        assert!(bad.stderr.contains(wanted), "{wanted}: {}", bad.stderr);
    }

    let json = cli(&scratch, &["check", "--json", "--env-file", "bad.env"]).json();
    assert_eq!(json["valid"], false);
    let keys: Vec<&str> = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["port", "log_level", "database_url"], "{json}");
    let good = cli(&scratch, &["check", "--json", "--env-file", "good.env"]).json();
    assert_eq!(
        (good["valid"].as_bool(), good["config"].as_str()),
        (Some(true), Some("AppConfig"))
    );

    // A missing file and a production placeholder are problems too.
    let missing = cli(
        &scratch,
        &["check", "--file", "absent.toml", "--env-file", "good.env"],
    );
    assert_eq!(missing.code, Some(1), "{missing:?}");
    scratch.write("placeholder.env", &env_file("changeme", "info"));
    let production = cli(
        &scratch,
        &[
            "check",
            "--profile",
            "production",
            "--env-file",
            "placeholder.env",
        ],
    );
    assert_eq!(production.code, Some(1), "{production:?}");
}

#[test]
fn explain_shows_sources_and_redacts_secrets() {
    let scratch = Scratch::new();
    scratch.write("app.toml", "port = 9000\n[redis]\nhost = \"cache\"\n");
    scratch.write(".env", &env_file(CANARY, "warn"));
    let table = cli(
        &scratch,
        &["explain", "--file", "app.toml", "--env-file", ".env"],
    );
    assert_eq!(table.code, Some(0), "{table:?}");
    assert!(table.stdout.contains("app.toml line 1"), "{}", table.stdout);
    assert!(table.stdout.contains("[REDACTED]"), "{}", table.stdout);

    let json = cli(
        &scratch,
        &[
            "explain",
            "--json",
            "--file",
            "app.toml",
            "--env-file",
            ".env",
        ],
    )
    .json();
    let row = |key: &str| {
        json["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["key"] == key)
            .unwrap_or_else(|| panic!("no row {key}: {json}"))
            .clone()
    };
    assert_eq!(row("port")["value"], "9000");
    assert_eq!(row("port")["source"], "app.toml line 1");
    assert_eq!(row("redis.host")["env"], "APP_REDIS_HOST");
    assert_eq!(row("stripe_key")["value"], "[REDACTED]");
    assert_eq!(row("stripe_key")["source"], ".env line 2");
    assert_eq!(row("log_level")["value"], "warn");

    let broken = cli(&scratch, &["explain", "--json", "--file", "absent.toml"]);
    assert_eq!(broken.code, Some(1));
    assert_eq!(broken.json()["valid"], false);
}

#[test]
fn example_prints_and_checks_the_env_example() {
    let scratch = Scratch::new();
    let printed = cli(&scratch, &["example"]);
    assert_eq!(printed.code, Some(0));
    assert!(
        printed.stdout.contains("APP_STRIPE_KEY=sk_test_..."),
        "{}",
        printed.stdout
    );
    scratch.write(".env.example", &printed.stdout);
    let fresh = cli(&scratch, &["example", "--check", ".env.example"]);
    assert_eq!(fresh.code, Some(0), "{fresh:?}");
    scratch.write(
        ".env.example",
        &printed.stdout.replace("APP_PORT", "APP_PROT"),
    );
    let stale = cli(&scratch, &["example", "--check", ".env.example"]);
    assert_eq!(stale.code, Some(1), "{stale:?}");
    assert!(stale.stderr.contains("out of date"), "{}", stale.stderr);
}

#[test]
fn schema_is_a_json_schema() {
    let scratch = Scratch::new();
    let schema = cli(&scratch, &["schema"]);
    assert_eq!(schema.code, Some(0));
    let json = schema.json();
    assert!(json["properties"]["port"].is_object(), "{json}");
    assert!(
        json["properties"]["redis"]["properties"]["host"].is_object(),
        "{json}"
    );
}

#[test]
fn diff_names_missing_extra_and_differing_keys_without_secrets() {
    let scratch = Scratch::new();
    scratch.write("staging.env", &env_file(CANARY, "debug"));
    scratch.write("same.env", &env_file(CANARY, "debug"));
    scratch.write(
        "production.env",
        &format!(
            "{}APP_SENTRY_DSN=https://sentry.example.com/1\n",
            env_file(OTHER_KEY, "warn")
        )
        .replace(
            &format!("DATABASE_URL=postgres://app:{DB_PASSWORD}@db:5432/app\n"),
            "",
        ),
    );

    let same = cli(&scratch, &["diff", "staging.env", "same.env"]);
    assert_eq!(same.code, Some(0), "{same:?}");
    assert!(
        same.stdout.contains("agree on every key"),
        "{}",
        same.stdout
    );

    let drift = cli(&scratch, &["diff", "staging.env", "production.env"]);
    assert_eq!(drift.code, Some(1), "{drift:?}");
    assert!(
        drift
            .stdout
            .contains("1 missing in B, 1 extra in B, 2 differing"),
        "{}",
        drift.stdout
    );

    let json = cli(
        &scratch,
        &["diff", "--json", "staging.env", "production.env"],
    )
    .json();
    assert_eq!(json["same"], false);
    let changes: Vec<(String, String)> = json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["key"].as_str().unwrap().into(),
                k["change"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("log_level", "differs"),
        ("database_url", "missing"),
        ("stripe_key", "differs"),
        ("sentry_dsn", "extra"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, c)| ((*k).into(), (*c).into()))
        .collect();
    assert_eq!(changes, expected, "{json}");
    let level = &json["keys"][0];
    assert_eq!(
        (level["a"]["value"].as_str(), level["b"]["value"].as_str()),
        (Some("debug"), Some("warn"))
    );
    let stripe = &json["keys"][2];
    assert_eq!(stripe["secret"], true);
    assert!(
        stripe["a"]["value"].is_null() && stripe["b"]["value"].is_null(),
        "{stripe}"
    );
    assert_eq!(stripe["b"]["source"], "production.env line 1");

    // The shared options are a base under both sides.
    scratch.write("base.toml", "port = 7000\n");
    let based = cli(
        &scratch,
        &[
            "diff",
            "--json",
            "--file",
            "base.toml",
            "staging.env",
            "same.env",
        ],
    );
    assert_eq!(based.code, Some(0), "{based:?}");
}

#[test]
fn diff_that_cannot_read_a_side_exits_3_and_compares_nothing() {
    let scratch = Scratch::new();
    scratch.write("staging.env", &env_file(CANARY, "debug"));
    scratch.write("broken.toml", "port = \n");
    // A loopback port nobody listens on: the listener is dropped before the command runs.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port");
    let instance = format!("http://{closed}/admin/config/fingerprints");
    for other in ["missing.env", "broken.toml", instance.as_str()] {
        for json in [false, true] {
            let mut args = vec!["diff"];
            if json {
                args.push("--json");
            }
            args.extend(["staging.env", other]);
            let run = cli(&scratch, &args);
            assert_eq!(run.code, Some(3), "{args:?}: {run:?}");
            assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
            assert!(run.stderr.contains(other), "{args:?}: {}", run.stderr);
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let scratch = Scratch::new();
    for args in [
        &["frobnicate"][..],
        &["check", "--no-such-option"],
        &["diff", "only-one.env"],
        &["migrate", "--from", ".env", "--to", "no-scheme"],
    ] {
        let run = cli(&scratch, args);
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
    }
    // A store this program was not given (no VAULT_ADDR in its environment).
    scratch.write(".env", &env_file(CANARY, "info"));
    let unknown = cli(
        &scratch,
        &["migrate", "--from", ".env", "--to", "vault:secret/app"],
    );
    assert_eq!(unknown.code, Some(2), "{unknown:?}");
    assert!(unknown.stderr.contains("no store"), "{}", unknown.stderr);
    let help = cli(&scratch, &["--help"]);
    assert_eq!(help.code, Some(0), "{help:?}");
    for command in ["check", "explain", "example", "schema", "diff", "migrate"] {
        assert!(help.stdout.contains(command), "{}", help.stdout);
    }
}
