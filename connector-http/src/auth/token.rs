//! A fetched token and the cache that fetches it one task at a time.

use std::future::Future;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::{Result, Secret};

/// A token a login or a token endpoint gave: its value and, if the server said, how long it
/// lives.
///
/// ```
/// use std::time::Duration;
/// use connector_http::{Secret, Token};
///
/// let token = Token::new(Secret::new("t0k3n")).expires_in(Duration::from_secs(3600));
/// assert_eq!(token.lifetime(), Some(Duration::from_secs(3600)));
/// ```
#[derive(Clone, Debug)]
pub struct Token {
    value: Secret,
    expires_in: Option<Duration>,
}

impl Token {
    /// A token that lives until the server refuses it.
    ///
    /// ```
    /// let token = connector_http::Token::new("t0k3n".into());
    /// ```
    pub fn new(value: Secret) -> Self {
        Token {
            value,
            expires_in: None,
        }
    }

    /// The token expires `lifetime` after it was received.
    ///
    /// ```
    /// let token = connector_http::Token::new("t0k3n".into())
    ///     .expires_in(std::time::Duration::from_secs(900));
    /// ```
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = Some(lifetime);
        self
    }

    /// The token's value.
    ///
    /// ```
    /// let token = connector_http::Token::new("t0k3n".into());
    /// assert_eq!(token.value().expose(), "t0k3n");
    /// ```
    pub fn value(&self) -> &Secret {
        &self.value
    }

    /// How long the token lives, if the server said.
    ///
    /// ```
    /// assert_eq!(connector_http::Token::new("t".into()).lifetime(), None);
    /// ```
    pub fn lifetime(&self) -> Option<Duration> {
        self.expires_in
    }
}

/// A cached token and when to replace it.
#[derive(Debug)]
struct Cached {
    value: Secret,
    refresh_at: Option<Instant>,
}

/// Holds one token; fetches a new one when there is none or it is about to expire, one fetch
/// at a time: the task that fetches holds the lock, and the tasks that wait for the lock then
/// find the new token.
#[derive(Debug)]
pub(crate) struct TokenCache {
    slot: Mutex<Option<Cached>>,
    refresh_before: Duration,
}

impl TokenCache {
    /// A cache that replaces a token `refresh_before` its expiry (or half-way through its life,
    /// if that is sooner).
    pub(crate) fn new(refresh_before: Duration) -> Self {
        TokenCache {
            slot: Mutex::new(None),
            refresh_before,
        }
    }

    /// The cached token if it is fresh, or a new one from `fetch`.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Secret>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Token>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = &*slot
            && cached.refresh_at.is_none_or(|at| Instant::now() < at)
        {
            return Ok(cached.value.clone());
        }
        let token = fetch().await?;
        let refresh_at = token
            .expires_in
            .map(|life| Instant::now() + life - self.refresh_before.min(life / 2));
        *slot = Some(Cached {
            value: token.value.clone(),
            refresh_at,
        });
        Ok(token.value)
    }

    /// The server refused `used`: forget it, unless another task has already replaced it (then
    /// the next request carries the new one and nothing is fetched twice).
    pub(crate) async fn refused(&self, used: Option<&Secret>) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().map(|c| &c.value) == used {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting(count: &Arc<AtomicUsize>, life: u64) -> impl Future<Output = Result<Token>> {
        let count = count.clone();
        async move {
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(Token::new(Secret::new(format!("token-{n}"))).expires_in(Duration::from_secs(life)))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_fetch_for_many_tasks_and_a_refresh_before_expiry() {
        let cache = Arc::new(TokenCache::new(Duration::from_secs(60)));
        let count = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (cache, count) = (cache.clone(), count.clone());
                tokio::spawn(async move { cache.get(|| counting(&count, 600)).await.unwrap() })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().expose(), "token-1");
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
        // Still fresh 530 s later; replaced 60 s before its expiry.
        tokio::time::sleep(Duration::from_secs(530)).await;
        let token = cache.get(|| counting(&count, 600)).await.unwrap();
        assert_eq!(token.expose(), "token-1");
        tokio::time::sleep(Duration::from_secs(10)).await;
        let token = cache.get(|| counting(&count, 600)).await.unwrap();
        assert_eq!(token.expose(), "token-2");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_token_is_replaced_once() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let count = Arc::new(AtomicUsize::new(0));
        let first = cache.get(|| counting(&count, 3600)).await.unwrap();
        cache.refused(Some(&first)).await;
        let second = cache.get(|| counting(&count, 3600)).await.unwrap();
        // A second task that was refused the first token does not throw the second away.
        cache.refused(Some(&first)).await;
        assert_eq!(cache.get(|| counting(&count, 3600)).await.unwrap(), second);
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }
}
