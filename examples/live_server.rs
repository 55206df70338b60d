//! An HTTP server whose handlers read a [`Live`] configuration, with the admin routes of
//! `config_runtime::http` nested under `/admin`: edit the TOML file while it runs and the
//! answers change; override a key with curl and every change is audited.
//!
//! ```sh
//! cargo run -p config-examples --features live-server --example live_server   # examples/live_server.toml
//! curl http://127.0.0.1:3000/                       # "hello from live_server (config version 1)"
//! sed -i 's/"hello"/"bonjour"/' examples/live_server.toml
//! curl http://127.0.0.1:3000/                       # "bonjour from live_server (config version 2)"
//! curl http://127.0.0.1:3000/admin/config           # where each value came from; secrets [REDACTED]
//! curl -X PUT -H 'Authorization: Bearer demo-admin-token-0123456789' -H 'X-Actor: alice' \
//!      -H 'Content-Type: application/json' -d '{"value": "salut"}' \
//!      http://127.0.0.1:3000/admin/config/overrides/greeting
//! curl http://127.0.0.1:3000/                       # "salut from live_server (config version 3)"
//! curl -H 'Authorization: Bearer demo-admin-token-0123456789' http://127.0.0.1:3000/admin/config/audit
//! curl http://127.0.0.1:3000/admin/config/health    # version, reloads applied and rejected, overrides
//! ```
//!
//! The same program is its own configuration command line: `live_server config <command>`
//! runs `check`, `explain`, `example`, `schema` and `diff` over [`Settings`]
//! (`config_runtime::cli`), e.g. drift between the file and the running server:
//!
//! ```sh
//! cargo run -p config-examples --features live-server --example live_server -- config check --file examples/live_server.toml
//! CONFIG_ADMIN_TOKEN=demo-admin-token-0123456789 \
//!   cargo run -p config-examples --features live-server --example live_server -- \
//!   config diff examples/live_server.toml http://127.0.0.1:3000/admin/config/fingerprints
//! ```
//!
//! Otherwise the first argument is the TOML file to serve (default `examples/live_server.toml`);
//! `LIVE_PORT=4000` (any `LIVE_<KEY>`) wins over the file. `port` and `admin_token` are
//! `restart` fields: a changed port or token is listed as needing a restart and the server
//! keeps what it started with; overriding them is refused (409).

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use axum::extract::State;
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
    /// Bearer token of the admin routes that change or compare (`/admin/config/overrides/..`).
    #[config(example = "a-long-random-token", validate(min_len = 16), restart)]
    pub admin_token: Secret<String>,
}

/// The sources: the TOML file, then the environment (`LIVE_GREETING=…` wins over the file).
fn loader(path: &Path) -> Loader<Settings> {
    Settings::loader().file(path).env()
}

/// The routes: `/`, and the admin routes under `/admin`.
fn router(live: Live<Settings>) -> axum::Router {
    let token = live.get().admin_token.clone();
    axum::Router::new()
        .route("/", get(greet))
        .with_state(live.clone())
        .nest("/admin", config_runtime::http::router(live, token))
}

async fn greet(State(live): State<Live<Settings>>) -> String {
    // A guard: no reference counting on the hot path.
    let settings = live.load();
    format!(
        "{} from live_server (config version {})\n",
        settings.greeting,
        live.version()
    )
}

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let program = args.next().unwrap_or_else(|| OsString::from("live_server"));
    let first = args.next();
    if first.as_deref() == Some("config".as_ref()) {
        // `live_server config diff ..`: the configuration command line of `Settings`.
        let name = Path::new(&program)
            .file_name()
            .map_or_else(|| "live_server".into(), |n| n.to_string_lossy());
        let program = OsString::from(format!("{name} config"));
        return config_runtime::cli::Cli::<Settings>::new()
            .main_from(std::iter::once(program).chain(args));
    }
    let path = first
        .map(PathBuf::from)
        // `/../examples`: also right when the tests package builds this file as its binary.
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../examples/live_server.toml"
            ))
        });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(serve(&path))
}

/// Serves `/` and the admin routes over the configuration of `path` until the process ends.
async fn serve(path: &Path) -> ExitCode {
    let live = match loader(path).watch().await {
        Ok(live) => live,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let port = live.get().port;
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on 127.0.0.1:{port}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "listening on http://127.0.0.1:{port} — edit {} and curl again",
        path.display()
    );
    let _ = std::io::stdout().flush();
    let mut events = live.subscribe();
    tokio::spawn(async move {
        while let Ok(event) = events.recv().await {
            println!("{event}");
        }
    });
    if let Err(error) = axum::serve(listener, router(live)).await {
        eprintln!("server error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const KEY: &str = "live-server-canary-key-0123";
    const TOKEN: &str = "live-server-admin-token-0123";

    fn write(path: &PathBuf, greeting: &str, level: &str) {
        let text = format!(
            "greeting = \"{greeting}\"\nlog_level = \"{level}\"\nport = 3000\napi_key = \"{KEY}\"\n\
             admin_token = \"{TOKEN}\"\n"
        );
        let temp = path.with_extension("tmp");
        std::fs::write(&temp, text).unwrap();
        std::fs::rename(&temp, path).unwrap(); // as editors save
    }

    async fn get_text(base: &str, route: &str) -> String {
        let text = reqwest::get(format!("{base}{route}"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains(KEY) && !text.contains(TOKEN), "{text}");
        text
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
    async fn edits_and_overrides_change_answers_and_invalid_edits_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        write(&path, "hello", "info");
        let live = Settings::loader().file(&path).watch().await.unwrap();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(axum::serve(listener, router(live)).into_future());

        assert_eq!(
            get_text(&base, "/").await,
            "hello from live_server (config version 1)\n"
        );
        let report = get_text(&base, "/admin/config").await;
        assert!(report.contains("\"[REDACTED]\""), "{report}");

        write(&path, "bonjour", "info");
        until(&base, "/", "bonjour from live_server (config version 2)").await;

        let answer = reqwest::Client::new()
            .put(format!("{base}/admin/config/overrides/greeting"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({ "value": "salut" }))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        until(&base, "/", "salut from live_server (config version 3)").await;

        write(&path, "hola", "loud");
        let health = until(&base, "/admin/config/health", "\"rejected\":1").await;
        assert!(health.contains("log_level"), "{health}");
        assert!(
            get_text(&base, "/").await.starts_with("salut"),
            "the invalid change was not applied; the override stays"
        );
    }
}
