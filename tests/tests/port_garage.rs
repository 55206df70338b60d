//! A port of Garage's configuration: the object store's "Full example" `garage.toml` (the TOML
//! block of `doc/book/reference-manual/configuration.md` in deuxfleurs-org/garage at commit
//! `3f4ab3a4a38e382fc54c15580862af55b0257848`, copied unchanged to `tests/data/ports/garage/`)
//! loads into structs written after `src/util/config.rs` at that commit, and the variables the
//! page documents (`GARAGE_RPC_SECRET`, `GARAGE_ADMIN_TOKEN`, `GARAGE_METRICS_TOKEN`, each
//! with its `_FILE` form, `GARAGE_ALLOW_WORLD_READABLE_SECRETS`) override it.
//!
//! The shapes it needs: byte sizes (`block_size = "1M"`, `lmdb_map_size = "1T"`), a map of
//! values (`meta = { dns-acl = "allow trusted" }`), optional sections (`[consul_discovery]`,
//! `[kubernetes_discovery]`, `[s3_web]`), variables named apart from the key path
//! (`GARAGE_ADMIN_TOKEN` for `admin.admin_token`), and variables Garage reads itself
//! (`GARAGE_LOG_TO_SYSLOG`) that must not count as unknown.
//!
//! Garage's `rpc_secret_file`, `admin_token_file` and `metrics_token_file` keys are not
//! fields here: `${file:/path}` in a value does their work, and the contract's `NAME_FILE`
//! variables (`GARAGE_RPC_SECRET_FILE`) would.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use config_runtime::{ByteSize, Config, ConfigValue, Origin, Secret, ValueError};
use config_tests::Scratch;
use config_tests::ports::{assert_hidden, data, error_at};
use serde::Deserialize;

/// Garage's `Config`.
#[derive(Config, Debug)]
#[config(prefix = "GARAGE")]
struct GarageConfig {
    /// Copies of each piece of data.
    #[config(validate(range(min = 1)))]
    replication_factor: Option<usize>,
    /// `consistent`, `degraded` or `dangerous`.
    #[config(
        default = "consistent",
        validate(one_of("consistent", "degraded", "dangerous"))
    )]
    consistency_mode: String,
    /// The metadata database.
    metadata_dir: PathBuf,
    /// The data blocks.
    data_dir: PathBuf,
    /// Where metadata snapshots go.
    metadata_snapshots_dir: Option<PathBuf>,
    /// `fsync` the metadata database.
    #[config(default = false)]
    metadata_fsync: bool,
    /// `fsync` data blocks.
    #[config(default = false)]
    data_fsync: bool,
    /// No background scrub.
    #[config(default = false)]
    disable_scrub: bool,
    /// Local time in logs.
    #[config(default = false)]
    use_local_tz: bool,
    /// Time between automatic metadata snapshots.
    metadata_auto_snapshot_interval: Option<Duration>,
    /// `lmdb` or `sqlite`.
    #[config(default = "lmdb", validate(one_of("lmdb", "sqlite")))]
    db_engine: String,
    /// Size of a data block.
    #[config(default = "1MiB")]
    block_size: ByteSize,
    /// Data blocks kept in RAM while they are sent.
    #[config(default = "256MiB")]
    block_ram_buffer_max: ByteSize,
    /// Map size of the LMDB database.
    lmdb_map_size: Option<ByteSize>,
    /// zstd level, or `none`.
    #[config(default = "1")]
    compression_level: Compression,
    /// Secret of the cluster's RPC: 32 bytes in hex.
    #[config(validate(pattern = "^[0-9a-f]{64}$"))]
    rpc_secret: Option<Secret<String>>,
    /// Address RPC listens on.
    rpc_bind_addr: SocketAddr,
    /// Outgoing RPC binds to `rpc_bind_addr`.
    #[config(default = false)]
    rpc_bind_outgoing: bool,
    /// Address other nodes reach this one at.
    rpc_public_addr: Option<String>,
    /// Secret files may be readable by others.
    #[config(default = false)]
    allow_world_readable_secrets: bool,
    /// `<node id>@<address>` of nodes to connect to at start.
    #[config(default = "")]
    bootstrap_peers: Vec<String>,
    /// Accept punycode bucket names.
    #[config(default = false)]
    allow_punycode: bool,
    /// Finding nodes through Consul.
    #[config(nested)]
    consul_discovery: Option<ConsulDiscovery>,
    /// Finding nodes through Kubernetes.
    #[config(nested)]
    kubernetes_discovery: Option<KubernetesDiscovery>,
    /// The S3 API.
    #[config(nested)]
    s3_api: S3Api,
    /// Static websites.
    #[config(nested)]
    s3_web: Option<S3Web>,
    /// The admin API.
    #[config(nested)]
    admin: Admin,
}

#[derive(Config, Debug)]
struct ConsulDiscovery {
    /// `catalog` or `agent`.
    #[config(default = "catalog")]
    api: ConsulApi,
    /// Consul's HTTP API.
    #[config(validate(url_scheme("http", "https")))]
    consul_http_addr: url::Url,
    /// Name of Garage's service in Consul.
    service_name: String,
    /// CA of Consul's certificate.
    ca_cert: Option<PathBuf>,
    /// Client certificate.
    client_cert: Option<PathBuf>,
    /// Client key.
    client_key: Option<PathBuf>,
    /// ACL token, for the `agent` API.
    token: Option<Secret<String>>,
    /// Do not verify Consul's certificate.
    #[config(default = false)]
    tls_skip_verify: bool,
    /// Tags of the service.
    #[config(default = "")]
    tags: Vec<String>,
    /// Metadata of the service.
    #[config(default = "")]
    meta: HashMap<String, String>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum ConsulApi {
    Catalog,
    Agent,
}
config_runtime::impl_serde_enum!(ConsulApi);

#[derive(Config, Debug)]
struct KubernetesDiscovery {
    /// Namespace of the custom resources.
    namespace: String,
    /// Name of Garage's service.
    service_name: String,
    /// Do not create the custom resource definition.
    #[config(default = false)]
    skip_crd: bool,
}

#[derive(Config, Debug)]
struct S3Api {
    /// Address the S3 API listens on.
    api_bind_addr: Option<String>,
    /// Region reported to clients.
    s3_region: String,
    /// Suffix of vhost-style bucket domains.
    root_domain: Option<String>,
}

#[derive(Config, Debug)]
struct S3Web {
    /// Address the web server listens on.
    bind_addr: String,
    /// Suffix of website domains.
    root_domain: String,
    /// Host names as a metrics label.
    #[config(default = false)]
    add_host_to_metrics: bool,
}

#[derive(Config, Debug)]
struct Admin {
    /// Address the admin API listens on.
    api_bind_addr: Option<String>,
    /// Bearer token of `/metrics`.
    #[config(env = "GARAGE_METRICS_TOKEN")]
    metrics_token: Option<Secret<String>>,
    /// Bearer token of the admin API.
    #[config(env = "GARAGE_ADMIN_TOKEN")]
    admin_token: Option<Secret<String>>,
    /// OpenTelemetry collector.
    trace_sink: Option<url::Url>,
}

/// Garage's compression setting: a zstd level, or `none`.
#[derive(Debug, PartialEq, Eq)]
struct Compression(Option<i32>);

impl ConfigValue for Compression {
    fn parse_str(text: &str) -> Result<Self, ValueError> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("none") {
            return Ok(Compression(None));
        }
        text.parse()
            .map(|level| Compression(Some(level)))
            .map_err(|_| ValueError::expected::<Self>())
    }

    fn expected() -> std::borrow::Cow<'static, str> {
        "a zstd level (an integer) or none".into()
    }

    fn type_name() -> std::borrow::Cow<'static, str> {
        "compression level".into()
    }
}

/// The secrets written in the documented example (it is an example: they are public).
const EXAMPLE_RPC_SECRET: &str = "4425f5c26c5e11581d3223904324dcb5b5d5dfb14e5e7f35e38c595424f5f1e6";
const EXAMPLE_ADMIN_TOKEN: &str = "UkLeGWEvHnXBqnueR3ISEMWpOnm40jH2tM2HnnL/0F4=";
const EXAMPLE_METRICS_TOKEN: &str = "BCAdFjoa9G0KJR0WXnHHm7fs1ZAbfpI8iIZ+Z/a2NgI=";

/// An RPC secret of this machine's own, kept in a file.
const LOCAL_RPC_SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The value of an optional secret that must be set.
fn exposed(secret: &Option<Secret<String>>) -> &str {
    secret.as_ref().expect("set").expose_secret()
}

fn garage_toml() -> PathBuf {
    data("garage", "garage.toml")
}

#[test]
fn the_full_example_loads_unchanged() {
    let config = GarageConfig::loader().file(garage_toml()).load().unwrap();

    assert_eq!(config.replication_factor, Some(3));
    assert_eq!(config.consistency_mode, "consistent");
    assert_eq!(config.metadata_dir, PathBuf::from("/var/lib/garage/meta"));
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/garage/data"));
    assert_eq!(
        config.metadata_snapshots_dir,
        Some(PathBuf::from("/var/lib/garage/snapshots"))
    );
    assert!(config.metadata_fsync && !config.data_fsync);
    assert!(!config.disable_scrub && !config.use_local_tz);
    assert_eq!(
        config.metadata_auto_snapshot_interval,
        Some(Duration::from_secs(6 * 3600))
    );
    assert_eq!(config.db_engine, "lmdb");
    // A bare unit letter is decimal, as Garage's `bytesize` reads it.
    assert_eq!(config.block_size, ByteSize::mb(1));
    assert_eq!(config.block_ram_buffer_max, ByteSize::mib(256));
    assert_eq!(config.lmdb_map_size, Some(ByteSize::tb(1)));
    assert_eq!(config.compression_level, Compression(Some(1)));
    assert_eq!(
        config
            .rpc_secret
            .as_ref()
            .map(|s| s.expose_secret().as_str()),
        Some(EXAMPLE_RPC_SECRET)
    );
    assert_eq!(
        config.rpc_bind_addr,
        "[::]:3901".parse::<SocketAddr>().unwrap()
    );
    assert!(!config.rpc_bind_outgoing);
    assert_eq!(config.rpc_public_addr.as_deref(), Some("[fc00:1::1]:3901"));
    assert!(!config.allow_world_readable_secrets);
    assert_eq!(config.bootstrap_peers.len(), 4);
    assert!(config.bootstrap_peers[2].starts_with("681456ab91350f92"));
    assert!(config.bootstrap_peers[3].ends_with("@[fc00:F::1]:3901"));
    assert!(!config.allow_punycode);

    let consul = config
        .consul_discovery
        .as_ref()
        .expect("the example has [consul_discovery]");
    assert_eq!(consul.api, ConsulApi::Catalog);
    assert_eq!(consul.consul_http_addr.as_str(), "http://127.0.0.1:8500/");
    assert_eq!(consul.service_name, "garage-daemon");
    assert_eq!(
        consul.client_key,
        Some(PathBuf::from("/etc/consul/consul-key.crt"))
    );
    assert_eq!(
        consul.ca_cert,
        Some(PathBuf::from("/etc/consul/consul-ca.crt"))
    );
    assert_eq!(
        consul.client_cert,
        Some(PathBuf::from("/etc/consul/consul-client.crt"))
    );
    assert!(!consul.tls_skip_verify);
    assert!(consul.token.is_none(), "commented out in the example");
    assert_eq!(consul.tags, ["dns-enabled"]);
    assert_eq!(
        consul.meta,
        HashMap::from([("dns-acl".to_owned(), "allow trusted".to_owned())])
    );

    let kubernetes = config
        .kubernetes_discovery
        .as_ref()
        .expect("[kubernetes_discovery]");
    assert_eq!(kubernetes.namespace, "garage");
    assert_eq!(kubernetes.service_name, "garage-daemon");
    assert!(!kubernetes.skip_crd);

    assert_eq!(config.s3_api.api_bind_addr.as_deref(), Some("[::]:3900"));
    assert_eq!(config.s3_api.s3_region, "garage");
    assert_eq!(config.s3_api.root_domain.as_deref(), Some(".s3.garage"));
    let web = config.s3_web.as_ref().expect("[s3_web]");
    assert_eq!(
        (web.bind_addr.as_str(), web.root_domain.as_str()),
        ("[::]:3902", ".web.garage")
    );
    assert!(web.add_host_to_metrics);

    assert_eq!(config.admin.api_bind_addr.as_deref(), Some("0.0.0.0:3903"));
    assert_eq!(
        config
            .admin
            .admin_token
            .as_ref()
            .map(|s| s.expose_secret().as_str()),
        Some(EXAMPLE_ADMIN_TOKEN)
    );
    assert_eq!(
        config.admin.trace_sink.as_ref().map(url::Url::as_str),
        Some("http://localhost:4317/")
    );
}

#[test]
fn garage_variables_override_the_file() {
    let scratch = Scratch::new();
    let secret_file = scratch.write("rpc_secret", &format!("{LOCAL_RPC_SECRET}\n"));
    // A secret kept in a file: `${file:..}` in the variable.
    let from_file = format!("${{file:{}}}", secret_file.display());
    let loader = GarageConfig::loader().file(garage_toml()).vars([
        ("GARAGE_RPC_SECRET", from_file.as_str()),
        ("GARAGE_ADMIN_TOKEN", "an-admin-token-from-the-environment"),
        ("GARAGE_ALLOW_WORLD_READABLE_SECRETS", "true"),
    ]);
    let config = loader.load().unwrap();
    assert_eq!(exposed(&config.rpc_secret), LOCAL_RPC_SECRET);
    assert_eq!(
        exposed(&config.admin.admin_token),
        "an-admin-token-from-the-environment"
    );
    assert!(config.allow_world_readable_secrets);
    assert_eq!(
        exposed(&config.admin.metrics_token),
        EXAMPLE_METRICS_TOKEN,
        "what no variable names stays as the file has it"
    );

    let explain = loader.explain().unwrap();
    let token = explain.row("admin.admin_token").expect("a row per key");
    assert_eq!(token.env, "GARAGE_ADMIN_TOKEN");
    assert_eq!(
        token.origin,
        Some(Origin::Env {
            var: "GARAGE_ADMIN_TOKEN".into()
        })
    );
    let secret = explain.row("rpc_secret").expect("a row per key");
    assert_eq!(secret.references, [from_file]);
}

#[test]
fn garage_file_variables_name_the_secret_files() {
    // Garage documents `GARAGE_RPC_SECRET_FILE`, `GARAGE_ADMIN_TOKEN_FILE` and
    // `GARAGE_METRICS_TOKEN_FILE`: the contract's `NAME_FILE` form of each variable.
    let scratch = Scratch::new();
    let secret_file = scratch.write("rpc_secret", &format!("{LOCAL_RPC_SECRET}\n"));
    let token_file = scratch.write("admin_token", "an-admin-token-in-a-file\n");
    let loader = GarageConfig::loader().file(garage_toml()).vars([
        ("GARAGE_RPC_SECRET_FILE", secret_file.to_str().unwrap()),
        ("GARAGE_ADMIN_TOKEN_FILE", token_file.to_str().unwrap()),
    ]);
    let config = loader.load().unwrap();
    assert_eq!(exposed(&config.rpc_secret), LOCAL_RPC_SECRET);
    assert_eq!(
        exposed(&config.admin.admin_token),
        "an-admin-token-in-a-file"
    );
    let explain = loader.explain().unwrap();
    let secret = explain.row("rpc_secret").expect("a row per key");
    assert!(
        secret.source().contains(secret_file.to_str().unwrap()),
        "the origin of a `_FILE` value is the file: {}",
        secret.source()
    );
}

#[test]
fn variables_garage_reads_itself_are_allowed_by_name() {
    let vars = [
        ("GARAGE_LOG_TO_SYSLOG", "1"),
        ("GARAGE_LOG_TO_JOURNALD", "true"),
    ];
    let err = GarageConfig::loader()
        .file(garage_toml())
        .vars(vars)
        .load()
        .unwrap_err();
    assert!(
        err.errors()
            .iter()
            .any(|e| e.env() == Some("GARAGE_LOG_TO_SYSLOG")),
        "a variable with the prefix that names no key is unknown: {err}"
    );

    let config = GarageConfig::loader()
        .file(garage_toml())
        .vars(vars)
        .allow_vars(["GARAGE_LOG_TO_*"])
        .load()
        .unwrap();
    assert_eq!(config.replication_factor, Some(3));
}

#[test]
fn a_map_of_values_from_one_variable() {
    let config = GarageConfig::loader()
        .file(garage_toml())
        .vars([("GARAGE_CONSUL_DISCOVERY_META", "dns-acl=deny,zone=eu-west")])
        .load()
        .unwrap();
    let meta = &config.consul_discovery.unwrap().meta;
    assert_eq!(
        meta.len(),
        2,
        "the variable replaces the file's map: {meta:?}"
    );
    assert_eq!(meta["dns-acl"], "deny");
    assert_eq!(meta["zone"], "eu-west");

    let config = GarageConfig::loader()
        .file(garage_toml())
        .vars([("GARAGE_CONSUL_DISCOVERY_META", r#"{"dns-acl": "a=b, c"}"#)])
        .load()
        .unwrap();
    assert_eq!(config.consul_discovery.unwrap().meta["dns-acl"], "a=b, c");
}

#[test]
fn errors_name_the_key_and_the_line() {
    let scratch = Scratch::new();
    let local = scratch.write(
        "local.toml",
        "block_size = \"big\"\n\n[consul_discovery]\napi = \"catalogue\"\n\n[admin]\ntrace_sink = \"not a url\"\n",
    );
    let err = GarageConfig::loader()
        .file(garage_toml())
        .file(&local)
        .vars([("GARAGE_RPC_BIND_ADDR", "[::]")])
        .load()
        .unwrap_err();

    let at = |path| error_at(&err, path);
    assert_eq!(
        at("block_size").origin(),
        Some(&Origin::File {
            path: local.clone().into(),
            line: Some(1)
        })
    );
    assert_eq!(
        at("consul_discovery.api").origin(),
        Some(&Origin::File {
            path: local.clone().into(),
            line: Some(4)
        })
    );
    assert!(at("consul_discovery.api").to_string().contains("catalog"));
    at("admin.trace_sink");
    assert_eq!(at("rpc_bind_addr").env(), Some("GARAGE_RPC_BIND_ADDR"));
}

#[test]
fn the_example_secrets_and_a_consul_token_stay_hidden() {
    const TOKEN: &str = "canary-garage-consul-token-41e2";
    let scratch = Scratch::new();
    let consul = scratch.write(
        "consul.toml",
        &format!("[consul_discovery]\napi = \"agent\"\ntoken = \"{TOKEN}\"\n"),
    );
    let loader = GarageConfig::loader().file(garage_toml()).file(&consul);
    let config = loader.load().unwrap();
    assert_eq!(
        config.consul_discovery.as_ref().unwrap().api,
        ConsulApi::Agent
    );
    let explain = loader.explain().unwrap();
    assert_eq!(
        explain
            .row("consul_discovery.token")
            .map(|r| r.value.as_str()),
        Some(config_runtime::REDACTED)
    );
    let err = GarageConfig::loader()
        .file(garage_toml())
        .file(&consul)
        .vars([("GARAGE_RPC_SECRET", "not hex")])
        .load()
        .unwrap_err();
    error_at(&err, "rpc_secret");

    assert_hidden(
        &[
            TOKEN,
            EXAMPLE_RPC_SECRET,
            EXAMPLE_ADMIN_TOKEN,
            EXAMPLE_METRICS_TOKEN,
            "not hex",
        ],
        &config,
        &explain,
        &err,
    );
}

#[test]
fn the_env_example_names_garage_variables() {
    let example = GarageConfig::env_example();
    for name in [
        "GARAGE_RPC_SECRET=",
        "GARAGE_ADMIN_TOKEN=",
        "GARAGE_METRICS_TOKEN=",
        "GARAGE_CONSUL_DISCOVERY_META_<NAME>=",
        "all of it in GARAGE_CONSUL_DISCOVERY_META (`a=b,c=d` or JSON)",
        "GARAGE_BLOCK_SIZE=",
    ] {
        assert!(example.contains(name), "{name} missing from:\n{example}");
    }
    assert!(!example.contains(EXAMPLE_RPC_SECRET));
    let schema = GarageConfig::schema().json_schema();
    let meta = &schema["properties"]["consul_discovery"]["properties"]["meta"];
    assert_eq!(meta["type"], "object", "{meta:#}");
    assert_eq!(meta["additionalProperties"]["type"], "string", "{meta:#}");
}
