//! `${gcp-sm:..}` against a real drongo server (a third-party fake of Google's REST APIs,
//! started per test on a free loopback port): plain and JSON payloads, versions and
//! `latest`, full resource names, missing secrets and disabled versions, values refused in
//! plain fields, a new version reaching `Live` subscribers, the service-account JWT exchange
//! at a token endpoint the test starts, and canaries in errors, explain, audit and tracing.

use std::time::Duration;

use config_providers::gcp::SecretManagerProvider;
use config_providers::safeguards::Safeguards;
use config_runtime::live::{Applied, ReloadEvent, WatchOptions};
use config_runtime::{Config, ErrorKind, ProviderErrorKind, Secret};
use config_tests::drongo::{Drongo, PROJECT};
use config_tests::events::next;
use config_tests::fixtures::Db;
use config_tests::{Scratch, google_token};

/// Marks every seeded secret value: it must never show up outside `expose_secret`.
const CANARY: &str = "canary-gcp-41b2";

fn provider(drongo: &Drongo) -> SecretManagerProvider {
    SecretManagerProvider::builder()
        .endpoint(drongo.url())
        .project(PROJECT)
        .access_token("static-token")
        .build()
        .unwrap()
}

#[tokio::test]
async fn plain_and_json_payloads_versions_and_latest() {
    let Some(drongo) = Drongo::start() else {
        return;
    };
    let dir = Scratch::new();
    let audit_file = dir.path().join("audit.jsonl");
    let audit = config_providers::audit::JsonLinesAudit::open(&audit_file).unwrap();
    let gcp = SecretManagerProvider::builder()
        .endpoint(drongo.url())
        .project(PROJECT)
        .access_token(format!("token-{CANARY}"))
        .safeguards(Safeguards::default().audit(audit))
        .build()
        .unwrap();
    let one = format!(r#"{{"user":"svc","password":"pw-one-{CANARY}"}}"#);
    let two = format!(r#"{{"user":"svc","password":"pw-two-{CANARY}"}}"#);
    assert_eq!(drongo.add_version("db", one.as_bytes()).await, 1);
    assert_eq!(drongo.add_version("db", two.as_bytes()).await, 2);
    drongo
        .add_version("plain", format!("just-text-{CANARY}").as_bytes())
        .await;

    let cfg = Db::loader()
        .vars([
            ("V_PASSWORD", "${gcp-sm:db#password}"),
            // The contract's order, `name#key@version`.
            ("V_PREVIOUS", "${gcp-sm:db#password@1}"),
        ])
        .provider(gcp.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), &format!("pw-two-{CANARY}"));
    assert_eq!(cfg.previous.expose_secret(), &format!("pw-one-{CANARY}"));
    assert!(!format!("{cfg:?}").contains(CANARY));
    // The version may also come before the key.
    let earlier = Db::loader()
        .vars([
            ("V_PASSWORD", "${gcp-sm:db@2#password}"),
            ("V_PREVIOUS", "${gcp-sm:db@1#password}"),
        ])
        .provider(gcp.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(
        earlier.previous.expose_secret(),
        &format!("pw-one-{CANARY}")
    );

    // Full resource names, `latest` spelled out, a whole plain payload.
    for (path, version, expected) in [
        ("projects/p1/secrets/db@latest", "2", two.as_str()),
        ("projects/p1/secrets/db/versions/1", "1", one.as_str()),
        ("db@2", "2", two.as_str()),
    ] {
        let data = gcp.read(path).await.unwrap();
        assert_eq!(data.version.as_deref(), Some(version), "{path}");
        assert_eq!(data.select(None).unwrap(), expected, "{path}");
    }
    assert_eq!(
        gcp.read("plain").await.unwrap().select(None).unwrap(),
        format!("just-text-{CANARY}")
    );
    // Version polling reads metadata: the latest number, a pinned one stays.
    assert_eq!(gcp.version_of("db").await.unwrap().as_deref(), Some("2"));
    assert_eq!(gcp.version_of("db@1").await.unwrap().as_deref(), Some("1"));

    // Bytes that are not UTF-8 come as base64.
    drongo.add_version("raw", &[0xff, 0x00, 0xfe, 0x01]).await;
    assert_eq!(
        gcp.read("raw").await.unwrap().select(None).unwrap(),
        "/wD+AQ=="
    );

    let explain = Db::loader()
        .vars([("V_PASSWORD", "${gcp-sm:db#password}")])
        .provider(gcp.clone())
        .explain_async()
        .await
        .unwrap();
    assert_eq!(
        explain.row("password").unwrap().source(),
        "environment via ${gcp-sm:db#password}"
    );
    let shown = format!("{explain} {explain:?} {gcp:?}");
    assert!(!shown.contains(CANARY), "{shown}");

    let audit = std::fs::read_to_string(&audit_file).unwrap();
    assert!(audit.contains(r#""outcome":"resolved""#), "{audit}");
    assert!(audit.contains("gcp-sm"), "{audit}");
    assert!(!audit.contains(CANARY), "{audit}");
}

#[tokio::test]
async fn missing_secrets_versions_and_disabled_versions() {
    let Some(drongo) = Drongo::start() else {
        return;
    };
    let gcp = provider(&drongo);
    drongo
        .add_version("db", format!(r#"{{"password":"{CANARY}"}}"#).as_bytes())
        .await;
    drongo
        .add_version("db", format!(r#"{{"password":"2-{CANARY}"}}"#).as_bytes())
        .await;

    for missing in ["nope", "db@9", "projects/other/secrets/db"] {
        let error = gcp.get(missing).await.unwrap_err();
        assert_eq!(error.kind, ProviderErrorKind::NotFound, "{error}");
        assert!(
            error
                .message
                .starts_with(&format!("GCP Secret Manager secret `{missing}`: no such")),
            "{error}"
        );
        assert!(error.message.contains("404 NOT_FOUND"), "{error}");
    }

    drongo.disable("db", 1).await;
    let error = gcp.get("db@1").await.unwrap_err();
    assert!(error.message.contains("`db@1`"), "{error}");
    assert!(!error.message.contains(CANARY), "{error}");

    let err = Db::loader()
        .vars([("V_PASSWORD", "${gcp-sm:nope#password}")])
        .provider(gcp.clone())
        .load_async()
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("${gcp-sm:nope#password}"), "{text}");
    assert!(text.contains("NOT_FOUND"), "{text}");

    // `#key` of a field the JSON lacks: names the fields, not the values.
    let err = Db::loader()
        .vars([("V_PASSWORD", "${gcp-sm:db#passwd}")])
        .provider(gcp.clone())
        .load_async()
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("password"), "{text}");
    assert!(!text.contains(CANARY), "{text}");

    // A malformed reference is refused before any request.
    let error = gcp.get("db@first").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Invalid, "{error}");
}

#[tokio::test]
async fn provider_values_in_plain_fields_are_rejected() {
    let Some(drongo) = Drongo::start() else {
        return;
    };
    let gcp = provider(&drongo);
    drongo
        .add_version("user", format!("svc-{CANARY}").as_bytes())
        .await;
    let err = Db::loader()
        .vars([("V_PASSWORD", "x"), ("V_USER", "${gcp-sm:user}")])
        .provider(gcp)
        .load_async()
        .await
        .unwrap_err();
    let rejected = err
        .errors()
        .iter()
        .find(|e| matches!(e.kind(), ErrorKind::SecretInPlainField { .. }))
        .unwrap_or_else(|| panic!("accepted in a plain field: {err}"));
    assert_eq!(rejected.path(), "user");
    let text = format!("{err} {err:?}");
    assert!(text.contains("${gcp-sm:user}"), "{text}");
    assert!(!text.contains(CANARY), "{text}");
}

#[derive(Config, Debug)]
#[config(prefix = "GL")]
struct Signing {
    key: Secret<String>,
}

#[tokio::test]
async fn a_new_version_reaches_live_subscribers() {
    let Some(drongo) = Drongo::start() else {
        return;
    };
    let gcp = provider(&drongo);
    drongo.add_version("signing", b"key-v1-canary").await;
    let live = Signing::loader()
        .vars([("GL_KEY", "${gcp-sm:signing}")])
        .provider(gcp.clone())
        .watch_with(WatchOptions::default().remote_poll_interval(Duration::from_millis(200)))
        .await
        .unwrap();
    assert_eq!(live.get().key.expose_secret(), "key-v1-canary");
    let mut events = live.subscribe();

    drongo.add_version("signing", b"key-v2-canary").await;
    let event = next(&mut events).await;
    match &event {
        ReloadEvent::Applied(Applied { changed, .. }) => {
            assert_eq!(changed, &vec!["key".to_owned()]);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!format!("{event:?} {event}").contains("canary"));
    assert_eq!(live.get().key.expose_secret(), "key-v2-canary");
    // One read at start, one after the change; the polls read metadata only.
    assert_eq!(gcp.cache_stats().provider_calls, 2);
}

#[tokio::test]
async fn service_account_keys_are_exchanged_for_tokens_and_refreshed() {
    let Some(drongo) = Drongo::start() else {
        return;
    };
    drongo
        .add_version("db", format!(r#"{{"password":"{CANARY}"}}"#).as_bytes())
        .await;
    let dir = Scratch::new();
    // Tokens living 2 s are used for 1 s (half their life), then replaced.
    let (endpoint, file) = google_token::service_account_file(dir.path(), 2).await;
    let gcp = SecretManagerProvider::builder()
        .endpoint(drongo.url())
        .service_account_file(&file)
        .unwrap()
        .build()
        .unwrap();
    // The key file's project is the default project of short names.
    let cfg = Db::loader()
        .vars([("V_PASSWORD", "${gcp-sm:db#password}")])
        .provider(gcp.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), CANARY);
    gcp.read("db").await.unwrap();
    assert_eq!((endpoint.issued(), gcp.tokens_fetched()), (1, 1));

    tokio::time::sleep(Duration::from_millis(1200)).await;
    gcp.read("db").await.unwrap();
    assert_eq!((endpoint.issued(), gcp.tokens_fetched()), (2, 2));

    // The key is in no Debug output.
    let shown = format!("{gcp:?}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    assert!(shown.contains(&endpoint.url), "{shown}");

    // A key the endpoint does not trust is denied, naming the endpoint.
    let other_dir = dir.path().join("other");
    std::fs::create_dir(&other_dir).unwrap();
    let (other, other_file) = google_token::service_account_file(&other_dir, 60).await;
    let content = std::fs::read_to_string(&other_file)
        .unwrap()
        .replace(&other.url, &endpoint.url);
    let stranger = SecretManagerProvider::builder()
        .endpoint(drongo.url())
        .service_account_json(content.as_bytes(), "stranger.json")
        .unwrap()
        .build()
        .unwrap();
    let error = stranger.get("db").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Denied, "{error}");
    assert!(error.message.contains(&endpoint.url), "{error}");
}

#[tokio::test]
async fn unreachable_server_is_unavailable() {
    let Some(mut drongo) = Drongo::start() else {
        return;
    };
    let gcp = SecretManagerProvider::builder()
        .endpoint(drongo.url())
        .project(PROJECT)
        .access_token(format!("token-{CANARY}"))
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    drongo
        .add_version("db", format!(r#"{{"password":"{CANARY}"}}"#).as_bytes())
        .await;
    gcp.get("db").await.unwrap();

    drongo.stop();
    let error = gcp.read("db").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Unavailable, "{error}");
    assert!(error.message.contains(drongo.url()), "{error}");
    let err = Db::loader()
        .vars([("V_PASSWORD", "${gcp-sm:other#password}")])
        .provider(gcp.clone())
        .load_async()
        .await
        .unwrap_err();
    let text = format!("{err} {err:?} {error:?}");
    assert!(!text.contains(CANARY), "{text}");
}
