//! A real Unleash server (npm `unleash-server` 8, installed by `.ci/run` under
//! `target/unleash-server`) on PostgreSQL, both on free loopback ports, stopped by pid when
//! dropped; and the admin API calls the flag tests make.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::services::{
    PG_SUPERUSER_PASSWORD, Postgres, Server, free_port_pair, psql, server_missing, start_postgres,
    wait_ready,
};

/// The token the flag client sends. The server runs with API tokens off (a token given in
/// `initApiTokens` or created through the admin API was still refused with 401 under
/// `authentication.type = 'none'`), so it serves the `development` environment to any client.
pub const CLIENT_TOKEN: &str = "*:development.flag-tests";

/// The started server and the database under it (dropped after it).
pub struct Unleash {
    pub server: Server,
    /// Its API root, e.g. `http://127.0.0.1:40123/api`.
    pub api: String,
    modules: PathBuf,
    port: u16,
    postgres: Postgres,
}

/// Whether the client API checks tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiTokens {
    /// Any token is served the `development` environment.
    Off,
    /// Only tokens the server issued are accepted.
    Checked,
}

impl Unleash {
    /// Starts PostgreSQL, creates the `unleash` database, then starts Unleash with open
    /// authentication and waits for `/health` (migrations take ~10 s on a first start).
    pub fn start() -> Option<Unleash> {
        let modules = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/unleash-server");
        if !modules
            .join("node_modules/unleash-server/package.json")
            .is_file()
        {
            return server_missing(
                "the Unleash server",
                "npm install unleash-server@8 in target/unleash-server",
            );
        }
        let postgres = start_postgres()?;
        // The port opens before PostgreSQL accepts sessions ("the database system is
        // starting up"): ask again for a while.
        let started = std::time::Instant::now();
        while let Err(e) = psql(
            postgres.port,
            "postgres",
            PG_SUPERUSER_PASSWORD,
            "CREATE DATABASE unleash",
        ) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "create the unleash database: {e}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let port = free_port_pair();
        let url = format!("http://127.0.0.1:{port}");
        let server = spawn(&modules, postgres.port, port, ApiTokens::Off);
        wait_ready(&format!("{url}/health"), Duration::from_secs(120));
        Some(Unleash {
            server,
            api: format!("{url}/api"),
            modules,
            port,
            postgres,
        })
    }

    /// Stops the server and starts it again on the same port and database, with API tokens
    /// `tokens`: with [`ApiTokens::Checked`], the client API refuses [`CLIENT_TOKEN`] (and
    /// any token it never issued) with `401`.
    pub fn restart(&mut self, tokens: ApiTokens) {
        self.server.stop();
        self.server = spawn(&self.modules, self.postgres.port, self.port, tokens);
        wait_ready(
            &format!("http://127.0.0.1:{}/health", self.port),
            Duration::from_secs(120),
        );
    }

    /// `POST /api/admin/<path>` with a JSON body (empty when `Value::Null`); panics unless
    /// the server answers 2xx. Returns the JSON answer (`Null` when there is none).
    pub async fn admin(&self, path: &str, body: Value) -> Value {
        let client = reqwest::Client::new();
        let mut request = client.post(format!("{}/admin/{path}", self.api));
        if !body.is_null() {
            request = request.json(&body);
        }
        let response = request.send().await.expect("reach the admin API");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "POST admin/{path}: {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// `GET /api/admin/<path>`; panics unless the server answers 2xx with JSON.
    pub async fn admin_get(&self, path: &str) -> Value {
        let response = reqwest::get(format!("{}/admin/{path}", self.api))
            .await
            .expect("reach the admin API");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "GET admin/{path}: {status}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET admin/{path}: {e}: {text}"))
    }
}

/// Starts Unleash on `port` over the database on `pg`, with open authentication.
fn spawn(modules: &std::path::Path, pg: u16, port: u16, tokens: ApiTokens) -> Server {
    let script = format!(
        "require('unleash-server').start({{\
           db: {{host: '127.0.0.1', port: {pg}, user: 'postgres', password: '{password}', \
                 database: 'unleash', ssl: false}}, \
           server: {{port: {port}, host: '127.0.0.1'}}, \
           authentication: {{type: 'none', createAdminUser: false, enableApiToken: {checked}}}, \
           getLogger: () => ({{debug(){{}}, info(){{}}, warn(){{}}, error: console.error, fatal: console.error}})}})",
        password = PG_SUPERUSER_PASSWORD,
        checked = tokens == ApiTokens::Checked,
    );
    let child = Command::new("node")
        .args(["-e", &script])
        .current_dir(modules)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start node");
    Server::new(child, format!("http://127.0.0.1:{port}"))
}
