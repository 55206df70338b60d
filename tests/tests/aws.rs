//! `${aws-sm:..}` and `${ssm:..}` against a real moto server (started per test on a free
//! loopback port): JSON field picks, version stages, plain and binary secrets, SecureStrings,
//! versions, parameters by path feeding a loader, error kinds, and canaries.

use config_providers::aws::{AwsSettings, SecretsManagerProvider, SsmProvider};
use config_providers::safeguards::Safeguards;
use config_runtime::{Config, ErrorKind, ProviderErrorKind};
use config_tests::RedisConfig;
use config_tests::fixtures::Db;
use config_tests::moto::{Moto, put_binary_secret, put_parameter, put_secret};

/// Marks every seeded secret value: it must never show up outside `expose_secret`.
const CANARY: &str = "canary-7f3a";

#[derive(Config, Debug)]
#[config(prefix = "APP")]
struct App {
    #[config(default = "info")]
    log_level: String,
    #[config(nested)]
    redis: RedisConfig,
}

async fn secrets_manager(moto: &Moto) -> SecretsManagerProvider {
    SecretsManagerProvider::builder(moto.settings())
        .build()
        .await
        .unwrap()
}

async fn ssm(moto: &Moto) -> SsmProvider {
    SsmProvider::builder(moto.settings()).build().await.unwrap()
}

#[tokio::test]
async fn secrets_manager_json_fields_and_previous_stage() {
    let Some(moto) = Moto::start() else { return };
    let dir = config_tests::Scratch::new();
    let audit_file = dir.path().join("audit.jsonl");
    let audit = config_providers::audit::JsonLinesAudit::open(&audit_file).unwrap();
    let sm = SecretsManagerProvider::builder(moto.settings())
        .safeguards(Safeguards::default().audit(audit))
        .build()
        .await
        .unwrap();
    let first = put_secret(
        &sm,
        "prod/db",
        &format!(r#"{{"username":"svc","password":"pw-one-{CANARY}"}}"#),
    )
    .await;
    let second = put_secret(
        &sm,
        "prod/db",
        &format!(r#"{{"username":"svc","password":"pw-two-{CANARY}"}}"#),
    )
    .await;

    let cfg = Db::loader()
        .vars([
            ("V_PASSWORD", "${aws-sm:prod/db#password}"),
            ("V_PREVIOUS", "${aws-sm:prod/db@AWSPREVIOUS#password}"),
        ])
        .provider(sm.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), &format!("pw-two-{CANARY}"));
    assert_eq!(cfg.previous.expose_secret(), &format!("pw-one-{CANARY}"));
    assert_eq!(cfg.user, "app");
    assert!(!format!("{cfg:?}").contains(CANARY));

    // The version id travels with the value; the metadata read agrees without the value.
    assert_eq!(
        sm.read("prod/db").await.unwrap().version.as_deref(),
        Some(second.as_str())
    );
    assert_eq!(
        sm.read("prod/db@AWSPREVIOUS")
            .await
            .unwrap()
            .version
            .as_deref(),
        Some(first.as_str())
    );
    assert_eq!(
        sm.version_of("prod/db").await.unwrap().as_deref(),
        Some(second.as_str())
    );
    assert_eq!(
        sm.version_of("prod/db@AWSPREVIOUS")
            .await
            .unwrap()
            .as_deref(),
        Some(first.as_str())
    );

    let explain = Db::loader()
        .vars([("V_PASSWORD", "${aws-sm:prod/db#password}")])
        .provider(sm.clone())
        .explain_async()
        .await
        .unwrap();
    assert_eq!(
        explain.row("password").unwrap().source(),
        "environment via ${aws-sm:prod/db#password}"
    );
    assert!(!explain.to_string().contains(CANARY));
    assert!(!format!("{explain:?}").contains(CANARY));

    // Every resolution was audited, with fingerprints and without values.
    let audit = std::fs::read_to_string(&audit_file).unwrap();
    assert!(audit.contains(r#""outcome":"resolved""#), "{audit}");
    assert!(!audit.contains(CANARY), "{audit}");
}

#[tokio::test]
async fn secrets_manager_plain_and_binary_secrets() {
    let Some(moto) = Moto::start() else { return };
    let sm = secrets_manager(&moto).await;
    put_secret(&sm, "plain", &format!("just-text-{CANARY}")).await;
    for (id, bytes) in [
        ("binary/utf8", b"utf8-bytes".to_vec()),
        ("binary/raw", vec![0xff, 0x00, 0xfe, 0x01]),
    ] {
        put_binary_secret(&sm, id, bytes).await;
    }

    let cfg = Db::loader()
        .vars([
            ("V_PASSWORD", "${aws-sm:plain}"),
            ("V_PREVIOUS", "${aws-sm:binary/utf8}"),
        ])
        .provider(sm.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), &format!("just-text-{CANARY}"));
    assert_eq!(cfg.previous.expose_secret(), "utf8-bytes");

    // Bytes that are not UTF-8 come as base64.
    let raw = sm.read("binary/raw").await.unwrap();
    assert_eq!(raw.select(None).unwrap(), "/wD+AQ==");

    // `#key` on a text that is not JSON: a clear error, without the text.
    let err = Db::loader()
        .vars([("V_PASSWORD", "${aws-sm:plain#password}")])
        .provider(sm)
        .load_async()
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("${aws-sm:plain#password}"), "{text}");
    assert!(!text.contains(CANARY), "{text}");
}

#[tokio::test]
async fn missing_secret_is_not_found_naming_the_id() {
    let Some(moto) = Moto::start() else { return };
    let sm = secrets_manager(&moto).await;
    put_secret(&sm, "prod/db", &format!(r#"{{"password":"{CANARY}"}}"#)).await;

    let error = sm.get("prod/missing").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::NotFound, "{error}");
    assert!(
        error
            .message
            .starts_with("AWS Secrets Manager secret `prod/missing`: ResourceNotFoundException"),
        "{error}"
    );

    let err = Db::loader()
        .vars([("V_PASSWORD", "${aws-sm:prod/missing#password}")])
        .provider(sm.clone())
        .load_async()
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("${aws-sm:prod/missing#password}"), "{text}");
    assert!(text.contains("ResourceNotFoundException"), "{text}");
    assert!(!text.contains(CANARY), "{text}");

    // A stage nobody holds is a missing version, named with its stage.
    let error = sm.get("prod/db@AWSPREVIOUS").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::NotFound, "{error}");
    assert!(error.message.contains("`prod/db@AWSPREVIOUS`"), "{error}");
}

#[tokio::test]
async fn provider_values_in_plain_fields_are_rejected() {
    let Some(moto) = Moto::start() else { return };
    let sm = secrets_manager(&moto).await;
    let ssm = ssm(&moto).await;
    put_secret(&sm, "prod/db", &format!(r#"{{"username":"svc-{CANARY}"}}"#)).await;
    put_parameter(&ssm, "/prod/app/user", &format!("ssm-user-{CANARY}"), false).await;

    for reference in ["${aws-sm:prod/db#username}", "${ssm:/prod/app/user}"] {
        let err = Db::loader()
            .vars([("V_PASSWORD", "x"), ("V_USER", reference)])
            .provider(sm.clone())
            .provider(ssm.clone())
            .load_async()
            .await
            .unwrap_err();
        let rejected = err
            .errors()
            .iter()
            .find(|e| matches!(e.kind(), ErrorKind::SecretInPlainField { .. }))
            .unwrap_or_else(|| panic!("{reference} was accepted in a plain field: {err}"));
        assert_eq!(rejected.path(), "user");
        let text = format!("{err} {err:?}");
        assert!(text.contains(reference), "{text}");
        assert!(!text.contains(CANARY), "{text}");
    }
}

#[tokio::test]
async fn ssm_secure_strings_and_versions() {
    let Some(moto) = Moto::start() else { return };
    let ssm = ssm(&moto).await;
    put_parameter(
        &ssm,
        "/prod/app/db_password",
        &format!("ssm-1-{CANARY}"),
        true,
    )
    .await;
    let latest = put_parameter(
        &ssm,
        "/prod/app/db_password",
        &format!("ssm-2-{CANARY}"),
        true,
    )
    .await;
    assert_eq!(latest, 2);

    let cfg = Db::loader()
        .vars([
            ("V_PASSWORD", "${ssm:/prod/app/db_password}"),
            ("V_PREVIOUS", "${ssm:/prod/app/db_password:1}"),
        ])
        .provider(ssm.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), &format!("ssm-2-{CANARY}"));
    assert_eq!(cfg.previous.expose_secret(), &format!("ssm-1-{CANARY}"));

    assert_eq!(
        ssm.read("/prod/app/db_password")
            .await
            .unwrap()
            .version
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        ssm.version_of("/prod/app/db_password")
            .await
            .unwrap()
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        ssm.version_of("/prod/app/db_password:1").await.unwrap(),
        None
    );

    for missing in ["/prod/app/nope", "/prod/app/db_password:9"] {
        let error = ssm.get(missing).await.unwrap_err();
        assert_eq!(error.kind, ProviderErrorKind::NotFound, "{error}");
        assert!(
            error
                .message
                .starts_with(&format!("AWS SSM parameter `{missing}`: Parameter")),
            "{error}"
        );
    }
    let err = Db::loader()
        .vars([("V_PASSWORD", "${ssm:/prod/app/nope}")])
        .provider(ssm.clone())
        .load_async()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("AWS SSM parameter `/prod/app/nope`: ParameterNotFound"),
        "{err}"
    );
    assert!(!format!("{err} {err:?} {ssm:?}").contains(CANARY));
}

#[tokio::test]
async fn ssm_parameters_by_path_feed_a_loader() {
    let Some(moto) = Moto::start() else { return };
    let ssm = ssm(&moto).await;
    put_parameter(&ssm, "/prod/app/log_level", "debug", false).await;
    put_parameter(&ssm, "/prod/app/redis/host", "redis.internal", false).await;
    put_parameter(&ssm, "/prod/app/redis/port", "6380", false).await;
    put_parameter(&ssm, "/prod/other/log_level", "error", false).await;

    let entries = ssm.parameters_by_path("/prod/app").await.unwrap();
    assert_eq!(
        entries,
        [
            ("log_level".to_owned(), "debug".to_owned()),
            ("redis.host".to_owned(), "redis.internal".to_owned()),
            ("redis.port".to_owned(), "6380".to_owned()),
        ]
    );

    let cfg = entries
        .into_iter()
        .fold(App::loader(), |loader, (key, value)| loader.set(key, value))
        .load()
        .unwrap();
    assert_eq!(cfg.log_level, "debug");
    assert_eq!(cfg.redis.host, "redis.internal");
    assert_eq!(cfg.redis.port, 6380);

    // As a loader source: the same keys, and unknown ones are reported like in files.
    let cfg = App::loader()
        .source(ssm.source("/prod/app/"))
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.redis.port, 6380);
    put_parameter(&ssm, "/prod/app/redis/hots", "typo", false).await;
    let err = App::loader()
        .source(ssm.source("/prod/app"))
        .load_async()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("redis.hots"), "{err}");

    assert!(
        ssm.parameters_by_path("/nothing/here")
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn clones_share_one_cache() {
    let Some(moto) = Moto::start() else { return };
    let sm = secrets_manager(&moto).await;
    put_secret(&sm, "prod/db", &format!(r#"{{"password":"{CANARY}"}}"#)).await;
    let other = sm.clone();
    sm.get("prod/db").await.unwrap();
    other.get("prod/db").await.unwrap();
    let stats = sm.cache_stats();
    assert_eq!((stats.provider_calls, stats.hits), (1, 1), "{stats:?}");
}

#[tokio::test]
async fn refused_credentials_are_denied() {
    let Some(moto) = Moto::start_strict() else {
        return;
    };
    let sm = secrets_manager(&moto).await;
    let ssm = ssm(&moto).await;
    let error = sm.get("prod/db").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Denied, "{error}");
    assert!(
        error
            .message
            .starts_with("AWS Secrets Manager secret `prod/db`: InvalidClientTokenId"),
        "{error}"
    );
    let error = ssm.get("/prod/app/db_url").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Denied, "{error}");
    assert!(
        error
            .message
            .starts_with("AWS SSM parameter `/prod/app/db_url`: InvalidClientTokenId"),
        "{error}"
    );
    // The secret key of the settings is in no message and no Debug output.
    let settings = moto.settings().credentials("AKIAEXAMPLE", CANARY);
    let sm = SecretsManagerProvider::builder(settings.clone())
        .build()
        .await
        .unwrap();
    let error = sm.get("prod/db").await.unwrap_err();
    let text = format!("{error} {error:?} {sm:?} {settings:?}");
    assert!(!text.contains(CANARY), "{text}");
}

#[tokio::test]
async fn unreachable_endpoint_is_unavailable() {
    // Nothing listens on a port just freed: no moto needed.
    let port = config_tests::services::free_port_pair();
    let settings = AwsSettings::new()
        .endpoint(format!("http://127.0.0.1:{port}"))
        .region("us-east-1")
        .credentials("test", "test");
    let sm = SecretsManagerProvider::builder(settings)
        .build()
        .await
        .unwrap();
    let error = sm.read("prod/db").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Unavailable, "{error}");
    assert!(
        error.message.starts_with(
            "AWS Secrets Manager secret `prod/db`: cannot reach AWS (dispatch failure"
        ),
        "{error}"
    );
}
