use config_runtime::Config;
use std::path::PathBuf;

#[derive(Config)]
struct Settings {
    #[config(validate(range(min = 1, max = 10)))]
    name: String,
    #[config(validate(range(max = 1)))]
    enabled: bool,
    #[config(validate(range(min = 0)))]
    dir: PathBuf,
}

fn main() {}
