//! A service-account key file (what `GOOGLE_APPLICATION_CREDENTIALS` names): its identity,
//! its token endpoint and its RSA key, which signs the JWT assertion exchanged for an access
//! token (RFC 7523, RS256).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use config_runtime::{ProviderError, ProviderErrorKind};
use serde_json::json;
use zeroize::Zeroizing;

use crate::body;

/// The scope asked for: Secret Manager's calls accept the cloud-platform scope.
const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// How long an assertion is valid; Google accepts at most one hour.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// A parsed service-account key.
pub(super) struct ServiceAccount {
    client_email: String,
    key_id: Option<String>,
    pub(super) token_uri: String,
    pub(super) project_id: Option<String>,
    key: RsaKeyPair,
}

impl std::fmt::Debug for ServiceAccount {
    // The identity and endpoint only: never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

impl ServiceAccount {
    /// Parses a key file's content; `shown` names the file in errors (never its content).
    pub(super) fn from_json(content: &[u8], shown: &str) -> Result<Self, ProviderError> {
        let invalid = |why: &str| {
            ProviderError::new(
                ProviderErrorKind::Invalid,
                format!("the GCP credentials file {shown}: {why}"),
            )
        };
        let file = body::parse(content).ok_or_else(|| invalid("not JSON"))?;
        let field = |name: &str| file.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        match file.get("type").and_then(|v| v.as_str()) {
            Some("service_account") => {}
            Some(other) => {
                return Err(invalid(&format!(
                    "credentials of type `{other}` are not supported; use a service-account \
                     key, the metadata server or GOOGLE_OAUTH_ACCESS_TOKEN"
                )));
            }
            None => return Err(invalid("no `type` field")),
        }
        let client_email = field("client_email").ok_or_else(|| invalid("no `client_email`"))?;
        let token_uri =
            field("token_uri").unwrap_or_else(|| "https://oauth2.googleapis.com/token".to_owned());
        let pem = Zeroizing::new(field("private_key").ok_or_else(|| invalid("no `private_key`"))?);
        let der = pem_body(&pem).ok_or_else(|| invalid("`private_key` is not a PEM key"))?;
        let key = RsaKeyPair::from_pkcs8(&der)
            .map_err(|_| invalid("`private_key` is not a PKCS#8 RSA key"))?;
        Ok(ServiceAccount {
            client_email,
            key_id: field("private_key_id"),
            token_uri,
            project_id: field("project_id"),
            key,
        })
    }

    /// A signed JWT assertion for the token endpoint, issued at `now`.
    pub(super) fn assertion(&self, now: SystemTime) -> Result<Zeroizing<String>, ProviderError> {
        let issued = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(id) = &self.key_id {
            header["kid"] = json!(id);
        }
        let claims = json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": issued,
            "exp": issued + ASSERTION_LIFETIME.as_secs(),
        });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signed.as_bytes(),
                &mut signature,
            )
            .map_err(|_| {
                ProviderError::new(
                    ProviderErrorKind::Invalid,
                    format!(
                        "cannot sign the token request of {} with its key",
                        self.client_email
                    ),
                )
            })?;
        Ok(Zeroizing::new(format!(
            "{signed}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        )))
    }
}

/// The DER bytes inside a `-----BEGIN PRIVATE KEY-----` block.
fn pem_body(pem: &str) -> Option<Zeroizing<Vec<u8>>> {
    let start = pem.find("-----BEGIN PRIVATE KEY-----")? + "-----BEGIN PRIVATE KEY-----".len();
    let end = start + pem[start..].find("-----END PRIVATE KEY-----")?;
    let base64: Zeroizing<String> = Zeroizing::new(
        pem[start..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect(),
    );
    STANDARD.decode(base64.as_bytes()).ok().map(Zeroizing::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::KeySize;
    use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

    fn key_file(token_uri: &str) -> (String, Vec<u8>) {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key).unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(der.as_ref())
        );
        let file = json!({
            "type": "service_account",
            "project_id": "p1",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": "app@p1.iam.gserviceaccount.com",
            "token_uri": token_uri,
        });
        (file.to_string(), key.public_key().as_ref().to_vec())
    }

    #[test]
    fn assertions_are_signed_with_the_key() {
        let (file, public) = key_file("http://127.0.0.1:1/token");
        let account = ServiceAccount::from_json(file.as_bytes(), "sa.json").unwrap();
        assert_eq!(account.project_id.as_deref(), Some("p1"));
        assert!(!format!("{account:?}").contains("PRIVATE"));
        let jwt = account.assertion(SystemTime::now()).unwrap();
        let (signed, signature) = jwt.rsplit_once('.').unwrap();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &public)
            .verify(
                signed.as_bytes(),
                &URL_SAFE_NO_PAD.decode(signature).unwrap(),
            )
            .unwrap();
        let claims = signed.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "http://127.0.0.1:1/token");
        assert_eq!(claims["iss"], "app@p1.iam.gserviceaccount.com");
    }

    #[test]
    fn broken_files_are_named_without_their_content() {
        for (content, why) in [
            ("not json", "not JSON"),
            (r#"{"type":"authorized_user"}"#, "authorized_user"),
            (
                r#"{"type":"service_account","client_email":"a","private_key":"secret-pem"}"#,
                "not a PEM key",
            ),
        ] {
            let error = ServiceAccount::from_json(content.as_bytes(), "sa.json").unwrap_err();
            assert!(error.message.contains("sa.json"), "{error}");
            assert!(error.message.contains(why), "{error}");
            assert!(!error.message.contains("secret-pem"), "{error}");
        }
    }
}
