//! Compile-fail tests of `#[derive(Config)]`, run by `tests/ui.rs` with trybuild.
//!
//! Each `ui/<category>/<fault>.rs` is one misuse; its `.stderr` is the exact error the user
//! sees. `ui/pass/` holds inputs that must compile and run.
