use config_runtime::flags::Flags;

#[derive(Flags)]
struct AppFlags {
    new_checkout: bool,
}

fn main() {}
