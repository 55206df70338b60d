//! A config of real services' shape for the `load` bench: a map of ten sections
//! (`[services.<name>]`) and an array of ten sections (`[[backends]]`), and the TOML text that
//! this framework, figment and config-rs read. The types derive both `Config` and serde's
//! `Deserialize`, so every library fills the very same shapes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use config_runtime::Config;
use serde::Deserialize;

/// The whole config.
#[derive(Config, Deserialize, Debug)]
#[config(prefix = "SECTIONS")]
pub struct Sections {
    /// Services by name.
    #[config(nested)]
    pub services: BTreeMap<String, Service>,
    /// Backends, in order.
    #[config(nested)]
    pub backends: Vec<Backend>,
}

/// One entry of `services`.
#[derive(Config, Deserialize, Debug)]
pub struct Service {
    /// Host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Request timeout in milliseconds.
    pub timeout_ms: u64,
    /// Serving traffic.
    pub enabled: bool,
    /// Share of the traffic.
    pub weight: f64,
    /// Labels.
    pub tags: Vec<String>,
}

/// One element of `backends`.
#[derive(Config, Deserialize, Debug)]
pub struct Backend {
    /// Name.
    pub name: String,
    /// Address.
    pub url: String,
    /// Connection pool size.
    pub max_connections: u32,
    /// Passing health checks.
    pub healthy: bool,
}

/// Ten `[services.service_NN]` tables and ten `[[backends]]`: 60 keys in the map, 40 in the
/// array.
pub fn sections_toml() -> String {
    let mut text = String::new();
    for i in 0..10 {
        let _ = write!(
            text,
            "[services.service_{i:02}]\nhost = \"service-{i:02}.internal\"\nport = {}\n\
             timeout_ms = {}\nenabled = {}\nweight = 0.{i}5\ntags = [\"zone-{}\", \"tier-{}\"]\n\n",
            8000 + i,
            250 + 10 * i,
            i % 3 != 0,
            i % 3,
            i % 2,
        );
    }
    for i in 0..10 {
        let _ = write!(
            text,
            "[[backends]]\nname = \"backend-{i:02}\"\nurl = \"http://backend-{i:02}.internal:9000\"\n\
             max_connections = {}\nhealthy = {}\n\n",
            16 + i,
            i != 4,
        );
    }
    text
}
