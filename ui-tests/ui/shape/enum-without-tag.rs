use config_runtime::Config;

#[derive(Config)]
enum Mode {
    Fast,
    Slow,
}

fn main() {}
