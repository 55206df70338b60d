//! drongo's server (a third-party fake of Google Cloud APIs, PyPI `drongo`) for the `gcp`
//! provider tests: one per test on a free loopback port, killed by pid on drop, seeded
//! through Secret Manager's REST API as Google documents it.

use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::services::{Server, free_port_pair, require_tool, wait_ready};

/// The project the tests use.
pub const PROJECT: &str = "p1";

/// A running drongo server.
pub struct Drongo {
    server: Server,
    http: reqwest::Client,
}

impl Drongo {
    /// drongo on a free port. When it is not installed the test fails; `None` only under
    /// the [`SKIP_SERVERS_VAR`](crate::services::SKIP_SERVERS_VAR) opt-out.
    pub fn start() -> Option<Drongo> {
        let drongo = require_tool("drongo")?;
        let port = free_port_pair();
        let child = Command::new(drongo)
            .args(["server", "--host", "127.0.0.1", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start drongo");
        let server = Server::new(child, format!("http://127.0.0.1:{port}"));
        wait_ready(
            &format!("{}/drongo/health", server.url),
            Duration::from_secs(30),
        );
        Some(Drongo {
            server,
            http: reqwest::Client::new(),
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// Stops the server now (for outage tests).
    pub fn stop(&mut self) {
        self.server.stop();
    }

    /// Adds a version holding `payload` to secret `name` of [`PROJECT`], creating the secret
    /// first if needed; returns the new version number.
    pub async fn add_version(&self, name: &str, payload: &[u8]) -> u64 {
        let secrets = format!("{}/v1/projects/{PROJECT}/secrets", self.url());
        // Creating a secret that exists answers 409, which is fine here.
        self.http
            .post(format!("{secrets}?secretId={name}"))
            .json(&json!({"replication": {"automatic": {}}}))
            .send()
            .await
            .unwrap();
        let answer: serde_json::Value = self
            .http
            .post(format!("{secrets}/{name}:addVersion"))
            .json(&json!({"payload": {"data": STANDARD.encode(payload)}}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        let name = answer["name"].as_str().unwrap();
        name.rsplit('/').next().unwrap().parse().unwrap()
    }

    /// Disables version `version` of secret `name`.
    pub async fn disable(&self, name: &str, version: u64) {
        self.http
            .post(format!(
                "{}/v1/projects/{PROJECT}/secrets/{name}/versions/{version}:disable",
                self.url()
            ))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }
}
