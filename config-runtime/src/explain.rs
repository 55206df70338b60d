//! The explain report: one row per key with its variable, where its value came from, and the
//! value (`[REDACTED]` for secrets). Get it with `AppConfig::loader()…explain()`.

use std::fmt;

use crate::assemble::Row;
use crate::error::{escape_controls, mask_url_passwords};
use crate::origin::Origin;
use crate::schema::Schema;
use crate::warning::Warning;

/// Where each value of a loaded config came from. `Display` prints an aligned table.
#[derive(Debug, Clone)]
pub struct Explain {
    type_name: &'static str,
    rows: Vec<ExplainRow>,
    warnings: Vec<Warning>,
    profile: Option<String>,
}

/// One key of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExplainRow {
    /// Key path, like `redis.port`.
    pub key: String,
    /// The environment variable.
    pub env: String,
    /// Where the value came from; `None` for an optional value that is not set.
    pub origin: Option<Origin>,
    /// The references the value was resolved through (`${vault:secret/app#password}`).
    pub references: Vec<String>,
    /// The value as text; `[REDACTED]` for secrets, `(not set)` for an unset optional.
    pub value: String,
}

impl Explain {
    pub(crate) fn new(
        schema: &Schema,
        rows: Vec<Row>,
        mut warnings: Vec<Warning>,
        profile: Option<String>,
    ) -> Self {
        for warning in &mut warnings {
            warning.for_each_text(|text| {
                if let std::borrow::Cow::Owned(masked) = mask_url_passwords(text) {
                    *text = masked;
                }
            });
        }
        let rows = rows
            .into_iter()
            .map(|row| ExplainRow {
                key: row.path,
                env: row.env,
                origin: row.origin,
                references: row.references,
                value: row.value,
            })
            .collect();
        Explain {
            type_name: schema.type_name,
            rows,
            warnings,
            profile,
        }
    }

    /// The rows, in declaration order.
    pub fn rows(&self) -> &[ExplainRow] {
        &self.rows
    }

    /// The row of one key path.
    pub fn row(&self, key: &str) -> Option<&ExplainRow> {
        self.rows.iter().find(|row| row.key == key)
    }

    /// Warnings of the load (deprecated variables, unavailable optional providers, …).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The name of the configuration type (`AppConfig`).
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// The active profile, if any.
    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    /// The report for machines: `{"config", "profile", "keys": [{"key", "env", "source",
    /// "references", "value"}], "warnings"}`; the same redacted values as the table.
    pub fn to_json(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|row| {
                serde_json::json!({
                    "key": row.key,
                    "env": row.env,
                    "source": row.origin.as_ref().map(ToString::to_string),
                    "references": row.references,
                    "value": row.value,
                })
            })
            .collect();
        serde_json::json!({
            "config": self.type_name,
            "profile": self.profile,
            "keys": keys,
            "warnings": warnings_json(&self.warnings),
        })
    }
}

/// Warnings as a list of their texts, for the JSON forms.
pub(crate) fn warnings_json(warnings: &[Warning]) -> Vec<String> {
    warnings.iter().map(ToString::to_string).collect()
}

impl ExplainRow {
    /// Where the value came from, for people: `default`, `environment`,
    /// `config.toml line 3`, `.env line 2 via ${vault:secret/app#password}`, `-` when unset.
    pub fn source(&self) -> String {
        match (&self.origin, self.references.is_empty()) {
            (None, _) => "-".to_owned(),
            (Some(origin), true) => origin.to_string(),
            (Some(origin), false) => format!("{origin} via {}", self.references.join(", ")),
        }
    }
}

impl fmt::Display for Explain {
    /// An aligned table; control characters in any cell are escaped, so a value cannot break
    /// a row or drive a terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEADER: [&str; 4] = ["KEY", "ENV", "SOURCE", "VALUE"];
        let escaped = |text: &str| escape_controls(text).into_owned();
        let sources: Vec<String> = self.rows.iter().map(|row| escaped(&row.source())).collect();
        let cells: Vec<[String; 3]> = self
            .rows
            .iter()
            .map(|row| [escaped(&row.key), escaped(&row.env), escaped(&row.value)])
            .collect();
        let mut widths = HEADER.map(str::len);
        for (row, source) in cells.iter().zip(&sources) {
            for (width, cell) in widths.iter_mut().zip([&row[0], &row[1], source]) {
                *width = (*width).max(cell.chars().count());
            }
        }
        write!(f, "{}", self.type_name)?;
        if let Some(profile) = &self.profile {
            write!(f, " (profile {profile})")?;
        }
        writeln!(f)?;
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 4]| {
            writeln!(
                f,
                "  {:w0$}  {:w1$}  {:w2$}  {}",
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
        };
        line(f, HEADER)?;
        for (row, source) in cells.iter().zip(&sources) {
            line(f, [&row[0], &row[1], source, &row[2]])?;
        }
        for warning in &self.warnings {
            writeln!(f, "  warning: {}", escape_controls(&warning.to_string()))?;
        }
        Ok(())
    }
}
