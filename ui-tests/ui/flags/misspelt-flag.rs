use config_runtime::flags::{Context, Flag, FlagSet, Flags};

#[derive(Flags)]
struct AppFlags {
    new_checkout: Flag,
}

fn main() {
    let doc = Flags::default();
    let _ = AppFlags::declare().new_chekout.is_enabled(&doc, &Context::new());
}
