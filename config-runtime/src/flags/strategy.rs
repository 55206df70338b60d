//! Activation strategies: the rule that turns a flag on for a context, behind its constraints
//! and segments.

use std::collections::HashMap;
use std::net::IpAddr;

use super::constraint::Constraint;
use super::context::{Context, ContextField};
use super::hash::{ROLLOUT_SEED, bucket, random_bucket};
use super::stickiness::{Identity, Stickiness};
use super::values::IpNet;
use super::variant::Variants;
use super::wire;

/// The strategies this crate evaluates, as Unleash names them (what a client registers).
pub const STRATEGIES: &[&str] = &[
    "default",
    "userWithId",
    "flexibleRollout",
    "gradualRolloutUserId",
    "gradualRolloutSessionId",
    "gradualRolloutRandom",
    "remoteAddress",
    "applicationHostname",
];

/// One compiled strategy of a flag.
#[derive(Debug, Clone)]
pub(crate) struct Strategy {
    rule: Rule,
    constraints: Box<[Constraint]>,
    pub(crate) variants: Variants,
}

/// What a strategy checks once its constraints hold.
#[derive(Debug, Clone)]
enum Rule {
    /// `default`, and `applicationHostname` naming this host.
    Always,
    /// `userWithId`.
    UserIds(Box<[Box<str>]>),
    /// `flexibleRollout`, `gradualRolloutUserId`, `gradualRolloutSessionId`: a bucket of
    /// `group:identity` at or under the percentage.
    Rollout {
        percent: u32,
        stickiness: Stickiness,
        group: Box<str>,
    },
    /// `gradualRolloutRandom`.
    Random { percent: u32 },
    /// `remoteAddress`: addresses, networks, or (for odd entries) the exact text.
    Addresses(Box<[Address]>),
    /// An unknown strategy, a missing segment, or `applicationHostname` naming other hosts.
    Never,
}

#[derive(Debug, Clone)]
enum Address {
    Network(IpNet),
    Text(Box<str>),
}

/// What a document's strategies need beyond their own text.
pub(crate) struct Scope<'a> {
    pub flag: &'a str,
    pub segments: &'a HashMap<u64, Vec<Constraint>>,
    pub hostname: &'a str,
}

impl Strategy {
    pub(crate) fn compile(wire: &wire::Strategy, scope: &Scope<'_>) -> Self {
        let parameter = |name: &str| wire.parameters.get(name).and_then(wire::text);
        let percent = |name: &str| {
            parameter(name)
                .and_then(|p| p.trim().parse::<f64>().ok())
                .map_or(0, |p| p.clamp(0.0, 100.0) as u32)
        };
        let group = || parameter("groupId").unwrap_or_else(|| scope.flag.to_owned());
        let list = |name: &str| -> Vec<String> {
            parameter(name)
                .map(|p| {
                    p.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut rule = match wire.name.as_str() {
            "default" => Rule::Always,
            "userWithId" => Rule::UserIds(list("userIds").into_iter().map(Into::into).collect()),
            "flexibleRollout" => Rule::Rollout {
                percent: percent("rollout"),
                stickiness: Stickiness::parse(parameter("stickiness").as_deref()),
                group: group().into(),
            },
            "gradualRolloutUserId" => Rule::Rollout {
                percent: percent("percentage"),
                stickiness: Stickiness::Field(ContextField::UserId),
                group: group().into(),
            },
            "gradualRolloutSessionId" => Rule::Rollout {
                percent: percent("percentage"),
                stickiness: Stickiness::Field(ContextField::SessionId),
                group: group().into(),
            },
            "gradualRolloutRandom" => Rule::Random {
                percent: percent("percentage"),
            },
            "remoteAddress" => Rule::Addresses(
                list("IPs")
                    .into_iter()
                    .map(|entry| match IpNet::parse(&entry) {
                        Some(net) => Address::Network(net),
                        None => Address::Text(entry.into()),
                    })
                    .collect(),
            ),
            "applicationHostname" => {
                let named = list("hostNames")
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(scope.hostname));
                if named { Rule::Always } else { Rule::Never }
            }
            _ => Rule::Never,
        };
        let mut constraints = Vec::new();
        for id in &wire.segments {
            match scope.segments.get(id) {
                Some(segment) => constraints.extend(segment.iter().cloned()),
                None => rule = Rule::Never,
            }
        }
        constraints.extend(wire.constraints.iter().map(Constraint::compile));
        let variant_group = parameter("groupId").unwrap_or_else(|| scope.flag.to_owned());
        Strategy {
            rule,
            constraints: constraints.into(),
            variants: Variants::compile(
                &wire.variants,
                &variant_group,
                parameter("stickiness").as_deref(),
            ),
        }
    }

    /// Whether this strategy turns its flag on for the context.
    pub(crate) fn matches(&self, ctx: &Context) -> bool {
        self.constraints.iter().all(|c| c.matches(ctx)) && self.rule.matches(ctx)
    }
}

impl Rule {
    fn matches(&self, ctx: &Context) -> bool {
        match self {
            Rule::Always => true,
            Rule::Never => false,
            Rule::UserIds(ids) => ctx
                .user_id
                .as_deref()
                .is_some_and(|user| ids.iter().any(|id| &**id == user)),
            Rule::Rollout {
                percent,
                stickiness,
                group,
            } => {
                let bucket = match stickiness.for_rollout(ctx) {
                    Identity::Value(id) => bucket(group, id, 100, ROLLOUT_SEED),
                    Identity::Random => random_bucket(100),
                    Identity::Missing => return false,
                };
                bucket <= *percent
            }
            Rule::Random { percent } => random_bucket(100) <= *percent,
            Rule::Addresses(addresses) => {
                let Some(remote) = ctx.remote_address.as_deref() else {
                    return false;
                };
                let ip = remote.trim().parse::<IpAddr>().ok();
                addresses.iter().any(|address| match address {
                    Address::Network(net) => ip.is_some_and(|ip| net.contains(ip)),
                    Address::Text(text) => &**text == remote,
                })
            }
        }
    }
}

/// This machine's name, as `applicationHostname` compares it: `HOSTNAME`, else the kernel's.
pub(crate) fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|| "undefined".to_owned())
}
