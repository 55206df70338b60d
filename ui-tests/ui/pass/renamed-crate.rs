// The runtime under another name, with `crate = ".."` pointing the generated code at it.
// (Cargo refuses one package under two names in one manifest, so the rename is made here:
// `extern crate .. as ..` at the crate root puts the crate in scope under the new name just
// as `renamed = { package = "config-runtime" }` would. That no generated path names
// `config_runtime` itself is checked by config-derive's unit tests.)
extern crate config_runtime as renamed;

use renamed::Config;

/// Settings.
#[derive(Config)]
#[config(crate = "renamed", prefix = "SVC")]
struct Settings {
    /// Port.
    #[config(default = 8080, validate(range(min = 1)))]
    port: u16,
    /// Nested section.
    #[config(nested)]
    db: Db,
}

#[derive(Config)]
#[config(crate = "::renamed")]
struct Db {
    /// Name.
    #[config(default = "app", validate(pattern = "^[a-z]+$"))]
    name: String,
}

fn main() {
    let settings = Settings::from_map([("SVC_DB_NAME", "billing")]).unwrap();
    assert_eq!(settings.port, 8080);
    assert_eq!(settings.db.name, "billing");
}
