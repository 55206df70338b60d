use config_runtime::Config;

enum LogFormat {
    Json,
    Text,
}

#[derive(Config)]
struct Settings {
    format: LogFormat,
}

fn main() {}
