//! moto's server (AWS Secrets Manager, SSM, IAM, … in one process) for the `aws` provider
//! tests: one per test on a free loopback port, killed by pid on drop.
//!
//! moto ignores signatures by default but still needs a SigV4 `Authorization` header to route
//! a request to the right service and region, so tests talk to it through the real SDK
//! clients with dummy credentials ([`Moto::settings`]). [`Moto::start_strict`] checks every
//! access key from the first request, to test refused credentials;
//! [`Moto::start_authenticating_after`] lets a test set up users, roles and keys first
//! ([`Moto::iam`]), then enforces their IAM policies. [`put_secret`],
//! [`put_binary_secret`] and [`put_parameter`] seed the server through a provider's client.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use config_providers::aws::{AwsSettings, SecretsManagerProvider, SsmProvider};

use crate::services::{Server, free_port_pair, require_tool, wait_ready};

/// The region the tests use: moto stores secrets per region, taken from the signature.
pub const REGION: &str = "us-east-1";

/// A running moto server.
pub struct Moto {
    server: Server,
}

impl Moto {
    /// moto with its default lenient auth. When moto is not installed the test fails; `None`
    /// only under the [`SKIP_SERVERS_VAR`](crate::services::SKIP_SERVERS_VAR) opt-out.
    pub fn start() -> Option<Moto> {
        Self::spawn(None, free_port_pair())
    }

    /// moto writing its request log to `log`, so a test can count the requests it served
    /// ([`requests_served`]).
    pub fn start_logged(log: &Path) -> Option<Moto> {
        Self::spawn_with(None, free_port_pair(), Some(log))
    }

    /// moto that authenticates every request (`INITIAL_NO_AUTH_ACTION_COUNT=0`): any access
    /// key it did not issue is refused with 403 `InvalidClientTokenId`.
    pub fn start_strict() -> Option<Moto> {
        Self::spawn(Some("0"), free_port_pair())
    }

    /// moto that serves the first `count` API requests unauthenticated (the test's setup:
    /// users, access keys, roles, policies, keys), then authenticates every request and
    /// enforces the IAM policies of the user or assumed role that signed it.
    pub fn start_authenticating_after(count: u32) -> Option<Moto> {
        Self::spawn(Some(&count.to_string()), free_port_pair())
    }

    /// Kills the server now (an outage of its region).
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// A new, empty server on the same port (the region coming back).
    pub fn restart(&mut self) {
        self.stop();
        let port = self.url().rsplit(':').next().unwrap().parse().unwrap();
        *self = Self::spawn(None, port).expect("moto was running before");
    }

    fn spawn(no_auth_count: Option<&str>, port: u16) -> Option<Moto> {
        Self::spawn_with(no_auth_count, port, None)
    }

    fn spawn_with(no_auth_count: Option<&str>, port: u16, log: Option<&Path>) -> Option<Moto> {
        let moto = require_tool("moto_server")?;
        let mut command = Command::new(moto);
        let stderr = match log {
            Some(log) => Stdio::from(std::fs::File::create(log).expect("create the moto log")),
            None => Stdio::null(),
        };
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(stderr);
        if let Some(count) = no_auth_count {
            // The child's environment only: the test process is never changed.
            command.env("INITIAL_NO_AUTH_ACTION_COUNT", count);
        }
        let server = Server::new(
            command.spawn().expect("start moto_server"),
            format!("http://127.0.0.1:{port}"),
        );
        wait_ready(
            &format!("{}/moto-api/", server.url),
            Duration::from_secs(30),
        );
        Some(Moto { server })
    }

    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// Provider settings pointing at this server, with dummy credentials.
    pub fn settings(&self) -> AwsSettings {
        self.settings_in(REGION)
    }

    /// Provider settings pointing at this server as `region`, with dummy credentials.
    pub fn settings_in(&self, region: &str) -> AwsSettings {
        AwsSettings::new()
            .endpoint(self.url())
            .region(region)
            .credentials("test", "test")
            .timeout(Duration::from_secs(5))
    }

    /// Provider settings pointing at this server with the access key of an IAM user moto
    /// issued ([`Moto::iam`] `CreateAccessKey`).
    pub fn settings_as(&self, access_key_id: &str, secret_access_key: &str) -> AwsSettings {
        self.settings()
            .credentials(access_key_id, secret_access_key)
    }

    /// One IAM query API call (`Action=CreateRole&..`), with a signature moto routes but does
    /// not check: for the unauthenticated setup of a test. Returns the XML answer; panics
    /// unless it is a success.
    pub async fn iam(&self, action: &str, params: &[(&str, &str)]) -> String {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", action)
            .append_pair("Version", "2010-05-08")
            .extend_pairs(params)
            .finish();
        let answer = reqwest::Client::new()
            .post(self.url())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header(
                "Authorization",
                format!(
                    "AWS4-HMAC-SHA256 Credential=test/20250101/{REGION}/iam/aws4_request, \
                     SignedHeaders=host, Signature=0"
                ),
            )
            .body(body)
            .send()
            .await
            .expect("reach moto");
        let status = answer.status();
        let text = answer.text().await.expect("read moto's answer");
        assert!(status.is_success(), "IAM {action}: {status} {text}");
        text
    }

    /// The roles moto handed credentials for, in order: (role ARN, session name), from its
    /// `/moto-api/data.json` view of the STS backend.
    pub async fn assumed_roles(&self) -> Vec<(String, String)> {
        let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", self.url()))
            .await
            .expect("reach moto")
            .json()
            .await
            .expect("moto's data as JSON");
        let roles = data["sts"]["AssumedRole"].as_array().cloned();
        roles
            .unwrap_or_default()
            .iter()
            .map(|role| {
                let text = |name: &str| role[name].as_str().unwrap_or_default().to_owned();
                (text("role_arn"), text("session_name"))
            })
            .collect()
    }
}

/// The text of the first `<tag>` element of an XML answer.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(xml[start..end].to_owned())
}

/// How many API requests (`POST /`) a [`Moto::start_logged`] server has logged so far.
pub fn requests_served(log: &Path) -> usize {
    // The log line is written as the answer goes out: give it a moment to land.
    std::thread::sleep(Duration::from_millis(200));
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        // Error answers are logged in colour: match the request, not its quotes.
        .filter(|line| line.contains("POST / HTTP/1.1"))
        .count()
}

/// Creates (or adds a version to) the text secret `id`; returns the new version id.
pub async fn put_secret(sm: &SecretsManagerProvider, id: &str, text: &str) -> String {
    let created = sm
        .client()
        .create_secret()
        .name(id)
        .secret_string(text)
        .send()
        .await;
    match created {
        Ok(out) => out.version_id().unwrap().to_owned(),
        Err(_) => sm
            .client()
            .put_secret_value()
            .secret_id(id)
            .secret_string(text)
            .send()
            .await
            .unwrap()
            .version_id()
            .unwrap()
            .to_owned(),
    }
}

/// Creates the binary secret `id` holding `bytes`.
pub async fn put_binary_secret(sm: &SecretsManagerProvider, id: &str, bytes: Vec<u8>) {
    sm.client()
        .create_secret()
        .name(id)
        .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(bytes))
        .send()
        .await
        .unwrap();
}

/// Writes the parameter `name` (a SecureString when `secure`), overwriting it; returns its
/// new version.
pub async fn put_parameter(ssm: &SsmProvider, name: &str, value: &str, secure: bool) -> i64 {
    let kind = if secure {
        aws_sdk_ssm::types::ParameterType::SecureString
    } else {
        aws_sdk_ssm::types::ParameterType::String
    };
    ssm.client()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .overwrite(true)
        .send()
        .await
        .unwrap()
        .version()
}
