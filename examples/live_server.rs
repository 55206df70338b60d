//! An HTTP server whose handlers read a [`Live`] configuration: edit the TOML file while it
//! runs and the answers change, without a restart.
//!
//! ```sh
//! cargo run -p config-examples --features live-server --example live_server   # examples/live_server.toml
//! curl http://127.0.0.1:3000/              # "hello from live_server (config version 1)"
//! sed -i 's/"hello"/"bonjour"/' examples/live_server.toml
//! curl http://127.0.0.1:3000/              # "bonjour from live_server (config version 2)"
//! curl http://127.0.0.1:3000/config        # where each value came from; the API key [REDACTED]
//! sed -i 's/"info"/"loud"/' examples/live_server.toml   # not one of error/warn/info/debug
//! curl http://127.0.0.1:3000/health        # rejected: 1, last_error names log_level
//! curl http://127.0.0.1:3000/              # still "bonjour …": the invalid change was not applied
//! ```
//!
//! `port` is a `restart` field: a changed port is listed as needing a restart and the server
//! keeps listening where it started. The explain table of `/config` is computed per request
//! from the same sources (`Live` keeps only the typed snapshot), so while the file holds an
//! invalid change, `/config` shows that error and the version still served.

use std::path::PathBuf;
use std::time::UNIX_EPOCH;

use axum::extract::State;
use axum::response::Json;
use axum::routing::get;
use config_runtime::live::Live;
use config_runtime::{Config, Loader, Secret};

/// Settings of the demo service.
#[derive(Config, Debug)]
#[config(prefix = "LIVE")]
pub struct Settings {
    /// What `/` answers with.
    #[config(default = "hello")]
    pub greeting: String,
    /// Log level.
    #[config(default = "info", validate(one_of("error", "warn", "info", "debug")))]
    pub log_level: String,
    /// Port of the HTTP server; read once at start.
    #[config(default = 3000, restart)]
    pub port: u16,
    /// Key for an upstream API (never shown).
    #[config(example = "key-...", validate(min_len = 16))]
    pub api_key: Secret<String>,
}

/// The sources: the TOML file, then the environment (`LIVE_GREETING=…` wins over the file).
fn loader(path: &PathBuf) -> Loader<Settings> {
    Settings::loader().file(path).env()
}

#[derive(Clone)]
struct App {
    live: Live<Settings>,
    path: PathBuf,
}

/// The routes: `/`, `/config`, `/health`.
fn router(live: Live<Settings>, path: PathBuf) -> axum::Router {
    axum::Router::new()
        .route("/", get(greet))
        .route("/config", get(explain))
        .route("/health", get(health))
        .with_state(App { live, path })
}

async fn greet(State(app): State<App>) -> String {
    // A guard: no reference counting on the hot path.
    let settings = app.live.load();
    format!(
        "{} from live_server (config version {})\n",
        settings.greeting,
        app.live.version()
    )
}

async fn explain(State(app): State<App>) -> String {
    match loader(&app.path).explain() {
        Ok(report) => report.to_string(),
        Err(error) => format!(
            "the sources hold an invalid change; still serving config version {}:\n{error}",
            app.live.version()
        ),
    }
}

async fn health(State(app): State<App>) -> Json<serde_json::Value> {
    let metrics = app.live.metrics();
    let seconds = |time: Option<std::time::SystemTime>| {
        time.and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
    };
    Json(serde_json::json!({
        "version": app.live.version(),
        "applied": metrics.applied,
        "rejected": metrics.rejected,
        "restart_blocked": metrics.restart_blocked,
        "last_error": metrics.last_error,
        "last_error_at": seconds(metrics.last_error_at),
        "last_success": seconds(metrics.last_success),
    }))
}

#[tokio::main]
async fn main() {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/live_server.toml")));
    let live = match loader(&path).watch().await {
        Ok(live) => live,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let port = live.get().port;
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}");
            std::process::exit(1);
        }
    };
    println!(
        "listening on http://127.0.0.1:{port} — edit {} and curl again",
        path.display()
    );
    let mut events = live.subscribe();
    tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            println!("{event}");
        }
    });
    if let Err(error) = axum::serve(listener, router(live, path)).await {
        eprintln!("server error: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const KEY: &str = "live-server-canary-key-0123";

    fn write(path: &PathBuf, greeting: &str, level: &str) {
        let text = format!(
            "greeting = \"{greeting}\"\nlog_level = \"{level}\"\nport = 3000\napi_key = \"{KEY}\"\n"
        );
        let temp = path.with_extension("tmp");
        std::fs::write(&temp, text).unwrap();
        std::fs::rename(&temp, path).unwrap(); // as editors save
    }

    async fn get_text(base: &str, route: &str) -> String {
        reqwest::get(format!("{base}{route}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Polls `route` until its answer contains `wanted` (10 s at most: no timing assertion).
    async fn until(base: &str, route: &str, wanted: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = get_text(base, route).await;
            if text.contains(wanted) {
                return text;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{route} never showed {wanted:?}; last: {text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn edits_change_answers_and_invalid_edits_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        write(&path, "hello", "info");
        let live = Settings::loader().file(&path).watch().await.unwrap();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(axum::serve(listener, router(live, path.clone())).into_future());

        assert_eq!(
            get_text(&base, "/").await,
            "hello from live_server (config version 1)\n"
        );
        let table = get_text(&base, "/config").await;
        assert!(
            table.contains("api_key") && table.contains("[REDACTED]") && !table.contains(KEY),
            "{table}"
        );

        write(&path, "bonjour", "info");
        until(&base, "/", "bonjour from live_server (config version 2)").await;

        write(&path, "hola", "loud");
        let health = until(&base, "/health", "\"rejected\":1").await;
        assert!(health.contains("log_level"), "{health}");
        assert!(
            get_text(&base, "/").await.starts_with("bonjour"),
            "the invalid change was not applied"
        );
        let config = get_text(&base, "/config").await;
        assert!(
            config.contains("still serving config version 2") && !config.contains(KEY),
            "{config}"
        );
    }
}
