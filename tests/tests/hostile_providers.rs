//! The providers against hostile or broken servers: Vault redirects that would carry the
//! token elsewhere, answers with no end, lease and token durations that overflow, dynamic
//! leases that pile up, and a shutdown that gives up at the first failed revocation. Small
//! HTTP servers in this file play the hostile part on loopback ports; OpenBao, PostgreSQL
//! and etcd are the real ones.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use config_providers::cache::CachePolicy;
use config_providers::etcd::EtcdSource;
use config_providers::safeguards::Safeguards;
use config_providers::vault::VaultProvider;
use config_tests::etcd::{EtcdCluster, next_change};
use config_tests::fixtures::Database;
use config_tests::logs::Captured;
use config_tests::services::{BAO_ROOT_TOKEN, OpenBaoAdmin, psql, start_openbao, start_postgres};
use serde_json::json;

/// One request as a fake server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a fake server answers.
enum Reply {
    Json(u16, serde_json::Value),
    Redirect(u16, String),
    /// `prefix`, then filler bytes without end (up to 256 MiB), no length declared.
    Endless(&'static [u8], u8),
}

type Handler = Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// A tiny HTTP/1.1 server on a loopback port: records every request, answers by `handler`,
/// one request per connection.
struct FakeServer {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Body bytes written by endless answers.
    sent: Arc<AtomicUsize>,
}

impl FakeServer {
    fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sent = Arc::new(AtomicUsize::new(0));
        let handler: Handler = Arc::new(handler);
        let (log, count) = (Arc::clone(&seen), Arc::clone(&sent));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let (handler, log, count) =
                    (Arc::clone(&handler), Arc::clone(&log), Arc::clone(&count));
                std::thread::spawn(move || serve(stream, &handler, &log, &count));
            }
        });
        FakeServer { url, seen, sent }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Seen>>, sent: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default().to_owned(),
        parts.next().unwrap_or_default().to_owned(),
    );
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let seen = Seen {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    log.lock().unwrap().push(seen.clone());
    let mut stream = stream;
    let head = |status: u16, extra: &str| {
        format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nConnection: close\r\n{extra}\r\n"
        )
    };
    match handler(&seen) {
        Reply::Json(status, value) => {
            let text = value.to_string();
            let _ = stream.write_all(
                format!(
                    "{}{text}",
                    head(status, &format!("Content-Length: {}\r\n", text.len()))
                )
                .as_bytes(),
            );
        }
        Reply::Redirect(status, location) => {
            let _ = stream.write_all(
                head(
                    status,
                    &format!("Location: {location}\r\nContent-Length: 0\r\n"),
                )
                .as_bytes(),
            );
        }
        Reply::Endless(prefix, filler) => {
            let _ = stream.write_all(head(200, "").as_bytes());
            let _ = stream.write_all(prefix);
            let chunk = vec![filler; 64 << 10];
            while sent.load(Ordering::Relaxed) < 256 << 20 {
                if stream.write_all(&chunk).is_err() {
                    return;
                }
                sent.fetch_add(chunk.len(), Ordering::Relaxed);
            }
        }
    }
}

/// The answer of a fake Vault to a mount lookup: `secret/` is KV v2, anything else a
/// leased engine mounted at its first segment.
fn mount_of(path: &str) -> serde_json::Value {
    let rest = path.trim_start_matches("/v1/sys/internal/ui/mounts/");
    let mount = format!("{}/", rest.split('/').next().unwrap_or_default());
    if mount == "secret/" {
        json!({"data": {"path": "secret/", "type": "kv", "options": {"version": "2"}}})
    } else {
        json!({"data": {"path": mount, "type": "database", "options": null}})
    }
}

const KV_ANSWER: fn() -> serde_json::Value =
    || json!({"data": {"data": {"password": "pw"}, "metadata": {"version": 1}}});

/// Panics of any thread whose message speaks of an overflow (a background task's panic is
/// otherwise invisible to the test).
fn overflow_panics() -> &'static Mutex<Vec<String>> {
    static SEEN: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    SEEN.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = info.to_string();
            if text.contains("overflow")
                && let Some(seen) = SEEN.get()
            {
                seen.lock().unwrap_or_else(|p| p.into_inner()).push(text);
            }
            previous(info);
        }));
        Mutex::new(Vec::new())
    })
}

#[tokio::test]
async fn vault_follows_no_redirect_and_sends_no_credentials_elsewhere() {
    let elsewhere = FakeServer::start(|_| Reply::Json(200, KV_ANSWER()));
    let target = elsewhere.url.clone();
    for status in [301, 302, 307, 308] {
        let target = target.clone();
        let redirecting = FakeServer::start(move |seen| {
            Reply::Redirect(status, format!("{target}{}", seen.path))
        });
        let vault = VaultProvider::builder(&redirecting.url)
            .token("s.redirect-canary-token")
            .build()
            .unwrap();
        let err = vault.get("secret/app").await.unwrap_err();
        assert!(err.message.contains("redirect"), "{err}");
        assert!(err.message.contains(&format!("HTTP {status}")), "{err}");
        assert!(!err.message.contains("redirect-canary-token"), "{err}");

        let vault = VaultProvider::builder(&redirecting.url)
            .approle("role-1", "secret-id-canary")
            .build()
            .unwrap();
        let err = vault.get("secret/app").await.unwrap_err();
        assert!(err.message.contains("redirect"), "{err}");
        let login = redirecting.seen();
        assert!(
            login
                .iter()
                .any(|s| s.path == "/v1/auth/approle/login" && s.body.contains("secret-id-canary")),
            "the login went to the configured address: {login:?}"
        );
    }
    let leaked = elsewhere.seen();
    assert!(
        leaked.is_empty(),
        "a redirect carried requests to another origin: {:?}",
        leaked
            .iter()
            .map(|s| (&s.method, &s.path, s.header("x-vault-token"), &s.body))
            .collect::<Vec<_>>()
    );
}

#[test]
fn cleartext_vault_address_to_another_host_warns_once() {
    use tracing_subscriber::util::SubscriberInitExt;
    let captured = Captured::default();
    let writer = captured.clone();
    let _guard = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish()
        .set_default();
    // Building makes no request: these addresses are never contacted.
    for addr in [
        "http://vault.hostile-providers.invalid:8200",
        "http://vault.hostile-providers.invalid:8200",
        "http://127.0.0.1:8200",
        "http://localhost:8200",
        "http://[::1]:8200",
        "https://vault.hostile-providers.invalid:8200",
    ] {
        VaultProvider::builder(addr)
            .token("s.cleartext-canary")
            .build()
            .unwrap();
    }
    let text = captured.text();
    let warnings: Vec<&str> = text.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "{text}");
    assert!(
        warnings[0].contains("http://vault.hostile-providers.invalid:8200")
            && warnings[0].contains("unencrypted"),
        "{text}"
    );
    assert!(!text.contains("cleartext-canary"), "{text}");
}

#[tokio::test]
async fn an_endless_vault_answer_stops_at_the_cap() {
    let server = FakeServer::start(|_| Reply::Endless(br#"{"data":{"path":""#, b'a'));
    let vault = VaultProvider::builder(&server.url)
        .token("s.endless")
        .build()
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(60), vault.get("secret/app"))
        .await
        .expect("an answer within 60 s")
        .unwrap_err();
    assert!(err.message.contains("4 MiB"), "{err}");
    assert!(err.message.contains(&server.url), "{err}");
    assert!(!err.message.contains("aaaa"), "{err}");
    let sent = server.sent.load(Ordering::Relaxed);
    assert!(sent < 64 << 20, "read {sent} bytes past a 4 MiB cap");

    // A smaller cap, set on the builder.
    let vault = VaultProvider::builder(&server.url)
        .token("s.endless")
        .max_response_bytes(64 << 10)
        .build()
        .unwrap();
    let err = vault.get("secret/app").await.unwrap_err();
    assert!(err.message.contains("64 KiB"), "{err}");
}

#[tokio::test]
async fn an_endless_etcd_answer_stops_at_the_cap() {
    let server = FakeServer::start(|_| Reply::Endless(br#"{"kvs":[{"key":""#, b'A'));
    let etcd = EtcdSource::builder([server.url.clone()], "/app/")
        .max_response_bytes(1 << 20)
        .build()
        .unwrap();
    let err = tokio::time::timeout(Duration::from_secs(60), etcd.snapshot())
        .await
        .expect("an answer within 60 s")
        .unwrap_err();
    assert!(err.message.contains("1 MiB"), "{err}");
    assert!(err.message.contains(&server.url), "{err}");
    let sent = server.sent.load(Ordering::Relaxed);
    assert!(sent < 64 << 20, "read {sent} bytes past a 1 MiB cap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_watch_skips_a_message_over_the_cap_and_keeps_watching() {
    let Some(cluster) = EtcdCluster::start(1) else {
        return;
    };
    cluster.put("/big/seed", "1");
    let source = EtcdSource::builder(cluster.endpoints.clone(), "/big/")
        .max_response_bytes(64 << 10)
        .build()
        .unwrap();
    let start = source.snapshot().await.unwrap().revision;
    let mut changes = source.watch(start);
    // Once the watch is live, each revision comes in a message of its own.
    cluster.put("/big/marker", "1");
    assert_eq!(next_change(&mut changes).await.key, "marker");
    // Base64 in the watch message makes 100 KiB of value about 133 KiB of line.
    cluster.put("/big/huge", &"x".repeat(100 << 10));
    cluster.put("/big/small", "ok");
    let change = next_change(&mut changes).await;
    assert_eq!(
        (change.key.as_str(), change.value.as_deref()),
        ("small", Some("ok"))
    );
    // The range now holds more than the cap: a clear error, never the value.
    let err = source.snapshot().await.unwrap_err();
    assert!(err.message.contains("64 KiB"), "{err}");
    assert!(err.message.contains(&cluster.endpoints[0]), "{err}");
    assert!(!err.message.contains("xxxx"), "{err}");
}

#[tokio::test]
async fn out_of_range_cache_settings_are_refused() {
    for refresh_ahead in [1.5, -0.1, f64::NAN] {
        let safeguards = Safeguards::default().cache(CachePolicy {
            refresh_ahead,
            ..CachePolicy::default()
        });
        let err = VaultProvider::builder("http://127.0.0.1:1")
            .token("t")
            .safeguards(safeguards.clone())
            .build()
            .unwrap_err();
        assert!(err.message.contains("refresh_ahead"), "{err}");
        let err = EtcdSource::builder(["http://127.0.0.1:1"], "/")
            .safeguards(safeguards)
            .build()
            .unwrap_err();
        assert!(err.message.contains("refresh_ahead"), "{err}");
    }
    let safeguards = Safeguards::default().cache(CachePolicy {
        max_requests_per_second: Some(-1.0),
        ..CachePolicy::default()
    });
    let err = VaultProvider::builder("http://127.0.0.1:1")
        .token("t")
        .safeguards(safeguards)
        .build()
        .unwrap_err();
    assert!(err.message.contains("max_requests_per_second"), "{err}");
}

#[tokio::test]
async fn a_hostile_token_lease_duration_is_survived() {
    let server = FakeServer::start(|seen| match seen.path.as_str() {
        "/v1/auth/approle/login" => Reply::Json(
            200,
            json!({"auth": {"client_token": "s.fake", "lease_duration": u64::MAX, "renewable": true}}),
        ),
        p if p.starts_with("/v1/sys/internal/ui/mounts/") => Reply::Json(200, mount_of(p)),
        _ => Reply::Json(200, KV_ANSWER()),
    });
    let vault = VaultProvider::builder(&server.url)
        .approle("role", "secret")
        .build()
        .unwrap();
    let data = vault.get("secret/app").await.unwrap();
    assert_eq!(data.select(Some("password")).unwrap(), "pw");
    assert_eq!(vault.auth_counts(), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_lease_duration_does_not_kill_the_renewal_task() {
    let panics = overflow_panics();
    let server = FakeServer::start(|seen| match seen.path.as_str() {
        p if p.starts_with("/v1/sys/internal/ui/mounts/") => Reply::Json(200, mount_of(p)),
        "/v1/sys/leases/renew" => Reply::Json(
            200,
            json!({"lease_id": "hostile/creds/app/L1", "lease_duration": u64::MAX, "renewable": true}),
        ),
        "/v1/sys/leases/revoke" => Reply::Json(204, json!(null)),
        _ => Reply::Json(
            200,
            json!({"lease_id": "hostile/creds/app/L1", "lease_duration": 1, "renewable": true,
                   "data": {"username": "u", "password": "p"}}),
        ),
    });
    let vault = VaultProvider::builder(&server.url)
        .token("s.fake")
        .build()
        .unwrap();
    vault.get("hostile/creds/app").await.unwrap();
    // Renewed at two thirds of the 1 s lease; then the task plans its next renewal.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while vault.leases().first().is_none_or(|l| l.renewals == 0) {
        assert!(tokio::time::Instant::now() < deadline, "no renewal");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lease = &vault.leases()[0];
    assert_eq!(lease.renewals, 1);
    assert!(
        lease.duration <= Duration::from_secs(10 * 366 * 24 * 3600),
        "{lease:?}"
    );
    let overflowed: Vec<String> = panics.lock().unwrap().clone();
    assert!(overflowed.is_empty(), "{overflowed:?}");
    assert_eq!(vault.shutdown().await.unwrap(), 1);
}

#[tokio::test]
async fn shutdown_tries_every_lease_and_reports_each_failure() {
    let server = FakeServer::start(|seen| match seen.path.as_str() {
        p if p.starts_with("/v1/sys/internal/ui/mounts/") => Reply::Json(200, mount_of(p)),
        "/v1/sys/leases/revoke" => Reply::Json(403, json!({"errors": ["permission denied"]})),
        p => Reply::Json(
            200,
            json!({"lease_id": format!("{}/L", p.trim_start_matches("/v1/")), "lease_duration": 3600,
                   "renewable": true, "data": {"username": "u", "password": "p"}}),
        ),
    });
    let vault = VaultProvider::builder(&server.url)
        .token("s.fake")
        .build()
        .unwrap();
    for path in ["db/creds/a", "db/creds/b", "db/creds/c"] {
        vault.get(path).await.unwrap();
    }
    assert_eq!(vault.leases().len(), 3);
    let err = vault.shutdown().await.unwrap_err();
    for lease in ["db/creds/a/L", "db/creds/b/L", "db/creds/c/L"] {
        assert!(err.message.contains(lease), "{err}");
    }
    assert!(err.message.contains("revoked 0 of 3"), "{err}");
    let revokes = server
        .seen()
        .iter()
        .filter(|s| s.path == "/v1/sys/leases/revoke")
        .count();
    assert_eq!(revokes, 3, "every lease is tried");
    assert!(vault.leases().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_superseded_after_a_refused_renewal_is_revoked() {
    let minted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&minted);
    let server = FakeServer::start(move |seen| match seen.path.as_str() {
        p if p.starts_with("/v1/sys/internal/ui/mounts/") => Reply::Json(200, mount_of(p)),
        // A refusal that is not a retried outage: the lease may still be valid server-side.
        "/v1/sys/leases/renew" => Reply::Json(400, json!({"errors": ["lease is not renewable"]})),
        "/v1/sys/leases/revoke" => Reply::Json(204, json!(null)),
        _ => {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            Reply::Json(
                200,
                json!({"lease_id": format!("db/creds/app/L{n}"), "lease_duration": 1,
                       "renewable": true, "data": {"username": format!("u{n}"), "password": "p"}}),
            )
        }
    });
    let vault = VaultProvider::builder(&server.url)
        .token("s.fake")
        .build()
        .unwrap();
    vault.get("db/creds/app").await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while minted.load(Ordering::SeqCst) < 2 || vault.leases().len() != 1 {
        assert!(tokio::time::Instant::now() < deadline, "no new lease");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let revoked: Vec<String> = server
            .seen()
            .into_iter()
            .filter(|s| s.path == "/v1/sys/leases/revoke")
            .map(|s| s.body)
            .collect();
        if revoked.iter().any(|b| b.contains("db/creds/app/L1")) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the superseded lease was not revoked: {revoked:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let held = vault.leases();
    assert_ne!(held[0].lease_id, "db/creds/app/L1", "{held:?}");
    vault.shutdown().await.unwrap();
}

/// The leases OpenBao holds under `prefix` (`database/creds/app/`).
async fn server_leases(url: &str, prefix: &str) -> Vec<String> {
    let response = reqwest::Client::new()
        .get(format!("{url}/v1/sys/leases/lookup/{prefix}?list=true"))
        .header("X-Vault-Token", BAO_ROOT_TOKEN)
        .send()
        .await
        .unwrap();
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Vec::new();
    }
    let body: serde_json::Value = response.json().await.unwrap();
    body["data"]["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_refreshes_reuse_the_lease_instead_of_minting_more() {
    let Some(pg) = start_postgres() else { return };
    let Some(bao) = start_openbao() else { return };
    let admin = OpenBaoAdmin::new(&bao);
    admin.mount_postgres_role(pg.port, "1h", "2h").await;

    // A one-second cache: every load below past it goes back to the provider.
    let safeguards = Safeguards::default().cache(CachePolicy {
        ttl: Duration::from_secs(1),
        ..CachePolicy::default()
    });
    let vault = VaultProvider::builder(&bao.url)
        .token(BAO_ROOT_TOKEN)
        .safeguards(safeguards)
        .build()
        .unwrap();
    let first = Database::from_vault(&vault).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let again = Database::from_vault(&vault).await;
        assert_eq!(
            again.user.expose_secret(),
            first.user.expose_secret(),
            "the same credentials while their lease lives"
        );
    }
    assert_eq!(vault.leases().len(), 1, "{:?}", vault.leases());
    assert_eq!(
        server_leases(&bao.url, "database/creds/app/").await.len(),
        1,
        "one lease on the server"
    );
    let (user, password) = (first.user.expose_secret(), first.password.expose_secret());
    assert_eq!(psql(pg.port, user, password, "select 1").unwrap(), "1");

    assert_eq!(vault.shutdown().await.unwrap(), 1);
    assert!(
        server_leases(&bao.url, "database/creds/app/")
            .await
            .is_empty()
    );
    assert!(psql(pg.port, user, password, "select 1").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_watch_delivers_every_key_of_one_transaction() {
    let Some(cluster) = EtcdCluster::start(1) else {
        return;
    };
    cluster.put("/txn/seed", "1");
    let source = EtcdSource::builder(cluster.endpoints.clone(), "/txn/")
        .build()
        .unwrap();
    let start = source.snapshot().await.unwrap().revision;
    let mut changes = source.watch(start);
    // Two keys in one revision: no compare, two puts, an empty else branch.
    let mut txn = std::process::Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .args(["--endpoints", &cluster.endpoints[0], "txn"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run etcdctl txn");
    txn.stdin
        .take()
        .unwrap()
        .write_all(b"\nput /txn/a 1\nput /txn/b 2\n\n\n")
        .unwrap();
    assert!(txn.wait().unwrap().success());
    let first = next_change(&mut changes).await;
    let second = next_change(&mut changes).await;
    assert_eq!(first.revision, second.revision);
    let mut keys = [first.key, second.key];
    keys.sort();
    assert_eq!(keys, ["a".to_owned(), "b".to_owned()]);
}
