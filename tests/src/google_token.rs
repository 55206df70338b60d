//! A token endpoint for service-account keys, as Google's OAuth server answers the JWT bearer
//! grant (RFC 7523): it checks the assertion's RS256 signature against the key's public half
//! and its audience, and hands out numbered tokens with the lifetime the test chooses.
//! Beside it, [`service_account_file`] writes a key file for a freshly generated RSA key.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_2048_8192_SHA256, RsaKeyPair, UnparsedPublicKey};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// A running token endpoint.
pub struct TokenEndpoint {
    /// Where the key file's `token_uri` points.
    pub url: String,
    state: Arc<Endpoint>,
    task: tokio::task::JoinHandle<()>,
}

struct Endpoint {
    public_key: Vec<u8>,
    audience: String,
    lifetime_secs: u64,
    issued: AtomicU64,
}

impl Drop for TokenEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TokenEndpoint {
    /// Tokens issued so far (`tok-1`, `tok-2`, …).
    pub fn issued(&self) -> u64 {
        self.state.issued.load(Ordering::SeqCst)
    }
}

/// Generates an RSA key, starts an endpoint that trusts it (tokens living `lifetime_secs`),
/// and writes a service-account key file for it into `dir`; returns both.
pub async fn service_account_file(
    dir: &std::path::Path,
    lifetime_secs: u64,
) -> (TokenEndpoint, std::path::PathBuf) {
    let key = RsaKeyPair::generate(KeySize::Rsa2048).expect("generate an RSA key");
    let der = AsDer::<Pkcs8V1Der>::as_der(&key).expect("PKCS#8 of the key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    let state = Arc::new(Endpoint {
        public_key: key.public_key().as_ref().to_vec(),
        audience: url.clone(),
        lifetime_secs,
        issued: AtomicU64::new(0),
    });
    let app = Router::new()
        .route("/token", post(exchange))
        .with_state(Arc::clone(&state));
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(der.as_ref())
    );
    let file = dir.join("service-account.json");
    let content = json!({
        "type": "service_account",
        "project_id": crate::drongo::PROJECT,
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": "app@p1.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": url,
    });
    std::fs::write(&file, content.to_string()).unwrap();
    (TokenEndpoint { url, state, task }, file)
}

/// The JWT bearer grant: a form with `grant_type` and `assertion`.
async fn exchange(State(endpoint): State<Arc<Endpoint>>, form: String) -> (StatusCode, String) {
    let refuse = |why: &str| {
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_grant", "error_description": why}).to_string(),
        )
    };
    let field = |name: &str| {
        form.split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_owned)
    };
    if field("grant_type").as_deref()
        != Some("urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer")
    {
        return refuse("unsupported grant type");
    }
    let Some(assertion) = field("assertion") else {
        return refuse("no assertion");
    };
    let Some((signed, signature)) = assertion.rsplit_once('.') else {
        return refuse("not a JWT");
    };
    let verified = URL_SAFE_NO_PAD.decode(signature).is_ok_and(|signature| {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &endpoint.public_key)
            .verify(signed.as_bytes(), &signature)
            .is_ok()
    });
    if !verified {
        return refuse("bad signature");
    }
    let claims: Option<Value> = signed
        .split('.')
        .nth(1)
        .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
        .and_then(|c| serde_json::from_slice(&c).ok());
    let Some(claims) = claims else {
        return refuse("unreadable claims");
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if claims["aud"] != endpoint.audience.as_str()
        || claims["exp"].as_u64().is_none_or(|exp| exp < now)
        || claims["scope"].as_str().is_none()
    {
        return refuse("wrong audience, expiry or scope");
    }
    let n = endpoint.issued.fetch_add(1, Ordering::SeqCst) + 1;
    (
        StatusCode::OK,
        json!({
            "access_token": format!("tok-{n}"),
            "expires_in": endpoint.lifetime_secs,
            "token_type": "Bearer",
        })
        .to_string(),
    )
}
