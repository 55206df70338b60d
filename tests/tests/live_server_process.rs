//! The `live_server` example run as its own process (built from `examples/live_server.rs` as
//! a binary of this package), and `live_server config ..`, its own configuration command line,
//! comparing a file set with that running server: drift against a running example server.

use std::process::{Command, Stdio};
use std::time::Duration;

use config_tests::Scratch;
use config_tests::cli::{Run, run};
use config_tests::services::{Server, free_port_pair, wait_ready};
use serde_json::Value;

const SERVER: &str = env!("CARGO_BIN_EXE_live_server");
/// The api_key the server runs with, and the one of the other file: canaries.
const KEY: &str = "live-process-canary-key-0123";
const OTHER_KEY: &str = "live-process-canary-key-4567";
const TOKEN: &str = "live-process-admin-token-0123";

/// The server's TOML file.
fn settings(port: u16, greeting: &str, api_key: &str) -> String {
    format!(
        "greeting = \"{greeting}\"\nlog_level = \"info\"\nport = {port}\napi_key = \"{api_key}\"\n\
         admin_token = \"{TOKEN}\"\n"
    )
}

/// Starts `live_server settings.toml` in `scratch` with an empty environment; killed by pid
/// (and waited for) when the returned server drops, also when the test panics.
fn start(scratch: &Scratch, port: u16) -> Server {
    let log = std::fs::File::create(scratch.path().join("server.log")).expect("the server log");
    let child = Command::new(SERVER)
        .arg("settings.toml")
        .current_dir(scratch.path())
        .env_clear()
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("the server log"))
        .stderr(log)
        .spawn()
        .expect("start the live_server example");
    let server = Server::new(child, format!("http://127.0.0.1:{port}"));
    let health = format!("{}/admin/config/health", server.url);
    if std::panic::catch_unwind(|| wait_ready(&health, Duration::from_secs(20))).is_err() {
        let log = std::fs::read_to_string(scratch.path().join("server.log")).unwrap_or_default();
        panic!(
            "live_server did not answer on {}; its output:\n{log}",
            server.url
        );
    }
    server
}

/// `live_server config diff --json <file> <the server's fingerprints>` with `token` (if any)
/// in `CONFIG_ADMIN_TOKEN`; no canary in either stream.
fn diff(scratch: &Scratch, file: &str, url: &str, token: Option<&str>) -> Run {
    let args = ["config", "diff", "--json", file, url];
    let vars: Vec<(&str, &str)> = token
        .map(|t| ("CONFIG_ADMIN_TOKEN", t))
        .into_iter()
        .collect();
    let outcome = run(SERVER, scratch.path(), &args, &vars);
    for canary in [KEY, OTHER_KEY, TOKEN] {
        assert!(
            !outcome.everything().contains(canary),
            "a secret leaked:\n{}",
            outcome.everything()
        );
    }
    outcome
}

/// The drifted keys of a diff document, by name.
fn drifted(document: &Value) -> Vec<(String, &Value)> {
    let mut keys: Vec<(String, &Value)> = document["keys"]
        .as_array()
        .expect("a `keys` list")
        .iter()
        .map(|entry| (entry["key"].as_str().expect("a key").to_owned(), entry))
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    keys
}

#[tokio::test]
async fn config_diff_compares_files_with_the_running_server() {
    let scratch = Scratch::new();
    let port = free_port_pair();
    scratch.write("settings.toml", &settings(port, "hello", KEY));
    scratch.write("other.toml", &settings(port, "bonjour", OTHER_KEY));
    let server = start(&scratch, port);
    let url = format!("{}/admin/config/fingerprints", server.url);

    let log = std::fs::read_to_string(scratch.path().join("server.log")).unwrap();
    assert!(
        log.contains(&format!("listening on http://127.0.0.1:{port}")),
        "{log}"
    );

    // Its own command line checks the file the server runs.
    let check = run(
        SERVER,
        scratch.path(),
        &["config", "check", "--json", "--file", "settings.toml"],
        &[],
    );
    assert_eq!(check.code, Some(0), "{}", check.everything());
    assert_eq!(check.json()["valid"], true, "{}", check.stdout);

    // The file the server runs: no drift.
    let same = diff(&scratch, "settings.toml", &url, Some(TOKEN));
    assert_eq!(same.code, Some(0), "{}", same.everything());
    let document = same.json();
    assert_eq!(document["same"], true, "{document}");
    assert!(drifted(&document).is_empty(), "{document}");

    // Another file: the greeting differs and shows; the key differs and does not.
    let other = diff(&scratch, "other.toml", &url, Some(TOKEN));
    assert_eq!(other.code, Some(1), "{}", other.everything());
    let document = other.json();
    assert_eq!(document["same"], false, "{document}");
    let keys = drifted(&document);
    let names: Vec<&str> = keys.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(names, ["api_key", "greeting"], "{document}");
    let (_, api_key) = &keys[0];
    assert_eq!(api_key["change"], "differs", "{document}");
    assert_eq!(api_key["secret"], true, "{document}");
    assert_eq!(api_key["a"]["set"], true, "{document}");
    assert_eq!(api_key["a"]["value"], Value::Null, "{document}");
    assert_eq!(api_key["b"]["set"], true, "{document}");
    assert_eq!(api_key["b"]["value"], Value::Null, "{document}");
    let (_, greeting) = &keys[1];
    assert_eq!(greeting["change"], "differs", "{document}");
    assert_eq!(greeting["secret"], false, "{document}");
    assert_eq!(greeting["a"]["value"], "bonjour", "{document}");

    // A runtime override through the server: the file it was started with now drifts.
    let answer = reqwest::Client::new()
        .put(format!("{}/admin/config/overrides/greeting", server.url))
        .bearer_auth(TOKEN)
        .header("X-Actor", "live-server-process-test")
        .json(&serde_json::json!({ "value": "salut" }))
        .send()
        .await
        .expect("reach live_server");
    assert_eq!(answer.status(), 200, "{:?}", answer.text().await);
    let overridden = diff(&scratch, "settings.toml", &url, Some(TOKEN));
    assert_eq!(overridden.code, Some(1), "{}", overridden.everything());
    let document = overridden.json();
    let keys = drifted(&document);
    let names: Vec<&str> = keys.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(names, ["greeting"], "{document}");
    assert_eq!(keys[0].1["change"], "differs", "{document}");
    assert_eq!(keys[0].1["a"]["value"], "hello", "{document}");

    // Without the token, or with a wrong one, the server refuses (401) and the command fails
    // with exit 3 (a side it could not read, not drift) saying so, printing no comparison.
    for token in [None, Some("not-the-admin-token-0123")] {
        let refused = diff(&scratch, "settings.toml", &url, token);
        assert_eq!(refused.code, Some(3), "{token:?}: {}", refused.everything());
        assert!(refused.stdout.is_empty(), "{token:?}: {}", refused.stdout);
        assert!(
            refused.stderr.contains(&url) && refused.stderr.contains("401"),
            "{token:?}: {}",
            refused.stderr
        );
    }
    drop(server);
}
