use config_runtime::{Config, Secret};
use std::collections::HashMap;

#[derive(Config)]
struct Settings {
    #[config(nested)]
    labels: HashMap<String, String>,
    #[config(nested)]
    hosts: Vec<String>,
    #[config(nested)]
    password: Secret<String>,
}

fn main() {}
