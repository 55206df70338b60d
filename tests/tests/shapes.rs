//! The shapes of real services' configs: maps, lists and optional sections of `nested`
//! structs, maps of values, tagged enums, `env_separator`, renames, `flatten`, `unknown`.

use std::collections::{BTreeMap, HashMap};

use config_runtime::{Config, Secret};

#[derive(Config, Debug)]
#[config(prefix = "QD", env_separator = "__")]
struct Settings {
    #[config(nested)]
    service: Service,
    #[config(nested)]
    tls: Option<Tls>,
    #[config(nested)]
    sinks: BTreeMap<String, Sink>,
    #[config(nested)]
    data_dirs: Vec<DataDir>,
    #[config(default = "")]
    labels: HashMap<String, String>,
    #[config(default = 3600)]
    cert_ttl: Option<u64>,
    #[config(
        rename = "indexing_threshold",
        file_alias = "indexing_threshold_kb",
        default = 20000
    )]
    indexing_threshold_kb: usize,
    #[config(flatten)]
    common: Common,
}

#[derive(Config, Debug)]
struct Service {
    #[config(default = 6333)]
    http_port: u16,
    api_key: Option<Secret<String>>,
}

#[derive(Config, Debug)]
struct Tls {
    cert: String,
    #[config(default = "key.pem")]
    key: String,
}

#[derive(Config, Debug)]
#[config(tag = "type", rename_all = "snake_case")]
enum Sink {
    Console(ConsoleSink),
    Http(HttpSink),
    Blackhole,
}

#[derive(Config, Debug, PartialEq)]
struct ConsoleSink {
    #[config(default = "stdout")]
    target: String,
}

#[derive(Config, Debug)]
struct HttpSink {
    uri: url::Url,
    token: Option<Secret<String>>,
}

#[derive(Config, Debug)]
struct DataDir {
    path: std::path::PathBuf,
    #[config(default = 1)]
    weight: u32,
}

#[derive(Config, Debug)]
struct Common {
    #[config(default = "info")]
    log_level: String,
}

const TOML: &str = r#"
cert_ttl = 60
indexing_threshold_kb = 100
log_level = "debug"

[service]
http_port = 7000

[sinks.console]
type = "console"

[sinks.http]
type = "http"
uri = "https://logs.example.com/in"

[sinks.void]
type = "blackhole"

[[data_dirs]]
path = "/a"

[[data_dirs]]
path = "/b"
weight = 3

[labels]
team = "search"
"#;

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("shapes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_file_with_every_shape_loads() {
    let path = write("every.toml", TOML);
    let cfg = Settings::loader().file(&path).load().unwrap();
    assert_eq!(cfg.service.http_port, 7000);
    assert!(cfg.tls.is_none());
    assert_eq!(cfg.sinks.len(), 3);
    assert!(matches!(&cfg.sinks["console"], Sink::Console(c) if c.target == "stdout"));
    assert!(
        matches!(&cfg.sinks["http"], Sink::Http(h) if h.uri.as_str() == "https://logs.example.com/in")
    );
    assert!(matches!(cfg.sinks["void"], Sink::Blackhole));
    assert_eq!(cfg.data_dirs.len(), 2);
    assert_eq!(cfg.data_dirs[1].weight, 3);
    assert_eq!(cfg.data_dirs[0].weight, 1);
    assert_eq!(cfg.labels["team"], "search");
    assert_eq!(cfg.cert_ttl, Some(60));
    assert_eq!(cfg.indexing_threshold_kb, 100);
    assert_eq!(cfg.common.log_level, "debug");
}

#[test]
fn variables_with_double_underscores_reach_every_shape() {
    let cfg = Settings::from_map([
        ("QD__SERVICE__HTTP_PORT", "7001"),
        ("QD__TLS__CERT", "c.pem"),
        ("QD__SINKS__OUT__TYPE", "console"),
        ("QD__SINKS__OUT__TARGET", "stderr"),
        ("QD__DATA_DIRS", r#"[{"path": "/x"}]"#),
        ("QD__LABELS", "a=1,b=2"),
        ("QD__CERT_TTL", ""),
        ("QD__LOG_LEVEL", "warn"),
    ])
    .unwrap();
    assert_eq!(cfg.service.http_port, 7001);
    assert_eq!(cfg.tls.as_ref().unwrap().cert, "c.pem");
    assert_eq!(cfg.tls.as_ref().unwrap().key, "key.pem");
    assert!(matches!(&cfg.sinks["out"], Sink::Console(c) if c.target == "stderr"));
    assert_eq!(cfg.data_dirs[0].path, std::path::PathBuf::from("/x"));
    assert_eq!(cfg.labels.len(), 2);
    assert_eq!(cfg.cert_ttl, None);
    assert_eq!(cfg.common.log_level, "warn");
}

#[test]
fn errors_name_the_entry_path() {
    let path = write(
        "bad.toml",
        "[sinks.http]\ntype = \"http\"\nuri = \"not a url\"\n\n[[data_dirs]]\npath = \"/a\"\n\n[[data_dirs]]\nweight = 2\n\n[sinks.x]\ntype = \"kafka\"\n",
    );
    let err = Settings::loader().file(&path).load().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("sinks.http.uri"), "{text}");
    assert!(text.contains("data_dirs[1].path"), "{text}");
    assert!(text.contains("sinks.x.type"), "{text}");
    let uri = err.errors().iter().find(|e| e.path() == "sinks.http.uri");
    assert_eq!(uri.and_then(|e| e.env()), Some("QD__SINKS__HTTP__URI"));
}

const CANARY: &str = "canary-7f3a-never-shown";

#[test]
fn secrets_inside_maps_and_variants_are_never_shown() {
    let vars = [
        ("QD__SERVICE__API_KEY", CANARY),
        ("QD__SINKS__H__TYPE", "http"),
        ("QD__SINKS__H__URI", "https://in.example"),
        ("QD__SINKS__H__TOKEN", CANARY),
    ];
    let cfg = Settings::from_map(vars).unwrap();
    let Sink::Http(http) = &cfg.sinks["h"] else {
        panic!("an http sink");
    };
    assert_eq!(http.token.as_ref().unwrap().expose_secret(), CANARY);
    assert_eq!(
        cfg.service.api_key.as_ref().unwrap().expose_secret(),
        CANARY
    );
    assert!(!format!("{cfg:?}").contains(CANARY));
    let explain = Settings::loader().vars(vars).explain().unwrap();
    let shown = format!("{explain}\n{explain:?}");
    assert!(!shown.contains(CANARY), "{shown}");
    assert_eq!(explain.row("sinks.h.token").unwrap().value, "[REDACTED]");

    // The same secrets beside an error: still not shown.
    let mut bad = vars.to_vec();
    bad.push(("QD__SINKS__H__URI", "::bad"));
    let err = Settings::from_map(bad).unwrap_err();
    let shown = format!("{err}\n{err:?}");
    assert!(shown.contains("sinks.h.uri"), "{shown}");
    assert!(!shown.contains(CANARY), "{shown}");
}

/// Found by fuzzing: a variable whose entry key would not be written back the same way
/// (`H\t_TOKEN` becomes `H__TOKEN`) named an entry whose whole-entry variable was another
/// entry's secret field, so the secret was read as a plain variant name and quoted.
#[test]
fn an_entry_key_that_does_not_read_back_names_no_entry() {
    let vars = [
        ("QD__SINKS__H", "not_a_variant"),
        ("QD__SINKS__H__TOKEN", CANARY),
        ("QD__SINKS__H\t_TOKEN", "x"),
    ];
    let err = Settings::from_map(vars).unwrap_err();
    let shown = format!("{err}\n{err:?}");
    assert!(!shown.contains(CANARY), "{shown}");
    assert!(
        !shown.contains("sinks.h\\t_token") && !shown.contains("sinks.h\t_token"),
        "no entry is made from it: {shown}"
    );
    assert!(
        err.errors()
            .iter()
            .any(|e| e.to_string().contains("QD__SINKS__H\\t_TOKEN")
                && e.to_string().contains("unknown variable")),
        "it is an unknown variable: {shown}"
    );
}

#[test]
fn null_makes_an_option_none_even_with_a_default() {
    let path = write("null.toml", "cert_ttl = \"~\"\n");
    // A quoted "~" is text, not null: it does not parse as a number.
    assert!(Settings::loader().file(&path).load().is_err());
    let path = write("null.yaml", "cert_ttl: ~\n");
    let cfg = Settings::loader().file(&path).load().unwrap();
    assert_eq!(cfg.cert_ttl, None);
    let cfg = Settings::from_map([("QD__CERT_TTL", "12")]).unwrap();
    assert_eq!(cfg.cert_ttl, Some(12));
    let cfg = Settings::from_map([("QD__LOG_LEVEL", "x")]).unwrap();
    assert_eq!(cfg.cert_ttl, Some(3600));
}

#[test]
fn a_list_given_as_json_text_in_a_file_is_placed_at_its_key_line() {
    let path = write(
        "json-list.toml",
        "# two data directories, given as JSON text\n\ndata_dirs = '[{\"path\": \"/a\"}, {\"path\": \"/b\", \"weight\": \"heavy\"}]'\n",
    );
    let err = Settings::loader().file(&path).load().unwrap_err();
    let weight = err
        .errors()
        .iter()
        .find(|e| e.path() == "data_dirs[1].weight")
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        matches!(weight.kind(), config_runtime::ErrorKind::Invalid { .. }),
        "the item's key is known and its value refused: {err}"
    );
    // The items have no lines of their own (they are inside a string): the key's line.
    assert_eq!(
        weight.origin(),
        Some(&config_runtime::Origin::File {
            path: path.clone().into(),
            line: Some(3),
        }),
        "{err}"
    );
}

#[test]
fn a_list_given_whole_replaces_and_maps_merge_by_key() {
    let path = write("layers.toml", TOML);
    let cfg = Settings::loader()
        .file(&path)
        .vars([
            ("QD__DATA_DIRS", r#"[{"path": "/only"}]"#),
            ("QD__SINKS__EXTRA__TYPE", "blackhole"),
        ])
        .load()
        .unwrap();
    assert_eq!(cfg.data_dirs.len(), 1);
    assert_eq!(cfg.data_dirs[0].path, std::path::PathBuf::from("/only"));
    assert_eq!(
        cfg.data_dirs[0].weight, 1,
        "nothing of the replaced items is kept"
    );
    assert_eq!(cfg.sinks.len(), 4);
    assert!(matches!(cfg.sinks["extra"], Sink::Blackhole));
    // A later null drops a whole map.
    let cfg = Settings::loader()
        .file(&path)
        .set("sinks", "")
        .load()
        .unwrap();
    assert!(cfg.sinks.is_empty());
}

#[test]
fn unknown_keys_inside_entries_are_errors_with_suggestions() {
    let path = write(
        "unknown.toml",
        "[sinks.c]\ntype = \"console\"\ntargt = \"x\"\n\n[[data_dirs]]\npath = \"/a\"\nwieght = 2\n",
    );
    let err = Settings::loader().file(&path).load().unwrap_err();
    let text = err.to_string();
    assert!(text.contains("sinks.c.targt"), "{text}");
    assert!(text.contains("did you mean target"), "{text}");
    assert!(text.contains("data_dirs[0].wieght"), "{text}");
}

#[test]
fn an_old_file_key_still_loads_with_a_warning() {
    let path = write("old-key.toml", "indexing_threshold_kb = 5\n");
    let explain = Settings::loader().file(&path).explain().unwrap();
    assert_eq!(explain.row("indexing_threshold").unwrap().value, "5");
    let warnings: Vec<String> = explain.warnings().iter().map(|w| w.to_string()).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("indexing_threshold_kb is an old key")),
        "{warnings:?}"
    );
    let path = write("new-key.toml", "indexing_threshold = 6\n");
    assert_eq!(
        Settings::loader()
            .file(&path)
            .load()
            .unwrap()
            .indexing_threshold_kb,
        6
    );
}

#[test]
fn a_unit_variant_is_a_bare_word() {
    let path = write("bare.toml", "[sinks]\nvoid = \"blackhole\"\n");
    let cfg = Settings::loader().file(&path).load().unwrap();
    assert!(matches!(cfg.sinks["void"], Sink::Blackhole));
    let cfg = Settings::from_map([("QD__SINKS__VOID", "blackhole")]).unwrap();
    assert!(matches!(cfg.sinks["void"], Sink::Blackhole));
}

#[test]
fn explain_names_every_entry() {
    let path = write("explain.toml", TOML);
    let explain = Settings::loader().file(&path).explain().unwrap();
    let row = explain.row("sinks.http.uri").unwrap();
    assert_eq!(row.env, "QD__SINKS__HTTP__URI");
    assert_eq!(row.value, "https://logs.example.com/in");
    assert!(row.source().contains("line 14"), "{}", row.source());
    assert_eq!(explain.row("data_dirs[1].weight").unwrap().value, "3");
    assert_eq!(explain.row("labels.team").unwrap().value, "search");
}

/// The default `_` separator: entries' variables end with the entry's own names.
#[derive(Config, Debug)]
#[config(prefix = "APP")]
struct Underscored {
    #[config(nested)]
    upstreams: HashMap<String, Upstream>,
    #[config(default = "", validate(range(min = 1)))]
    weights: BTreeMap<String, u32>,
}

#[derive(Config, Debug)]
struct Upstream {
    url: url::Url,
    #[config(default = "1s")]
    connect_timeout: std::time::Duration,
}

#[test]
fn single_underscore_names_find_the_entry_by_its_fields() {
    let cfg = Underscored::from_map([
        ("APP_UPSTREAMS_MY_API_URL", "http://a.example"),
        ("APP_UPSTREAMS_MY_API_CONNECT_TIMEOUT", "5s"),
        ("APP_WEIGHTS_BLUE", "3"),
    ])
    .unwrap();
    let upstream = &cfg.upstreams["my_api"];
    assert_eq!(upstream.url.as_str(), "http://a.example/");
    assert_eq!(upstream.connect_timeout.as_secs(), 5);
    assert_eq!(cfg.weights["blue"], 3);

    // Rules apply to each value of a map of values.
    let err = Underscored::from_map([("APP_WEIGHTS_RED", "0")]).unwrap_err();
    assert!(err.to_string().contains("APP_WEIGHTS_RED"), "{err}");
    assert_eq!(err.errors()[0].path(), "weights.red");
}

/// A section written for a newer version of the app: its unknown keys are warnings.
#[derive(Config, Debug)]
struct Tolerant {
    #[config(nested)]
    cluster: Cluster,
}

#[derive(Config, Debug)]
#[config(unknown = "warn")]
struct Cluster {
    #[config(default = false)]
    enabled: bool,
}

#[test]
fn unknown_warn_accepts_new_keys_with_a_warning() {
    let path = write(
        "tolerant.toml",
        "[cluster]\nenabled = true\nconsensus = \"raft\"\n",
    );
    assert!(
        Tolerant::loader()
            .file(&path)
            .load()
            .unwrap()
            .cluster
            .enabled
    );
    let explain = Tolerant::loader().file(&path).explain().unwrap();
    let warnings: Vec<String> = explain.warnings().iter().map(|w| w.to_string()).collect();
    assert!(
        warnings.iter().any(|w| w.contains("cluster.consensus")),
        "{warnings:?}"
    );
    let path = write("intolerant.toml", "other = 1\n[cluster]\nenabled = true\n");
    assert!(Tolerant::loader().file(&path).load().is_err());
}

#[test]
fn env_example_shows_one_placeholder_entry_and_every_variant() {
    let text = Settings::env_example();
    config_tests::snapshot::assert_snapshot("shapes.env.example", &text);
    assert!(
        text.contains("# QD__SINKS__<NAME>__TARGET=stdout"),
        "{text}"
    );
    assert!(text.contains("QD__SINKS__<NAME>__URI="), "{text}");
    assert!(text.contains("QD__DATA_DIRS__0__PATH="), "{text}");
    assert!(text.contains("all of it as JSON in QD__SINKS"), "{text}");
}

#[test]
fn json_schema_has_maps_lists_and_tagged_variants() {
    let schema = Settings::schema().json_schema();
    let text = serde_json::to_string_pretty(&schema).unwrap();
    config_tests::snapshot::assert_snapshot("shapes.schema.json", &text);
    let sinks = &schema["properties"]["sinks"];
    assert_eq!(sinks["type"], "object");
    let variants = sinks["additionalProperties"]["oneOf"].as_array().unwrap();
    assert_eq!(variants[0]["properties"]["type"]["const"], "console");
    assert_eq!(variants[1]["required"][0], "type");
    assert_eq!(variants[1]["required"][1], "uri");
    assert_eq!(schema["properties"]["data_dirs"]["type"], "array");
    assert_eq!(
        schema["properties"]["data_dirs"]["items"]["properties"]["weight"]["default"],
        1
    );
    assert_eq!(
        schema["properties"]["labels"]["additionalProperties"]["type"],
        "string"
    );
    assert!(schema["properties"]["tls"]["properties"]["cert"].is_object());
    assert!(schema["properties"]["indexing_threshold"].is_object());
    assert!(schema["properties"]["log_level"].is_object(), "flattened");
}

#[tokio::test]
async fn a_live_reload_names_the_map_key_and_list_index_that_changed() {
    use config_tests::events::applied;
    let path = write("live.toml", TOML);
    let live = Settings::loader().file(&path).watch().await.unwrap();
    let mut events = live.subscribe();
    let changed = TOML
        .replace("https://logs.example.com/in", "https://logs.example.com/v2")
        .replace("weight = 3", "weight = 4");
    config_tests::files::save(&path, &changed);
    let (_, paths, _) = applied(&mut events).await;
    assert_eq!(paths, ["sinks.http.uri", "data_dirs[1].weight"]);

    // An entry removed is a change of its leaves.
    let removed = changed.replace("[sinks.void]\ntype = \"blackhole\"\n", "");
    config_tests::files::save(&path, &removed);
    let (_, paths, _) = applied(&mut events).await;
    assert_eq!(paths, ["sinks.void.type"]);
    assert!(!live.get().sinks.contains_key("void"));
}

#[test]
fn yaml_json_and_overrides_give_the_same_shapes() {
    let yaml = write(
        "every.yaml",
        "sinks:\n  http:\n    type: http\n    uri: https://y.example/\n  void: blackhole\n\
         data_dirs:\n  - path: /a\n  - path: /b\n    weight: 3\nlabels:\n  team: search\ntls:\n  cert: c.pem\n",
    );
    let json = write(
        "every.json",
        r#"{"sinks": {"http": {"type": "http", "uri": "https://y.example/"}, "void": {"type": "blackhole"}},
            "data_dirs": [{"path": "/a"}, {"path": "/b", "weight": 3}],
            "labels": {"team": "search"}, "tls": {"cert": "c.pem"}}"#,
    );
    for path in [yaml, json] {
        let cfg = Settings::loader()
            .file(&path)
            .set("data_dirs[0].weight", "7")
            .set("sinks.http.token", "t")
            .load()
            .unwrap();
        assert!(matches!(&cfg.sinks["http"], Sink::Http(h) if h.token.is_some()));
        assert!(matches!(cfg.sinks["void"], Sink::Blackhole));
        assert_eq!(cfg.data_dirs[0].weight, 7, "{}", path.display());
        assert_eq!(cfg.data_dirs[1].weight, 3);
        assert_eq!(cfg.labels["team"], "search");
        assert_eq!(cfg.tls.unwrap().cert, "c.pem");
    }
}

/// `prefix_separator` on its own, as config-rs has it: `ATUIN_SYNC__RECORDS`.
#[derive(Config, Debug)]
#[config(prefix = "ATUIN", env_separator = "__", prefix_separator = "_")]
struct Atuin {
    #[config(nested)]
    sync: Sync,
    #[config(default = "127.0.0.1")]
    host: String,
}

#[derive(Config, Debug)]
struct Sync {
    #[config(default = false)]
    records: bool,
}

#[test]
fn the_prefix_separator_can_differ_from_the_nesting_one() {
    let cfg =
        Atuin::from_map([("ATUIN_SYNC__RECORDS", "true"), ("ATUIN_HOST", "0.0.0.0")]).unwrap();
    assert!(cfg.sync.records);
    assert_eq!(cfg.host, "0.0.0.0");
    let err = Atuin::from_map([("ATUIN_SYNC__RECORD", "true")]).unwrap_err();
    assert!(
        err.to_string().contains("did you mean ATUIN_SYNC__RECORDS"),
        "{err}"
    );
}

#[test]
fn bad_shapes_are_reported_against_the_node() {
    let err = Settings::from_map([("QD__DATA_DIRS", "{\"path\": 1}")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("QD__DATA_DIRS (environment): expected a list of tables (got a table)"),
        "{err}"
    );
    let err = Settings::from_map([("QD__SINKS", "[1, 2]")]).unwrap_err();
    assert!(err.to_string().contains("QD__SINKS"), "{err}");
    let path = write("scalar-list.toml", "data_dirs = [\"/a\"]\n");
    let err = Settings::loader().file(&path).load().unwrap_err();
    assert!(err.to_string().contains("data_dirs[0]"), "{err}");
}

/// A whole map, list or section in one variable that does not read says why, naming the entry
/// that is wrong, and never quoting the text (a map's values may be secrets).
#[test]
fn a_whole_node_in_one_variable_says_what_is_wrong_with_it() {
    let cases = [
        (
            "QD__LABELS",
            format!("team=search,{CANARY}"),
            "QD__LABELS (environment): expected entries like `key=value,key=value`, or a JSON \
             object (entry 2 has no `=`)",
        ),
        (
            "QD__LABELS",
            format!("team=search,={CANARY}"),
            "(entry 2 has no key)",
        ),
        (
            "QD__LABELS",
            format!("team=search,team={CANARY}"),
            "(key `team` is given twice)",
        ),
        (
            "QD__LABELS",
            format!("{{\"team\": \"{CANARY}\""),
            "(not valid JSON: EOF while parsing an object at column 34)",
        ),
        (
            "QD__SINKS",
            format!("console={CANARY}"),
            "QD__SINKS (environment): expected a JSON object (not JSON)",
        ),
        (
            "QD__DATA_DIRS",
            format!("/a,{CANARY}"),
            "QD__DATA_DIRS (environment): expected a JSON array of tables (not JSON)",
        ),
    ];
    for (name, value, expected) in cases {
        let err = Settings::from_map([(name, value.as_str())]).unwrap_err();
        let shown = format!("{err}\n{err:?}");
        assert!(shown.contains(expected), "{name}={value}: {shown}");
        assert!(!shown.contains(CANARY), "{shown}");
    }
    // Spaces around keys, values and commas are not part of them.
    let cfg = Settings::from_map([("QD__LABELS", " team = search , tier=1 ")]).unwrap();
    assert_eq!(cfg.labels["team"], "search");
    assert_eq!(cfg.labels["tier"], "1");
}

#[test]
fn flags_and_embedded_text_reach_entries() {
    let defaults = "sinks:\n  http:\n    type: http\n    uri: https://default.example/\n";
    let cfg = Settings::loader()
        .string(defaults, config_runtime::Format::Yaml)
        .args([
            "app",
            "--sinks.http.uri=https://flag.example/",
            "--data-dirs[0].path",
            "/flag",
            "--service.http-port",
            "7002",
        ])
        .load()
        .unwrap();
    assert!(
        matches!(&cfg.sinks["http"], Sink::Http(h) if h.uri.as_str() == "https://flag.example/")
    );
    assert_eq!(cfg.data_dirs[0].path, std::path::PathBuf::from("/flag"));
    assert_eq!(cfg.service.http_port, 7002);

    let err = Settings::loader()
        .args(["app", "--sinks.http.type=http", "--sinks.http.urii", "x"])
        .load()
        .unwrap_err();
    assert!(err.to_string().contains("--sinks.http.urii"), "{err}");
}

#[test]
fn a_misspelt_map_key_is_suggested() {
    let path = write("misspelt.toml", "[sink.console]\ntype = \"console\"\n");
    let err = Settings::loader().file(&path).load().unwrap_err();
    assert!(err.to_string().contains("did you mean sinks"), "{err}");
}

/// `unknown = "ignore"`: a section written for another tool's keys too.
#[derive(Config, Debug)]
struct Shared {
    #[config(nested)]
    mine: Mine,
}

#[derive(Config, Debug)]
#[config(unknown = "ignore")]
struct Mine {
    #[config(default = 1)]
    level: u8,
}

#[test]
fn unknown_ignore_accepts_new_keys_silently() {
    let path = write(
        "ignore.toml",
        "[mine]\nlevel = 2\ntheirs = true\n[mine.deeper]\nx = 1\n",
    );
    let explain = Shared::loader().file(&path).explain().unwrap();
    assert!(explain.warnings().is_empty());
    assert_eq!(Shared::loader().file(&path).load().unwrap().mine.level, 2);
}

#[test]
fn an_error_inside_a_json_variable_names_the_item_and_the_variable() {
    let err = Settings::from_map([(
        "QD__DATA_DIRS",
        r#"[{"path": "/a"}, {"path": "/b", "weight": "x"}]"#,
    )])
    .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("data_dirs[1].weight (environment, in QD__DATA_DIRS): expected"),
        "{text}"
    );
    let err = Settings::from_map([("QD__DATA_DIRS", r#"[{"pth": "/a"}]"#)]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("data_dirs[0].pth (environment, in QD__DATA_DIRS): unknown key"),
        "{text}"
    );
}

#[test]
fn empty_variables_name_no_entry() {
    let cfg = Settings::from_map([("QD__TLS__CERT", ""), ("QD__SINKS__X__URI", "")]).unwrap();
    assert!(cfg.tls.is_none());
    assert!(cfg.sinks.is_empty());
}

/// A struct used both on its own and as the entries of a map: its explicit `env` and
/// `alias` names apply where it stands alone; in the map each entry's variables come from
/// its key.
#[derive(Config, Debug)]
#[config(prefix = "REUSE")]
struct Reused {
    #[config(nested)]
    main: Endpoint,
    #[config(nested)]
    others: BTreeMap<String, Endpoint>,
}

#[derive(Config, Debug)]
struct Endpoint {
    #[config(
        env = "ENDPOINT_HOST",
        alias = "OLD_ENDPOINT_HOST",
        default = "localhost"
    )]
    host: String,
}

#[test]
fn explicit_names_do_not_reach_map_entries() {
    let cfg = Reused::from_map([
        ("ENDPOINT_HOST", "main.example"),
        ("REUSE_OTHERS_A_HOST", "a.example"),
        ("REUSE_OTHERS_B_HOST", "b.example"),
    ])
    .unwrap();
    assert_eq!(cfg.main.host, "main.example");
    assert_eq!(cfg.others["a"].host, "a.example");
    assert_eq!(cfg.others["b"].host, "b.example");
}

#[test]
fn a_map_of_values_given_as_text_in_a_file_loads() {
    for (name, text) in [
        (
            "labels-json.toml",
            "# labels as JSON text\nlabels = '{\"team\": \"search\", \"tier\": \"1\"}'\n",
        ),
        (
            "labels-pairs.toml",
            "# labels as pairs\nlabels = 'team=search,tier=1'\n",
        ),
    ] {
        let path = write(name, text);
        let cfg = Settings::loader()
            .file(&path)
            .load()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(cfg.labels.len(), 2, "{name}");
        assert_eq!(cfg.labels["team"], "search", "{name}");
        assert_eq!(cfg.labels["tier"], "1", "{name}");
        let explain = Settings::loader().file(&path).explain().unwrap();
        let row = explain.row("labels.team").unwrap();
        assert!(row.source().contains("line 2"), "{name}: {}", row.source());
    }
}

#[test]
fn a_list_given_as_json_text_in_a_file_loads() {
    let path = write(
        "json-list-ok.toml",
        "data_dirs = '[{\"path\": \"/a\"}, {\"path\": \"/b\", \"weight\": 3}]'\n",
    );
    let cfg = Settings::loader().file(&path).load().unwrap();
    assert_eq!(cfg.data_dirs.len(), 2);
    assert_eq!(cfg.data_dirs[0].path, std::path::PathBuf::from("/a"));
    assert_eq!(cfg.data_dirs[0].weight, 1, "an item's own default");
    assert_eq!(cfg.data_dirs[1].weight, 3);
}

/// Maps of values whose default is written whole, as JSON or as pairs.
#[derive(Config, Debug)]
#[config(prefix = "MD", env_separator = "__")]
struct MapDefaults {
    #[config(default = r#"{"eu": "https://eu.example", "us": "https://us.example"}"#)]
    regions: HashMap<String, String>,
    #[config(default = "low=1,high=10")]
    weights: BTreeMap<String, u32>,
}

#[test]
fn a_map_default_written_whole_fills_its_entries_and_sources_merge_over_it() {
    let cfg = MapDefaults::from_map(Vec::<(String, String)>::new()).unwrap();
    assert_eq!(cfg.regions.len(), 2);
    assert_eq!(cfg.regions["eu"], "https://eu.example");
    assert_eq!(
        cfg.weights,
        BTreeMap::from([("high".to_owned(), 10), ("low".to_owned(), 1)])
    );

    // A source sets one entry and adds another: the default's other entries stay.
    let cfg =
        MapDefaults::from_map([("MD__WEIGHTS__HIGH", "20"), ("MD__WEIGHTS__MID", "5")]).unwrap();
    assert_eq!(cfg.weights["high"], 20);
    assert_eq!(cfg.weights["mid"], 5);
    assert_eq!(cfg.weights["low"], 1);

    let explain = MapDefaults::loader().explain().unwrap();
    let row = explain.row("regions.us").unwrap();
    assert_eq!(row.value, "https://us.example");
    assert_eq!(row.origin, Some(config_runtime::Origin::Default), "{row:?}");
}

#[derive(Config, Debug)]
#[config(prefix = "NV", env_separator = "__")]
struct NulledSinks {
    #[config(nested)]
    sinks: BTreeMap<String, SecretFirst>,
    /// A plain field after the map: it reads its own variable, never a variant's.
    #[config(default = 7)]
    after: u16,
}

#[derive(Config, Debug)]
#[config(tag = "type", rename_all = "snake_case")]
enum SecretFirst {
    Http(SecretFirstHttp),
}

#[derive(Config, Debug)]
struct SecretFirstHttp {
    token: Secret<String>,
    uri: url::Url,
}

/// Found by fuzzing: a null for the whole map between an entry's `type` and its other
/// variables leaves the entry without a variant, while the scan still remembered the one named
/// before the null. The assembly then stopped at the missing tag, and the next field read the
/// variant's first slot: a panic in debug builds; in release builds the secret token parsed as
/// `after`'s integer, a second error about the wrong variable. The missing tag is now the one
/// error, and nothing shifts.
#[test]
fn a_variant_unset_by_a_null_shifts_no_field() {
    let vars = [
        ("NV__SINKS__A__TYPE", "http"),
        ("NV__SINKS", ""),
        ("NV__SINKS__A__TOKEN", CANARY),
        ("NV__SINKS__A__URI", "https://in.example"),
    ];
    let err = NulledSinks::from_map(vars).unwrap_err();
    let shown = format!("{err}\n{err:?}");
    assert!(!shown.contains(CANARY), "{shown}");
    let problems = config_tests::problems(&err);
    assert_eq!(
        problems,
        ["NV__SINKS__A__TYPE: required, not set (see .env.example)"],
        "{shown}"
    );

    // Named again after the null, the variant is whole and the next field is its own.
    let mut named_again = vars.to_vec();
    named_again.push(("NV__SINKS__A__TYPE", "http"));
    let cfg = NulledSinks::from_map(named_again).unwrap();
    let SecretFirst::Http(http) = &cfg.sinks["a"];
    assert_eq!(http.token.expose_secret(), CANARY);
    assert_eq!(http.uri.as_str(), "https://in.example/");
    assert_eq!(cfg.after, 7);
}

#[derive(Config, Debug)]
#[config(prefix = "TD")]
struct TextDefaults {
    #[config(nested)]
    dirs: Vec<TextDefaultDir>,
}

#[derive(Config, Debug)]
struct TextDefaultDir {
    path: String,
    #[config(default = "fast")]
    class: String,
}

/// A list given whole replaces the one before it, and each entry's fields it leaves out take
/// their defaults; a default written as text was lost with the old list ("dirs[0].class:
/// required, not set").
#[test]
fn entries_of_a_list_given_whole_keep_their_text_defaults() {
    let path = write(
        "text-defaults.toml",
        "[[dirs]]\npath = \"/a\"\n\n[[dirs]]\npath = \"/b\"\nclass = \"slow\"\n",
    );
    for cfg in [
        TextDefaults::loader().file(&path).load().unwrap(),
        TextDefaults::from_map([(
            "TD_DIRS",
            r#"[{"path": "/a"}, {"path": "/b", "class": "slow"}]"#,
        )])
        .unwrap(),
    ] {
        let dirs: Vec<(&str, &str)> = (cfg.dirs.iter())
            .map(|dir| (dir.path.as_str(), dir.class.as_str()))
            .collect();
        assert_eq!(dirs, [("/a", "fast"), ("/b", "slow")]);
    }
}

#[derive(Config, Debug)]
#[config(prefix = "NN", env_separator = "__")]
struct NestedNulls {
    #[config(nested)]
    tls: Option<NestedTls>,
    #[config(nested)]
    ups: BTreeMap<String, NestedUp>,
}

#[derive(Config, Debug)]
struct NestedTls {
    cert: String,
    #[config(default = "")]
    extra: BTreeMap<String, String>,
}

#[derive(Config, Debug)]
struct NestedUp {
    #[config(default = "")]
    headers: BTreeMap<String, String>,
    #[config(nested)]
    pool: BTreeMap<String, NestedPool>,
}

#[derive(Config, Debug)]
struct NestedPool {
    size: u8,
    #[config(default = "")]
    labels: BTreeMap<String, String>,
    #[config(nested)]
    sinks: BTreeMap<String, Sink>,
}

/// A null for a section or map drops the entries of the maps inside it that sources named
/// before it, as it drops their values: they used to stay listed, each "required, not set".
#[test]
fn a_null_above_a_map_drops_the_entries_named_before_it() {
    let cfg = NestedNulls::from_map([
        ("NN__TLS__EXTRA__K", "v"),
        ("NN__TLS", ""),
        ("NN__TLS__CERT", "x"),
    ])
    .unwrap();
    let tls = cfg.tls.unwrap();
    assert_eq!((tls.cert.as_str(), tls.extra.len()), ("x", 0));

    let cfg = NestedNulls::from_map([
        ("NN__UPS__A__POOL__P__SIZE", "3"),
        ("NN__UPS", ""),
        ("NN__UPS__A__HEADERS__H", "v"),
    ])
    .unwrap();
    let up = &cfg.ups["a"];
    assert_eq!(up.headers["h"], "v");
    assert!(up.pool.is_empty());

    // A null for a map inside an entry of a map.
    let cfg = NestedNulls::from_map([
        ("NN__UPS__A__POOL__P__SIZE", "3"),
        ("NN__UPS__A__POOL__P__LABELS__L", "x"),
        ("NN__UPS__A__POOL", ""),
        ("NN__UPS__A__HEADERS__H", "v"),
    ])
    .unwrap();
    assert!(cfg.ups["a"].pool.is_empty());
    // ... and named again after it: the entry comes back without what the null dropped.
    let cfg = NestedNulls::from_map([
        ("NN__UPS__A__POOL__P__LABELS__L", "x"),
        ("NN__UPS__A__POOL", ""),
        ("NN__UPS__A__POOL__P__SIZE", "3"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let pool = &cfg.ups["a"].pool["p"];
    assert_eq!((pool.size, pool.labels.len()), (3, 0));

    // The same in a file: `ups = null` in the later file.
    let base = write("nested-nulls-base.toml", "[ups.a.pool.p]\nsize = 3\n");
    let over = write("nested-nulls-over.json", r#"{"ups": null}"#);
    let cfg = NestedNulls::loader()
        .file(&base)
        .file(&over)
        .load()
        .unwrap();
    assert!(cfg.ups.is_empty());
    let over = write(
        "nested-nulls-entry.json",
        r#"{"ups": {"a": {"pool": null, "headers": {"h": "v"}}}}"#,
    );
    let cfg = NestedNulls::loader()
        .file(&base)
        .file(&over)
        .load()
        .unwrap();
    assert!(cfg.ups["a"].pool.is_empty());
    // Sizes are read: the field is not dead.
    let cfg = NestedNulls::loader().file(&base).load().unwrap();
    assert_eq!(cfg.ups["a"].pool["p"].size, 3);
}

/// A map's entry given whole in one variable, as JSON, reaches the maps and tagged sections
/// inside it: their keys were "unknown key" and their variants unchosen.
#[test]
fn a_whole_entry_in_json_reaches_the_maps_and_variants_inside_it() {
    let cfg = NestedNulls::from_map([
        ("NN__UPS__A__POOL__P__LABELS__L", "x"),
        (
            "NN__UPS__A__POOL",
            r#"{"p": {"size": 3, "labels": {"m": "y"},
                      "sinks": {"s": {"type": "console", "target": "stderr"}}}}"#,
        ),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let pool = &cfg.ups["a"].pool["p"];
    let labels: Vec<(&str, &str)> = (pool.labels.iter())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(labels, [("l", "x"), ("m", "y")]);
    assert!(
        matches!(&pool.sinks["s"], Sink::Console(console) if console.target == "stderr"),
        "{:?}",
        pool.sinks
    );

    // The same given by key, as an override; and a null by key drops what came before it.
    let cfg = NestedNulls::loader()
        .vars([("NN__UPS__A__POOL__P__LABELS__L", "x")])
        .set(
            "ups.a.pool",
            r#"{"p": {"size": 3, "sinks": {"s": {"type": "blackhole"}}}}"#,
        )
        .load()
        .unwrap_or_else(|e| panic!("{e}"));
    let pool = &cfg.ups["a"].pool["p"];
    assert_eq!(pool.labels.len(), 1);
    assert!(
        matches!(pool.sinks["s"], Sink::Blackhole),
        "{:?}",
        pool.sinks
    );
    let cfg = NestedNulls::loader()
        .vars([("NN__UPS__A__POOL__P__LABELS__L", "x")])
        .set("ups.a.pool", "")
        .set("ups.a.pool.p.size", "3")
        .load()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(cfg.ups["a"].pool["p"].labels.is_empty());
}

/// The variant is chosen from the text as written, before references are resolved: a `type`
/// given through a reference is one clear error, where it used to fail with no problem listed.
#[test]
fn a_tag_given_through_a_reference_is_a_clear_error() {
    let err = Settings::from_map([
        ("QD__SINKS__H__TYPE", "${SINK_KIND}"),
        ("SINK_KIND", "http"),
        ("QD__SINKS__H__URI", "https://in.example"),
    ])
    .unwrap_err();
    let problems = config_tests::problems(&err);
    assert_eq!(
        problems,
        [
            "QD__SINKS__H__TYPE (environment): must name the variant itself, not through a \
             reference: the variant is chosen before references are resolved"
        ]
    );
}

#[derive(Config, Debug)]
#[config(prefix = "UN")]
struct UnderscoreNested {
    #[config(nested)]
    ups: BTreeMap<String, UnderscoreUp>,
}

#[derive(Config, Debug)]
struct UnderscoreUp {
    #[config(default = 1)]
    weight: u8,
    #[config(nested)]
    pool: BTreeMap<String, UnderscorePool>,
}

#[derive(Config, Debug)]
struct UnderscorePool {
    size: u8,
}

/// With the default `_` separator a map inside a map's entry is found by its name in the
/// variable: `.env.example` shows `UN_UPS_<NAME>_POOL_<NAME>_SIZE`, which used to be "unknown
/// variable" (only the entry type's own fields were known endings).
#[test]
fn with_single_underscores_a_map_inside_an_entry_is_found_by_its_name() {
    let example = UnderscoreNested::env_example();
    assert!(
        example.contains("\nUN_UPS_<NAME>_POOL_<NAME>_SIZE=\n"),
        "{example}"
    );
    let cfg = UnderscoreNested::from_map([
        ("UN_UPS_MAIN_POOL_P1_SIZE", "3"),
        ("UN_UPS_MY_API_WEIGHT", "2"),
        ("UN_UPS_MY_API_POOL_P_SIZE", "4"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.ups["main"].pool["p1"].size, 3);
    assert_eq!(cfg.ups["main"].weight, 1);
    assert_eq!(cfg.ups["my_api"].weight, 2);
    assert_eq!(cfg.ups["my_api"].pool["p"].size, 4);
    // A null for the inner map drops the entries named before it, as with `__`.
    let cfg = UnderscoreNested::from_map([
        ("UN_UPS_MAIN_POOL_P1_SIZE", "3"),
        ("UN_UPS_MAIN_POOL", ""),
        ("UN_UPS_MAIN_POOL_P2_SIZE", "5"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let sizes: Vec<(&str, u8)> = (cfg.ups["main"].pool.iter())
        .map(|(key, pool)| (key.as_str(), pool.size))
        .collect();
    assert_eq!(sizes, [("p2", 5)]);
}
