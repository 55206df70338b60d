use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(validate(min_lenn = 3))]
    name: String,
    #[config(validate(between(min = 1, max = 9)))]
    port: u16,
}

fn main() {}
