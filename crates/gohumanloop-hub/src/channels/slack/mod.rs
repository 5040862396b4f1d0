//! The Slack channel: a Block Kit message per request, decided with its buttons (a modal for a
//! reason or an answer), updated to its final state after any change.
