//! The process environment as a source (`Loader::env`).

use super::{GatherContext, Gathered, Gathering, Layering, Problem, Source, var_file};

/// The process environment. Only the variables the config can use are taken: its fields'
/// variables and those with its prefix (checked for typos).
#[derive(Debug, Clone, Copy, Default)]
pub struct Environment;

impl Source for Environment {
    fn name(&self) -> String {
        "environment".to_owned()
    }

    fn layering(&self) -> Layering {
        Layering::Environment
    }

    fn gather(&self, context: &GatherContext) -> Gathering<'_> {
        let vars = std::env::vars_os();
        let mut entries =
            Vec::with_capacity(vars.size_hint().0.min(context.schema.fields.len() * 2));
        let mut problems = Vec::new();
        let mut names_a_file = false;
        for (name, value) in vars {
            if !context.may_want(&name) {
                continue;
            }
            let Ok(name) = name.into_string() else {
                continue;
            };
            let Some(wanted) = context.wanted_variable(&name) else {
                continue;
            };
            names_a_file |= var_file::may_name_a_file(&name);
            match value.into_string() {
                Ok(value) => entries.push(wanted.entry(name, value)),
                Err(_) if context.names_a_field(&name) => problems.push(Problem::of_variable(
                    name,
                    wanted.origin,
                    "the value is not valid UTF-8",
                )),
                Err(_) => {}
            }
        }
        let gathered = problems
            .into_iter()
            .fold(Gathered::new(entries), Gathered::with_problem);
        if !names_a_file {
            return Gathering::Ready(Ok(gathered));
        }
        Gathering::Ready(Ok(var_file::read_named_files(gathered, context)))
    }
}
