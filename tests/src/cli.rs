//! Running the `config_cli` example binary (`examples/config_cli.rs`, built as a binary of this
//! package) in a scratch directory with exactly the variables a test gives it.

use std::path::Path;
use std::process::Command;

/// What one run gave.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Standard output parsed as the one JSON document `--json` prints.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Both streams, to look for what must never be printed.
    pub fn everything(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs the binary `exe` (pass `env!("CARGO_BIN_EXE_config_cli")`) with `args` in `dir`, its
/// environment exactly `vars`.
pub fn run(exe: &str, dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Run {
    let output = Command::new(exe)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .expect("run the config_cli example");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
