//! Values given in code: maps of variables (`Loader::vars`) and overrides (`Loader::set`).

use super::{Entry, GatherContext, Gathered, Gathering, Source, var_file};
use crate::origin::Origin;

/// A map of variables, read exactly like the process environment.
#[derive(Clone, Default)]
pub struct Vars {
    vars: Vec<(String, String)>,
}

impl Vars {
    /// These variables, in order (a later one wins).
    pub fn new<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Vars {
            vars: vars
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value of `name`, the last one given.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Source for Vars {
    fn name(&self) -> String {
        "variables".to_owned()
    }

    fn gather(&self, context: &GatherContext) -> Gathering<'_> {
        let entries = self
            .vars
            .iter()
            .map(|(name, value)| context.variable(name).entry(name.clone(), value.clone()))
            .collect();
        let gathered = var_file::read_named_files(Gathered::new(entries), context);
        Gathering::Ready(Ok(gathered))
    }
}

/// Explicit overrides by key path (`redis.port`) or variable name (`Loader::set`).
#[derive(Clone, Default)]
pub struct Overrides {
    values: Vec<(String, String)>,
}

impl Overrides {
    /// One override.
    pub fn one(key: impl Into<String>, value: impl Into<String>) -> Self {
        Overrides {
            values: vec![(key.into(), value.into())],
        }
    }
}

impl Source for Overrides {
    fn name(&self) -> String {
        "override".to_owned()
    }

    fn gather(&self, _: &GatherContext) -> Gathering<'_> {
        overrides(self.values.iter().map(|(key, value)| (key, value)))
    }
}

/// What a source of overrides by key path gives: each one as an entry of [`Origin::Override`].
pub(crate) fn overrides<'a>(
    pairs: impl Iterator<Item = (&'a String, &'a String)>,
) -> Gathering<'static> {
    let entries = pairs
        .map(|(key, value)| Entry::key(key.clone(), value.clone(), Origin::Override))
        .collect();
    Gathering::Ready(Ok(Gathered::new(entries)))
}

/// Names only: the values may be secrets.
fn names(
    f: &mut std::fmt::Formatter<'_>,
    kind: &str,
    pairs: &[(String, String)],
) -> std::fmt::Result {
    f.debug_tuple(kind)
        .field(&pairs.iter().map(|(name, _)| name).collect::<Vec<_>>())
        .finish()
}

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        names(f, "Vars", &self.vars)
    }
}

impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        names(f, "Overrides", &self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_names_not_values() {
        let vars = Vars::new([("APP_TOKEN", "hunter2-canary")]);
        let overrides = Overrides::one("token", "hunter2-canary");
        let shown = format!("{vars:?} {overrides:?}");
        assert!(shown.contains("APP_TOKEN") && shown.contains("token"));
        assert!(!shown.contains("hunter2-canary"));
    }
}
