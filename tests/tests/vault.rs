//! `${vault:..}` references against a real OpenBao server (started per test on a free
//! loopback port): KV v2 and v1, `#key`, versions, AppRole, errors, concurrency, canaries.

use config_providers::vault::VaultProvider;
use config_runtime::{Config, ErrorKind, Secret};
use config_tests::fixtures::Db;
use config_tests::services::{
    BAO_ROOT_TOKEN, OpenBaoAdmin, Server, start_openbao, start_openbao_with_audit_log,
};
use serde_json::{Value, json};

fn provider(server: &Server, token: &str) -> VaultProvider {
    VaultProvider::builder(&server.url)
        .token(token)
        .build()
        .unwrap()
}

#[tokio::test]
async fn kv2_fields_versions_and_kv1_mounts() {
    let Some(server) = start_openbao() else {
        return;
    };
    let admin = OpenBaoAdmin::new(&server);
    admin
        .write_secret("app", json!({"password": "first-pw", "user": "svc"}))
        .await;
    admin
        .write_secret("app", json!({"password": "second-pw", "user": "svc"}))
        .await;
    admin.mount_kv1("kv1").await;
    admin.put("kv1/legacy", json!({"password": "v1-pw"})).await;

    let cfg = Db::loader()
        .vars([
            ("V_USER", "${vault:secret/app#user}"),
            ("V_PASSWORD", "${vault:secret/app#password}"),
            ("V_PREVIOUS", "${vault:secret/app?version=1#password}"),
        ])
        .provider(provider(&server, BAO_ROOT_TOKEN))
        .load_async()
        .await;
    // `user` is a plain String: a value from Vault may not land there.
    let err = cfg.unwrap_err();
    assert_eq!(err.errors().len(), 1, "{err}");
    assert!(matches!(
        err.errors()[0].kind(),
        ErrorKind::SecretInPlainField { .. }
    ));
    assert!(
        err.to_string().contains(
            "V_USER (environment): takes a value from the secret store (${vault:secret/app#user})"
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("svc"), "{err}");

    let cfg = Db::loader()
        .vars([
            ("V_PASSWORD", "${vault:secret/app#password}"),
            ("V_PREVIOUS", "${vault:secret/app?version=1#password}"),
        ])
        .provider(provider(&server, BAO_ROOT_TOKEN))
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), "second-pw");
    assert_eq!(cfg.previous.expose_secret(), "first-pw");

    let cfg = Db::loader()
        .vars([("V_PASSWORD", "pre-${vault:kv1/legacy#password}-post")])
        .provider(provider(&server, BAO_ROOT_TOKEN))
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), "pre-v1-pw-post");
    assert_eq!(cfg.user, "app");

    // `${secret:..}` goes to the default provider.
    let cfg = Db::loader()
        .vars([("V_PASSWORD", "${secret:secret/app#password}")])
        .default_provider(provider(&server, BAO_ROOT_TOKEN))
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), "second-pw");
}

#[tokio::test]
async fn approle_login_reads_secrets() {
    let Some(server) = start_openbao() else {
        return;
    };
    let admin = OpenBaoAdmin::new(&server);
    admin
        .write_secret("app", json!({"password": "approle-pw"}))
        .await;
    let (role_id, secret_id) = admin.approle("app", json!({"token_ttl": "1h"})).await;
    let vault = VaultProvider::builder(&server.url)
        .approle(role_id, secret_id)
        .build()
        .unwrap();
    let cfg = Db::loader()
        .vars([("V_PASSWORD", "${vault:secret/app#password}")])
        .provider(vault.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), "approle-pw");
    assert_eq!(vault.auth_counts(), (1, 0), "one login, no renewal yet");
}

#[tokio::test]
async fn wrong_token_and_missing_paths_are_clear_errors() {
    let Some(server) = start_openbao() else {
        return;
    };
    let admin = OpenBaoAdmin::new(&server);
    admin
        .write_secret("app", json!({"password": "canary-pw-4411"}))
        .await;

    let err = Db::loader()
        .vars([("V_PASSWORD", "${vault:secret/app#password}")])
        .provider(provider(&server, "s.not-a-real-token"))
        .load_async()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("V_PASSWORD (environment): cannot resolve ${vault:secret/app#password}: Vault denied access to `secret/app` (HTTP 403)"), "{text}");
    assert!(
        !text.contains("canary-pw-4411") && !text.contains("s.not-a-real-token"),
        "{text}"
    );

    let err = Db::loader()
        .vars([("V_PASSWORD", "${vault:secret/nothing-here#password}")])
        .provider(provider(&server, BAO_ROOT_TOKEN))
        .load_async()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Vault has no secret at `secret/nothing-here` (HTTP 404)"),
        "{err}"
    );

    let err = Db::loader()
        .vars([("V_PASSWORD", "${vault:secret/app#nope}")])
        .provider(provider(&server, BAO_ROOT_TOKEN))
        .load_async()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the secret has no field `nope` (fields: password)"),
        "{err}"
    );
    assert!(!err.to_string().contains("canary-pw-4411"), "{err}");

    // A synchronous load cannot fetch: it says so.
    let err = Db::loader()
        .vars([("V_PASSWORD", "${vault:secret/app#password}")])
        .provider(provider(&server, BAO_ROOT_TOKEN))
        .load()
        .unwrap_err();
    assert!(
        err.to_string().contains("load with `.load_async().await`"),
        "{err}"
    );
}

#[tokio::test]
async fn unreachable_vault_is_an_unavailable_error() {
    let Some(mut server) = start_openbao() else {
        return;
    };
    let vault = provider(&server, BAO_ROOT_TOKEN);
    server.stop();
    let err = Db::loader()
        .vars([("V_PASSWORD", "${vault:secret/app#password}")])
        .provider(vault)
        .load_async()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot reach Vault at http://127.0.0.1:"),
        "{err}"
    );
}

#[derive(Config, Debug)]
#[config(prefix = "M")]
struct Many {
    /// Fifty secrets, one reference each.
    tokens: Secret<Vec<String>>,
}

/// Seconds since midnight of an RFC 3339 UTC time ("2026-11-22T19:18:06.681087776Z").
fn seconds_of_day(time: &str) -> f64 {
    let clock = time.split('T').nth(1).unwrap().trim_end_matches('Z');
    let mut parts = clock.split(':');
    let h: f64 = parts.next().unwrap().parse().unwrap();
    let m: f64 = parts.next().unwrap().parse().unwrap();
    let s: f64 = parts.next().unwrap().parse().unwrap();
    h * 3600.0 + m * 60.0 + s
}

/// The most reads of `secret/data/s*` open at once among the server log's next entries after
/// line `seen` (which it moves past them); there must be `expected` such entries.
fn most_in_flight(server_log: &std::path::Path, seen: &mut usize, expected: usize) -> i32 {
    let log = std::fs::read_to_string(server_log).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let mut events: Vec<(f64, i32)> = Vec::new();
    for line in &lines[*seen..] {
        let entry: Value = serde_json::from_str(line).unwrap();
        let path = entry["request"]["path"].as_str().unwrap_or_default();
        if !path.starts_with("secret/data/s") || entry["request"]["operation"] != "read" {
            continue;
        }
        let at = seconds_of_day(entry["time"].as_str().unwrap());
        events.push((at, if entry["type"] == "request" { 1 } else { -1 }));
    }
    *seen = lines.len();
    assert_eq!(
        events.len(),
        expected,
        "one request and one response per secret"
    );
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
    let (mut open, mut most) = (0, 0);
    for (_, step) in events {
        open += step;
        most = most.max(open);
    }
    most
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_references_are_fetched_in_parallel_and_cached() {
    let dir = config_tests::Scratch::new();
    let server_log = dir.path().join("bao-audit.log");
    let Some(server) = start_openbao_with_audit_log(&server_log) else {
        return;
    };
    let admin = OpenBaoAdmin::new(&server);
    for i in 0..50 {
        admin
            .write_secret(&format!("s{i}"), json!({"v": format!("canary-token-{i}")}))
            .await;
    }
    let ours = dir.path().join("audit.jsonl");
    let vault = VaultProvider::builder(&server.url)
        .token(BAO_ROOT_TOKEN)
        .safeguards(
            config_providers::safeguards::Safeguards::default()
                .audit(config_providers::audit::JsonLinesAudit::open(&ours).unwrap()),
        )
        .build()
        .unwrap();
    let references: Vec<String> = (0..50)
        .map(|i| format!("${{vault:secret/s{i}#v}}"))
        .collect();
    let vars = [("M_TOKENS", references.join(","))];

    let cfg = Many::loader()
        .vars(vars.clone())
        .provider(vault.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.tokens.expose_secret().len(), 50);
    assert_eq!(cfg.tokens.expose_secret()[7], "canary-token-7");

    // The server saw the reads overlap: sweep over [request, response] windows. A sequential
    // load never has two reads open at once; the server answers each in well under a
    // millisecond, so on a starved machine one load may happen not to overlap: up to four
    // more loads with a cold cache get their chance, and one overlap is enough.
    let mut seen = 0;
    let mut most = most_in_flight(&server_log, &mut seen, 100);
    for _ in 0..4 {
        if most >= 2 {
            break;
        }
        let cold = VaultProvider::builder(&server.url)
            .token(BAO_ROOT_TOKEN)
            .build()
            .unwrap();
        Many::loader()
            .vars(vars.clone())
            .provider(cold)
            .load_async()
            .await
            .unwrap();
        most = most_in_flight(&server_log, &mut seen, 100);
    }
    assert!(most >= 2, "at most {most} reads were in flight at once");

    // A second load is answered from the cache: no new provider calls.
    let before = vault.cache_stats();
    assert_eq!(
        before.provider_calls, 50,
        "one provider call per distinct secret"
    );
    Many::loader()
        .vars(vars)
        .provider(vault.clone())
        .load_async()
        .await
        .unwrap();
    let after = vault.cache_stats();
    assert_eq!(after.provider_calls, before.provider_calls);
    assert_eq!(after.hits, before.hits + 50);

    // Our own audit trail: one record per resolution, fingerprints, never a value.
    let audit = std::fs::read_to_string(&ours).unwrap();
    assert_eq!(audit.lines().count(), 100);
    assert!(
        !audit.contains("canary-token"),
        "audit records hold no values"
    );
    let first: Value = serde_json::from_str(audit.lines().next().unwrap()).unwrap();
    assert_eq!(first["provider"], "vault");
    assert_eq!(first["fingerprint"].as_str().unwrap().len(), 16);
}

#[tokio::test]
async fn proactive_refresh_picks_up_a_new_version() {
    let Some(server) = start_openbao() else {
        return;
    };
    let admin = OpenBaoAdmin::new(&server);
    admin
        .write_secret("rotating", json!({"password": "before-rotation"}))
        .await;
    // Refreshed in the last three quarters of an 8 s TTL: from 2 s after a fetch to 8 s, a
    // window wide enough for a busy machine on both of its ends.
    let policy = config_providers::cache::CachePolicy {
        ttl: std::time::Duration::from_secs(8),
        refresh_ahead: 0.75,
        ..Default::default()
    };
    let vault = VaultProvider::builder(&server.url)
        .token(BAO_ROOT_TOKEN)
        .safeguards(config_providers::safeguards::Safeguards::default().cache(policy))
        .build()
        .unwrap();
    let loader = Db::loader()
        .vars([("V_PASSWORD", "${vault:secret/rotating#password}")])
        .provider(vault.clone());
    let load = || loader.load_async();
    assert_eq!(
        load().await.unwrap().password.expose_secret(),
        "before-rotation"
    );
    admin
        .write_secret("rotating", json!({"password": "after-rotation"}))
        .await;
    // Inside the TTL but in its refresh window (a sleep only ever lasts longer, and the TTL
    // leaves almost 6 s after it): answered from memory, refreshed in the background.
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    assert_eq!(
        load().await.unwrap().password.expose_secret(),
        "before-rotation"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if vault.cache_stats().refreshes >= 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no background refresh happened"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let stats = vault.cache_stats();
    assert_eq!(
        load().await.unwrap().password.expose_secret(),
        "after-rotation"
    );
    assert_eq!(
        vault.cache_stats().provider_calls,
        stats.provider_calls,
        "served from the refreshed cache"
    );
}

fn lkg_store(dir: &config_tests::Scratch) -> config_providers::lkg::LastKnownGood {
    config_providers::lkg::LastKnownGood::new(dir.path().join("lkg.bin"), [42; 32])
}

#[tokio::test]
async fn outages_fall_back_to_a_fresh_last_known_good_store_only() {
    let Some(mut server) = start_openbao() else {
        return;
    };
    let admin = OpenBaoAdmin::new(&server);
    admin
        .write_secret("app", json!({"password": "lkg-canary-7781"}))
        .await;
    let dir = config_tests::Scratch::new();
    let vars = [("V_PASSWORD", "${vault:secret/app#password}")];

    // While Vault is up, the value is resolved and saved (encrypted) to the store.
    let vault = VaultProvider::builder(&server.url)
        .token(BAO_ROOT_TOKEN)
        .safeguards(
            config_providers::safeguards::Safeguards::default().last_known_good(lkg_store(&dir)),
        )
        .build()
        .unwrap();
    Db::loader()
        .vars(vars)
        .provider(vault)
        .load_async()
        .await
        .unwrap();
    let saved = std::fs::read(dir.path().join("lkg.bin")).unwrap();
    assert!(!String::from_utf8_lossy(&saved).contains("lkg-canary-7781"));
    let url = server.url.clone();
    server.stop();

    // A fresh process (a new provider, empty cache) starts from the store, with a warning.
    let vault = VaultProvider::builder(&url)
        .token(BAO_ROOT_TOKEN)
        .safeguards(
            config_providers::safeguards::Safeguards::default().last_known_good(lkg_store(&dir)),
        )
        .build()
        .unwrap();
    let explain = Db::loader()
        .vars(vars)
        .provider(vault)
        .explain_async()
        .await
        .unwrap();
    assert_eq!(explain.row("password").unwrap().value, "[REDACTED]");
    let warnings = explain
        .warnings()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        warnings.contains("using the last-known-good value from"),
        "{warnings}"
    );
    assert!(
        !warnings.contains("lkg-canary-7781") && !explain.to_string().contains("lkg-canary-7781")
    );

    // Too old: refused with a clear error.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let expired = lkg_store(&dir).max_age(std::time::Duration::ZERO);
    let vault = VaultProvider::builder(&url)
        .token(BAO_ROOT_TOKEN)
        .safeguards(config_providers::safeguards::Safeguards::default().last_known_good(expired))
        .build()
        .unwrap();
    let err = Db::loader()
        .vars(vars)
        .provider(vault)
        .load_async()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("cannot reach Vault") && text.contains("older than the allowed"),
        "{text}"
    );
    assert!(!text.contains("lkg-canary-7781"));

    // Readable by others: refused.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("lkg.bin"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let vault = VaultProvider::builder(&url)
            .token(BAO_ROOT_TOKEN)
            .safeguards(
                config_providers::safeguards::Safeguards::default()
                    .last_known_good(lkg_store(&dir)),
            )
            .build()
            .unwrap();
        let err = Db::loader()
            .vars(vars)
            .provider(vault)
            .load_async()
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("its mode is 644, readable by group or others"),
            "{err}"
        );
    }
}

#[derive(Config, Debug)]
#[config(prefix = "O")]
struct OptionalSecret {
    api_key: Option<Secret<String>>,
}

#[tokio::test]
async fn optional_outage_policy_starts_without_the_value_and_warns() {
    let Some(mut server) = start_openbao() else {
        return;
    };
    let url = server.url.clone();
    server.stop();
    let vault = VaultProvider::builder(&url)
        .token(BAO_ROOT_TOKEN)
        .safeguards(
            config_providers::safeguards::Safeguards::default()
                .outage_policy(config_runtime::OutagePolicy::Optional),
        )
        .build()
        .unwrap();
    let loader = OptionalSecret::loader()
        .vars([("O_API_KEY", "${vault:secret/app#key}")])
        .provider(vault);
    let cfg = loader.load_async().await.unwrap();
    assert!(cfg.api_key.is_none());
    let explain = loader.explain_async().await.unwrap();
    assert!(
        explain.warnings()[0]
            .to_string()
            .contains("O_API_KEY (environment): ${vault:secret/app#key} is unavailable"),
        "{:?}",
        explain.warnings()
    );

    // The default policy fails the load instead.
    let vault = VaultProvider::builder(&url)
        .token(BAO_ROOT_TOKEN)
        .build()
        .unwrap();
    let err = OptionalSecret::loader()
        .vars([("O_API_KEY", "${vault:secret/app#key}")])
        .provider(vault)
        .load_async()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot reach Vault"), "{err}");
}

#[tokio::test]
async fn approle_tokens_are_renewed_then_replaced_by_a_new_login() {
    let Some(server) = start_openbao() else {
        return;
    };
    let admin = OpenBaoAdmin::new(&server);
    for name in ["a", "b", "c"] {
        admin.write_secret(name, json!({"password": name})).await;
    }
    // Tokens live 9 s and can be renewed up to 12 s in total.
    let (role_id, secret_id) = admin
        .approle("short", json!({"token_ttl": "9s", "token_max_ttl": "12s"}))
        .await;
    let vault = VaultProvider::builder(&server.url)
        .approle(role_id, secret_id)
        .build()
        .unwrap();
    let read = |path: &'static str| {
        let vault = vault.clone();
        async move {
            let loader = Db::loader()
                .vars([("V_PASSWORD", format!("${{vault:secret/{path}#password}}"))])
                .provider(vault);
            loader
                .load_async()
                .await
                .unwrap()
                .password
                .expose_secret()
                .clone()
        }
    };
    assert_eq!(read("a").await, "a");
    assert_eq!(vault.auth_counts(), (1, 0));
    // Two thirds of 9 s have passed, and the token has almost 3 s to live: the next read
    // renews first (a new path: not cached).
    tokio::time::sleep(std::time::Duration::from_millis(6200)).await;
    assert_eq!(read("b").await, "b");
    assert_eq!(vault.auth_counts(), (1, 1), "renewed, not logged in again");
    // Past the 12 s maximum the token cannot be renewed: the provider logs in again.
    tokio::time::sleep(std::time::Duration::from_millis(6500)).await;
    assert_eq!(read("c").await, "c");
    assert_eq!(
        vault.auth_counts().0,
        2,
        "a new login replaced the expired token"
    );
}

#[tokio::test]
async fn version_polling_reads_metadata_only_and_sees_new_versions() {
    use config_runtime::SecretProvider;
    let Some(server) = start_openbao() else {
        return;
    };
    let admin = OpenBaoAdmin::new(&server);
    admin
        .write_secret("polled", json!({"password": "one"}))
        .await;
    admin.mount_kv1("kv1").await;
    admin.put("kv1/flat", json!({"password": "x"})).await;
    let vault = provider(&server, BAO_ROOT_TOKEN);
    assert_eq!(
        vault
            .current_version("secret/polled")
            .await
            .unwrap()
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        vault
            .get("secret/polled")
            .await
            .unwrap()
            .select(Some("password"))
            .unwrap(),
        "one"
    );
    admin
        .write_secret("polled", json!({"password": "two"}))
        .await;
    assert_eq!(
        vault
            .current_version("secret/polled")
            .await
            .unwrap()
            .as_deref(),
        Some("2")
    );
    // The cache still answers "one" until told that the version moved.
    assert_eq!(
        vault
            .get("secret/polled")
            .await
            .unwrap()
            .select(Some("password"))
            .unwrap(),
        "one"
    );
    vault.invalidate("secret/polled");
    assert_eq!(
        vault
            .get("secret/polled")
            .await
            .unwrap()
            .select(Some("password"))
            .unwrap(),
        "two"
    );
    assert_eq!(
        vault
            .current_version("secret/polled?version=1")
            .await
            .unwrap(),
        None
    );
    assert_eq!(vault.current_version("kv1/flat").await.unwrap(), None);
}

#[test]
fn a_bad_ca_certificate_is_a_clear_error() {
    let err = VaultProvider::builder("https://127.0.0.1:1")
        .token("t")
        .ca_certificate_pem("not a certificate")
        .build()
        .unwrap_err();
    assert!(
        err.message.contains("CA certificate is not valid PEM"),
        "{err}"
    );
    let err = VaultProvider::builder("https://127.0.0.1:1")
        .ca_certificate_file("/definitely/missing.pem")
        .unwrap_err();
    assert!(
        err.message.contains("cannot read the Vault CA certificate"),
        "{err}"
    );
}

#[tokio::test]
async fn tls_with_the_servers_ca_and_refusal_without_it() {
    let dir = config_tests::Scratch::new();
    let Some((server, ca)) = config_tests::services::start_openbao_tls(dir.path()) else {
        return;
    };
    let trusted = VaultProvider::builder(&server.url)
        .token(BAO_ROOT_TOKEN)
        .ca_certificate_file(&ca)
        .unwrap()
        .build()
        .unwrap();
    // The dev server may need a moment after the port opens: retry the first read briefly.
    let mut answer = trusted.read("secret/nothing").await;
    for _ in 0..50 {
        if answer
            .as_ref()
            .is_err_and(|e| e.kind == config_runtime::ProviderErrorKind::Unavailable)
        {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            answer = trusted.read("secret/nothing").await;
        }
    }
    assert_eq!(
        answer.unwrap_err().kind,
        config_runtime::ProviderErrorKind::NotFound,
        "TLS works: Vault answered 404"
    );

    let untrusted = provider(&server, BAO_ROOT_TOKEN);
    let err = untrusted.read("secret/nothing").await.unwrap_err();
    assert!(err.message.contains("cannot reach Vault"), "{err}");
}
