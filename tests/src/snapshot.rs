//! Reviewed snapshots of generated text (`.env.example`, JSON Schema) under `tests/snapshots/`.

/// Compares `generated` with the committed snapshot `name`. `UPDATE_SNAPSHOTS=1` (and no
/// other value) rewrites a stale snapshot, and the run still fails, so the new text is
/// reviewed before a run passes; CI never rewrites it.
pub fn assert_snapshot(name: &str, generated: &str) {
    let path = format!("{}/snapshots/{name}", env!("CARGO_MANIFEST_DIR"));
    let reviewed = std::fs::read_to_string(&path).unwrap_or_default();
    if generated == reviewed {
        return;
    }
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if update && !ci {
        std::fs::write(&path, generated).unwrap();
        panic!("{path} was stale and has been rewritten: review the diff, then run again");
    }
    assert_eq!(
        generated, reviewed,
        "the snapshot {path} is stale: run with UPDATE_SNAPSHOTS=1 (outside CI), then review the diff"
    );
}
