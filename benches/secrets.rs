//! Start-up with 50 secret references against a local OpenBao: `load_async` (concurrent, at
//! most 32 requests in flight) versus a sequential baseline that reads the same 50 secrets
//! one after another, as hand-written glue does. Each iteration uses a fresh provider, so
//! nothing is cached.
//!
//! Run: `cargo bench -p config-benches --bench secrets` (needs `target/tools/venv/bin/bao`).

use config_providers::vault::VaultProvider;
use config_runtime::{Config, Secret};
use config_tests::services::{BAO_ROOT_TOKEN, Server, start_openbao};
use std::sync::OnceLock;

#[derive(Config)]
#[config(prefix = "B")]
struct Fifty {
    tokens: Secret<Vec<String>>,
}

fn server() -> &'static Option<(Server, tokio::runtime::Runtime)> {
    static SERVER: OnceLock<Option<(Server, tokio::runtime::Runtime)>> = OnceLock::new();
    SERVER.get_or_init(|| {
        let server = start_openbao()?;
        let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
        let client = reqwest::Client::new();
        runtime.block_on(async {
            for i in 0..50 {
                client
                    .post(format!("{}/v1/secret/data/bench{i}", server.url))
                    .header("X-Vault-Token", BAO_ROOT_TOKEN)
                    .json(&serde_json::json!({"data": {"v": format!("value-{i}")}}))
                    .send()
                    .await
                    .expect("seed a secret");
            }
        });
        Some((server, runtime))
    })
}

fn references() -> String {
    (0..50)
        .map(|i| format!("${{vault:secret/bench{i}#v}}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn main() {
    if server().is_none() {
        eprintln!("bao is not installed (target/tools/venv/bin/bao): nothing to measure");
        return;
    }
    divan::main();
}

#[divan::bench]
fn concurrent_load_async(bencher: divan::Bencher) {
    let Some((server, runtime)) = server() else {
        return;
    };
    let vars = [("B_TOKENS", references())];
    bencher.bench_local(|| {
        let vault = VaultProvider::builder(&server.url)
            .token(BAO_ROOT_TOKEN)
            .build()
            .unwrap();
        let cfg = runtime
            .block_on(
                Fifty::loader()
                    .vars(vars.clone())
                    .provider(vault)
                    .load_async(),
            )
            .unwrap();
        assert_eq!(cfg.tokens.expose_secret().len(), 50);
    });
}

#[divan::bench]
fn sequential_baseline(bencher: divan::Bencher) {
    let Some((server, runtime)) = server() else {
        return;
    };
    bencher.bench_local(|| {
        let vault = VaultProvider::builder(&server.url)
            .token(BAO_ROOT_TOKEN)
            .build()
            .unwrap();
        let values = runtime.block_on(async {
            let mut values = Vec::with_capacity(50);
            for i in 0..50 {
                let data = vault.read(&format!("secret/bench{i}")).await.unwrap();
                values.push(data.select(Some("v")).unwrap());
            }
            values
        });
        assert_eq!(values.len(), 50);
    });
}
