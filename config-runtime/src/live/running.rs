//! What a reload compares a new build with: a fingerprint of each leaf of the running
//! snapshot, in the order of the running schema's leaves. Pure: no I/O, no clock.
//!
//! A declared schema is the same on every build, so its leaves compare index by index, with
//! no lookup by path. A schema expanded with the entries of maps and lists may differ between
//! builds: then each new leaf finds its running one by path, and running leaves the new
//! schema lacks are gone (and changed).

use super::PathMap;
use crate::KeyPath;
use crate::schema::{FieldSchema, Schema, SchemaRef};

/// The running snapshot's schema and leaf fingerprints (`restart` leaves: the value the
/// process runs with, not the latest one).
pub(super) struct Running {
    schema: SchemaRef,
    fingerprints: Vec<u64>,
    /// The indexes of the `restart` leaves of `schema`.
    restart: Vec<usize>,
    /// The indexes of its secret leaves.
    secrets: Vec<usize>,
    /// Latest fingerprint reported as needing a restart, per `restart` leaf.
    reported: PathMap<u64>,
}

/// How a new build differs from the running snapshot, by key path.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Changes {
    /// Leaves whose value changed, appeared or went away: applied.
    pub changed: Vec<KeyPath>,
    /// `restart` leaves whose value changed since it was last reported: not applied.
    pub restart_required: Vec<KeyPath>,
    /// Leaves of the running snapshot the new schema lacks (also in `changed`).
    pub gone: Vec<KeyPath>,
    /// Whether a secret leaf is among `changed`.
    pub secret_changed: bool,
}

impl Changes {
    /// Nothing to apply and nothing to report.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.restart_required.is_empty()
    }
}

impl Running {
    /// The first load's snapshot: `fingerprints` has one per leaf of `schema`.
    pub fn new(schema: SchemaRef, fingerprints: Vec<u64>) -> Self {
        let restart = leaves_where(&schema, |field| field.restart);
        let secrets = leaves_where(&schema, |field| field.secret);
        let reported = (restart.iter())
            .filter_map(|&index| Some((&schema.fields[index], *fingerprints.get(index)?)))
            .map(|(field, fingerprint)| (field.path.clone(), fingerprint))
            .collect();
        Running {
            schema,
            fingerprints,
            restart,
            secrets,
            reported,
        }
    }

    /// The schema of the running snapshot (with the entries of its maps and lists).
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The running fingerprint of the leaf at `path`; `None` when it has no such leaf.
    pub fn fingerprint(&self, path: &str) -> Option<u64> {
        let &index = self.schema.by_path.get(path)?;
        self.fingerprints.get(index).copied()
    }

    /// Moves to a new build (`fingerprints` has one per leaf of `schema`): what changed, and
    /// from now on the new leaves are the running ones, but that a `restart` leaf keeps its
    /// running value.
    pub fn advance(&mut self, schema: &SchemaRef, mut fingerprints: Vec<u64>) -> Changes {
        let mut changes = Changes::default();
        let reported = &mut self.reported;
        if same_schema(&self.schema, schema) {
            // The `restart` leaves first: each is kept at its running fingerprint, so it is
            // not among the moved leaves below.
            for &index in &self.restart {
                let old = self.fingerprints[index];
                let new = &mut fingerprints[index];
                step(
                    &mut changes,
                    reported,
                    Leaf::of(schema, index),
                    Some(old),
                    new,
                );
            }
            // Every other leaf that moved is changed. Only fingerprints are read: a declared
            // leaf is named by its place in the schema, so a reload that changes thousands of
            // keys reads no field's description. The list is made once at its size.
            let moved = |(new, old): (&u64, &u64)| new != old;
            let pairs = || fingerprints.iter().zip(&self.fingerprints);
            changes
                .changed
                .reserve_exact(pairs().filter(|&pair| moved(pair)).count());
            for (index, pair) in pairs().enumerate() {
                if moved(pair) {
                    changes.changed.push(Leaf::of(schema, index).path());
                }
            }
            changes.secret_changed =
                (self.secrets.iter()).any(|&index| fingerprints[index] != self.fingerprints[index]);
        } else {
            for (index, new) in fingerprints.iter_mut().enumerate() {
                let leaf = Leaf::of(schema, index);
                let running = self.schema.by_path.get(&leaf.field.path);
                let old = running.map(|&running| self.fingerprints[running]);
                step(&mut changes, reported, leaf, old, new);
            }
            for field in &self.schema.fields {
                if !schema.by_path.contains_key(&field.path) {
                    reported.remove(&field.path);
                    changes.gone.push(KeyPath::from(field.path.as_str()));
                }
            }
            changes.changed.extend(changes.gone.iter().cloned());
            self.restart = leaves_where(schema, |field| field.restart);
            self.secrets = leaves_where(schema, |field| field.secret);
        }
        self.schema = schema.clone();
        self.fingerprints = fingerprints;
        changes
    }
}

/// A leaf of a new build: its description (read only when used), and its place when its
/// schema is a declared one (which lives for the whole run).
#[derive(Clone, Copy)]
struct Leaf<'a> {
    field: &'a FieldSchema,
    declared: Option<(&'static Schema, usize)>,
}

impl<'a> Leaf<'a> {
    /// The leaf at `index` of `schema`.
    fn of(schema: &'a SchemaRef, index: usize) -> Self {
        let declared = match schema {
            SchemaRef::Declared(declared) => Some((*declared, index)),
            SchemaRef::Expanded(_) => None,
        };
        Leaf {
            field: &schema.fields[index],
            declared,
        }
    }

    /// The leaf's path, to name it in a change: a declared one's is its place (nothing is
    /// read or copied); an expanded schema's leaves come and go with the entries of its maps
    /// and lists, so their text is copied.
    fn path(self) -> KeyPath {
        match self.declared {
            Some((schema, leaf)) => KeyPath::declared(schema, leaf),
            None => KeyPath::from(self.field.path.as_str()),
        }
    }
}

/// One leaf of a new build, `old` its running fingerprint (`None`: a new leaf). A `restart`
/// leaf keeps its running value, and is listed when it moved to a value not listed before;
/// another leaf is changed when it moved or is new.
fn step(
    changes: &mut Changes,
    reported: &mut PathMap<u64>,
    leaf: Leaf,
    old: Option<u64>,
    new: &mut u64,
) {
    let field = leaf.field;
    match old {
        Some(old) if field.restart => {
            let latest = std::mem::replace(new, old);
            let before = match reported.get_mut(&field.path) {
                Some(last) => Some(std::mem::replace(last, latest)),
                None => reported.insert(field.path.clone(), latest),
            };
            if old != latest && before != Some(latest) {
                changes.restart_required.push(leaf.path());
            }
        }
        Some(old) if old == *new => {}
        _ => {
            changes.changed.push(leaf.path());
            changes.secret_changed |= field.secret;
        }
    }
}

/// The indexes of the leaves of `schema` that are `which`.
fn leaves_where(schema: &SchemaRef, which: impl Fn(&FieldSchema) -> bool) -> Vec<usize> {
    let leaves = schema.fields.iter().enumerate();
    leaves
        .filter(|(_, field)| which(field))
        .map(|(index, _)| index)
        .collect()
}

/// Whether two builds have the very same schema (a declared one always does).
fn same_schema(a: &SchemaRef, b: &SchemaRef) -> bool {
    match (a, b) {
        (SchemaRef::Declared(a), SchemaRef::Declared(b)) => std::ptr::eq(*a, *b),
        (SchemaRef::Expanded(a), SchemaRef::Expanded(b)) => std::sync::Arc::ptr_eq(a, b),
        _ => false,
    }
}

#[cfg(all(test, feature = "toml"))]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::loader::gather::gather_all_now;
    use crate::loader::merge::Gatherings;
    use crate::{Config, Format};

    // Only their schemas are read.
    #[allow(dead_code)]
    #[derive(crate::Config, Debug)]
    #[config(crate = "crate", prefix = "T")]
    struct Flat {
        /// A port.
        #[config(default = 1)]
        port: u16,
        /// A token.
        #[config(default = "x")]
        token: crate::Secret<String>,
        /// Read once at start.
        #[config(restart, default = 2)]
        workers: u16,
    }

    #[allow(dead_code)]
    #[derive(crate::Config, Debug)]
    #[config(crate = "crate", prefix = "T")]
    struct Labelled {
        /// A port.
        #[config(default = 1)]
        port: u16,
        /// Labels, one leaf each.
        #[config(default = "")]
        labels: HashMap<String, String>,
    }

    /// The schema a load of `toml` has (expanded with its map entries, if any).
    fn schema_of<T: Config>(toml: &str) -> SchemaRef {
        let loader = T::loader().string(toml, Format::Toml);
        let (plan, context) = (loader.plan(), loader.context());
        let mut outcomes = gather_all_now(&plan.sources, &context);
        loader.merge(&plan, &mut outcomes, Gatherings::Spent).schema
    }

    /// One fingerprint per leaf of `schema`: those given by path, 0 for the others.
    fn prints(schema: &SchemaRef, given: &[(&str, u64)]) -> Vec<u64> {
        let given: HashMap<&str, u64> = given.iter().copied().collect();
        let of = |path: &str| given.get(path).copied().unwrap_or(0);
        schema.fields.iter().map(|field| of(&field.path)).collect()
    }

    fn paths(paths: &[&str]) -> Vec<KeyPath> {
        paths.iter().map(|&path| KeyPath::from(path)).collect()
    }

    #[test]
    fn a_declared_schema_compares_leaf_by_leaf() {
        let schema = schema_of::<Flat>("");
        let mut running = Running::new(schema.clone(), prints(&schema, &[]));
        assert!(running.advance(&schema, prints(&schema, &[])).is_empty());

        let changes = running.advance(&schema, prints(&schema, &[("port", 7)]));
        assert_eq!(
            (changes.changed, changes.secret_changed),
            (paths(&["port"]), false)
        );
        assert_eq!(running.fingerprint("port"), Some(7));

        let changes = running.advance(&schema, prints(&schema, &[("port", 7), ("token", 3)]));
        assert_eq!(
            (changes.changed, changes.secret_changed),
            (paths(&["token"]), true)
        );
        assert_eq!(running.fingerprint("nope"), None);
    }

    #[test]
    fn a_restart_leaf_keeps_its_running_value_and_is_reported_once_per_value() {
        let schema = schema_of::<Flat>("");
        let mut running = Running::new(schema.clone(), prints(&schema, &[("workers", 4)]));
        let changes = running.advance(&schema, prints(&schema, &[("workers", 16)]));
        assert_eq!(
            (changes.changed, changes.restart_required),
            (paths(&[]), paths(&["workers"]))
        );
        assert_eq!(running.fingerprint("workers"), Some(4), "the running value");
        // The same pending value again: not reported again.
        let changes = running.advance(&schema, prints(&schema, &[("workers", 16)]));
        assert!(changes.is_empty(), "{changes:?}");
        // Another value: reported; back to the running one: nothing to tell.
        let changes = running.advance(&schema, prints(&schema, &[("workers", 32)]));
        assert_eq!(changes.restart_required, paths(&["workers"]));
        assert!(
            running
                .advance(&schema, prints(&schema, &[("workers", 4)]))
                .is_empty()
        );
        // Moved away again after coming back: told again.
        let changes = running.advance(&schema, prints(&schema, &[("workers", 32)]));
        assert_eq!(changes.restart_required, paths(&["workers"]));
    }

    #[test]
    fn an_expanded_schema_finds_leaves_by_path_and_lists_the_gone() {
        let first = schema_of::<Labelled>("[labels]\na = \"1\"\nb = \"2\"\n");
        assert!(matches!(first, SchemaRef::Expanded(_)));
        let given = [("labels.a", 1), ("labels.b", 2)];
        let mut running = Running::new(first.clone(), prints(&first, &given));

        // The same entries in a new schema, one value changed, one entry gone, one new.
        let second = schema_of::<Labelled>("[labels]\nc = \"3\"\na = \"9\"\n");
        let changes = running.advance(&second, prints(&second, &[("labels.a", 9)]));
        assert_eq!(
            changes.changed,
            paths(&["labels.a", "labels.c", "labels.b"])
        );
        assert_eq!(changes.gone, paths(&["labels.b"]));
        assert_eq!(running.fingerprint("labels.b"), None);
        assert_eq!(running.fingerprint("labels.a"), Some(9));
        assert!(running.schema().by_path.contains_key("labels.c"));
    }
}
