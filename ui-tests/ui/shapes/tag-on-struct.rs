use config_runtime::Config;

#[derive(Config)]
#[config(tag = "type")]
struct Console {
    target: String,
}

fn main() {}
