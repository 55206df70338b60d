//! Keeping a committed `.env.example` in step with the code: write it from a build script, or
//! check it from a test.
//!
//! ```no_run
//! # use config_runtime::Config;
//! # #[derive(Config)] struct AppConfig { #[config(default = 1)] port: u16 }
//! // build.rs
//! config_runtime::build::write_env_example::<AppConfig>(".env.example").unwrap();
//! // tests/env_example.rs
//! config_runtime::build::check_env_example::<AppConfig>(".env.example").unwrap();
//! ```

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::Config;

/// Writes `T::env_example()` to `path`, only when the content differs (so a build script does
/// not trigger rebuilds). Returns whether the file was written.
pub fn write_env_example<T: Config>(path: impl AsRef<Path>) -> io::Result<bool> {
    let path = path.as_ref();
    let wanted = T::env_example();
    match std::fs::read_to_string(path) {
        Ok(current) if current == wanted => Ok(false),
        Ok(_) => std::fs::write(path, wanted).map(|()| true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            std::fs::write(path, wanted).map(|()| true)
        }
        Err(e) => Err(e),
    }
}

/// Checks that `path` holds exactly `T::env_example()`.
pub fn check_env_example<T: Config>(path: impl AsRef<Path>) -> Result<(), StaleEnvExample> {
    let path = path.as_ref();
    let wanted = T::env_example();
    let current = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            return Err(StaleEnvExample {
                path: path.to_owned(),
                problem: format!("cannot read it: {e}"),
            });
        }
    };
    if current == wanted {
        return Ok(());
    }
    Err(StaleEnvExample {
        path: path.to_owned(),
        problem: first_difference(&current, &wanted),
    })
}

/// A committed `.env.example` that no longer matches the code.
#[derive(Debug, Clone)]
pub struct StaleEnvExample {
    path: PathBuf,
    problem: String,
}

impl StaleEnvExample {
    /// The file checked.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl fmt::Display for StaleEnvExample {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is out of date: {}; regenerate it with config_runtime::build::write_env_example",
            self.path.display(),
            self.problem
        )
    }
}

impl std::error::Error for StaleEnvExample {}

/// Names the first line that differs, with both versions (the file holds no values: it is
/// generated from docs and examples).
fn first_difference(current: &str, wanted: &str) -> String {
    let mut current_lines = current.lines();
    let mut wanted_lines = wanted.lines();
    let mut number = 0;
    loop {
        number += 1;
        match (current_lines.next(), wanted_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(a), Some(b)) => {
                return format!("line {number} is {a:?}, expected {b:?}");
            }
            (Some(a), None) => return format!("line {number} {a:?} should not be there"),
            (None, Some(b)) => return format!("line {number} {b:?} is missing"),
            (None, None) => return "the line endings differ".to_owned(),
        }
    }
}
