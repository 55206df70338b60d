use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(default = "http://localhost:3000,")]
    cors_origins: Vec<String>,
    #[config(default = "1,,3")]
    weights: Vec<u8>,
    #[config(default = "")]
    tags: Vec<String>,
}

fn main() {}
