use config_runtime::{Config, Secret};

#[derive(Config)]
struct Redis {
    host: String,
}

#[derive(Config)]
struct Settings {
    #[config(nested)]
    cache: Option<Redis>,
    #[config(nested)]
    replicas: Vec<Redis>,
    #[config(nested)]
    password: Secret<String>,
}

fn main() {}
