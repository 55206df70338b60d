//! A primary region and its replicas: each read goes to the first region whose breaker lets
//! it through; a connection failure, throttling or a 5xx (an unavailable answer) sends it
//! on to the next, and opens that region's breaker for a cool-down, after which one read
//! tries it again, so reads return to the primary once it recovers. Answers that are
//! final (not found, denied) are not asked again elsewhere: replicas hold the same data.

use std::future::Future;
use std::time::Duration;

use config_runtime::ProviderError;

use crate::guard::CircuitBreaker;

/// How long a failed region is skipped, unless set otherwise.
pub(super) const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30);

/// One region's client and breaker.
pub(super) struct Region<C> {
    pub(super) name: String,
    pub(super) client: C,
    /// Region and endpoint, for `Debug`.
    pub(super) target: String,
    breaker: CircuitBreaker,
}

/// Clients of one service in the primary region, then its replicas, in order.
pub(super) struct Regions<C> {
    members: Vec<Region<C>>,
}

impl<C> std::fmt::Debug for Regions<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.members.iter().map(|m| &m.target))
            .finish()
    }
}

impl<C> Regions<C> {
    /// `members` (primary first: never empty) whose breakers open after one unavailable
    /// answer and stay open for `cooldown`.
    pub(super) fn new(members: Vec<(String, C, String)>, cooldown: Duration) -> Self {
        assert!(
            !members.is_empty(),
            "a service has at least its primary region"
        );
        Regions {
            members: members
                .into_iter()
                .map(|(name, client, target)| Region {
                    name,
                    client,
                    target,
                    breaker: CircuitBreaker::new(1, cooldown),
                })
                .collect(),
        }
    }

    /// The primary region's client.
    pub(super) fn primary(&self) -> &C {
        &self.members[0].client
    }

    /// The client of region `name`.
    pub(super) fn client(&self, name: &str) -> Option<&C> {
        self.members
            .iter()
            .find(|m| m.name == name)
            .map(|m| &m.client)
    }

    /// Runs `call` in the first region that answers; gives the answer and the region's name.
    /// With one region its breaker is not used: the cache in front has one already.
    pub(super) async fn call<'a, T, F, Fut>(
        &'a self,
        shown: &str,
        call: F,
    ) -> Result<(T, &'a str), ProviderError>
    where
        F: Fn(&'a C) -> Fut,
        Fut: Future<Output = Result<T, ProviderError>>,
    {
        let failover = self.members.len() > 1;
        let mut last = None;
        for member in &self.members {
            if failover && let Err(skipped) = member.breaker.admit(shown) {
                last = Some(skipped);
                continue;
            }
            let outcome = call(&member.client).await;
            if failover {
                member.breaker.record(&outcome);
            }
            match outcome {
                Ok(answer) => return Ok((answer, &member.name)),
                Err(error) if failover && error.is_transient() => {
                    tracing::warn!(
                        target: "config_providers::aws",
                        region = %member.name,
                        "{error}; trying the next region"
                    );
                    last = Some(error);
                }
                Err(error) => return Err(error),
            }
        }
        let mut error = last.expect("at least one region was tried or skipped");
        error.message = format!("{} (every region failed)", error.message);
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use config_runtime::ProviderErrorKind;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn regions() -> Regions<&'static str> {
        Regions::new(
            vec![("a".into(), "a", "a".into()), ("b".into(), "b", "b".into())],
            Duration::from_secs(30),
        )
    }

    #[tokio::test(start_paused = true)]
    async fn unavailable_regions_are_skipped_until_their_cooldown_ends() {
        let regions = regions();
        let primary_down = |region: &&'static str| {
            let region = *region;
            async move {
                match region {
                    "a" => Err(ProviderError::new(ProviderErrorKind::Unavailable, "down")),
                    other => Ok(other),
                }
            }
        };
        let calls = AtomicU32::new(0);
        let counted = |region: &&'static str| {
            calls.fetch_add(1, Ordering::SeqCst);
            let region = *region;
            async move { Ok::<_, ProviderError>(region) }
        };
        assert_eq!(regions.call("p", primary_down).await.unwrap().1, "b");
        // The primary's breaker is open: the next read goes straight to the replica.
        assert_eq!(regions.call("p", counted).await.unwrap().1, "b");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(31)).await;
        assert_eq!(regions.call("p", counted).await.unwrap().1, "a");
    }

    #[tokio::test(start_paused = true)]
    async fn final_answers_are_not_asked_elsewhere() {
        let regions = regions();
        let error = regions
            .call("p", |_| async {
                Err::<(), _>(ProviderError::new(ProviderErrorKind::NotFound, "no such"))
            })
            .await
            .unwrap_err();
        assert_eq!(error.message, "no such");
        let error = regions
            .call("p", |_| async {
                Err::<(), _>(ProviderError::new(ProviderErrorKind::Unavailable, "down"))
            })
            .await
            .unwrap_err();
        assert_eq!(error.message, "down (every region failed)");
    }
}
