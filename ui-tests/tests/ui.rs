//! Runs the `ui/` cases with trybuild.
//!
//! The `.stderr` snapshots are the exact text of rustc 1.95.0 (59807616e 2026-04-14), the
//! declared MSRV and the toolchain CI runs. Compilers word and lay out diagnostics differently
//! between releases, so on any other compiler this test fails at once, saying so, rather than
//! comparing against text no other compiler prints (or skipping the cases unseen). To refresh
//! the snapshots after a change to the macro: `TRYBUILD=overwrite cargo test -p ui-tests`,
//! then read every changed `.stderr`.

/// The compiler the snapshots were made with.
const SNAPSHOT_RUSTC: &str = "rustc 1.95.0 ";

#[test]
fn ui() {
    let version = compiler_version();
    assert!(
        version.starts_with(SNAPSHOT_RUSTC),
        "the compile-fail snapshots under ui/ need {SNAPSHOT_RUSTC}(the declared MSRV), but \
         this compiler is {version:?}; run the tests with that toolchain"
    );
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    for category in [
        "attributes",
        "rules",
        "defaults",
        "nested",
        "shape",
        "values",
        "shapes",
        "flags",
    ] {
        cases.compile_fail(format!("ui/{category}/*.rs"));
    }
}

/// `rustc --version` of the compiler trybuild will use (`RUSTC`, else `rustc` as cargo finds
/// it, which honours the toolchain override of this run).
fn compiler_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let output = std::process::Command::new(&rustc)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {rustc}: {e}"));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}
