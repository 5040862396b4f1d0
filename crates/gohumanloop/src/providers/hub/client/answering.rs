//! The answering API (`/api/v1/requests…`): list and read requests, and answer them. Each
//! answer returns the request as it is now; the first valid answer wins and a later one is
//! [`HubError::Conflict`]. The answer is recorded with `responded_by` = the key's name.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::{
    AuditEntry, HubClient, HubError, ListFilter, RequestDetail, RequestPage, RequestView, NO_BODY,
};

/// Body of approve / reject.
#[derive(Serialize)]
struct DecisionBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

/// Body of answer / reply.
#[derive(Serialize)]
struct TextBody<'a> {
    text: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    complete: bool,
}

/// The reply of an answer.
#[derive(Deserialize)]
struct Answered {
    request: RequestView,
}

/// The reply of an audit read.
#[derive(Deserialize)]
struct Trail {
    entries: Vec<AuditEntry>,
}

impl HubClient {
    /// `GET /api/v1/requests`: one page of the requests `filter` selects, newest first. Go on
    /// with `filter.before(next)` while the page's `next` is set.
    pub async fn list(&self, filter: &ListFilter) -> Result<RequestPage, HubError> {
        let request = self
            .request(Method::GET, &["requests"])
            .query(&filter.query());
        self.call(request, NO_BODY).await
    }

    /// `GET /api/v1/requests/{id}`: a request (by the hub's id, or the client's `request_id`
    /// when it names one request) and the newest turns of its conversation.
    pub async fn get(&self, id: &str) -> Result<RequestDetail, HubError> {
        let request = self.request(Method::GET, &["requests", id]);
        self.call(request, NO_BODY).await
    }

    /// `GET /api/v1/requests/{id}/audit`: the request's audit entries, oldest first.
    pub async fn audit(&self, id: &str) -> Result<Vec<AuditEntry>, HubError> {
        let request = self.request(Method::GET, &["requests", id, "audit"]);
        let trail: Trail = self.call(request, NO_BODY).await?;
        Ok(trail.entries)
    }

    /// Approves an approval request, with an optional note (recorded as the reason).
    pub async fn approve(&self, id: &str, reason: Option<&str>) -> Result<RequestView, HubError> {
        self.answer_with(id, "approve", &DecisionBody { reason })
            .await
    }

    /// Rejects a request of any type. The reason is required: a blank one is
    /// [`HubError::ReasonRequired`], refused here without calling the hub.
    pub async fn reject(&self, id: &str, reason: &str) -> Result<RequestView, HubError> {
        if reason.trim().is_empty() {
            return Err(HubError::ReasonRequired);
        }
        let body = DecisionBody {
            reason: Some(reason),
        };
        self.answer_with(id, "reject", &body).await
    }

    /// Answers an information request (the request becomes `completed`).
    pub async fn answer(&self, id: &str, information: &str) -> Result<RequestView, HubError> {
        let body = TextBody {
            text: information,
            complete: false,
        };
        self.answer_with(id, "answer", &body).await
    }

    /// Replies to a conversation request: it goes on (`inprogress`), or ends (`completed`)
    /// when `complete`.
    pub async fn reply(
        &self,
        id: &str,
        text: &str,
        complete: bool,
    ) -> Result<RequestView, HubError> {
        self.answer_with(id, "reply", &TextBody { text, complete })
            .await
    }

    /// Cancels a request (`cancelled`, without an answer).
    pub async fn cancel(&self, id: &str) -> Result<RequestView, HubError> {
        let request = self.request(Method::POST, &["requests", id, "cancel"]);
        let answered: Answered = self.call(request, NO_BODY).await?;
        Ok(answered.request)
    }

    async fn answer_with(
        &self,
        id: &str,
        action: &str,
        body: &impl Serialize,
    ) -> Result<RequestView, HubError> {
        let request = self.request(Method::POST, &["requests", id, action]);
        let answered: Answered = self.call(request, Some(body)).await?;
        Ok(answered.request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(body: &impl Serialize) -> Option<String> {
        serde_json::to_string(body).ok()
    }

    #[test]
    fn bodies_carry_only_the_fields_the_hub_knows() {
        let none = DecisionBody { reason: None };
        assert_eq!(json(&none).as_deref(), Some("{}"));
        let some = DecisionBody { reason: Some("no") };
        assert_eq!(json(&some).as_deref(), Some(r#"{"reason":"no"}"#));
        let (text, complete) = ("t", false);
        let turn = TextBody { text, complete };
        assert_eq!(json(&turn).as_deref(), Some(r#"{"text":"t"}"#));
        let last = TextBody {
            text,
            complete: true,
        };
        assert_eq!(
            json(&last).as_deref(),
            Some(r#"{"text":"t","complete":true}"#)
        );
    }

    #[tokio::test]
    async fn a_blank_reason_is_refused_before_the_hub_is_called() {
        // Nothing listens on port 9: a call would be `Unreachable`.
        let hub = HubClient::new("http://127.0.0.1:9", "k").map_err(|e| e.to_string());
        let Ok(hub) = hub else {
            panic!("a client");
        };
        for reason in ["", "  \n"] {
            assert!(matches!(
                hub.reject("r", reason).await,
                Err(HubError::ReasonRequired)
            ));
        }
        assert!(matches!(
            hub.reject("r", "why").await,
            Err(HubError::Unreachable { .. })
        ));
    }
}
