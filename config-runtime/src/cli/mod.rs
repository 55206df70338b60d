//! A configuration command line for every application (feature `cli`): `check`, `explain`,
//! `example`, `schema`, `diff` and `migrate`, over the application's own `Config` type.
//!
//! ```no_run
//! # use config_runtime::Config;
//! # #[derive(Config)] struct AppConfig { #[config(default = 8080)] port: u16 }
//! fn main() -> std::process::ExitCode {
//!     config_runtime::cli::main::<AppConfig>()
//! }
//! ```
//!
//! Or mount [`ConfigCommand`] in the application's own clap CLI:
//!
//! ```no_run
//! # use config_runtime::Config;
//! # #[derive(Config)] struct AppConfig { #[config(default = 8080)] port: u16 }
//! use clap::{Parser, Subcommand};
//! use config_runtime::cli::ConfigCommand;
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(subcommand)]
//!     command: Command,
//! }
//!
//! #[derive(Subcommand)]
//! enum Command {
//!     /// Serve requests.
//!     Serve,
//!     /// Inspect and check the configuration.
//!     #[command(subcommand)]
//!     Config(ConfigCommand),
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     match Args::parse().command {
//!         Command::Serve => std::process::ExitCode::SUCCESS,
//!         Command::Config(command) => command.run::<AppConfig>(),
//!     }
//! }
//! ```
//!
//! Exit codes: 0 when the answer is "fine" (valid, no drift, example up to date, migrated),
//! 1 when it is not (every problem listed), 2 for a command line that cannot be run (an
//! unknown option, a malformed `--to`, a store this program was not built with), 3 when
//! `diff` could not read a side (an instance unreachable or refusing the token, a file that
//! does not load): nothing was compared, so a CI job can tell that apart from drift.
//!
//! Output is for people (aligned tables, colour only on a terminal and without `NO_COLOR`)
//! unless `--json` asks for one JSON document on standard output. No command prints a
//! secret's value: explain redacts them, diff compares keyed fingerprints, migrate names keys.
//!
//! # JSON
//! - `check --json`: `{"valid", "config", "keys" (a count when valid), "errors": [{"key",
//!   "env", "source", "message"}], "warnings": [..]}`.
//! - `explain --json`: `{"config", "profile", "keys": [{"key", "env", "source",
//!   "references", "value"}], "warnings"}` (`[REDACTED]` for secrets); an invalid
//!   configuration prints the `check` document instead.
//! - `schema`: the JSON Schema of the file form.
//! - `diff --json`: `{"a", "b", "same", "keys": [{"key", "change": "missing" | "extra" |
//!   "differs", "secret", "a": {"set", "source", "value"} | null, "b": ..}]}`; `value` is
//!   `null` for secrets and for values taken through a reference.
//! - `migrate --json`: `{"from", "to", "written", "moves": [{"env", "key", "line",
//!   "reference"}], "kept", "by_hand", "backup"}`.

mod diff;
mod migrate;
mod output;
mod remote;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, FromArgMatches, Subcommand};

use crate::loader::Loader;
use crate::provider::SecretWriter;
use crate::{Config, ConfigError};
pub use diff::Side;
pub use migrate::{BadTarget, Target};
use output::{Form, Printer};

/// Runs the configuration command line of `T` over this process's arguments, with no secret
/// provider and no store to migrate to (see [`Cli`] to add them).
pub fn main<T: Config>() -> ExitCode {
    Cli::<T>::new().main()
}

/// A command line for `T` with what the application adds: secret providers that answer the
/// references of its sources, and stores `migrate` can write to.
///
/// ```no_run
/// # use config_runtime::Config;
/// # #[derive(Config)] struct AppConfig { #[config(default = 8080)] port: u16 }
/// use config_runtime::{SecretProvider, cli::Cli};
///
/// // `vault`: config_providers::vault::VaultProvider::from_env()?
/// fn main_with(vault: impl SecretProvider + Clone) -> std::process::ExitCode {
///     Cli::<AppConfig>::new()
///         .loader(move |loader| loader.provider(vault.clone()))
///         .main()
/// }
/// ```
pub struct Cli<T> {
    extend: Box<dyn Fn(Loader<T>) -> Loader<T>>,
    writers: Vec<Arc<dyn SecretWriter>>,
}

impl<T> std::fmt::Debug for Cli<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let schemes: Vec<&str> = self.writers.iter().map(|w| w.scheme()).collect();
        f.debug_struct("Cli")
            .field("writers", &schemes)
            .finish_non_exhaustive()
    }
}

impl<T: Config> Default for Cli<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Config> Cli<T> {
    /// The command line with the sources of its options only.
    pub fn new() -> Self {
        Cli {
            extend: Box::new(|loader| loader),
            writers: Vec::new(),
        }
    }

    /// Adds to every loader a command builds after its sources: providers for references
    /// (`loader.provider(vault.clone())`), a size cap, allowed variables. Called again, the
    /// additions run in the order given.
    pub fn loader(mut self, extend: impl Fn(Loader<T>) -> Loader<T> + 'static) -> Self {
        let earlier = std::mem::replace(&mut self.extend, Box::new(|loader| loader));
        self.extend = Box::new(move |loader| extend(earlier(loader)));
        self
    }

    /// A store `migrate --to <scheme>:<path>` may write to.
    pub fn writer(mut self, writer: impl SecretWriter) -> Self {
        self.writers.push(Arc::new(writer));
        self
    }

    /// Parses this process's arguments and runs the command.
    pub fn main(&self) -> ExitCode {
        self.main_from(std::env::args_os())
    }

    /// Parses `args` (the first is the program) and runs the command.
    pub fn main_from<I, A>(&self, args: I) -> ExitCode
    where
        I: IntoIterator<Item = A>,
        A: Into<OsString> + Clone,
    {
        let mut args = args.into_iter().map(Into::into).peekable();
        let program = args
            .peek()
            .and_then(|first| Path::new(first).file_name())
            .map_or_else(|| "app".to_owned(), |n| n.to_string_lossy().into_owned());
        let command = ConfigCommand::augment_subcommands(clap::Command::new(program))
            .about(format!("Configuration of {}", T::schema().type_name()))
            .subcommand_required(true)
            .arg_required_else_help(true);
        let parsed = command
            .try_get_matches_from(args)
            .and_then(|matches| ConfigCommand::from_arg_matches(&matches));
        match parsed {
            Ok(command) => self.run(command),
            Err(error) => {
                // Help and version are asked for (exit 0); anything else is a usage error (2).
                let _ = error.print();
                ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
            }
        }
    }

    /// Runs one command.
    pub fn run(&self, command: ConfigCommand) -> ExitCode {
        let code = match command {
            ConfigCommand::Check { sources, json } => {
                self.load(&sources, Printer::new(Form::chosen(json)), Report::Verdict)
            }
            ConfigCommand::Explain { sources, json } => {
                self.load(&sources, Printer::new(Form::chosen(json)), Report::Table)
            }
            ConfigCommand::Example { check } => {
                example::<T>(check.as_deref(), Printer::new(Form::Text))
            }
            ConfigCommand::Schema => {
                Printer::new(Form::Json).json(&T::schema().json_schema());
                Exit::Fine
            }
            ConfigCommand::Diff {
                sources,
                a,
                b,
                json,
            } => self.block_on(diff::run(
                self,
                &sources,
                &a,
                &b,
                Printer::new(Form::chosen(json)),
            )),
            ConfigCommand::Migrate {
                from,
                to,
                write,
                json,
            } => {
                let mode = if write {
                    migrate::Mode::Write
                } else {
                    migrate::Mode::Plan
                };
                let writer = self.writers.iter().find(|w| w.scheme() == to.scheme);
                match writer {
                    Some(writer) => self.block_on(migrate::run::<T>(
                        &**writer,
                        &from,
                        &to,
                        mode,
                        Printer::new(Form::chosen(json)),
                    )),
                    None => {
                        eprintln!(
                            "error: this program has no store to write `{}:` secrets to (it \
                             knows: {})",
                            to.scheme,
                            self.schemes()
                        );
                        Exit::Usage
                    }
                }
            }
        };
        code.into()
    }

    /// The schemes of the stores `migrate` can write to, for messages.
    fn schemes(&self) -> String {
        let schemes: Vec<&str> = self.writers.iter().map(|w| w.scheme()).collect();
        if schemes.is_empty() {
            "none".to_owned()
        } else {
            schemes.join(", ")
        }
    }

    /// The loader of `sources` with what the application adds.
    fn loader_of(&self, sources: &SourceArgs, environment: Environment) -> Loader<T> {
        let mut loader = T::loader();
        for file in &sources.files {
            loader = loader.file(file);
        }
        for file in &sources.env_files {
            loader = loader.dotenv_required(file);
        }
        if environment == Environment::Read {
            loader = loader.env();
        }
        if let Some(profile) = &sources.profile {
            loader = loader.profile(profile);
        }
        (self.extend)(loader)
    }

    /// `check` and `explain`: loads with the explain report, then prints what `report`
    /// makes of it; every problem when the load fails.
    fn load(&self, sources: &SourceArgs, out: Printer, report: Report) -> Exit {
        let loader = self.loader_of(sources, Environment::Read);
        match self.block_on(loader.explain_async()) {
            Ok(explain) => {
                match report {
                    Report::Verdict => out.valid(&explain),
                    Report::Table => out.explain(&explain),
                }
                Exit::Fine
            }
            Err(error) => load_failed(&out, T::schema().type_name(), &error),
        }
    }

    /// Runs a command's async part on a runtime of its own (providers talk over the network).
    fn block_on<F: std::future::Future>(&self, work: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime for the command")
            .block_on(work)
    }
}

/// `example`: prints `.env.example`, or checks a committed one.
fn example<T: Config>(check: Option<&Path>, out: Printer) -> Exit {
    let Some(path) = check else {
        print!("{}", T::env_example());
        return Exit::Fine;
    };
    match crate::build::check_env_example::<T>(path) {
        Ok(()) => {
            out.line(&format!("{} is up to date", path.display()));
            Exit::Fine
        }
        Err(stale) => {
            eprintln!("{stale}");
            Exit::Failed
        }
    }
}

/// The configuration commands, a clap subcommand: mount it in an application's CLI, then call
/// [`run`](Self::run).
#[derive(Debug, Clone, Subcommand)]
#[non_exhaustive]
pub enum ConfigCommand {
    /// Loads and validates the configuration; lists every problem (exit 1 when invalid).
    Check {
        /// The sources to load.
        #[command(flatten)]
        sources: SourceArgs,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Shows every key: its variable, where its value came from, the value (secrets redacted).
    Explain {
        /// The sources to load.
        #[command(flatten)]
        sources: SourceArgs,
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Prints the documented `.env.example`, or checks a committed one (exit 1 when stale).
    Example {
        /// The committed file to compare with.
        #[arg(long, value_name = "PATH")]
        check: Option<PathBuf>,
    },
    /// Prints the JSON Schema of the file form.
    Schema,
    /// Compares two environments key by key: missing, extra and differing keys (exit 1 when
    /// they differ, 3 when a side cannot be read). Secrets are compared by keyed fingerprint and never shown. The process
    /// environment is not read: only the sources named.
    Diff {
        /// The sources to load.
        #[command(flatten)]
        sources: SourceArgs,
        /// The first side: a `.env` file, a TOML/YAML/JSON file, or the URL of a running
        /// instance's fingerprints (`http://host:port/admin/config/fingerprints`).
        a: Side,
        /// The second side, as the first.
        b: Side,
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Moves the secret values of a `.env` file into a store and rewrites them as references
    /// (`--write`; without it, shows the plan only).
    Migrate {
        /// The `.env` file holding plaintext secrets.
        #[arg(long, value_name = "PATH")]
        from: PathBuf,
        /// The store and the secret to write to: `vault:secret/app`.
        #[arg(long, value_name = "SCHEME:PATH")]
        to: Target,
        /// Writes the store and rewrites the file (a backup is kept beside it).
        #[arg(long)]
        write: bool,
        /// One JSON document instead of text.
        #[arg(long)]
        json: bool,
    },
}

impl ConfigCommand {
    /// Runs the command for `T`, with no secret provider and no store (see [`Cli::run`]).
    pub fn run<T: Config>(self) -> ExitCode {
        Cli::<T>::new().run(self)
    }
}

/// The loader's sources, as options: `--file`, `--env-file`, `--profile`.
#[derive(Debug, Clone, Default, Args)]
#[non_exhaustive]
pub struct SourceArgs {
    /// A TOML, YAML or JSON file (repeat it: later files win).
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// A `.env` file (repeat it; it never overrides the process environment).
    #[arg(long = "env-file", value_name = "PATH")]
    pub env_files: Vec<PathBuf>,
    /// The profile: also reads `config.<profile>.toml` and `.env.<profile>`; `production`
    /// rejects placeholder secrets.
    #[arg(long)]
    pub profile: Option<String>,
}

/// What a successful load prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    /// `check`: valid, how many keys, warnings.
    Verdict,
    /// `explain`: every key.
    Table,
}

/// Whether a command reads the process environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Environment {
    Read,
    Skip,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exit {
    /// Valid, no drift, up to date, done.
    Fine = 0,
    /// Invalid, drifted, stale, failed: every problem was listed.
    Failed = 1,
    /// The command line cannot be run.
    Usage = 2,
    /// `diff` could not read a side: nothing was compared.
    Unreadable = 3,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// Prints a load error the same way for every command.
fn load_failed(out: &Printer, label: &str, error: &ConfigError) -> Exit {
    out.invalid(label, error);
    Exit::Failed
}
