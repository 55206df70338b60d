//! Stickiness: which context field keeps a user in the same bucket from one request to the
//! next.

use super::context::{Context, ContextField};

/// The field a bucket is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stickiness {
    /// The user id, else the session id (else, for variants, the remote address), else random.
    Default,
    /// A new bucket on every evaluation.
    Random,
    /// One context field.
    Field(ContextField),
}

/// What to hash for a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identity<'a> {
    /// Hash this value.
    Value(&'a str),
    /// Draw a random bucket.
    Random,
    /// The field is missing: a rollout does not match.
    Missing,
}

impl Stickiness {
    pub(crate) fn parse(name: Option<&str>) -> Self {
        match name.map(str::trim) {
            None | Some("" | "default") => Stickiness::Default,
            Some("random") => Stickiness::Random,
            Some(field) => Stickiness::Field(ContextField::parse(field)),
        }
    }

    /// The identity a rollout percentage buckets: a missing custom field does not match.
    pub(crate) fn for_rollout<'c>(&self, ctx: &'c Context) -> Identity<'c> {
        match self {
            Stickiness::Default => ctx
                .user_id
                .as_deref()
                .or(ctx.session_id.as_deref())
                .map_or(Identity::Random, Identity::Value),
            Stickiness::Random => Identity::Random,
            Stickiness::Field(field) => ctx.get(field).map_or(Identity::Missing, Identity::Value),
        }
    }

    /// The identity a variant pick buckets: always some bucket, random at worst.
    pub(crate) fn for_variant<'c>(&self, ctx: &'c Context) -> Identity<'c> {
        let value = match self {
            Stickiness::Default => ctx
                .user_id
                .as_deref()
                .or(ctx.session_id.as_deref())
                .or(ctx.remote_address.as_deref()),
            Stickiness::Random => None,
            Stickiness::Field(field) => ctx.get(field),
        };
        value.map_or(Identity::Random, Identity::Value)
    }
}
