//! The contract's "shapes of real services' configs" compile as written there.
use config_runtime::Config;
use std::collections::{BTreeMap, HashMap};

#[derive(Config)]
#[config(prefix = "QDRANT", env_separator = "__")]
pub struct Settings {
    #[config(nested)]
    pub service: ServiceConfig,
    /// Optional section.
    #[config(nested)]
    pub tls: Option<TlsConfig>,
    /// Map of sections.
    #[config(nested)]
    pub sinks: BTreeMap<String, Sink>,
    /// Array of sections.
    #[config(nested)]
    pub data_dirs: Vec<DataDir>,
    /// Map of values.
    #[config(default = "")]
    pub labels: HashMap<String, String>,
    /// An `Option` with a default.
    #[config(default = 3600)]
    pub cert_ttl: Option<u64>,
    /// Renamed, with the old key kept.
    #[config(rename = "indexing_threshold", file_alias = "indexing_threshold_kb", default = 20000)]
    pub indexing_threshold_kb: usize,
    /// Another struct's fields at this level.
    #[config(flatten)]
    pub common: CommonOpts,
}

#[derive(Config)]
#[config(unknown = "warn")]
pub struct ServiceConfig {
    #[config(default = 6333)]
    pub http_port: u16,
}

#[derive(Config)]
pub struct TlsConfig {
    pub cert: String,
}

#[derive(Config)]
#[config(tag = "type", rename_all = "snake_case")]
pub enum Sink {
    Console(ConsoleSink),
    Http(HttpSink),
    Blackhole,
}

#[derive(Config)]
pub struct ConsoleSink {
    #[config(default = "stdout")]
    pub target: String,
}

#[derive(Config)]
pub struct HttpSink {
    pub uri: url::Url,
}

#[derive(Config)]
#[config(rename_all = "kebab-case")]
pub struct DataDir {
    pub path: std::path::PathBuf,
}

#[derive(Config)]
#[config(prefix = "ATUIN", env_separator = "__", prefix_separator = "_")]
pub struct CommonOpts {
    #[config(default = "info")]
    pub log_level: String,
}

fn main() {
    let _ = Settings::schema();
}
