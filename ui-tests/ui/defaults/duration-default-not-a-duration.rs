use config_runtime::Config;
use std::time::Duration;

#[derive(Config)]
struct Settings {
    #[config(default = "30x")]
    timeout: Duration,
    #[config(default = "5s, soon")]
    backoff: Vec<Duration>,
}

fn main() {}
