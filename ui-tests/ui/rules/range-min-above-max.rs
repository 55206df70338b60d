use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(validate(range(min = 100, max = 10)))]
    workers: u32,
    #[config(validate(range()))]
    ratio: f64,
    #[config(validate(min_len = 8, max_len = 4))]
    name: String,
}

fn main() {}
