//! The identity provider's keys in memory (docs/decisions.md, "Identity from a provider"): kept for the
//! JWK set answer's `max-age` (else 5 minutes); a token naming an unknown key id fetches them again, at
//! most once per refetch interval (30 s), and a failed fetch counts toward that interval too. Only one
//! fetch runs at a time: requests that need keys wait for it and share its outcome. A provider that
//! cannot be reached leaves the last keys in use, and tokens no key answers for get the cause.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use super::fetch::{self, DEFAULT_MAX_AGE, Discovered, FetchFailure, FetchedKeys};
use super::keys::KeySet;
use crate::auth::AuthError;

/// Where the keys are found.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `[auth] jwks_url`.
    Jwks(String),
    /// `[auth] oidc_issuer`'s discovery document, which names the JWK set.
    Discovery(String),
}

/// Cheap to share: the fetch runs as a task of its own (see `resolve`).
pub struct KeyCache {
    shared: Arc<Shared>,
}

struct Shared {
    source: KeySource,
    client: reqwest::Client,
    refetch_interval: Duration,
    state: RwLock<CacheState>,
    /// Held while fetching: one fetch at a time.
    fetching: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Clone, Default)]
struct CacheState {
    keys: Option<Arc<KeySet>>,
    fresh_until: Option<Instant>,
    /// The start of the last refetch for an unknown key id, or of the last failed fetch: no other
    /// fetch before `refetch_interval` has passed since.
    throttled_since: Option<Instant>,
    /// Why the last fetch failed (cleared by the next that succeeds).
    failure: Option<FetchFailure>,
    /// With discovery: the document, kept once read.
    discovered: Option<Arc<Discovered>>,
}

/// The keys holding a token's key id, and the issuer the discovery document gave (if used).
pub struct Resolved {
    pub keys: Arc<KeySet>,
    pub discovered_issuer: Option<String>,
}

impl CacheState {
    fn fresh(&self, kid: &str, now: Instant) -> Option<Resolved> {
        let fresh = self.fresh_until.is_some_and(|until| now < until);
        if fresh { self.known(kid).ok() } else { None }
    }

    /// The keys when one has this id, fresh or not; else why not.
    fn known(&self, kid: &str) -> Result<Resolved, AuthError> {
        match &self.keys {
            Some(keys) if keys.get(kid).is_some() => Ok(Resolved {
                keys: keys.clone(),
                discovered_issuer: self.discovered.as_ref().map(|d| d.issuer.clone()),
            }),
            _ => Err(match &self.failure {
                Some(failure) => AuthError::ProviderUnavailable(failure.to_string()),
                None => {
                    AuthError::Invalid(format!("no key {kid:?} among the identity provider's keys"))
                }
            }),
        }
    }
}

impl KeyCache {
    pub fn new(source: KeySource, client: reqwest::Client, refetch_interval: Duration) -> KeyCache {
        KeyCache {
            shared: Arc::new(Shared {
                source,
                client,
                refetch_interval,
                state: RwLock::new(CacheState::default()),
                fetching: Arc::new(tokio::sync::Mutex::new(())),
            }),
        }
    }

    /// The keys that hold `kid`, fetched first when they are missing, stale, or lack that id (and
    /// the refetch interval allows it).
    pub async fn resolve(&self, kid: &str) -> Result<Resolved, AuthError> {
        let shared = &self.shared;
        if let Some(found) = shared.read().fresh(kid, Instant::now()) {
            return Ok(found);
        }
        let flight = shared.fetching.clone().lock_owned().await;
        let state = shared.read();
        let now = Instant::now();
        if let Some(found) = state.fresh(kid, now) {
            return Ok(found);
        }
        let throttled = state
            .throttled_since
            .is_some_and(|since| now < since + shared.refetch_interval);
        if !throttled {
            let unknown_kid = state.keys.as_ref().is_some_and(|k| k.get(kid).is_none());
            // A task of its own, holding the lock: a client that gives up (its request dropped)
            // neither cuts the fetch short nor lets a second one start, so its outcome and the
            // throttle are always recorded.
            let shared = shared.clone();
            let fetch = tokio::spawn(async move {
                let _flight = flight;
                shared.refresh(state, unknown_kid).await;
            });
            let _ = fetch.await;
        }
        shared.read().known(kid)
    }

    /// Fetches the keys unless some are already held: at start, so the log says whether the provider
    /// answers. Returns how many usable keys are held.
    pub async fn prefetch(&self) -> Result<usize, FetchFailure> {
        let shared = &self.shared;
        let _flight = shared.fetching.lock().await;
        let state = shared.read();
        if state.keys.is_none() {
            shared.refresh(state, false).await;
        }
        let state = shared.read();
        match (state.keys, state.failure) {
            (Some(keys), _) => Ok(keys.len()),
            (None, Some(failure)) => Err(failure),
            (None, None) => Ok(0),
        }
    }
}

impl Shared {
    fn read(&self) -> CacheState {
        self.state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// One fetch, its outcome written to the state. Called with `fetching` held.
    async fn refresh(&self, before: CacheState, unknown_kid: bool) {
        let started = Instant::now();
        let result = self.fetch(before.discovered).await;
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        match result {
            Ok((discovered, fetched)) => {
                let keep = fetched.max_age.unwrap_or(DEFAULT_MAX_AGE);
                state.fresh_until = Some(started + keep.max(self.refetch_interval));
                state.keys = Some(Arc::new(fetched.keys));
                state.discovered = discovered;
                state.failure = None;
                if unknown_kid {
                    state.throttled_since = Some(started);
                }
            }
            Err(failure) => {
                tracing::warn!(%failure, "identity provider keys unavailable");
                state.failure = Some(failure);
                state.throttled_since = Some(started);
            }
        }
    }

    /// The discovery document when needed (read once), then the JWK set.
    async fn fetch(
        &self,
        discovered: Option<Arc<Discovered>>,
    ) -> Result<(Option<Arc<Discovered>>, FetchedKeys), FetchFailure> {
        let (url, discovered) = match (&self.source, discovered) {
            (KeySource::Jwks(url), _) => (url.clone(), None),
            (KeySource::Discovery(_), Some(known)) => (known.jwks_uri.clone(), Some(known)),
            (KeySource::Discovery(url), None) => {
                let found = Arc::new(fetch::discover(&self.client, url).await?);
                tracing::info!(url = %url, issuer = %found.issuer, jwks_uri = %found.jwks_uri, "identity provider discovered");
                (found.jwks_uri.clone(), Some(found))
            }
        };
        let fetched = fetch::fetch_keys(&self.client, &url).await?;
        for skipped in &fetched.skipped {
            tracing::debug!(url = %url, "identity provider key left out: {skipped}");
        }
        if fetched.keys.is_empty() {
            tracing::warn!(url = %url, skipped = ?fetched.skipped, "the identity provider's JWK set has no key usable here");
        } else {
            tracing::info!(url = %url, keys = fetched.keys.len(), "identity provider keys loaded");
        }
        Ok((discovered, fetched))
    }
}
