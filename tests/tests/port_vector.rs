//! A port of Vector's pipeline configuration: four of the observability pipeline's own
//! example files (`config/vector.yaml`, `config/examples/docs_example.yaml`,
//! `file_to_prometheus.yaml` and `http_sink_custom_retry.yaml` of vectordotdev/vector at commit
//! `c3445d42d2799eb9afe102b71cba7ae96a80942b`, copied unchanged to `tests/data/ports/vector/`)
//! load into structs written after the components' settings at that commit.
//!
//! The shapes it needs: maps of sections (`sources`, `transforms`, `sinks`, keyed by the
//! component's id), each a `type`-tagged enum; enums tagged by another key (`codec`,
//! `method`); an array of tagged sections (`metrics` of `log_to_metric`); a file key named
//! apart from its field (`json` holds `options`) and an old key kept (`ignore_older`).
//! Vector reads no variable per key: its files name variables as `${NAME}`, which the loader
//! resolves the same way.

use std::collections::BTreeMap;
use std::path::PathBuf;

use config_runtime::{Config, Origin, Secret};
use config_tests::Scratch;
use config_tests::events::applied_changed;
use config_tests::files::save;
use config_tests::ports::{assert_hidden, data, error_at, schema_consts};

/// A Vector configuration file.
#[derive(Config, Debug)]
struct VectorConfig {
    /// Where Vector keeps its state.
    data_dir: Option<PathBuf>,
    /// Where events come from, by component id.
    #[config(nested)]
    sources: BTreeMap<String, Source>,
    /// What is done to them, by component id.
    #[config(nested)]
    transforms: BTreeMap<String, Transform>,
    /// Where they go, by component id.
    #[config(nested)]
    sinks: BTreeMap<String, Sink>,
    /// Vector's API.
    #[config(nested)]
    api: Option<Api>,
}

#[derive(Config, Debug)]
struct Api {
    /// Serve the API.
    #[config(default = false)]
    enabled: bool,
    /// Address of the API.
    #[config(default = "127.0.0.1:8686")]
    address: std::net::SocketAddr,
}

/// A source, picked by its `type`.
#[derive(Config, Debug)]
#[config(tag = "type", rename_all = "snake_case")]
enum Source {
    File(FileSource),
    DemoLogs(DemoLogsSource),
}

#[derive(Config, Debug)]
struct FileSource {
    /// Paths to read (globs).
    #[config(validate(non_empty))]
    include: Vec<String>,
    /// Ignore files older than this many seconds; `ignore_older` is the old key.
    #[config(file_alias = "ignore_older")]
    ignore_older_secs: Option<u64>,
    /// Read files from their beginning.
    #[config(default = false)]
    start_at_beginning: bool,
}

#[derive(Config, Debug)]
struct DemoLogsSource {
    /// `syslog`, `json`, `apache_common`, ...
    format: String,
    /// Seconds between two events.
    #[config(default = 1.0)]
    interval: f64,
}

/// A transform, picked by its `type`.
#[derive(Config, Debug)]
#[config(tag = "type", rename_all = "snake_case")]
enum Transform {
    Remap(RemapTransform),
    Sample(SampleTransform),
    LogToMetric(LogToMetricTransform),
}

#[derive(Config, Debug)]
struct RemapTransform {
    /// Component ids this one reads.
    inputs: Vec<String>,
    /// The VRL program.
    source: String,
    /// Drop events the program fails on.
    #[config(default = false)]
    drop_on_error: bool,
}

#[derive(Config, Debug)]
struct SampleTransform {
    /// Component ids this one reads.
    inputs: Vec<String>,
    /// Keep one event in `rate`.
    #[config(validate(range(min = 1)))]
    rate: u64,
}

#[derive(Config, Debug)]
struct LogToMetricTransform {
    /// Component ids this one reads.
    inputs: Vec<String>,
    /// The metrics to make of each event.
    #[config(nested)]
    metrics: Vec<Metric>,
}

/// A metric, picked by its `type`.
#[derive(Config, Debug)]
#[config(tag = "type", rename_all = "snake_case")]
enum Metric {
    Counter(CounterMetric),
    Gauge(FieldMetric),
    Set(FieldMetric),
    Histogram(FieldMetric),
}

#[derive(Config, Debug)]
struct CounterMetric {
    /// The event field counted.
    field: String,
    /// Metric name; the field's by default.
    name: Option<String>,
    /// Add the field's value instead of one.
    #[config(default = false)]
    increment_by_value: bool,
}

#[derive(Config, Debug)]
struct FieldMetric {
    /// The event field measured.
    field: String,
    /// Metric name; the field's by default.
    name: Option<String>,
}

/// A sink, picked by its `type`.
#[derive(Config, Debug)]
#[config(tag = "type", rename_all = "snake_case")]
enum Sink {
    Console(ConsoleSink),
    Elasticsearch(ElasticsearchSink),
    AwsS3(AwsS3Sink),
    PrometheusExporter(PrometheusExporterSink),
    Http(HttpSink),
    Blackhole,
}

#[derive(Config, Debug)]
struct ConsoleSink {
    /// Component ids this one reads.
    inputs: Vec<String>,
    /// How events are written.
    #[config(nested)]
    encoding: Encoding,
}

#[derive(Config, Debug)]
struct ElasticsearchSink {
    /// Component ids this one reads.
    inputs: Vec<String>,
    /// The cluster (deprecated in favour of `endpoints`).
    endpoint: Option<String>,
    /// Bulk API options.
    #[config(nested)]
    bulk: Option<Bulk>,
    /// How to authenticate.
    #[config(nested)]
    auth: Option<ElasticsearchAuth>,
}

#[derive(Config, Debug)]
struct Bulk {
    /// Index name template.
    #[config(default = "vector-%Y.%m.%d")]
    index: String,
}

/// Picked by its `strategy`.
#[derive(Config, Debug)]
#[config(tag = "strategy", rename_all = "snake_case")]
enum ElasticsearchAuth {
    Basic(BasicAuth),
}

#[derive(Config, Debug)]
struct BasicAuth {
    /// User name.
    user: String,
    /// Password.
    password: Secret<String>,
}

#[derive(Config, Debug)]
struct AwsS3Sink {
    /// Component ids this one reads.
    inputs: Vec<String>,
    /// AWS region.
    region: String,
    /// Bucket name.
    bucket: String,
    /// Object key prefix template.
    #[config(default = "date=%F")]
    key_prefix: String,
    /// `none`, `gzip`, `zstd`, ...
    #[config(default = "gzip")]
    compression: String,
    /// How events are delimited in an object.
    #[config(nested)]
    framing: Option<Framing>,
    /// How events are written.
    #[config(nested)]
    encoding: Encoding,
    /// Batching.
    #[config(nested)]
    batch: Option<Batch>,
}

#[derive(Config, Debug)]
struct Batch {
    /// Bytes in a batch, before compression.
    max_bytes: Option<u64>,
    /// Events in a batch.
    max_events: Option<u64>,
}

#[derive(Config, Debug)]
struct PrometheusExporterSink {
    /// Component ids this one reads.
    inputs: Vec<String>,
    /// Namespace of metrics that have none.
    default_namespace: Option<String>,
    /// Histogram buckets.
    #[config(default = "0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10")]
    buckets: Vec<f64>,
}

#[derive(Config, Debug)]
struct HttpSink {
    /// Component ids this one reads.
    inputs: Vec<String>,
    /// Where events are sent.
    #[config(validate(url_scheme("http", "https")))]
    uri: url::Url,
    /// HTTP method.
    #[config(
        default = "post",
        validate(one_of("get", "head", "post", "put", "delete", "options", "trace", "patch"))
    )]
    method: String,
    /// The start-up probe.
    #[config(nested)]
    healthcheck: Healthcheck,
    /// How events are delimited in a request body.
    #[config(nested)]
    framing: Option<Framing>,
    /// How events are written.
    #[config(nested)]
    encoding: Encoding,
    /// Timeouts and retries.
    #[config(nested)]
    request: Request,
    /// Which responses are retried.
    #[config(nested)]
    retry_strategy: Option<RetryStrategy>,
}

#[derive(Config, Debug)]
struct Healthcheck {
    /// Probe the endpoint at start.
    #[config(default = true)]
    enabled: bool,
}

#[derive(Config, Debug)]
struct Request {
    /// Seconds before a request times out.
    #[config(default = 60)]
    timeout_secs: u64,
    /// Retries of one request.
    retry_attempts: Option<u64>,
    /// First backoff, in seconds.
    #[config(default = 1)]
    retry_initial_backoff_secs: u64,
    /// Longest backoff, in seconds.
    #[config(default = 30)]
    retry_max_duration_secs: u64,
}

/// Picked by its `type`.
#[derive(Config, Debug)]
#[config(tag = "type", rename_all = "snake_case")]
enum RetryStrategy {
    None,
    Default,
    All,
    Custom(CustomRetry),
}

#[derive(Config, Debug)]
struct CustomRetry {
    /// Status codes that are retried.
    status_codes: Vec<u16>,
}

/// Vector's `SerializerConfig`: picked by its `codec`.
#[derive(Config, Debug)]
#[config(tag = "codec", rename_all = "snake_case")]
enum Encoding {
    Json(JsonEncoding),
    Text,
}

/// Vector's `JsonSerializerConfig`: the options are the `json` key.
#[derive(Config, Debug)]
struct JsonEncoding {
    /// JSON options.
    #[config(nested, rename = "json")]
    options: JsonOptions,
}

#[derive(Config, Debug)]
struct JsonOptions {
    /// Indented output.
    #[config(default = false)]
    pretty: bool,
}

/// Picked by its `method`.
#[derive(Config, Debug)]
#[config(tag = "method", rename_all = "snake_case")]
enum Framing {
    NewlineDelimited,
    Bytes,
}

fn example(name: &str) -> PathBuf {
    data("vector", name)
}

#[test]
fn the_shipped_vector_yaml_loads_unchanged() {
    let config = VectorConfig::loader()
        .file(example("vector.yaml"))
        .load()
        .unwrap();

    assert_eq!(config.data_dir, None);
    assert!(config.api.is_none(), "the `api` section is commented out");
    assert_eq!(config.sources.keys().collect::<Vec<_>>(), ["dummy_logs"]);
    match &config.sources["dummy_logs"] {
        Source::DemoLogs(demo) => {
            assert_eq!(demo.format, "syslog");
            assert_eq!(demo.interval, 1.0);
        }
        other => panic!("expected demo_logs, got {other:?}"),
    }
    match &config.transforms["parse_logs"] {
        Transform::Remap(remap) => {
            assert_eq!(remap.inputs, ["dummy_logs"]);
            assert_eq!(remap.source, ". = parse_syslog!(string!(.message))\n");
            assert!(!remap.drop_on_error);
        }
        other => panic!("expected remap, got {other:?}"),
    }
    match &config.sinks["print"] {
        Sink::Console(console) => {
            assert_eq!(console.inputs, ["parse_logs"]);
            match &console.encoding {
                Encoding::Json(json) => assert!(json.options.pretty),
                other => panic!("expected the json codec, got {other:?}"),
            }
        }
        other => panic!("expected console, got {other:?}"),
    }

    // The file's commented-out `api` section, uncommented as it says to.
    let scratch = Scratch::new();
    let with_api = shipped_with_api();
    let path = scratch.write("vector.yaml", &with_api);
    let api = VectorConfig::loader().file(&path).load().unwrap().api;
    let api = api.expect("the uncommented section");
    assert!(api.enabled);
    assert_eq!(api.address, "127.0.0.1:8686".parse().unwrap());
}

/// `vector.yaml` with its last lines (the `api` section) uncommented.
fn shipped_with_api() -> String {
    let shipped = std::fs::read_to_string(example("vector.yaml")).unwrap();
    let commented = "# api:\n#   enabled: true\n#   address: \"127.0.0.1:8686\"\n";
    assert!(
        shipped.ends_with(commented),
        "the file ends with the api section"
    );
    shipped.replace(
        commented,
        "api:\n  enabled: true\n  address: \"127.0.0.1:8686\"\n",
    )
}

#[test]
fn the_documentation_example_loads_unchanged() {
    let loader = VectorConfig::loader().file(example("docs_example.yaml"));
    let config = loader.load().unwrap();

    assert_eq!(config.data_dir, Some(PathBuf::from("/var/lib/vector")));
    match &config.sources["apache_logs"] {
        Source::File(file) => {
            assert_eq!(file.include, ["/var/log/apache2/*.log"]);
            assert_eq!(
                file.ignore_older_secs,
                Some(86400),
                "read through the old key"
            );
            assert!(!file.start_at_beginning);
        }
        other => panic!("expected file, got {other:?}"),
    }
    assert_eq!(
        config.transforms.keys().collect::<Vec<_>>(),
        ["apache_parser", "apache_sample"]
    );
    match &config.transforms["apache_sample"] {
        Transform::Sample(sample) => {
            assert_eq!(sample.inputs, ["apache_parser"]);
            assert_eq!(sample.rate, 2);
        }
        other => panic!("expected sample, got {other:?}"),
    }
    match &config.sinks["es_cluster"] {
        Sink::Elasticsearch(es) => {
            assert_eq!(es.endpoint.as_deref(), Some("http://79.12.221.222:9200"));
            assert_eq!(
                es.bulk.as_ref().map(|b| b.index.as_str()),
                Some("vector-%Y-%m-%d")
            );
            assert!(es.auth.is_none());
        }
        other => panic!("expected elasticsearch, got {other:?}"),
    }
    match &config.sinks["s3_archives"] {
        Sink::AwsS3(s3) => {
            assert_eq!(s3.inputs, ["apache_parser"]);
            assert_eq!(
                (s3.region.as_str(), s3.bucket.as_str()),
                ("us-east-1", "my-log-archives")
            );
            assert_eq!(s3.key_prefix, "date=%Y-%m-%d");
            assert_eq!(s3.compression, "gzip");
            assert!(matches!(s3.framing, Some(Framing::NewlineDelimited)));
            assert!(matches!(&s3.encoding, Encoding::Json(json) if !json.options.pretty));
            let batch = s3.batch.as_ref().expect("the example has `batch`");
            assert_eq!(
                (batch.max_bytes, batch.max_events),
                (Some(10_000_000), None)
            );
        }
        other => panic!("expected aws_s3, got {other:?}"),
    }

    // Every key in a map entry has its own row and provenance: the file and the key's line.
    let explain = loader.explain().unwrap();
    let bucket = explain
        .row("sinks.s3_archives.bucket")
        .expect("a row per key of a map entry");
    assert_eq!(
        bucket.origin,
        Some(Origin::File {
            path: example("docs_example.yaml").into(),
            line: Some(39)
        })
    );
    assert_eq!(bucket.value, "my-log-archives");
}

#[test]
fn an_array_of_tagged_metrics_loads_unchanged() {
    let config = VectorConfig::loader()
        .file(example("file_to_prometheus.yaml"))
        .load()
        .unwrap();

    match &config.sources["file"] {
        Source::File(file) => assert!(file.start_at_beginning),
        other => panic!("expected file, got {other:?}"),
    }
    let Transform::LogToMetric(log_to_metric) = &config.transforms["log_to_metric"] else {
        panic!(
            "expected log_to_metric, got {:?}",
            config.transforms["log_to_metric"]
        );
    };
    assert_eq!(log_to_metric.inputs, ["remap"]);
    let metrics = &log_to_metric.metrics;
    assert_eq!(metrics.len(), 5);
    assert!(
        matches!(&metrics[0], Metric::Counter(c) if c.field == "message" && c.name.is_none() && !c.increment_by_value)
    );
    assert!(
        matches!(&metrics[1], Metric::Counter(c) if c.field == "bytes_out" && c.name.as_deref() == Some("bytes_out_total") && c.increment_by_value)
    );
    assert!(matches!(&metrics[2], Metric::Gauge(g) if g.field == "bytes_out"));
    assert!(matches!(&metrics[3], Metric::Set(s) if s.field == "user"));
    assert!(
        matches!(&metrics[4], Metric::Histogram(h) if h.name.as_deref() == Some("bytes_out_histogram"))
    );

    assert!(
        matches!(&config.sinks["console_logs"], Sink::Console(c) if matches!(c.encoding, Encoding::Text))
    );
    match &config.sinks["prometheus"] {
        Sink::PrometheusExporter(prometheus) => {
            assert_eq!(prometheus.inputs, ["log_to_metric"]);
            assert_eq!(prometheus.default_namespace.as_deref(), Some("vector"));
            assert_eq!(
                prometheus.buckets,
                [0.0, 10.0, 100.0, 1000.0, 10000.0, 100001.0]
            );
        }
        other => panic!("expected prometheus_exporter, got {other:?}"),
    }
}

#[test]
fn a_tagged_section_inside_a_tagged_sink_loads_unchanged() {
    let config = VectorConfig::loader()
        .file(example("http_sink_custom_retry.yaml"))
        .load()
        .unwrap();

    let Sink::Http(http) = &config.sinks["http_out"] else {
        panic!("expected http, got {:?}", config.sinks["http_out"]);
    };
    assert_eq!(http.inputs, ["demo_logs"]);
    assert_eq!(http.uri.as_str(), "https://example.com/ingest");
    assert!(matches!(http.framing, Some(Framing::NewlineDelimited)));
    assert!(matches!(&http.encoding, Encoding::Json(json) if !json.options.pretty));
    assert_eq!(http.method, "post");
    assert!(!http.healthcheck.enabled);
    assert_eq!(http.request.timeout_secs, 60);
    assert_eq!(http.request.retry_attempts, Some(8));
    assert_eq!(http.request.retry_initial_backoff_secs, 2);
    assert_eq!(http.request.retry_max_duration_secs, 30);
    match &http.retry_strategy {
        Some(RetryStrategy::Custom(custom)) => {
            assert_eq!(custom.status_codes, [408, 425, 429, 503]);
        }
        other => panic!("expected the custom strategy, got {other:?}"),
    }
}

#[test]
fn variables_named_in_the_file_are_interpolated() {
    // Vector's own syntax: `${NAME}` and `${NAME:-default}` in a file.
    let scratch = Scratch::new();
    let local = scratch.write(
        "endpoints.yaml",
        "sinks:\n  es_cluster:\n    endpoint: \"${ES_ENDPOINT}\"\n    bulk:\n      index: \"${ES_INDEX:-vector-%Y-%m-%d}\"\n",
    );
    let config = VectorConfig::loader()
        .file(example("docs_example.yaml"))
        .file(&local)
        .vars([("ES_ENDPOINT", "https://es.internal:9200")])
        .load()
        .unwrap();
    let Sink::Elasticsearch(es) = &config.sinks["es_cluster"] else {
        panic!("the second file changes keys of the entry, not its type");
    };
    assert_eq!(es.endpoint.as_deref(), Some("https://es.internal:9200"));
    assert_eq!(es.bulk.as_ref().unwrap().index, "vector-%Y-%m-%d");
    assert_eq!(
        es.inputs,
        ["apache_sample"],
        "the first file's keys of the entry stay"
    );
    assert_eq!(config.sinks.len(), 2);
}

#[test]
fn errors_name_the_component_and_the_array_index() {
    let scratch = Scratch::new();
    // Vector reads TOML as well as YAML; TOML keys have lines.
    let local = scratch.write(
        "broken.toml",
        "[sinks.http_out]\nuri = \"not a uri\"\n\n[sinks.es_cluster]\ntype = \"elastisearch\"\n",
    );
    let err = VectorConfig::loader()
        .file(example("http_sink_custom_retry.yaml"))
        .file(&local)
        .load()
        .unwrap_err();
    let uri = error_at(&err, "sinks.http_out.uri");
    assert_eq!(
        uri.origin(),
        Some(&Origin::File {
            path: local.clone().into(),
            line: Some(2)
        })
    );
    let tag = error_at(&err, "sinks.es_cluster.type");
    let text = tag.to_string();
    assert!(
        text.contains("elasticsearch"),
        "the tags it could be: {text}"
    );

    let broken_metric = scratch.write(
        "metric.yaml",
        "transforms:\n  log_to_metric:\n    type: log_to_metric\n    inputs: [remap]\n    metrics:\n      - type: counter\n        field: message\n      - type: gauge\n        name: no_field\n",
    );
    let err = VectorConfig::loader()
        .file(&broken_metric)
        .load()
        .unwrap_err();
    // A missing key of an array element is named by its index.
    error_at(&err, "transforms.log_to_metric.metrics[1].field");
}

#[test]
fn a_password_inside_a_sink_variant_stays_hidden() {
    const PASSWORD: &str = "canary-vector-es-password-77d0";
    let scratch = Scratch::new();
    let auth = scratch.write(
        "auth.yaml",
        &format!(
            "sinks:\n  es_cluster:\n    auth:\n      strategy: basic\n      user: vector\n      password: \"{PASSWORD}\"\n"
        ),
    );
    let loader = VectorConfig::loader()
        .file(example("docs_example.yaml"))
        .file(&auth);
    let config = loader.load().unwrap();
    let Sink::Elasticsearch(es) = &config.sinks["es_cluster"] else {
        panic!("expected elasticsearch");
    };
    let Some(ElasticsearchAuth::Basic(basic)) = &es.auth else {
        panic!("expected basic auth");
    };
    assert_eq!(basic.user, "vector");
    assert_eq!(basic.password.expose_secret(), PASSWORD);

    let explain = loader.explain().unwrap();
    assert_eq!(
        explain
            .row("sinks.es_cluster.auth.password")
            .map(|r| r.value.as_str()),
        Some(config_runtime::REDACTED)
    );
    let broken = scratch.write(
        "broken.yaml",
        "transforms:\n  apache_sample:\n    rate: 0\n",
    );
    let err = VectorConfig::loader()
        .file(example("docs_example.yaml"))
        .file(&auth)
        .file(&broken)
        .load()
        .unwrap_err();
    error_at(&err, "transforms.apache_sample.rate");

    assert_hidden(&[PASSWORD], &config, &explain, &err);
}

#[test]
fn the_schema_lists_each_tag_of_the_component_maps() {
    let schema = VectorConfig::schema().json_schema();
    let sinks = &schema["properties"]["sinks"];
    assert_eq!(sinks["type"], "object", "{sinks:#}");
    let entry = &sinks["additionalProperties"];
    assert!(
        entry.is_object(),
        "a map is `additionalProperties`: {sinks:#}"
    );
    let tags = schema_consts(entry);
    for tag in [
        "console",
        "elasticsearch",
        "aws_s3",
        "prometheus_exporter",
        "http",
        "blackhole",
    ] {
        assert!(
            tags.iter().any(|t| t == tag),
            "{tag} missing from {entry:#}"
        );
    }
    let metrics = schema_consts(&schema["properties"]["transforms"]);
    for tag in ["counter", "gauge", "set", "histogram"] {
        assert!(metrics.iter().any(|t| t == tag), "{tag} missing");
    }
}

#[tokio::test]
async fn a_reload_names_the_component_keys_that_changed() {
    // Vector reloads its pipeline when the file changes (`--watch-config`).
    let scratch = Scratch::new();
    let shipped = std::fs::read_to_string(example("vector.yaml")).unwrap();
    let path = scratch.write("vector.yaml", &shipped);
    let live = VectorConfig::loader().file(&path).watch().await.unwrap();
    let mut events = live.subscribe();

    let edited = shipped
        .replace("pretty: true", "pretty: false")
        .replace("interval: 1", "interval: 0.5");
    assert_ne!(edited, shipped);
    save(&path, &edited);
    let (_, mut changed) = applied_changed(&mut events).await;
    changed.sort();
    assert_eq!(
        changed,
        [
            "sinks.print.encoding.json.pretty",
            "sources.dummy_logs.interval"
        ]
    );
    let config = live.get();
    assert!(
        matches!(&config.sinks["print"], Sink::Console(c) if matches!(&c.encoding, Encoding::Json(j) if !j.options.pretty))
    );

    // A new component is a new map entry: its keys are the changed paths.
    let added = format!("{edited}\n  discard:\n    type: blackhole\n");
    save(&path, &added);
    let (_, changed) = applied_changed(&mut events).await;
    assert_eq!(changed, ["sinks.discard.type"]);
    assert!(matches!(live.get().sinks["discard"], Sink::Blackhole));
}
