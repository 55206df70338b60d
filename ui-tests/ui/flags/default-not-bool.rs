use config_runtime::flags::{Flag, Flags};

#[derive(Flags)]
struct AppFlags {
    #[flag(default = "on")]
    new_checkout: Flag,
}

fn main() {}
