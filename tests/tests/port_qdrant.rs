//! A port of Qdrant's settings: the vector database's own `config/config.yaml` (copied
//! unchanged to `tests/data/ports/qdrant/`) loads into structs written after `src/settings.rs`
//! and `lib/storage/src/types.rs` of qdrant/qdrant at commit
//! `74f3e85b9473c62560006c043e13737ce6b48412`, and Qdrant's variables
//! (`QDRANT__SERVICE__API_KEY`: prefix, then `__` between levels) override it.
//!
//! The shapes it needs: sections several levels deep, optional sections (`tls`,
//! `storage.collection`, `storage.snapshots_config.s3_config`), `null` for an unset `Option`
//! (`temp_path: null`, `quantization: null`), values that are enums (`node_type: "Normal"`).

use std::path::PathBuf;

use config_runtime::{Config, Format, Origin, Secret};
use config_tests::Scratch;
use config_tests::ports::{assert_hidden, data, error_at};
use serde::Deserialize;

/// Qdrant's settings (`Settings` in `src/settings.rs`).
#[derive(Config, Debug)]
#[config(prefix = "QDRANT", env_separator = "__")]
struct Settings {
    /// Log level: `INFO`, `DEBUG`, ...
    log_level: Option<String>,
    /// Storage of the collections.
    #[config(nested)]
    storage: StorageConfig,
    /// The REST and gRPC services.
    #[config(nested)]
    service: ServiceConfig,
    /// Distributed mode.
    #[config(nested)]
    cluster: ClusterConfig,
    /// No usage statistics are sent to the developers.
    #[config(default = false)]
    telemetry_disabled: bool,
    /// Certificates, when `service.enable_tls` or `cluster.p2p.enable_tls` is set.
    #[config(nested)]
    tls: Option<TlsConfig>,
}

/// `StorageConfig` in `lib/storage/src/types.rs`.
#[derive(Config, Debug)]
struct StorageConfig {
    /// Where the data is stored.
    storage_path: PathBuf,
    /// Where snapshots are stored.
    #[config(default = "./snapshots")]
    snapshots_path: PathBuf,
    /// Where snapshots go: the local disk or S3.
    #[config(nested)]
    snapshots_config: SnapshotsConfig,
    /// Temporary files; `null` means inside the storage.
    temp_path: Option<PathBuf>,
    /// Payloads are read from disk (deprecated).
    #[config(default = true)]
    on_disk_payload: bool,
    /// Concurrent updates to shard replicas; `null` means as many as possible.
    update_concurrency: Option<usize>,
    /// Write-ahead log.
    #[config(nested)]
    wal: WalConfig,
    /// `Normal` or `Listener`.
    #[config(default = "Normal")]
    node_type: NodeType,
    /// Threads and transfer limits.
    #[config(nested)]
    performance: PerformanceConfig,
    /// Segment optimisation.
    #[config(nested)]
    optimizers: OptimizersConfig,
    /// The HNSW index defaults.
    #[config(nested)]
    hnsw_index: HnswConfig,
    /// The preferred shard transfer method; `null` chooses automatically.
    shard_transfer_method: Option<ShardTransferMethod>,
    /// Defaults of new collections.
    #[config(nested)]
    collection: Option<CollectionConfigDefaults>,
    /// The most collections allowed; `null` means no limit.
    max_collections: Option<usize>,
}

/// `SnapshotsConfig` (lib/collection/src/common/snapshots_manager.rs).
#[derive(Config, Debug)]
struct SnapshotsConfig {
    /// `local` or `s3`.
    #[config(default = "local")]
    snapshots_storage: SnapshotsStorage,
    /// The bucket, when snapshots go to S3.
    #[config(nested)]
    s3_config: Option<S3Config>,
}

#[derive(Config, Debug)]
struct S3Config {
    /// Bucket name.
    bucket: String,
    /// Region.
    region: Option<String>,
    /// Access key id.
    access_key: Option<String>,
    /// Secret access key.
    secret_key: Option<Secret<String>>,
}

#[derive(Config, Debug)]
struct WalConfig {
    /// Size of one WAL segment, in MB.
    wal_capacity_mb: usize,
    /// Segments created ahead of need.
    wal_segments_ahead: usize,
}

#[derive(Config, Debug)]
struct PerformanceConfig {
    /// Search threads; 0 chooses.
    max_search_threads: usize,
    /// CPUs for one optimisation job: 0 chooses, negative leaves that many free.
    #[config(default = 0)]
    optimizer_cpu_budget: isize,
    /// Concurrent updates in distributed mode; `null` chooses.
    update_rate_limit: Option<usize>,
}

#[derive(Config, Debug)]
struct OptimizersConfig {
    /// Fraction of deleted vectors that triggers an optimisation.
    deleted_threshold: f64,
    /// Vectors a segment needs before it is optimised.
    vacuum_min_vector_number: usize,
    /// Target number of segments; 0 chooses.
    default_segment_number: usize,
    /// Largest segment, in KB; `null` chooses.
    max_segment_size_kb: Option<usize>,
    /// Largest plain index, in KB.
    indexing_threshold_kb: Option<usize>,
    /// Seconds between forced flushes.
    flush_interval_sec: u64,
    /// Optimisation jobs per shard; `null` means no limit.
    max_optimization_threads: Option<usize>,
}

#[derive(Config, Debug)]
struct HnswConfig {
    /// Edges per node.
    m: usize,
    /// Neighbours considered while building.
    ef_construct: usize,
    /// Below this size (KB), a full scan is preferred.
    full_scan_threshold_kb: usize,
    /// Index building threads; 0 chooses.
    #[config(default = 0)]
    max_indexing_threads: usize,
    /// The index lives on disk (deprecated).
    on_disk: Option<bool>,
    /// `m` of the payload index; `null` means `m`.
    payload_m: Option<usize>,
}

#[derive(Config, Debug)]
struct CollectionConfigDefaults {
    /// Replicas of each shard.
    #[config(default = 1)]
    replication_factor: u32,
    /// Replicas that must apply an operation.
    #[config(default = 1)]
    write_consistency_factor: u32,
    /// Defaults of the vectors.
    #[config(nested)]
    vectors: Option<VectorsConfigDefaults>,
    /// Default quantization; `null` means none.
    #[config(nested)]
    quantization: Option<QuantizationConfig>,
}

#[derive(Config, Debug)]
struct VectorsConfigDefaults {
    /// Vectors are stored on disk.
    on_disk: Option<bool>,
}

/// Qdrant's `QuantizationConfig`: one of the sections `scalar`, `product`, `binary`.
#[derive(Config, Debug)]
struct QuantizationConfig {
    /// Scalar quantization.
    #[config(nested)]
    scalar: Option<ScalarQuantization>,
}

#[derive(Config, Debug)]
struct ScalarQuantization {
    /// `int8`: the file key is `type`.
    #[config(rename = "type", default = "int8")]
    kind: String,
    /// Quantized vectors stay in RAM.
    always_ram: Option<bool>,
}

/// `ServiceConfig` in `src/settings.rs`.
#[derive(Config, Debug)]
struct ServiceConfig {
    /// Largest POST body, in MB.
    max_request_size_mb: usize,
    /// API workers; 0 means one per core.
    max_workers: Option<usize>,
    /// Address to bind.
    #[config(validate(non_empty))]
    host: String,
    /// HTTP(S) port.
    http_port: u16,
    /// gRPC port; `null` disables gRPC.
    #[config(default = 6334)]
    grpc_port: Option<u16>,
    /// CORS headers in the REST API.
    #[config(default = true)]
    enable_cors: bool,
    /// HTTPS for REST and gRPC.
    #[config(default = false)]
    enable_tls: bool,
    /// Client certificates are checked against the CA.
    #[config(default = false)]
    verify_https_client_certificate: bool,
    /// Every request must carry this key.
    api_key: Option<Secret<String>>,
    /// A key for read-only requests.
    read_only_api_key: Option<Secret<String>>,
    /// JWT role based access control.
    jwt_rbac: Option<bool>,
}

#[derive(Config, Debug)]
struct ClusterConfig {
    /// Distributed mode.
    #[config(default = false)]
    enabled: bool,
    /// Communication between peers.
    #[config(nested)]
    p2p: P2pConfig,
    /// The consensus algorithm.
    #[config(nested)]
    consensus: ConsensusConfig,
}

#[derive(Config, Debug)]
struct P2pConfig {
    /// Port between peers.
    port: Option<u16>,
    /// TLS between peers.
    #[config(default = false)]
    enable_tls: bool,
}

#[derive(Config, Debug)]
struct ConsensusConfig {
    /// Milliseconds between pings.
    #[config(default = 100, validate(range(min = 1)))]
    tick_period_ms: u64,
    /// Applied operations before the log is compacted.
    #[config(default = 128)]
    compact_wal_entries: u64,
}

/// `TlsConfig` in `src/settings.rs`.
#[derive(Config, Debug)]
struct TlsConfig {
    /// Certificate chain.
    cert: PathBuf,
    /// Private key.
    key: PathBuf,
    /// CA certificate.
    ca_cert: Option<PathBuf>,
    /// Seconds between reloads of the certificate; `null` disables reloading.
    #[config(default = 3600, validate(range(min = 1)))]
    cert_ttl: Option<u64>,
}

#[derive(Debug, Deserialize, PartialEq, Eq)]
enum NodeType {
    Normal,
    Listener,
}
config_runtime::impl_serde_enum!(NodeType);

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum SnapshotsStorage {
    Local,
    S3,
}
config_runtime::impl_serde_enum!(SnapshotsStorage);

#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum ShardTransferMethod {
    StreamRecords,
    Snapshot,
    WalDelta,
}
config_runtime::impl_serde_enum!(ShardTransferMethod);

fn config_yaml() -> PathBuf {
    data("qdrant", "config.yaml")
}

/// The documented file without its last section, `tls:`, written in `scratch`.
fn without_tls(scratch: &Scratch) -> PathBuf {
    let text = std::fs::read_to_string(config_yaml()).unwrap();
    let end = text.find("\ntls:").expect("the file has a `tls:` section");
    scratch.write("config.yaml", &text[..end])
}

#[test]
fn the_documented_config_loads_unchanged() {
    let settings = Settings::loader().file(config_yaml()).load().unwrap();

    assert_eq!(settings.log_level.as_deref(), Some("INFO"));
    assert!(!settings.telemetry_disabled);

    let storage = &settings.storage;
    assert_eq!(storage.storage_path, PathBuf::from("./storage"));
    assert_eq!(storage.snapshots_path, PathBuf::from("./snapshots"));
    assert_eq!(
        storage.snapshots_config.snapshots_storage,
        SnapshotsStorage::Local
    );
    assert!(storage.snapshots_config.s3_config.is_none());
    assert_eq!(storage.temp_path, None, "`temp_path: null` is None");
    assert!(storage.on_disk_payload);
    assert_eq!(storage.update_concurrency, None);
    assert_eq!(
        (storage.wal.wal_capacity_mb, storage.wal.wal_segments_ahead),
        (32, 0)
    );
    assert_eq!(storage.node_type, NodeType::Normal);
    assert_eq!(storage.performance.max_search_threads, 0);
    assert_eq!(storage.performance.optimizer_cpu_budget, 0);
    assert_eq!(storage.performance.update_rate_limit, None);
    assert_eq!(storage.optimizers.deleted_threshold, 0.2);
    assert_eq!(storage.optimizers.vacuum_min_vector_number, 1000);
    assert_eq!(storage.optimizers.default_segment_number, 0);
    assert_eq!(storage.optimizers.indexing_threshold_kb, Some(10000));
    assert_eq!(storage.optimizers.max_segment_size_kb, None);
    assert_eq!(storage.optimizers.flush_interval_sec, 5);
    assert_eq!(storage.optimizers.max_optimization_threads, None);
    assert_eq!(
        (storage.hnsw_index.m, storage.hnsw_index.ef_construct),
        (16, 100)
    );
    assert_eq!(storage.hnsw_index.full_scan_threshold_kb, 10000);
    assert_eq!(storage.hnsw_index.max_indexing_threads, 0);
    assert_eq!(storage.hnsw_index.on_disk, Some(false));
    assert_eq!(storage.hnsw_index.payload_m, None);
    assert_eq!(storage.shard_transfer_method, None);
    assert_eq!(storage.max_collections, None);
    let collection = storage
        .collection
        .as_ref()
        .expect("the file has `collection:`");
    assert_eq!(collection.replication_factor, 1);
    assert_eq!(collection.write_consistency_factor, 1);
    let vectors = collection
        .vectors
        .as_ref()
        .expect("the file has `vectors:`");
    assert_eq!(vectors.on_disk, None);
    assert!(
        collection.quantization.is_none(),
        "`quantization: null` is no section"
    );

    let service = &settings.service;
    assert_eq!(service.host, "0.0.0.0");
    assert_eq!(service.http_port, 6333);
    assert_eq!(service.grpc_port, Some(6334));
    assert_eq!(service.max_request_size_mb, 32);
    assert_eq!(service.max_workers, Some(0));
    assert!(service.enable_cors && !service.enable_tls && !service.verify_https_client_certificate);
    assert!(service.api_key.is_none() && service.read_only_api_key.is_none());
    assert_eq!(service.jwt_rbac, None);

    assert!(!settings.cluster.enabled);
    assert_eq!(settings.cluster.p2p.port, Some(6335));
    assert!(!settings.cluster.p2p.enable_tls);
    assert_eq!(settings.cluster.consensus.tick_period_ms, 100);
    assert_eq!(settings.cluster.consensus.compact_wal_entries, 128);

    let tls = settings.tls.as_ref().expect("the file has `tls:`");
    assert_eq!(tls.cert, PathBuf::from("./tls/cert.pem"));
    assert_eq!(tls.key, PathBuf::from("./tls/key.pem"));
    assert_eq!(tls.ca_cert, Some(PathBuf::from("./tls/cacert.pem")));
    assert_eq!(tls.cert_ttl, Some(3600));
}

#[test]
fn qdrant_variables_override_the_file_with_double_underscores() {
    let loader = Settings::loader().file(config_yaml()).vars([
        ("QDRANT__SERVICE__API_KEY", "an-api-key-of-qdrant"),
        ("QDRANT__SERVICE__HTTP_PORT", "7333"),
        ("QDRANT__LOG_LEVEL", "DEBUG"),
        (
            "QDRANT__STORAGE__OPTIMIZERS__INDEXING_THRESHOLD_KB",
            "20000",
        ),
        ("QDRANT__STORAGE__NODE_TYPE", "Listener"),
        ("QDRANT__CLUSTER__ENABLED", "true"),
    ]);
    let settings = loader.load().unwrap();

    let key = settings
        .service
        .api_key
        .as_ref()
        .expect("QDRANT__SERVICE__API_KEY is set");
    assert_eq!(key.expose_secret(), "an-api-key-of-qdrant");
    assert_eq!(settings.service.http_port, 7333);
    assert_eq!(settings.log_level.as_deref(), Some("DEBUG"));
    assert_eq!(
        settings.storage.optimizers.indexing_threshold_kb,
        Some(20000)
    );
    assert_eq!(settings.storage.node_type, NodeType::Listener);
    assert!(settings.cluster.enabled);
    // What the variables did not name still comes from the file.
    assert_eq!(settings.service.grpc_port, Some(6334));

    let explain = loader.explain().unwrap();
    let port = explain.row("service.http_port").expect("a row per key");
    assert_eq!(port.env, "QDRANT__SERVICE__HTTP_PORT");
    assert_eq!(
        port.origin,
        Some(Origin::Env {
            var: "QDRANT__SERVICE__HTTP_PORT".into()
        })
    );
    let host = explain.row("service.host").expect("a row per key");
    assert_eq!(host.env, "QDRANT__SERVICE__HOST");
    // The file and the line of the key (`host:` under `service:`).
    assert_eq!(
        host.origin,
        Some(Origin::File {
            path: config_yaml().into(),
            line: Some(327)
        })
    );
}

#[test]
fn an_empty_variable_turns_grpc_off() {
    // Qdrant: "If `null` - gRPC is disabled"; in the environment, an empty value.
    let settings = Settings::loader()
        .file(config_yaml())
        .vars([("QDRANT__SERVICE__GRPC_PORT", "")])
        .load()
        .unwrap();
    assert_eq!(settings.service.grpc_port, None);
}

#[test]
fn an_optional_section_is_set_by_its_variables_alone() {
    // The documented file, without its `tls:` section: no TLS at all.
    let scratch = Scratch::new();
    let path = without_tls(&scratch);
    let settings = Settings::loader().file(&path).load().unwrap();
    assert!(settings.tls.is_none());

    let settings = Settings::loader()
        .file(&path)
        .vars([
            ("QDRANT__TLS__CERT", "/etc/qdrant/cert.pem"),
            ("QDRANT__TLS__KEY", "/etc/qdrant/key.pem"),
        ])
        .load()
        .unwrap();
    let tls = settings.tls.expect("the variables make the section");
    assert_eq!(tls.cert, PathBuf::from("/etc/qdrant/cert.pem"));
    assert_eq!(tls.ca_cert, None);
    assert_eq!(tls.cert_ttl, Some(3600), "the section's defaults apply");
}

#[test]
fn errors_name_the_key_path_the_variable_and_the_line() {
    let scratch = Scratch::new();
    // Qdrant reads `config/local` in any format config-rs knows; TOML keys have lines.
    let local = scratch.write(
        "local.toml",
        "[storage.optimizers]\ndeleted_threshold = \"lots\"\n\n[cluster.consensus]\ntick_period_ms = 0\n",
    );
    let err = Settings::loader()
        .file(config_yaml())
        .file(&local)
        .vars([
            ("QDRANT__SERVICE__HTTP_PORT", "http"),
            ("QDRANT__SERVICE__API_KYE", "typo"),
        ])
        .load()
        .unwrap_err();

    let port = error_at(&err, "service.http_port");
    assert_eq!(port.env(), Some("QDRANT__SERVICE__HTTP_PORT"));

    let threshold = error_at(&err, "storage.optimizers.deleted_threshold");
    assert_eq!(
        threshold.origin(),
        Some(&Origin::File {
            path: local.clone().into(),
            line: Some(2)
        })
    );
    error_at(&err, "cluster.consensus.tick_period_ms");

    let text = err.to_string();
    assert!(
        text.contains("QDRANT__SERVICE__HTTP_PORT (environment)"),
        "{text}"
    );
    assert!(
        text.contains("QDRANT__SERVICE__API_KYE")
            && text.contains("did you mean QDRANT__SERVICE__API_KEY"),
        "{text}"
    );
}

#[test]
fn keys_stay_hidden_in_sections_and_optional_sections() {
    const API_KEY: &str = "canary-qdrant-api-key-5c1f";
    const S3_SECRET: &str = "canary-qdrant-s3-secret-93ab";
    let vars = [
        ("QDRANT__SERVICE__API_KEY", API_KEY),
        ("QDRANT__STORAGE__SNAPSHOTS_CONFIG__SNAPSHOTS_STORAGE", "s3"),
        (
            "QDRANT__STORAGE__SNAPSHOTS_CONFIG__S3_CONFIG__BUCKET",
            "snapshots",
        ),
        (
            "QDRANT__STORAGE__SNAPSHOTS_CONFIG__S3_CONFIG__REGION",
            "eu-central-1",
        ),
        (
            "QDRANT__STORAGE__SNAPSHOTS_CONFIG__S3_CONFIG__ACCESS_KEY",
            "AKIAQDRANT",
        ),
        (
            "QDRANT__STORAGE__SNAPSHOTS_CONFIG__S3_CONFIG__SECRET_KEY",
            S3_SECRET,
        ),
    ];
    let loader = Settings::loader().file(config_yaml()).vars(vars);
    let settings = loader.load().unwrap();
    let s3 = settings
        .storage
        .snapshots_config
        .s3_config
        .as_ref()
        .expect("set by its variables");
    assert_eq!(s3.bucket, "snapshots");
    assert_eq!(s3.region.as_deref(), Some("eu-central-1"));
    assert_eq!(s3.access_key.as_deref(), Some("AKIAQDRANT"));
    assert_eq!(
        s3.secret_key.as_ref().map(|k| k.expose_secret().as_str()),
        Some(S3_SECRET)
    );

    let explain = loader.explain().unwrap();
    assert_eq!(
        explain
            .row("storage.snapshots_config.s3_config.secret_key")
            .map(|r| r.value.as_str()),
        Some(config_runtime::REDACTED)
    );

    // A load that fails elsewhere still never shows them.
    let err = Settings::loader()
        .file(config_yaml())
        .vars(vars)
        .vars([("QDRANT__SERVICE__HTTP_PORT", "0x")])
        .load()
        .unwrap_err();

    assert_hidden(&[API_KEY, S3_SECRET], &settings, &explain, &err);
}

#[test]
fn the_env_example_and_the_schema_follow_the_sections() {
    let example = Settings::env_example();
    for name in [
        "QDRANT__SERVICE__API_KEY",
        "QDRANT__STORAGE__OPTIMIZERS__DELETED_THRESHOLD",
        "QDRANT__TLS__CERT_TTL",
        "QDRANT__LOG_LEVEL",
    ] {
        assert!(example.contains(name), "{name} missing from:\n{example}");
    }
    assert!(!example.contains("QDRANT_SERVICE_API_KEY"), "{example}");

    let schema = Settings::schema().json_schema();
    let service = &schema["properties"]["service"]["properties"];
    assert_eq!(service["http_port"]["type"], "integer", "{schema:#}");
    let tls = &schema["properties"]["tls"];
    assert!(tls.is_object(), "{schema:#}");
    let required = schema["required"].as_array().cloned().unwrap_or_default();
    assert!(
        !required.contains(&"tls".into()),
        "an optional section is not required"
    );
}

#[test]
fn a_section_set_to_null_in_the_file_can_be_given_in_another() {
    // `quantization: null` in the documented file; a local file turns scalar quantization on.
    // Its `type` key is the `kind` field (`type` is a keyword).
    let scratch = Scratch::new();
    let local = scratch.write(
        "local.toml",
        "[storage.collection.quantization.scalar]\ntype = \"int8\"\nalways_ram = true\n",
    );
    let settings = Settings::loader()
        .file(config_yaml())
        .file(&local)
        .load()
        .unwrap();
    let collection = settings
        .storage
        .collection
        .expect("the file has `collection:`");
    let quantization = collection.quantization.expect("set by the local file");
    let scalar = quantization.scalar.expect("the `scalar` section");
    assert_eq!(scalar.kind, "int8");
    assert_eq!(scalar.always_ram, Some(true));
    assert_eq!(
        collection.replication_factor, 1,
        "the section's other keys stay"
    );
}

#[test]
fn the_built_in_default_is_the_same_file_as_text() {
    // Qdrant builds `config/config.yaml` into its binary (`include_str!`) and layers the
    // optional files and the variables over it.
    const DEFAULT_CONFIG: &str = include_str!("../data/ports/qdrant/config.yaml");
    let scratch = Scratch::new();
    let local = scratch.write("config/local.yaml", "service:\n  max_workers: 8\n");
    let loader = Settings::loader()
        .string_named(
            "config/config.yaml (built in)",
            DEFAULT_CONFIG,
            Format::Yaml,
        )
        .file_optional(scratch.path().join("config/development.yaml"))
        .file_optional(&local)
        .vars([("QDRANT__SERVICE__HTTP_PORT", "7000")]);
    let settings = loader.load().unwrap();
    assert_eq!(settings.service.http_port, 7000);
    assert_eq!(settings.service.max_workers, Some(8));
    assert_eq!(settings.service.grpc_port, Some(6334));

    let explain = loader.explain().unwrap();
    let grpc = explain.row("service.grpc_port").expect("a row per key");
    assert_eq!(
        grpc.origin,
        Some(Origin::Text {
            name: "config/config.yaml (built in)".to_owned(),
            line: Some(335)
        })
    );
}

#[test]
fn empty_variables_of_an_optional_section_leave_it_off() {
    // As for an `Option` field, an empty variable is no value: a `.env` copied from
    // `.env.example` with the TLS lines left empty keeps TLS off.
    let example = Settings::env_example();
    assert!(example.contains("\nQDRANT__TLS__CERT=\n"), "{example}");
    let scratch = Scratch::new();
    let path = without_tls(&scratch);
    let settings = Settings::loader()
        .file(&path)
        .vars([("QDRANT__TLS__CERT", ""), ("QDRANT__TLS__KEY", "")])
        .load()
        .unwrap();
    assert!(settings.tls.is_none());
}
