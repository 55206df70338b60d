//! `${vault:..}` references against a real OpenBao server (started per test on a free
//! loopback port): KV v2 and v1, `#key`, versions, AppRole, errors, concurrency, canaries.

use config_providers::vault::VaultProvider;
use config_runtime::{Config, ErrorKind, Secret};
use config_tests::services::{BAO_ROOT_TOKEN, Server, start_openbao};
use serde_json::{Value, json};

/// Writes to the server as an administrator (root token).
struct Admin {
    http: reqwest::Client,
    url: String,
}

impl Admin {
    fn new(server: &Server) -> Self {
        Admin {
            http: reqwest::Client::new(),
            url: server.url.clone(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let response = self
            .http
            .request(method, format!("{}/v1/{path}", self.url))
            .header("X-Vault-Token", BAO_ROOT_TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    async fn put(&self, path: &str, body: Value) -> Value {
        self.call(reqwest::Method::POST, path, body).await
    }

    async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, Value::Null).await
    }
}

#[derive(Config, Debug)]
#[config(prefix = "V")]
struct Db {
    #[config(default = "app")]
    user: String,
    password: Secret<String>,
    #[config(default = "")]
    previous: Secret<String>,
}

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
    let admin = Admin::new(&server);
    admin
        .put(
            "secret/data/app",
            json!({"data": {"password": "first-pw", "user": "svc"}}),
        )
        .await;
    admin
        .put(
            "secret/data/app",
            json!({"data": {"password": "second-pw", "user": "svc"}}),
        )
        .await;
    admin
        .put(
            "sys/mounts/kv1",
            json!({"type": "kv", "options": {"version": "1"}}),
        )
        .await;
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
    let admin = Admin::new(&server);
    admin
        .put(
            "secret/data/app",
            json!({"data": {"password": "approle-pw"}}),
        )
        .await;
    admin
        .put("sys/auth/approle", json!({"type": "approle"}))
        .await;
    admin
        .put("sys/policies/acl/reader", json!({"policy": "path \"secret/data/*\" { capabilities = [\"read\"] }\npath \"sys/internal/ui/mounts/*\" { capabilities = [\"read\"] }"}))
        .await;
    admin
        .put(
            "auth/approle/role/app",
            json!({"token_policies": ["reader"], "token_ttl": "1h"}),
        )
        .await;
    let role_id = admin.get("auth/approle/role/app/role-id").await["data"]["role_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret_id = admin
        .put("auth/approle/role/app/secret-id", json!({}))
        .await["data"]["secret_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let vault = VaultProvider::builder(&server.url)
        .approle(role_id, secret_id)
        .build()
        .unwrap();
    let cfg = Db::loader()
        .vars([("V_PASSWORD", "${vault:secret/app#password}")])
        .provider(vault)
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), "approle-pw");
}

#[tokio::test]
async fn wrong_token_and_missing_paths_are_clear_errors() {
    let Some(server) = start_openbao() else {
        return;
    };
    let admin = Admin::new(&server);
    admin
        .put(
            "secret/data/app",
            json!({"data": {"password": "canary-pw-4411"}}),
        )
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
