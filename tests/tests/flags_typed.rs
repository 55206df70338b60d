//! Typed flags: a `#[derive(Flags)]` struct read against documents that lack some of its
//! flags, and variant payloads deserialised into the declared type.

use config_runtime::Warning;
use config_runtime::flags::{Context, Flag, FlagSet, Flags, VariantFlag};

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Banner {
    text: String,
    colour: String,
}

/// Flags of the storefront.
#[derive(Flags)]
struct StoreFlags {
    /// The new checkout flow.
    new_checkout: Flag,
    /// Search stays on when the flag server forgets it.
    #[flag(default = true)]
    search: Flag,
    /// The home page banner experiment.
    #[flag(name = "home.banner")]
    banner: VariantFlag<Banner>,
    /// A plain-text greeting.
    greeting: VariantFlag<String>,
}

const DOCUMENT: &str = r#"{"version": 2, "features": [
    {"name": "new-checkout", "enabled": true,
     "strategies": [{"name": "userWithId", "parameters": {"userIds": "1"}}]},
    {"name": "home.banner", "enabled": true, "strategies": [{"name": "default"}],
     "variants": [{"name": "red", "weight": 1000, "stickiness": "userId",
                   "payload": {"type": "json", "value": "{\"text\": \"Sale\", \"colour\": \"red\"}"}}]},
    {"name": "unrelated", "enabled": true}
]}"#;

#[test]
fn declared_flags_carry_names_docs_and_defaults() {
    let declared = StoreFlags::declared();
    let names: Vec<_> = declared.iter().map(|d| d.name).collect();
    assert_eq!(names, ["new-checkout", "search", "home.banner", "greeting"]);
    assert_eq!(declared[0].doc, "The new checkout flow.");
    assert!(declared[1].default && !declared[0].default);
}

#[test]
fn a_declared_flag_missing_from_the_document_is_reported_and_takes_its_default() {
    let doc = Flags::from_json(DOCUMENT).unwrap();
    let missing = StoreFlags::missing(&doc);
    assert_eq!(
        missing,
        [
            Warning::MissingFlag {
                name: "search".into(),
                default: true
            },
            Warning::MissingFlag {
                name: "greeting".into(),
                default: false
            },
        ]
    );
    assert_eq!(
        missing[0].to_string(),
        "flag search: not in the flag document, on by its default"
    );
    let flags = StoreFlags::declare();
    let ctx = Context::new().user_id("1");
    assert!(flags.search.is_enabled(&doc, &ctx));
    let greeting = flags.greeting.variant(&doc, &ctx);
    assert_eq!(
        (greeting.name, greeting.feature_enabled, greeting.payload),
        ("disabled", false, None)
    );
}

#[test]
fn typed_variants_deserialise_their_payloads() {
    let doc = Flags::from_json(DOCUMENT).unwrap();
    let flags = StoreFlags::declare();
    let ctx = Context::new().user_id("1");
    assert!(flags.new_checkout.is_enabled(&doc, &ctx));
    assert!(
        !flags
            .new_checkout
            .is_enabled(&doc, &Context::new().user_id("2"))
    );
    let banner = flags.banner.variant(&doc, &ctx);
    assert_eq!(banner.name, "red");
    assert_eq!(
        banner.payload,
        Some(Banner {
            text: "Sale".into(),
            colour: "red".into()
        })
    );
}
