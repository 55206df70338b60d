//! The official dotenvx CLI (npm `@dotenvx/dotenvx`, installed by `.ci/run` under
//! `target/dotenvx`), run at test time to encrypt `.env` files.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::services::server_missing;

/// The CLI. When it is missing the test fails, naming how to install it; `None` only under
/// the [`SKIP_SERVERS_VAR`](crate::services::SKIP_SERVERS_VAR) opt-out.
pub struct DotenvxCli {
    exe: PathBuf,
}

impl DotenvxCli {
    pub fn find() -> Option<DotenvxCli> {
        let installed = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../target/dotenvx/node_modules/.bin/dotenvx");
        if installed.is_file() {
            return Some(DotenvxCli { exe: installed });
        }
        server_missing(
            "the dotenvx CLI",
            "npm install @dotenvx/dotenvx in target/dotenvx",
        )
    }

    /// Runs `dotenvx ARGS` in `dir` with an environment holding no dotenvx keys; returns
    /// stdout.
    pub fn run(&self, dir: &Path, args: &[&str]) -> String {
        let mut command = Command::new(&self.exe);
        command.args(args).current_dir(dir);
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("DOTENV_") {
                command.env_remove(name);
            }
        }
        let output = command.output().expect("run dotenvx");
        assert!(
            output.status.success(),
            "dotenvx {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("dotenvx writes UTF-8")
    }

    /// Encrypts `dir/<file>` in place (its key goes to `dir/.env.keys`).
    pub fn encrypt(&self, dir: &Path, file: &str) {
        self.run(dir, &["encrypt", "-f", file]);
    }
}
