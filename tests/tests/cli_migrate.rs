//! `migrate --from .env --to vault:secret/app` against a real OpenBao (and `aws-sm:` against
//! moto): the plan writes nothing; `--write` puts the secrets in the store, rewrites the file
//! with references that load to the same configuration, keeps a backup; a second run changes
//! nothing.

use config_providers::vault::VaultProvider;
use std::path::Path;

use config_providers::aws::SecretsManagerProvider;
use config_runtime::{Config, SecretProvider};
use config_tests::cli::{Run, run};
use config_tests::moto::{Moto, REGION};
use config_tests::services::{BAO_ROOT_TOKEN, OpenBaoAdmin, start_openbao};
use config_tests::{AppConfig, Scratch};
use serde_json::json;

const CLI: &str = env!("CARGO_BIN_EXE_config_cli");
const STRIPE_KEY: &str = "sk_live_MIGRATE_CANARY_0123456789abcdef";
const REDIS_PASSWORD: &str = "redis-canary-pw";
const DATABASE_URL: &str = "postgres://app:db-canary-pw@db:5432/app";

const ORIGINAL: &str = "# billing, staging\n\
DATABASE_URL=postgres://app:db-canary-pw@db:5432/app\n\
export APP_STRIPE_KEY=\"sk_live_MIGRATE_CANARY_0123456789abcdef\"\n\
APP_LOG_LEVEL=debug\n\
\n\
APP_REDIS_PASSWORD='redis-canary-pw'\n\
APP_REDIS_HOST=cache.internal\n";

async fn load(path: &std::path::Path, provider: impl SecretProvider) -> AppConfig {
    AppConfig::loader()
        .dotenv_required(path)
        .provider(provider)
        .load_async()
        .await
        .unwrap()
}

/// Runs `migrate --json` to `target` in `dir` with `vars`; checks that no secret was printed
/// and that it succeeded; its JSON answer.
fn migrate(dir: &Path, vars: &[(&str, &str)], target: &str, write: Write) -> serde_json::Value {
    let mut args = vec!["migrate", "--json", "--from", ".env", "--to", target];
    if write == Write::Yes {
        args.push("--write");
    }
    let done = run(CLI, dir, &args, vars);
    no_secret_in(&done);
    assert_eq!(done.code, Some(0), "{done:?}");
    done.json()
}

/// Checks that neither stream of a run shows a secret of the file.
fn no_secret_in(done: &Run) {
    for secret in [STRIPE_KEY, REDIS_PASSWORD, "db-canary-pw"] {
        assert!(!done.everything().contains(secret), "{done:?}");
    }
}

/// Whether `migrate` is given `--write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Yes,
    PlanOnly,
}

/// The secrets of `cfg`, to compare two loads.
fn secrets(cfg: &AppConfig) -> (String, String, String) {
    (
        cfg.database_url.expose_secret().to_string(),
        cfg.stripe_key.expose_secret().clone(),
        cfg.redis.password.as_ref().unwrap().expose_secret().clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_move_to_openbao_and_the_file_keeps_references() {
    let Some(server) = start_openbao() else {
        return;
    };
    let admin = OpenBaoAdmin::new(&server);
    admin.write_secret("app", json!({"other": "kept"})).await;
    let scratch = Scratch::new();
    let path = scratch.write(".env", ORIGINAL);
    let vault = VaultProvider::builder(&server.url)
        .token(BAO_ROOT_TOKEN)
        .build()
        .unwrap();
    let before = load(&path, vault.clone()).await;

    let vars = [
        ("VAULT_ADDR", server.url.as_str()),
        ("VAULT_TOKEN", BAO_ROOT_TOKEN),
    ];
    let migrate = |write| migrate(scratch.path(), &vars, "vault:secret/app", write);

    // The plan: three secrets would move, nothing is written.
    let table = run(
        CLI,
        scratch.path(),
        &["migrate", "--from", ".env", "--to", "vault:secret/app"],
        &vars,
    );
    assert_eq!(table.code, Some(0), "{table:?}");
    assert!(
        table
            .stdout
            .contains("APP_REDIS_PASSWORD  line 6  redis.password"),
        "{}",
        table.stdout
    );
    no_secret_in(&table);
    let plan = migrate(Write::PlanOnly);
    let moved: Vec<&str> = plan["moves"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["env"].as_str().unwrap())
        .collect();
    assert_eq!(
        moved,
        ["DATABASE_URL", "APP_STRIPE_KEY", "APP_REDIS_PASSWORD"],
        "{plan}"
    );
    assert_eq!(
        (plan["written"].as_bool(), plan["kept"].as_u64()),
        (Some(false), Some(2))
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), ORIGINAL);
    let stored = admin.get("secret/data/app").await;
    assert_eq!(stored["data"]["data"], json!({"other": "kept"}));

    // Written: the store has the values, the file references them, the backup is the original.
    let done = migrate(Write::Yes);
    assert_eq!(done["written"], true, "{done}");
    let stored = admin.get("secret/data/app").await;
    assert_eq!(
        stored["data"]["data"],
        json!({
            "other": "kept",
            "database_url": DATABASE_URL,
            "stripe_key": STRIPE_KEY,
            "redis.password": REDIS_PASSWORD,
        })
    );
    let rewritten = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        rewritten,
        "# billing, staging\n\
         DATABASE_URL=${vault:secret/app#database_url}\n\
         export APP_STRIPE_KEY=${vault:secret/app#stripe_key}\n\
         APP_LOG_LEVEL=debug\n\
         \n\
         APP_REDIS_PASSWORD=${vault:secret/app#redis.password}\n\
         APP_REDIS_HOST=cache.internal\n"
    );
    let backup = scratch.path().join(".env.bak");
    assert_eq!(done["backup"], ".env.bak", "named as the file was given");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), ORIGINAL);

    let after = load(&path, vault.clone()).await;
    assert_eq!(secrets(&after), secrets(&before));
    assert_eq!(
        (after.log_level.as_str(), after.redis.host.as_str()),
        ("debug", "cache.internal")
    );

    // Again: nothing to move, nothing written, no second backup, the store's version stays.
    let version = |meta: serde_json::Value| meta["data"]["current_version"].as_u64();
    let stored_version = version(admin.get("secret/metadata/app").await);
    let again = migrate(Write::Yes);
    assert_eq!(
        (
            again["written"].as_bool(),
            again["moves"].as_array().map(Vec::len)
        ),
        (Some(false), Some(0))
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), rewritten);
    assert!(!scratch.path().join(".env.bak.1").exists());
    assert_eq!(
        version(admin.get("secret/metadata/app").await),
        stored_version
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_move_to_aws_secrets_manager() {
    let Some(moto) = Moto::start() else {
        return;
    };
    let scratch = Scratch::new();
    let path = scratch.write(".env", ORIGINAL);
    let vars = [
        ("AWS_REGION", REGION),
        ("AWS_ENDPOINT_URL", moto.url()),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ];
    let target = "aws-sm:prod/billing";
    let done = migrate(scratch.path(), &vars, target, Write::Yes);
    assert_eq!(done["moves"].as_array().map(Vec::len), Some(3), "{done}");

    let sm = SecretsManagerProvider::builder(moto.settings())
        .build()
        .await
        .unwrap();
    let stored = sm.read("prod/billing").await.unwrap();
    let config_runtime::Payload::Text(text) = &stored.payload else {
        panic!("a text secret");
    };
    let fields: serde_json::Value = serde_json::from_str(text.expose_secret()).unwrap();
    assert_eq!(fields["stripe_key"], STRIPE_KEY);
    assert_eq!(fields["redis.password"], REDIS_PASSWORD);
    let rewritten = std::fs::read_to_string(&path).unwrap();
    assert!(
        rewritten.contains("export APP_STRIPE_KEY=${aws-sm:prod/billing#stripe_key}\n"),
        "{rewritten}"
    );
    let backup = scratch.path().join(".env.bak");
    let (before, after) = (load(&backup, sm.clone()).await, load(&path, sm).await);
    assert_eq!(secrets(&after), secrets(&before));

    let again = migrate(scratch.path(), &vars, target, Write::Yes);
    assert_eq!(again["written"], false, "{again}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), rewritten);
}
