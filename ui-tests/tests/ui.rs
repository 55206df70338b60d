//! Runs the `ui/` cases with trybuild.
//!
//! The `.stderr` snapshots were made with rustc 1.95.0 (59807616e 2026-04-14). Compilers word
//! and lay out diagnostics differently between releases, so the compile-fail cases run only
//! on that release; the pass cases run everywhere. To refresh the snapshots after a change to
//! the macro: `TRYBUILD=overwrite cargo test -p ui-tests`, then read every changed `.stderr`.

/// The compiler the snapshots were made with.
const SNAPSHOT_RUSTC: &str = "rustc 1.95.0";

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    if snapshot_compiler() {
        for category in [
            "attributes",
            "rules",
            "defaults",
            "nested",
            "shape",
            "values",
        ] {
            cases.compile_fail(format!("ui/{category}/*.rs"));
        }
    } else {
        eprintln!("ui: skipping compile-fail snapshots (made with {SNAPSHOT_RUSTC})");
    }
}

fn snapshot_compiler() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).starts_with(SNAPSHOT_RUSTC))
}
