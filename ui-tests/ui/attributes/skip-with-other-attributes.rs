use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(skip, default = 4, env = "WORKERS")]
    workers: usize,
}

fn main() {}
