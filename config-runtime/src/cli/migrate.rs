//! `migrate --from .env --to vault:secret/app [--write]`: moves the plaintext values of the
//! secret fields out of a `.env` file into a store, and rewrites each as a reference
//! (`DATABASE_URL=${vault:secret/app#database_url}`).
//!
//! Without `--write` only the plan is shown and nothing is written anywhere. With it, the
//! store is written first (a failure leaves the file untouched); then the file is replaced
//! atomically (a sibling written, synced and renamed over it), after copying the original to
//! `<file>.bak` (`.bak.1`, `.bak.2`, … when that exists). Values that are not secrets, and
//! secrets already given as references, stay as they are, so a second run finds nothing to do.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::Exit;
use super::output::{Printer, Tone, table};
use crate::Config;
use crate::format::parse_dotenv;
use crate::provider::SecretWriter;
use crate::secret::Secret;

/// Where `migrate` writes: a store's scheme and the secret's path (`vault:secret/app`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub(crate) scheme: String,
    pub(crate) path: String,
}

/// A `--to` that is not `<scheme>:<path>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadTarget(String);

impl fmt::Display for BadTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not <scheme>:<path>, like vault:secret/app",
            self.0
        )
    }
}

impl std::error::Error for BadTarget {}

impl FromStr for Target {
    type Err = BadTarget;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (scheme, path) = text.split_once(':').ok_or_else(|| BadTarget(text.into()))?;
        let path = path.trim_matches('/');
        let scheme_ok = !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !scheme_ok || path.is_empty() || path.contains(['#', '$', '{', '}']) {
            return Err(BadTarget(text.into()));
        }
        Ok(Target {
            scheme: scheme.to_owned(),
            path: path.to_owned(),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.path)
    }
}

impl Target {
    /// The reference that reads `field` of the target secret.
    fn reference(&self, field: &str) -> String {
        format!("${{{}:{}#{field}}}", self.scheme, self.path)
    }
}

/// Whether the store and the file are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Plan,
    Write,
}

/// One secret to move.
struct Move {
    var: String,
    /// The field of the store's secret: the key path (`redis.password`).
    field: String,
    line: u32,
    value: Secret<String>,
}

/// What the file holds, sorted into what moves and what stays.
struct Plan {
    moves: Vec<Move>,
    /// Values that stay: not secrets, already references, or multi-line (moved by hand).
    kept: usize,
    /// Secret variables that cannot be rewritten in place (a value spanning lines).
    by_hand: Vec<String>,
}

/// Runs the migration.
pub(super) async fn run<T: Config>(
    writer: &dyn SecretWriter,
    from: &Path,
    to: &Target,
    mode: Mode,
    out: Printer,
) -> Exit {
    let text = match std::fs::read_to_string(from) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", from.display());
            return Exit::Failed;
        }
    };
    let plan = match plan::<T>(&text) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("error: {}: {message}", from.display());
            return Exit::Failed;
        }
    };
    let mut backup = None;
    if mode == Mode::Write && !plan.moves.is_empty() {
        let fields: Vec<(String, Secret<String>)> = plan
            .moves
            .iter()
            .map(|m| (m.field.clone(), m.value.clone()))
            .collect();
        if let Err(error) = writer.write_fields(&to.path, &fields).await {
            eprintln!(
                "error: cannot write to {to}: {error}; {} is unchanged",
                from.display()
            );
            return Exit::Failed;
        }
        match rewrite(from, &text, &plan.moves, to) {
            Ok(kept) => backup = Some(kept),
            Err(e) => {
                eprintln!(
                    "error: the secrets are in {to}, but {} could not be rewritten: {e}",
                    from.display()
                );
                return Exit::Failed;
            }
        }
    }
    report(&out, from, to, mode, &plan, backup.as_deref());
    Exit::Fine
}

/// Sorts the file's variables: secret fields with a plain value move; the rest stays.
fn plan<T: Config>(text: &str) -> Result<Plan, String> {
    let entries = parse_dotenv(text).map_err(|e| match e.line {
        Some(line) => format!("line {line}: {}", e.message),
        None => e.message,
    })?;
    let schema = T::schema();
    let mut plan = Plan {
        moves: Vec::new(),
        kept: 0,
        by_hand: Vec::new(),
    };
    for entry in entries {
        let secret_field = schema.field_by_env(&entry.key).filter(|field| field.secret);
        let Some(field) = secret_field else {
            plan.kept += 1;
            continue;
        };
        if entry.value.is_empty() || entry.value.contains("${") {
            plan.kept += 1;
        } else if entry.value.contains(['\n', '\r']) {
            plan.kept += 1;
            plan.by_hand.push(entry.key);
        } else {
            // A variable set twice: the last one is what loads.
            plan.moves.retain(|m| m.var != entry.key);
            plan.moves.push(Move {
                var: entry.key,
                field: field.path.clone(),
                line: entry.line,
                value: Secret::new(entry.value),
            });
        }
    }
    Ok(plan)
}

/// Rewrites the moved lines as references, atomically, after a backup; returns the backup.
fn rewrite(path: &Path, text: &str, moves: &[Move], to: &Target) -> std::io::Result<PathBuf> {
    if text.replace("\r\n", "\n").contains('\r') {
        return Err(std::io::Error::other(
            "the file ends lines with a bare carriage return; convert it to LF first",
        ));
    }
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_owned).collect();
    for moved in moves {
        let index = usize::try_from(moved.line).unwrap_or(usize::MAX) - 1;
        let line = lines
            .get_mut(index)
            .ok_or_else(|| std::io::Error::other("the file changed while it was read"))?;
        let ending = if line.ends_with("\r\n") {
            "\r\n"
        } else if line.ends_with('\n') {
            "\n"
        } else {
            ""
        };
        // Keep what stands before the name (indentation, `export `).
        let start = line
            .find(&moved.var)
            .ok_or_else(|| std::io::Error::other("the file changed while it was read"))?;
        let lead = &line[..start];
        *line = format!("{lead}{}={}{ending}", moved.var, to.reference(&moved.field));
    }
    let backup = backup_path(path);
    std::fs::copy(path, &backup)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = path.with_file_name(format!(".{name}.migrate"));
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.set_permissions(std::fs::metadata(path)?.permissions())?;
        file.write_all(lines.concat().as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)?;
    Ok(backup)
}

/// `<file>.bak`, or the first free `<file>.bak.N`: an earlier backup is never overwritten.
fn backup_path(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let first = path.with_file_name(format!("{name}.bak"));
    if !first.exists() {
        return first;
    }
    (1u32..)
        .map(|n| path.with_file_name(format!("{name}.bak.{n}")))
        .find(|candidate| !candidate.exists())
        .expect("a free backup name")
}

/// The plan (and what was done), as text or JSON. Names keys and lines, never values.
fn report(out: &Printer, from: &Path, to: &Target, mode: Mode, plan: &Plan, backup: Option<&Path>) {
    if out.is_json() {
        let moves: Vec<serde_json::Value> = plan
            .moves
            .iter()
            .map(|m| {
                serde_json::json!({
                    "env": m.var,
                    "key": m.field,
                    "line": m.line,
                    "reference": to.reference(&m.field),
                })
            })
            .collect();
        return out.json(&serde_json::json!({
            "from": from.display().to_string(),
            "to": to.to_string(),
            "written": mode == Mode::Write && !plan.moves.is_empty(),
            "moves": moves,
            "kept": plan.kept,
            "by_hand": plan.by_hand,
            "backup": backup.map(|b| b.display().to_string()),
        }));
    }
    if plan.moves.is_empty() {
        println!(
            "{} nothing to migrate in {}: no secret holds a plain value",
            out.paint(Tone::Good, "ok"),
            from.display()
        );
    } else {
        println!("{} → {to}", from.display());
        let rows: Vec<Vec<String>> = plan
            .moves
            .iter()
            .map(|m| {
                vec![
                    m.var.clone(),
                    format!("line {}", m.line),
                    m.field.clone(),
                    format!("→ {}", to.reference(&m.field)),
                ]
            })
            .collect();
        print!("{}", table(&rows));
    }
    match plan.kept {
        1 => println!("  1 other value stays as it is"),
        kept => println!("  {kept} other values stay as they are"),
    }
    for var in &plan.by_hand {
        println!(
            "  {} {var} spans several lines: move it by hand",
            out.paint(Tone::Bad, "skipped")
        );
    }
    match (mode, backup) {
        (Mode::Write, Some(backup)) => println!(
            "{} wrote {} secrets to {to} and rewrote {} (backup: {})",
            out.paint(Tone::Good, "done"),
            plan.moves.len(),
            from.display(),
            backup.display()
        ),
        (Mode::Plan, _) if !plan.moves.is_empty() => println!(
            "{} nothing was written; run again with --write",
            out.paint(Tone::Note, "plan only:")
        ),
        _ => {}
    }
}

#[cfg(all(test, feature = "derive"))]
mod tests {
    use super::*;

    #[derive(crate::Config)]
    #[config(crate = "crate", prefix = "M")]
    #[allow(dead_code)] // only its schema is read
    struct Small {
        /// Not a secret.
        #[config(default = "info")]
        level: String,
        /// A secret.
        token: Secret<String>,
        /// Another.
        #[config(default = "")]
        key: Secret<String>,
    }

    fn target() -> Target {
        "vault:secret/m".parse().unwrap()
    }

    #[test]
    fn targets_need_a_scheme_and_a_path() {
        assert_eq!(target().to_string(), "vault:secret/m");
        for bad in [
            "vault",
            ":secret/m",
            "vault:",
            "va ult:x",
            "vault:a#b",
            "vault:${x}",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }

    #[test]
    fn only_plain_secrets_move_and_a_repeated_name_is_refused() {
        let text = "M_LEVEL=debug\nM_TOKEN=one\nM_KEY=${vault:x#y}\nOTHER=1\n";
        let sorted = plan::<Small>(text).unwrap();
        let moves: Vec<(&str, &str, u32)> = sorted
            .moves
            .iter()
            .map(|m| (m.var.as_str(), m.field.as_str(), m.line))
            .collect();
        assert_eq!(moves, [("M_TOKEN", "token", 2)]);
        assert_eq!(sorted.moves[0].value.expose_secret(), "one");
        assert_eq!(sorted.kept, 3);
        // Which of two lines would move is not guessed: the file does not load either.
        let Err(repeated) = plan::<Small>("M_TOKEN=one\nM_TOKEN=two\n") else {
            panic!("a repeated name was planned");
        };
        assert_eq!(repeated, "line 2: M_TOKEN is set twice, on lines 1 and 2");
        let spanning = plan::<Small>("M_TOKEN=\"a\nb\"\n").unwrap();
        assert!(spanning.moves.is_empty());
        assert_eq!(spanning.by_hand, ["M_TOKEN"]);
    }

    #[test]
    fn rewrites_keep_line_ends_prefixes_and_earlier_backups() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        let text = "# top\r\n  export M_TOKEN=abc # note\r\nM_LEVEL=info";
        std::fs::write(&path, text).unwrap();
        std::fs::write(dir.path().join(".env.bak"), "older").unwrap();
        let sorted = plan::<Small>(text).unwrap();
        let backup = rewrite(&path, text, &sorted.moves, &target()).unwrap();
        assert_eq!(backup, dir.path().join(".env.bak.1"));
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), text);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(".env.bak")).unwrap(),
            "older"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "# top\r\n  export M_TOKEN=${vault:secret/m#token}\r\nM_LEVEL=info"
        );
        let bare = "M_TOKEN=abc\rM_LEVEL=x\n";
        let sorted = plan::<Small>(bare).unwrap();
        assert!(rewrite(&path, bare, &sorted.moves, &target()).is_err());
    }
}
