//! `diff A B`: drift between two environments, key by key. Each side is a file (over the
//! shared `--file`/`--env-file` options) or a running instance's fingerprint endpoint. Values
//! are compared by keyed fingerprint under a key picked at random for this run, so a secret is
//! compared without being shown or sent anywhere.

use std::path::PathBuf;
use std::str::FromStr;

use super::output::{Form, Printer, Tone, table};
use super::{Cli, Environment, Exit, SourceArgs, remote};
use crate::fingerprint::{Fingerprint, FingerprintKey};
use crate::{Config, Format};

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Side {
    /// A `.env` file, or a TOML, YAML or JSON file (by extension).
    File(PathBuf),
    /// A running instance: the URL of its `/config/fingerprints` route (`http://` only).
    Instance(String),
}

impl FromStr for Side {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(
            if text.starts_with("http://") || text.starts_with("https://") {
                Side::Instance(text.to_owned())
            } else {
                Side::File(PathBuf::from(text))
            },
        )
    }
}

impl std::fmt::Display for Side {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Side::File(path) => write!(f, "{}", path.display()),
            Side::Instance(url) => f.write_str(url),
        }
    }
}

/// One key of one side, as the comparison sees it.
#[derive(Debug, Clone)]
pub(super) struct View {
    pub key: String,
    pub secret: bool,
    /// Where the value came from (not known for a running instance).
    pub source: Option<String>,
    /// The value, when it may be shown.
    pub shown: Option<String>,
    /// `None` when the key is unset.
    pub fingerprint: Option<Fingerprint>,
}

/// How a key differs between the sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// Set on the first side, unset on the second.
    Missing,
    /// Unset on the first side, set on the second.
    Extra,
    /// Set on both, to different values.
    Differs,
}

impl Change {
    fn as_str(self) -> &'static str {
        match self {
            Change::Missing => "missing",
            Change::Extra => "extra",
            Change::Differs => "differs",
        }
    }
}

/// Compares the sides and prints the drift; exit 1 when they differ, 3 when a side cannot be
/// read (then nothing is compared).
pub(super) async fn run<T: Config>(
    cli: &Cli<T>,
    sources: &SourceArgs,
    a: &Side,
    b: &Side,
    out: Printer,
) -> Exit {
    let key = FingerprintKey::random();
    let mut sides = Vec::with_capacity(2);
    for side in [a, b] {
        match views(cli, sources, side, &key).await {
            Ok(views) => sides.push(views),
            Err(exit) => return exit,
        }
    }
    let (first, second) = (&sides[0], &sides[1]);
    let mut drift: Vec<(Change, Option<&View>, Option<&View>)> = Vec::new();
    for view in first {
        let other = second.iter().find(|o| o.key == view.key);
        let theirs = other.and_then(|o| o.fingerprint);
        let change = match (view.fingerprint, theirs) {
            (Some(_), None) => Some(Change::Missing),
            (None, Some(_)) => Some(Change::Extra),
            (Some(mine), Some(theirs)) if mine != theirs => Some(Change::Differs),
            _ => None,
        };
        if let Some(change) = change {
            drift.push((change, Some(view), other));
        }
    }
    for view in second {
        let known = first.iter().any(|o| o.key == view.key);
        if !known && view.fingerprint.is_some() {
            drift.push((Change::Extra, None, Some(view)));
        }
    }
    print(&out, a, b, &drift);
    if drift.is_empty() {
        Exit::Fine
    } else {
        Exit::Failed
    }
}

/// The keys of one side, fingerprinted under `key`.
async fn views<T: Config>(
    cli: &Cli<T>,
    sources: &SourceArgs,
    side: &Side,
    key: &FingerprintKey,
) -> Result<Vec<View>, Exit> {
    let path = match side {
        Side::Instance(url) => {
            return remote::fingerprints(url, key).map_err(|problem| {
                eprintln!("error: {url}: {problem}");
                Exit::Unreadable
            });
        }
        Side::File(path) => path,
    };
    let loader = cli.loader_of(sources, Environment::Skip);
    let loader = if Format::from_path(path).is_some() {
        loader.file(path)
    } else {
        loader.dotenv_required(path)
    };
    let leaves = loader.leaves().await.map_err(|error| {
        Printer::new(Form::Text).invalid(&side.to_string(), &error);
        Exit::Unreadable
    })?;
    Ok(leaves
        .into_iter()
        .map(|leaf| View {
            fingerprint: leaf.source.is_some().then(|| leaf.digest.under(key)),
            key: leaf.path,
            secret: leaf.secret,
            source: leaf.source,
            shown: leaf.shown,
        })
        .collect())
}

/// The drift as a table or a JSON document.
fn print(out: &Printer, a: &Side, b: &Side, drift: &[(Change, Option<&View>, Option<&View>)]) {
    if out.is_json() {
        let side = |view: Option<&View>| {
            view.map(|v| {
                serde_json::json!({
                    "set": v.fingerprint.is_some(),
                    "source": v.source,
                    "value": v.shown,
                })
            })
        };
        let keys: Vec<serde_json::Value> = drift
            .iter()
            .map(|(change, mine, theirs)| {
                let view = mine.or(*theirs).expect("a drifted key is on one side");
                serde_json::json!({
                    "key": view.key,
                    "change": change.as_str(),
                    "secret": view.secret,
                    "a": side(*mine),
                    "b": side(*theirs),
                })
            })
            .collect();
        return out.json(&serde_json::json!({
            "a": a.to_string(),
            "b": b.to_string(),
            "same": drift.is_empty(),
            "keys": keys,
        }));
    }
    if drift.is_empty() {
        println!(
            "{} {a} and {b} agree on every key",
            out.paint(Tone::Good, "same")
        );
        return;
    }
    let count = |wanted: Change| drift.iter().filter(|(c, ..)| *c == wanted).count();
    println!(
        "{} between {a} (A) and {b} (B): {} missing in B, {} extra in B, {} differing",
        out.paint(Tone::Bad, "drift"),
        count(Change::Missing),
        count(Change::Extra),
        count(Change::Differs)
    );
    let cell = |view: Option<&View>| match view {
        None => "-".to_owned(),
        Some(view) if view.fingerprint.is_none() => "(not set)".to_owned(),
        Some(view) => {
            let value = match (&view.shown, view.secret) {
                (_, true) => "(secret)".to_owned(),
                (Some(shown), false) => format!("{shown:?}"),
                (None, false) => "(hidden)".to_owned(),
            };
            match &view.source {
                Some(source) => format!("{value} from {source}"),
                None => value,
            }
        }
    };
    let mut rows = vec![vec![
        "KEY".to_owned(),
        "CHANGE".to_owned(),
        "A".to_owned(),
        "B".to_owned(),
    ]];
    for (change, mine, theirs) in drift {
        let view = mine.or(*theirs).expect("a drifted key is on one side");
        rows.push(vec![
            view.key.clone(),
            change.as_str().to_owned(),
            cell(*mine),
            cell(*theirs),
        ]);
    }
    print!("{}", table(&rows));
}
