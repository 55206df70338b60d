use config_runtime::Config;

#[derive(Config)]
struct Settings {
    #[config(validate(pattern = "^[a-z+$"))]
    name: String,
}

fn main() {}
