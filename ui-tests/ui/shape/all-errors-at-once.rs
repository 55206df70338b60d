// Every error of one input in one compile, and none from using the broken type.
use config_runtime::Config;

#[derive(Config)]
#[config(prefix = "app")]
struct Settings {
    #[config(default = "abc", validate(min_len = 2))]
    port: u16,
    #[config(validate(range(min = 1)))]
    name: String,
    #[config(nested, default = 1)]
    redis: Redis,
}

#[derive(Config)]
struct Redis {
    #[config(validate(pattern = "("))]
    host: String,
}

fn main() {
    let _ = Settings::from_env();
}
