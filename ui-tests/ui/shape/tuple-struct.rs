use config_runtime::Config;

#[derive(Config)]
struct Port(u16);

fn main() {}
