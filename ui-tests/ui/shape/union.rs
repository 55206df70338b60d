use config_runtime::Config;

#[derive(Config)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
