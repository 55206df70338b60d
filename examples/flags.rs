//! Feature flags: a flag file in Unleash's format, declared as a typed struct, followed live,
//! with the kill switch read from the environment.
//!
//! ```sh
//! cargo run -p config-examples --features flags --example flags
//! FLAG_OVERRIDES=new-checkout=off cargo run -p config-examples --features flags --example flags
//! ```

use std::time::Duration;

use config_runtime::flags::{
    Context, Flag, FlagSet, Flags, LiveFlags, LiveFlagsOptions, VariantFlag,
};

/// The flags the checkout service reads.
#[derive(Flags)]
struct CheckoutFlags {
    /// The new checkout flow, rolled out to half of the users.
    new_checkout: Flag,
    /// Search stays on if the flag file forgets it.
    #[flag(default = true)]
    search: Flag,
    /// The banner text experiment.
    banner: VariantFlag<String>,
}

const FLAGS: &str = "\
features:
  - name: new-checkout
    enabled: true
    strategies:
      - name: flexibleRollout
        parameters: {rollout: '50', stickiness: userId, groupId: new-checkout}
  - name: banner
    enabled: true
    strategies: [{name: default}]
    variants:
      - {name: short, weight: 500, stickiness: userId, payload: {type: string, value: 'Sale!'}}
      - {name: long, weight: 500, stickiness: userId, payload: {type: string, value: 'Everything must go'}}
";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("flags.yaml");
    std::fs::write(&path, FLAGS)?;

    let live = LiveFlags::start(
        config_runtime::flags::FlagFile::new(&path),
        LiveFlagsOptions::default().poll_interval(Duration::from_millis(200)),
    )
    .await?;
    let declared = CheckoutFlags::declare();
    for warning in CheckoutFlags::missing(&live.load()) {
        println!("warning: {warning}");
    }
    report(&declared, &live.load());

    // Turn the new checkout off for everyone: the running process follows the file.
    std::fs::write(&path, FLAGS.replacen("enabled: true", "enabled: false", 1))?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("-- after turning new-checkout off in the file");
    report(&declared, &live.load());
    Ok(())
}

fn report(flags: &CheckoutFlags, doc: &Flags) {
    for user in ["alice", "bob", "carol"] {
        let ctx = Context::new().user_id(user);
        let banner = flags.banner.variant(doc, &ctx);
        println!(
            "{user}: new checkout {}, search {}, banner {:?}",
            flags.new_checkout.is_enabled(doc, &ctx),
            flags.search.is_enabled(doc, &ctx),
            banner.payload.unwrap_or_default(),
        );
    }
}
