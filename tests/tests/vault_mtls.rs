//! Mutual TLS against a real OpenBao whose listener requires client certificates
//! (`tls_require_and_verify_client_cert`, certificates made with openssl at test time): no
//! certificate is refused with an error that says so, a certificate of another CA is refused,
//! and the right one reads secrets.

use config_providers::vault::VaultProvider;
use config_runtime::ProviderErrorKind;
use config_tests::Scratch;
use config_tests::services::{BAO_ROOT_TOKEN, MtlsCertificates, OpenBaoAdmin, start_openbao_mtls};
use serde_json::json;

const CANARY: &str = "canary-mtls-6b0e";

fn builder(url: &str, certs: &MtlsCertificates) -> config_providers::vault::VaultBuilder {
    VaultProvider::builder(url)
        .token(BAO_ROOT_TOKEN)
        .ca_certificate_file(&certs.ca)
        .unwrap()
}

#[tokio::test]
async fn client_certificates_are_required_and_the_right_one_works() {
    let dir = Scratch::new();
    let Some(certs) = MtlsCertificates::generate(dir.path()) else {
        return;
    };
    let Some((server, url)) = start_openbao_mtls(dir.path(), &certs) else {
        return;
    };
    OpenBaoAdmin::new(&server)
        .write_secret("app", json!({"password": CANARY}))
        .await;

    let with_certificate = builder(&url, &certs)
        .client_certificate_files(&certs.client_cert, &certs.client_key)
        .unwrap()
        .build()
        .unwrap();
    let data = with_certificate.read("secret/app").await.unwrap();
    assert_eq!(data.select(Some("password")).unwrap(), CANARY);

    let without = builder(&url, &certs).build().unwrap();
    let error = without.read("secret/app").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Denied, "{error}");
    assert!(
        error.message.contains("requires a client certificate"),
        "{error}"
    );
    assert!(error.message.contains("VAULT_CLIENT_CERT"), "{error}");

    let stranger = builder(&url, &certs)
        .client_certificate_files(&certs.stranger_cert, &certs.stranger_key)
        .unwrap()
        .build()
        .unwrap();
    let error = stranger.read("secret/app").await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Denied, "{error}");
    assert!(error.message.contains("UnknownCA"), "{error}");
    assert!(error.message.contains(&url), "{error}");
    assert!(!error.message.contains(CANARY), "{error}");

    // A key file that is not a key is refused when building, naming what is wrong.
    let error = builder(&url, &certs)
        .client_certificate_files(&certs.client_cert, &certs.ca)
        .unwrap()
        .build()
        .unwrap_err();
    assert!(error.message.contains("client certificate"), "{error}");
    let shown = format!("{with_certificate:?}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
}
