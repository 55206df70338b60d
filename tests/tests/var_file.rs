//! `NAME_FILE`: a variable naming the file that holds `NAME`'s value (Docker and Kubernetes
//! secrets), in a map, a `.env` file and the real process environment; the Trust limits
//! (regular files, the size cap); both set; the value never quoted.

use std::path::Path;
use std::process::Command;

use config_runtime::{Config, ConfigError, Origin, Secret};
use config_tests::{DATABASE_URL, STRIPE_KEY, Scratch, probe};

#[derive(Config, Debug)]
#[config(prefix = "VF")]
struct Service {
    /// Port.
    #[config(default = 8080)]
    port: u16,
    /// API token.
    token: Secret<String>,
    /// A field whose own variable ends in `_FILE`: read as itself.
    #[config(default = "none")]
    key_file: String,
}

/// A scratch directory with `name` holding `text`.
fn scratch_with(name: &str, text: &str) -> (Scratch, std::path::PathBuf) {
    let dir = Scratch::new();
    let path = dir.write(name, text);
    (dir, path)
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// The error of loading `Service` from `vars` (with the loader's default cap unless `cap`).
fn load_error<const N: usize>(vars: [(&str, String); N], cap: Option<u64>) -> ConfigError {
    let mut loader = Service::loader().vars(vars);
    if let Some(bytes) = cap {
        loader = loader.max_file_size(bytes);
    }
    loader.load().expect_err("the load must fail")
}

#[test]
fn a_file_named_by_a_map_variable_is_the_value_trailing_newline_trimmed() {
    let (dir, token) = scratch_with("token", "tok-from-file\n");
    let port = dir.write("port", "9001\r\n");
    let service = Service::loader()
        .vars([
            ("VF_TOKEN_FILE", shown(&token)),
            ("VF_PORT_FILE", shown(&port)),
            ("VF_KEY_FILE", "/etc/app/key.pem".to_owned()),
        ])
        .load()
        .unwrap();
    assert_eq!(service.token.expose_secret(), "tok-from-file");
    assert_eq!(service.port, 9001);
    assert_eq!(service.key_file, "/etc/app/key.pem");
}

#[test]
fn only_one_newline_is_trimmed_and_the_origin_is_the_file() {
    let (_dir, token) = scratch_with("token", "two-lines\n\n");
    let explain = Service::loader()
        .vars([("VF_TOKEN_FILE", shown(&token))])
        .explain()
        .unwrap();
    let row = explain.rows().iter().find(|r| r.key == "token").unwrap();
    assert_eq!(
        row.origin,
        Some(Origin::VarFile {
            var: "VF_TOKEN_FILE".to_owned(),
            path: token.clone().into()
        })
    );
    let service = Service::loader()
        .vars([("VF_TOKEN_FILE", shown(&token))])
        .load()
        .unwrap();
    assert_eq!(service.token.expose_secret(), "two-lines\n");
}

#[test]
fn a_dotenv_file_may_name_a_file_too() {
    let (dir, token) = scratch_with("token", "tok-via-dotenv");
    let env = dir.write(".env", &format!("VF_TOKEN_FILE={}\n", shown(&token)));
    let service = Service::loader().dotenv(&env).load().unwrap();
    assert_eq!(service.token.expose_secret(), "tok-via-dotenv");
}

#[test]
fn the_real_environment_names_files_for_variables_without_the_prefix() {
    let dir = Scratch::new();
    let url = dir.write("db_url", &format!("{DATABASE_URL}\n"));
    let key = dir.write("stripe", STRIPE_KEY);
    let (ok, out, err) = probe(
        env!("CARGO_BIN_EXE_probe"),
        dir.path(),
        "loader",
        &[
            ("DATABASE_URL_FILE", &shown(&url)),
            ("APP_STRIPE_KEY_FILE", &shown(&key)),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains(&shown(&url)), "the origin is the file: {out}");
    assert!(out.contains("APP_STRIPE_KEY_FILE"), "{out}");
    assert!(!out.contains(STRIPE_KEY), "a secret is never shown: {out}");
}

#[test]
fn both_the_variable_and_its_file_set_is_an_error_naming_both() {
    let (_dir, token) = scratch_with("token", "from-file");
    let error = load_error(
        [
            ("VF_TOKEN", "direct".to_owned()),
            ("VF_TOKEN_FILE", shown(&token)),
        ],
        None,
    );
    assert_eq!(error.errors().len(), 1, "{error}");
    let text = error.to_string();
    assert!(text.contains("VF_TOKEN and VF_TOKEN_FILE"), "{text}");
    assert!(
        !text.contains("from-file") && !text.contains("direct"),
        "{text}"
    );
}

#[test]
fn a_missing_file_is_an_error_naming_the_variable_and_the_path() {
    let dir = Scratch::new();
    let missing = dir.path().join("nope");
    let error = load_error([("VF_TOKEN_FILE", shown(&missing))], None);
    assert_eq!(
        error.errors().len(),
        1,
        "reported once, not also as unset: {error}"
    );
    let text = error.to_string();
    assert!(text.contains("VF_TOKEN_FILE"), "{text}");
    assert!(text.contains(&shown(&missing)), "{text}");
    assert!(text.contains("not found"), "{text}");
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let dir = Scratch::new();
    let fifo = dir.path().join("token.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let error = load_error([("VF_TOKEN_FILE", shown(&fifo))], None);
    let text = error.to_string();
    assert!(
        text.contains("FIFO") && text.contains("VF_TOKEN_FILE"),
        "{text}"
    );
    assert!(text.contains(&shown(&fifo)), "{text}");
}

#[test]
fn a_file_over_the_cap_is_refused_naming_the_cap_never_the_content() {
    let (_dir, token) = scratch_with("token", "oversized-canary-0123456789");
    let error = load_error([("VF_TOKEN_FILE", shown(&token))], Some(16));
    let text = error.to_string();
    assert!(
        text.contains("16 bytes") && text.contains("VF_TOKEN_FILE"),
        "{text}"
    );
    assert!(!text.contains("oversized-canary"), "{text}");
}

#[test]
fn a_bad_value_from_a_file_is_never_quoted() {
    let (_dir, port) = scratch_with("port", "port-canary-42");
    let error = load_error(
        [("VF_PORT_FILE", shown(&port)), ("VF_TOKEN", "t".to_owned())],
        None,
    );
    let text = error.to_string();
    assert!(text.contains("VF_PORT"), "{text}");
    assert!(
        text.contains(&shown(&port)),
        "the origin is the file: {text}"
    );
    assert!(!text.contains("port-canary"), "{text}");
}

#[test]
fn references_in_a_file_stay_text() {
    let (_dir, token) = scratch_with("token", "${env:HOME}");
    let service = Service::loader()
        .vars([("VF_TOKEN_FILE", shown(&token))])
        .load()
        .unwrap();
    assert_eq!(service.token.expose_secret(), "${env:HOME}");
}
