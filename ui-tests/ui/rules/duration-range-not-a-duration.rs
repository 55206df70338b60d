use config_runtime::Config;
use std::time::Duration;

#[derive(Config)]
struct Settings {
    #[config(default = "30s", validate(range(min = "1 parsec", max = "1h")))]
    timeout: Duration,
    #[config(default = "30s", validate(range(min = 1)))]
    interval: Duration,
    #[config(default = "30s", validate(range(min = "1h", max = "1m")))]
    grace: Duration,
}

fn main() {}
