use config_runtime::Config;

struct Common {
    log_level: String,
}

#[derive(Config)]
struct Settings {
    #[config(flatten)]
    common: Common,
}

fn main() {}
