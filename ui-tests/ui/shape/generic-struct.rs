use config_runtime::Config;

#[derive(Config)]
struct Settings<T> {
    value: T,
}

fn main() {}
