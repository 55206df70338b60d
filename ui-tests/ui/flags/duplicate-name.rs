use config_runtime::flags::{Flag, Flags};

#[derive(Flags)]
struct AppFlags {
    new_checkout: Flag,
    #[flag(name = "new-checkout")]
    checkout: Flag,
}

fn main() {}
