//! The admin router of `config_runtime::http`, bound on 127.0.0.1 and nested under `/admin`:
//! tokens, overrides (refused, invalid, applied, audited, kept across a file reload, removed),
//! and drift between a file set and the running instance through the `config_cli` example.

use config_runtime::Secret;
use config_tests::cli::run;
use config_tests::events::applied_changed;
use config_tests::files::save;
use config_tests::{STRIPE_KEY, Scratch, watch_file};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CLI: &str = env!("CARGO_BIN_EXE_config_cli");
const TOKEN: &str = "admin-token-for-tests-0123456789";

/// A client of the admin routes at `base`.
struct Admin {
    http: reqwest::Client,
    base: String,
}

impl Admin {
    /// Sends a request with `token` (if any) and a JSON body (if any); the status and body.
    async fn call(
        &self,
        method: Method,
        route: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{route}", self.base))
            .header("x-actor", "alice");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the router answers");
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(
            !text.contains(STRIPE_KEY),
            "{route} showed a secret: {text}"
        );
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, route: &str) -> Value {
        let (status, body) = self.call(Method::GET, route, Some(TOKEN), None).await;
        assert_eq!(status, StatusCode::OK, "{route}: {body}");
        body
    }

    async fn put(&self, key: &str, value: &str, token: Option<&str>) -> (StatusCode, Value) {
        let route = format!("/config/overrides/{key}");
        let body = json!({ "value": value });
        self.call(Method::PUT, &route, token, Some(body)).await
    }

    async fn delete(&self, key: &str) -> (StatusCode, Value) {
        let route = format!("/config/overrides/{key}");
        self.call(Method::DELETE, &route, Some(TOKEN), None).await
    }

    /// The value and source `/config` shows for `key`.
    async fn shown(&self, key: &str) -> (String, String) {
        let report = self.get("/config").await;
        let row = report["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {report}"))
            .clone();
        (
            row["value"].as_str().unwrap().to_owned(),
            row["source"].as_str().unwrap().to_owned(),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overrides_need_the_token_validate_audit_survive_reloads_and_go() {
    let scratch = Scratch::new();
    let path = scratch.write("app.toml", "log_level = \"info\"\n");
    let live = watch_file(&path).await;
    let mut events = live.subscribe();
    let app = axum::Router::new().nest(
        "/admin",
        config_runtime::http::router(live.clone(), Secret::new(TOKEN.to_owned())),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, app).into_future());
    let admin = Admin {
        http: reqwest::Client::new(),
        base: format!("http://{address}/admin"),
    };

    let report = admin.get("/config").await;
    assert_eq!(report["version"], 1);
    assert_eq!(admin.shown("stripe_key").await.0, "[REDACTED]");
    let health = admin.get("/config/health").await;
    assert_eq!(
        (health["version"].as_u64(), health["rejected"].as_u64()),
        (Some(1), Some(0))
    );

    // No token, a wrong one: 401, nothing changes, nothing is audited.
    for token in [
        None,
        Some("wrong-token"),
        Some("admin-token-for-tests-012345678X"),
    ] {
        let (status, _) = admin.put("log_level", "debug", token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
    }
    let (status, _) = admin.call(Method::POST, "/config/reload", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(admin.shown("log_level").await.0, "info");
    assert_eq!(admin.get("/config/audit").await["records"], json!([]));

    // Invalid: 422 with the error, the old value still served.
    let (status, body) = admin.put("log_level", "loud", Some(TOKEN)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["key"], "log_level", "{body}");
    assert_eq!(admin.shown("log_level").await.0, "info");
    assert_eq!(live.get().log_level, "info");
    // A restart field: 409; an unknown key: 404 with a suggestion.
    let (status, body) = admin.put("workers", "8", Some(TOKEN)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = admin.put("log_levle", "debug", Some(TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("log_level"),
        "{body}"
    );
    assert_eq!(live.version(), 1);

    // Valid: applied, told to subscribers, shown with its source, audited by fingerprint.
    let (status, body) = admin.put("log_level", "debug", Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["changed"], json!(["log_level"]));
    assert_eq!(
        applied_changed(&mut events).await,
        (2, vec!["log_level".to_owned()])
    );
    assert_eq!(
        admin.shown("log_level").await,
        ("debug".into(), "override".into())
    );
    assert_eq!(live.get().log_level, "debug");
    let records = admin.get("/config/audit").await["records"].clone();
    let record = &records[0];
    assert_eq!(
        (
            record["actor"].as_str(),
            record["key"].as_str(),
            record["change"].as_str()
        ),
        (Some("alice (http)"), Some("log_level"), Some("set"))
    );
    assert!(record["old"].is_string() && record["new"].is_string());
    assert_ne!(record["old"], record["new"]);
    assert_eq!(
        admin.get("/config/health").await["overridden"],
        json!(["log_level"])
    );

    // A file reload keeps the override.
    save(&path, "log_level = \"warn\"\nport = 9001\n");
    assert_eq!(
        applied_changed(&mut events).await,
        (3, vec!["port".to_owned()])
    );
    assert_eq!(
        (live.get().port, live.get().log_level.as_str()),
        (9001, "debug")
    );

    // Drift against the running instance: the override shows as a difference.
    let env = scratch.write(
        "instance.env",
        &format!(
            "DATABASE_URL={}\nAPP_STRIPE_KEY={STRIPE_KEY}\n",
            config_tests::DATABASE_URL
        ),
    );
    let url = format!("http://{address}/admin/config/fingerprints");
    let diff = |token: &str| {
        let args = ["diff", "--json", "--file", "app.toml", "instance.env", &url];
        run(CLI, scratch.path(), &args, &[("CONFIG_ADMIN_TOKEN", token)])
    };
    let drift = diff(TOKEN);
    assert_eq!(drift.code, Some(1), "{drift:?}");
    assert!(!drift.everything().contains(STRIPE_KEY));
    let keys = drift.json()["keys"].clone();
    assert_eq!(keys.as_array().map(Vec::len), Some(1), "{keys}");
    assert_eq!(
        (keys[0]["key"].as_str(), keys[0]["change"].as_str()),
        (Some("log_level"), Some("differs"))
    );
    // A refused token is a side that cannot be read (3), not drift (1).
    assert_eq!(diff("not-the-token").code, Some(3));

    // Removed: the file's value again, audited; removing it twice is a 404.
    let (status, body) = admin.delete("log_level").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        applied_changed(&mut events).await,
        (4, vec!["log_level".to_owned()])
    );
    let from_file = format!("{} line 1", path.display());
    assert_eq!(admin.shown("log_level").await, ("warn".into(), from_file));
    assert_eq!(admin.delete("log_level").await.0, StatusCode::NOT_FOUND);
    let records = admin.get("/config/audit").await["records"].clone();
    assert_eq!(records[1]["change"], "cleared");
    assert_eq!(records[1]["old"], records[0]["new"]);

    // No drift once the instance runs what the files say; a changed secret is a difference.
    let same = diff(TOKEN);
    assert_eq!(same.code, Some(0), "{same:?}");
    std::fs::write(
        &env,
        format!(
            "DATABASE_URL={}\nAPP_STRIPE_KEY={STRIPE_KEY}-rotated\n",
            config_tests::DATABASE_URL
        ),
    )
    .unwrap();
    let rotated = diff(TOKEN).json();
    assert_eq!(rotated["keys"][0]["key"], "stripe_key", "{rotated}");
    assert_eq!(rotated["keys"][0]["secret"], true);

    // Fingerprints need the token and a well-formed key; a reload by POST answers its outcome.
    let (status, _) = admin
        .call(Method::GET, "/config/fingerprints?key=00", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = admin
        .call(
            Method::GET,
            "/config/fingerprints?key=00",
            Some(TOKEN),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = admin
        .call(Method::POST, "/config/reload", Some(TOKEN), None)
        .await;
    assert_eq!(
        (status, body["applied"].as_bool()),
        (StatusCode::OK, Some(false)),
        "{body}"
    );
}
