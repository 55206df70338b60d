//! dotenvx-encrypted `.env` files, made by the official CLI at test time, decrypted in
//! process: keys from `.env.keys` beside the file and from the real environment
//! (`DOTENV_PRIVATE_KEY_<ENV>` for `.env.<env>`), wrong and missing keys, tampering, canaries.

use std::path::Path;

use config_runtime::{Config, ConfigError, Secret};
use config_tests::dotenvx::DotenvxCli;
use config_tests::files::tampered;
use config_tests::{Scratch, probe};

/// Written in every encrypted value the tests check for leaks.
const CANARY: &str = "canary-d0t3nvx";

#[derive(Config, Debug)]
#[config(prefix = "DX")]
struct Service {
    /// Port.
    port: u16,
    /// A display name.
    name: String,
    /// API token.
    token: Secret<String>,
    /// Hosts.
    hosts: Vec<String>,
    /// Left plain in the file.
    #[config(default = "none")]
    region: String,
}

const PLAIN: &str = "DX_PORT=8443\nDX_NAME=\"name canary-d0t3nvx\"\nDX_TOKEN=tok-canary-d0t3nvx\nDX_HOSTS=a.internal,b.internal\n";

/// A directory holding `.env`, encrypted by the CLI, plus a plain variable added after.
fn encrypted_env() -> Option<(Scratch, DotenvxCli)> {
    let cli = DotenvxCli::find()?;
    let dir = Scratch::new();
    dir.write(".env", PLAIN);
    cli.encrypt(dir.path(), ".env");
    let mut text = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    assert!(text.contains("encrypted:") && !text.contains(CANARY));
    text.push_str("DX_REGION=eu-west-1\n");
    dir.write(".env", &text);
    Some((dir, cli))
}

/// The error of loading the `.env` in `dir`: one, naming the file, free of canaries.
fn failure(dir: &Path) -> String {
    let path = dir.join(".env");
    let error: ConfigError = Service::loader().dotenv(&path).load().unwrap_err();
    let text = error.to_string();
    assert_eq!(error.errors().len(), 1, "{text}");
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(!text.contains(CANARY), "{text}");
    text
}

#[test]
fn values_encrypted_by_the_cli_decrypt_with_the_keys_file_beside() {
    let Some((dir, cli)) = encrypted_env() else {
        return;
    };
    let service = Service::loader()
        .dotenv(dir.path().join(".env"))
        .load()
        .unwrap();
    assert_eq!(service.port, 8443);
    assert_eq!(service.name, "name canary-d0t3nvx");
    assert_eq!(service.token.expose_secret(), "tok-canary-d0t3nvx");
    assert_eq!(service.hosts, ["a.internal", "b.internal"]);
    assert_eq!(service.region, "eu-west-1");
    // The CLI reads the same plaintext.
    let token = cli.run(dir.path(), &["get", "DX_TOKEN", "-f", ".env"]);
    assert_eq!(token.trim(), service.token.expose_secret());
}

#[test]
fn decrypted_values_are_never_quoted_and_explain_marks_them() {
    let Some((dir, cli)) = encrypted_env() else {
        return;
    };
    let text = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    // A bad port, encrypted: the error names the variable, never the value.
    let bad = dir.write(
        "bad/.env",
        &PLAIN.replace("DX_PORT=8443", "DX_PORT=port-canary-d0t3nvx"),
    );
    cli.encrypt(bad.parent().unwrap(), ".env");
    let error = Service::loader()
        .dotenv(&bad)
        .load()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("DX_PORT") && !error.contains(CANARY),
        "{error}"
    );
    let explain = Service::loader()
        .dotenv(dir.path().join(".env"))
        .explain()
        .unwrap()
        .to_string();
    assert!(
        explain.contains("(encrypted)") && explain.contains("eu-west-1"),
        "{explain}"
    );
    assert!(!explain.contains(CANARY), "{explain}");
    assert!(!text.contains(CANARY), "the file itself holds no plaintext");
}

#[test]
fn a_missing_key_names_the_variable_and_the_keys_file() {
    let Some((dir, _cli)) = encrypted_env() else {
        return;
    };
    std::fs::remove_file(dir.path().join(".env.keys")).unwrap();
    let shown = failure(dir.path());
    assert!(
        shown.contains("DOTENV_PRIVATE_KEY") && shown.contains(".env.keys"),
        "{shown}"
    );
    let public = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    let public = public
        .lines()
        .find_map(|l| l.strip_prefix("DOTENV_PUBLIC_KEY=\""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    assert!(shown.contains(&public), "names the public key: {shown}");
}

#[test]
fn a_key_that_does_not_fit_and_a_tampered_value_fail_the_whole_file() {
    let Some((dir, cli)) = encrypted_env() else {
        return;
    };
    let other = Scratch::new();
    other.write(".env", "X=1\n");
    cli.encrypt(other.path(), ".env");
    let own_keys = std::fs::read_to_string(dir.path().join(".env.keys")).unwrap();
    std::fs::copy(other.path().join(".env.keys"), dir.path().join(".env.keys")).unwrap();
    let shown = failure(dir.path());
    assert!(shown.contains("does not decrypt"), "{shown}");

    dir.write(".env.keys", &own_keys);
    let text = std::fs::read_to_string(dir.path().join(".env")).unwrap();
    let line = text.find("DX_TOKEN=").unwrap();
    let at = line + text[line..].find("encrypted:").unwrap() + 40;
    dir.write(".env", &tampered(&text, at));
    let shown = failure(dir.path());
    assert!(shown.contains("DX_TOKEN"), "{shown}");
}

#[test]
fn a_profile_file_takes_its_key_from_the_real_environment() {
    let Some(cli) = DotenvxCli::find() else {
        return;
    };
    let dir = Scratch::new();
    dir.write(".env", "DATABASE_URL=postgres://app@db/app\n");
    dir.write(
        ".env.production",
        "APP_STRIPE_KEY=sk_live_canary-d0t3nvx_0123456789abcdef\nAPP_LOG_LEVEL=warn\n",
    );
    cli.encrypt(dir.path(), ".env.production");
    let keys = std::fs::read_to_string(dir.path().join(".env.keys")).unwrap();
    let key = keys
        .lines()
        .find_map(|l| l.strip_prefix("DOTENV_PRIVATE_KEY_PRODUCTION="))
        .expect("the CLI names the key after the file")
        .trim_matches('"')
        .to_owned();
    std::fs::remove_file(dir.path().join(".env.keys")).unwrap();
    let exe = env!("CARGO_BIN_EXE_probe");
    let vars = [
        ("APP_ENV", "production"),
        ("DOTENV_PRIVATE_KEY_PRODUCTION", key.as_str()),
    ];
    let (ok, out, err) = probe(exe, dir.path(), "loader", &vars);
    assert!(ok, "{err}");
    assert!(
        out.contains("(encrypted)") && !out.contains(CANARY),
        "{out}"
    );
    let (ok, _, err) = probe(exe, dir.path(), "loader", &[("APP_ENV", "production")]);
    assert!(
        !ok && err.contains("DOTENV_PRIVATE_KEY_PRODUCTION"),
        "{err}"
    );
}
