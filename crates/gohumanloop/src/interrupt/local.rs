//! [`Local`]: interrupts over any [`Provider`], resumable while this process lives.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use super::{Claim, Resumable, Token};
use crate::model::{HumanLoopRequest, HumanLoopResult, Status};
use crate::provider::{Provider, ProviderError};

/// Interrupts asked through a provider that keeps its requests in this process (the terminal,
/// the in-process provider, …): resumable from anywhere in the process, not after it ends; the
/// once-only claims are kept here too.
pub struct Local {
    provider: Arc<dyn Provider>,
    claimed: Mutex<HashSet<(String, String)>>,
}

impl Local {
    /// Interrupts through `provider` (its name is the tokens' `provider`).
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        Self {
            provider,
            claimed: Mutex::new(HashSet::new()),
        }
    }
}

#[async_trait]
impl Resumable for Local {
    fn name(&self) -> &str {
        self.provider.name()
    }

    async fn ask(&self, request: &HumanLoopRequest, continues: bool) -> Result<(), ProviderError> {
        let asked = if continues {
            self.provider.continue_conversation(request.clone()).await
        } else {
            self.provider.request(request.clone()).await
        };
        match asked {
            // A re-run step asking again: the request is already open.
            Ok(_) | Err(ProviderError::DuplicateRequest { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn claim(&self, token: &Token, wait: Duration) -> Result<Claim, ProviderError> {
        let result = self.follow(token, wait).await?;
        let claimed = result.status != Status::Pending
            && self
                .claimed
                .lock()
                .map_err(|_| ProviderError::Failed("the claims lock was poisoned".into()))?
                .insert((token.conversation_id.clone(), token.request_id.clone()));
        Ok(Claim { result, claimed })
    }

    async fn follow(
        &self,
        token: &Token,
        wait: Duration,
    ) -> Result<HumanLoopResult, ProviderError> {
        let mut changes = self
            .provider
            .subscribe(&token.conversation_id, &token.request_id)?;
        // A bounded wait: the answer, or the time is up (then the current state).
        let _ = tokio::time::timeout(wait, changes.wait_for(|r| r.status != Status::Pending)).await;
        let result = changes.borrow().clone();
        Ok(result)
    }
}
