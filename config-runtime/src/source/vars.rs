//! Values given in code: maps of variables (`Loader::vars`) and overrides (`Loader::set`).

use super::{Entry, GatherContext, Gathered, Gathering, Source};
use crate::origin::Origin;

/// A map of variables, read exactly like the process environment.
#[derive(Debug, Clone, Default)]
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

    fn gather(&self, _: &GatherContext) -> Gathering<'_> {
        let entries = self
            .vars
            .iter()
            .map(|(name, value)| {
                let origin = Origin::Env { var: name.clone() };
                Entry::variable(name.clone(), value.clone(), origin)
            })
            .collect();
        Gathering::Ready(Ok(Gathered::new(entries)))
    }
}

/// Explicit overrides by key path (`redis.port`) or variable name (`Loader::set`).
#[derive(Debug, Clone, Default)]
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
        let entries = self
            .values
            .iter()
            .map(|(key, value)| Entry::key(key.clone(), value.clone(), Origin::Override))
            .collect();
        Gathering::Ready(Ok(Gathered::new(entries)))
    }
}
