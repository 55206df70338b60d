use config_runtime::flags::{Flag, Flags};

#[derive(Flags)]
struct AppFlags {
    #[flag(name = " ")]
    new_checkout: Flag,
}

fn main() {}
