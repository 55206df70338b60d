//! `ByteSize` and the `NonZero*` integers: read from every source like any field, checked by
//! `range`, and named in errors by variable and source, never quoting a secret.

use config_runtime::{ByteSize, Config, Secret};
use config_tests::Scratch;
use std::num::{NonZero, NonZeroI32, NonZeroU16, NonZeroUsize};

#[derive(Config, Debug)]
#[config(prefix = "Q")]
struct Limits {
    /// Largest request body.
    #[config(default = "100 MB", validate(range(min = "1 KiB", max = "1 GiB")))]
    max_payload: ByteSize,
    /// Write-ahead log segment size.
    #[config(default = "32MiB")]
    wal_segment: ByteSize,
    /// Upload chunk sizes.
    #[config(default = "1M, 512")]
    chunks: Vec<ByteSize>,
    /// Disk quota of the tenant (a secret, to prove it is never quoted).
    quota: Option<Secret<ByteSize>>,
    /// Worker threads.
    #[config(default = 4, validate(range(min = 2, max = 64)))]
    workers: NonZeroUsize,
    /// Shard count.
    #[config(default = "1")]
    shards: NonZeroU16,
    /// Clock skew allowed, never zero.
    offset: Option<NonZeroI32>,
    /// Replicas, in the generic spelling.
    #[config(default = 3, validate(range(max = 5)))]
    replicas: NonZero<u32>,
}

#[test]
fn defaults_and_every_spelling_of_a_size() {
    let limits = Limits::from_map([("Q_WAL_SEGMENT", "1M")]).unwrap();
    assert_eq!(limits.max_payload, ByteSize::mb(100));
    assert_eq!(
        limits.wal_segment.as_u64(),
        1_000_000,
        "1M is decimal: 1 MB"
    );
    assert_eq!(limits.chunks, [ByteSize::mb(1), ByteSize::b(512)]);
    assert_eq!(limits.workers.get(), 4);
    assert_eq!(limits.shards.get(), 1);
    assert_eq!(limits.offset, None);

    for (text, bytes) in [
        ("1MiB", 1 << 20),
        ("1Mi", 1 << 20),
        ("4096", 4096),
        ("0.5 GB", 500_000_000),
    ] {
        let limits = Limits::from_map([("Q_MAX_PAYLOAD", text)]).unwrap();
        assert_eq!(limits.max_payload.as_u64(), bytes, "{text}");
    }
}

#[test]
fn files_give_sizes_as_text_or_numbers() {
    let scratch = Scratch::new();
    let path = scratch.write(
        "limits.toml",
        "max_payload = \"64 KiB\"\nwal_segment = 4096\nchunks = [\"1k\", 2048]\nworkers = 8\n",
    );
    let limits = Limits::loader().file(&path).load().unwrap();
    assert_eq!(limits.max_payload, ByteSize::kib(64));
    assert_eq!(limits.wal_segment, ByteSize::b(4096));
    assert_eq!(limits.chunks, [ByteSize::kb(1), ByteSize::b(2048)]);
    assert_eq!(limits.workers.get(), 8);
}

#[test]
fn a_bad_size_names_the_variable_and_what_is_expected() {
    let err = Limits::from_map([("Q_WAL_SEGMENT", "lots")]).unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains(
            "Q_WAL_SEGMENT (environment): expected a byte size like 100 MB, 64 KiB or 1M"
        ),
        "{shown}"
    );
    assert!(shown.contains("got \"lots\""), "{shown}");
    assert_eq!(err.errors()[0].path(), "wal_segment");
}

#[test]
fn size_bounds_are_shown_as_written() {
    let err = Limits::from_map([("Q_MAX_PAYLOAD", "2GiB")]).unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("Q_MAX_PAYLOAD (environment): must be in 1 KiB..=1 GiB, got \"2 GiB\""),
        "{shown}"
    );
    let err = Limits::from_map([("Q_MAX_PAYLOAD", "512")]).unwrap_err();
    assert!(err.to_string().contains("got \"512 bytes\""), "{err}");
}

#[test]
fn zero_is_refused_for_non_zero_fields() {
    let err = Limits::from_map([("Q_SHARDS", "0"), ("Q_OFFSET", "0")]).unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains(
            "Q_SHARDS (environment): expected a non-zero integer in 1..=65535, got \"0\""
        ),
        "{shown}"
    );
    assert!(
        shown.contains(
            "Q_OFFSET (environment): expected a non-zero integer in -2147483648..=2147483647"
        ),
        "{shown}"
    );
    let limits = Limits::from_map([("Q_OFFSET", "-3")]).unwrap();
    assert_eq!(limits.offset.map(NonZeroI32::get), Some(-3));
}

#[test]
fn range_rules_compare_the_non_zero_value() {
    let err = Limits::from_map([("Q_WORKERS", "1")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("Q_WORKERS (environment): must be in 2..=64, got \"1\""),
        "{err}"
    );
    assert!(Limits::from_map([("Q_WORKERS", "64")]).is_ok());
    let err = Limits::from_map([("Q_REPLICAS", "6")]).unwrap_err();
    assert!(
        err.to_string()
            .contains("Q_REPLICAS (environment): must be at most 5, got \"6\""),
        "{err}"
    );
    let limits = Limits::from_map([("Q_REPLICAS", "5")]).unwrap();
    assert_eq!(limits.replicas.get(), 5);
}

#[test]
fn a_secret_size_is_never_quoted() {
    let err = Limits::from_map([("Q_QUOTA", "977-canary-GB")]).unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("Q_QUOTA"), "{shown}");
    assert!(!shown.contains("977-canary"), "{shown}");
    let limits = Limits::from_map([("Q_QUOTA", "5 GiB")]).unwrap();
    let quota = limits.quota.as_ref().map(|q| *q.expose_secret());
    assert_eq!(quota, Some(ByteSize::gib(5)));
    let shown = format!("{limits:?}");
    assert!(
        !shown.contains("5.0 GiB") && !shown.contains("5368709120"),
        "{shown}"
    );
}

#[test]
fn the_schema_and_env_example_describe_the_types() {
    let schema = Limits::schema();
    let field = |path: &str| schema.fields.iter().find(|f| f.path == path).unwrap();
    assert_eq!(field("max_payload").type_name, "byte size");
    assert_eq!(field("workers").type_name, "NonZeroUsize");
    let json = schema.json_schema().to_string();
    assert!(json.contains("\"minimum\":1"), "{json}");
    let example = Limits::env_example();
    assert!(
        example.contains("# (type: byte size; 1 KiB..=1 GiB; default: 100 MB)"),
        "{example}"
    );
    assert!(
        example.contains("# (type: NonZeroUsize; 2..=64; default: 4)"),
        "{example}"
    );
}
