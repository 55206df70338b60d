//! `${aws-sm:..}` and `${ssm:..}` against a real moto server (started per test on a free
//! loopback port): JSON field picks, version stages, SecureStrings, versions, parameters by
//! path as a source, errors, and canaries.

use config_providers::aws::{AwsSettings, SecretsManagerProvider, SsmProvider};
use config_providers::safeguards::Safeguards;
use config_runtime::{Config, ErrorKind, Secret};
use config_tests::services::{Server, start_moto};

fn settings(server: &Server) -> AwsSettings {
    AwsSettings {
        endpoint: Some(server.url.clone()),
        region: Some("us-east-1".to_owned()),
        credentials: Some(("testing".to_owned(), "testing".to_owned())),
    }
}

#[derive(Config, Debug)]
#[config(prefix = "AWS")]
struct Db {
    #[config(default = "app")]
    user: String,
    password: Secret<String>,
    #[config(default = "")]
    previous: Secret<String>,
}

#[tokio::test]
async fn secrets_manager_json_fields_stages_and_errors() {
    let Some(server) = start_moto() else { return };
    let dir = config_tests::Scratch::new();
    let audit_file = dir.path().join("audit.jsonl");
    let audit = config_providers::audit::JsonLinesAudit::open(&audit_file).unwrap();
    let sm =
        SecretsManagerProvider::new(&settings(&server), Safeguards::default().audit(audit)).await;
    sm.client()
        .create_secret()
        .name("prod/db")
        .secret_string(r#"{"username":"svc","password":"pw-one-canary"}"#)
        .send()
        .await
        .unwrap();
    sm.client()
        .put_secret_value()
        .secret_id("prod/db")
        .secret_string(r#"{"username":"svc","password":"pw-two-canary"}"#)
        .send()
        .await
        .unwrap();
    sm.client()
        .create_secret()
        .name("plain")
        .secret_string("just-text")
        .send()
        .await
        .unwrap();

    let cfg = Db::loader()
        .vars([
            ("AWS_PASSWORD", "${aws-sm:prod/db#password}"),
            ("AWS_PREVIOUS", "${aws-sm:prod/db@AWSPREVIOUS#password}"),
        ])
        .provider(sm.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), "pw-two-canary");
    assert_eq!(cfg.previous.expose_secret(), "pw-one-canary");
    assert_eq!(cfg.user, "app");

    let explain = Db::loader()
        .vars([("AWS_PASSWORD", "${aws-sm:prod/db#password}")])
        .provider(sm.clone())
        .explain_async()
        .await
        .unwrap();
    assert_eq!(
        explain.row("password").unwrap().source,
        "environment via ${aws-sm:prod/db#password}"
    );
    assert!(!explain.to_string().contains("canary"));

    let cfg = Db::loader()
        .vars([("AWS_PASSWORD", "${aws-sm:plain}")])
        .provider(sm.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), "just-text");

    let err = Db::loader()
        .vars([
            ("AWS_PASSWORD", "${aws-sm:prod/missing#password}"),
            ("AWS_USER", "${aws-sm:prod/db#username}"),
        ])
        .provider(sm.clone())
        .load_async()
        .await
        .unwrap_err();
    let text = format!("{err} {err:?} {sm:?}");
    assert!(
        text.contains(
            "AWS refused the Secrets Manager secret `prod/missing`: ResourceNotFoundException"
        ),
        "{text}"
    );
    assert!(
        err.errors()
            .iter()
            .any(|e| matches!(e.kind(), ErrorKind::SecretInPlainField { .. }))
    );
    assert!(!text.contains("canary") && !text.contains("svc"), "{text}");

    // Every resolution and failure was audited, with fingerprints and without values.
    let audit = std::fs::read_to_string(&audit_file).unwrap();
    assert!(audit.lines().count() >= 5, "{audit}");
    assert!(audit.contains(r#""outcome":"failed""#) && audit.contains(r#""outcome":"resolved""#));
    assert!(
        !audit.contains("canary") && !audit.contains("just-text"),
        "{audit}"
    );
}

#[tokio::test]
async fn ssm_secure_strings_versions_and_paths() {
    let Some(server) = start_moto() else { return };
    let ssm = SsmProvider::new(&settings(&server), Safeguards::default()).await;
    let put = |name: &'static str, value: &'static str, secure: bool| {
        let client = ssm.client().clone();
        async move {
            let kind = if secure {
                aws_sdk_ssm::types::ParameterType::SecureString
            } else {
                aws_sdk_ssm::types::ParameterType::String
            };
            client
                .put_parameter()
                .name(name)
                .value(value)
                .r#type(kind)
                .overwrite(true)
                .send()
                .await
                .unwrap();
        }
    };
    put("/prod/app/db_password", "ssm-pw-1-canary", true).await;
    put("/prod/app/db_password", "ssm-pw-2-canary", true).await;
    put("/prod/app/user", "from-ssm", false).await;
    put("/prod/app/unknown_key", "x", false).await;

    let cfg = Db::loader()
        .vars([
            ("AWS_PASSWORD", "${ssm:/prod/app/db_password}"),
            ("AWS_PREVIOUS", "${ssm:/prod/app/db_password:1}"),
        ])
        .provider(ssm.clone())
        .load_async()
        .await
        .unwrap();
    assert_eq!(cfg.password.expose_secret(), "ssm-pw-2-canary");
    assert_eq!(cfg.previous.expose_secret(), "ssm-pw-1-canary");

    let entries = ssm.parameters_by_path("/prod/app").await.unwrap();
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["db_password", "unknown_key", "user"]);

    // As a loader source: unknown keys are reported like in files; no value is shown.
    let err = Db::loader()
        .remote(ssm.source("/prod/app"))
        .load_async()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("unknown_key (ssm /prod/app key unknown_key): unknown key"),
        "{text}"
    );
    assert!(!text.contains("canary"), "{text}");

    let err = Db::loader()
        .vars([("AWS_PASSWORD", "${ssm:/prod/app/nope}")])
        .provider(ssm)
        .load_async()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("AWS refused the SSM parameter `/prod/app/nope`: ParameterNotFound"),
        "{err}"
    );
}
