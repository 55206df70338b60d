//! What the commands print: text for people (aligned, coloured only on a terminal) or one JSON
//! document for machines. Every command prints through a [`Printer`], so the choice is made
//! once.

use std::io::IsTerminal;

use crate::error::escape_controls;
use crate::{ConfigError, Explain};

/// Text or JSON, and whether text may be coloured.
#[derive(Debug, Clone, Copy)]
pub(super) struct Printer {
    form: Form,
    colour: Colour,
}

/// What a command prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Form {
    /// Text for people.
    Text,
    /// One JSON document for machines.
    Json,
}

impl Form {
    /// The form the `--json` flag asks for.
    pub(super) fn chosen(json: bool) -> Form {
        if json { Form::Json } else { Form::Text }
    }
}

/// Whether ANSI colours are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Colour {
    On,
    Off,
}

/// What a coloured word means.
#[derive(Debug, Clone, Copy)]
pub(super) enum Tone {
    Good,
    Bad,
    Note,
}

impl Printer {
    /// JSON when asked for; otherwise text, coloured when standard output is a terminal and
    /// `NO_COLOR` is unset.
    pub(super) fn new(form: Form) -> Self {
        let colour = if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
            Colour::On
        } else {
            Colour::Off
        };
        Printer { form, colour }
    }

    pub(super) fn is_json(&self) -> bool {
        self.form == Form::Json
    }

    /// `text` in the colour of `tone` (plain when colours are off).
    pub(super) fn paint(&self, tone: Tone, text: &str) -> String {
        if self.colour == Colour::Off {
            return text.to_owned();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Bad => "31",
            Tone::Note => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// One JSON document, pretty, on standard output.
    pub(super) fn json(&self, value: &serde_json::Value) {
        let text = serde_json::to_string_pretty(value).expect("a JSON value serializes");
        println!("{text}");
    }

    /// A line of text (not in JSON mode).
    pub(super) fn line(&self, text: &str) {
        if !self.is_json() {
            println!("{text}");
        }
    }

    /// A configuration that loaded.
    pub(super) fn valid(&self, report: &Explain) {
        if self.is_json() {
            let mut value = serde_json::json!({
                "valid": true,
                "config": report.type_name(),
                "keys": report.rows().len(),
                "errors": [],
            });
            value["warnings"] = report.to_json()["warnings"].clone();
            return self.json(&value);
        }
        let profile = report
            .profile()
            .map(|p| format!(" (profile {p})"))
            .unwrap_or_default();
        println!(
            "{} {}{profile}: {} keys, valid",
            self.paint(Tone::Good, "ok"),
            report.type_name(),
            report.rows().len()
        );
        for warning in report.warnings() {
            println!(
                "  {} {}",
                self.paint(Tone::Note, "warning:"),
                escape_controls(&warning.to_string())
            );
        }
    }

    /// A configuration that did not load: every problem. In JSON on standard output; as text
    /// on standard error.
    pub(super) fn invalid(&self, config: &str, error: &ConfigError) {
        if self.is_json() {
            let mut value = error.to_json();
            value["valid"] = false.into();
            value["config"] = config.into();
            return self.json(&value);
        }
        let count = error.errors().len();
        let problems = if count == 1 { "problem" } else { "problems" };
        eprintln!(
            "{} {config}: {count} {problems}",
            self.paint(Tone::Bad, "invalid")
        );
        for problem in error.errors() {
            eprintln!("  {problem}");
        }
        for warning in error.warnings() {
            eprintln!(
                "  {} {}",
                self.paint(Tone::Note, "warning:"),
                escape_controls(&warning.to_string())
            );
        }
    }

    /// The explain report.
    pub(super) fn explain(&self, report: &Explain) {
        if self.is_json() {
            self.json(&report.to_json());
        } else {
            print!("{report}");
        }
    }
}

/// Rows of cells as aligned text, two spaces apart, the last column unpadded; control
/// characters escaped so no cell can break a row or drive the terminal.
pub(super) fn table(rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| escape_controls(c).into_owned())
                .collect()
        })
        .collect();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|row| row.get(i))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let mut line = String::from(" ");
        for (i, cell) in row.iter().enumerate() {
            line.push(' ');
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:w$} ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
