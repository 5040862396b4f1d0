//! Local fakes of the chat platforms' APIs, on loopback: each records every call and answers
//! as the platform's published API does.

#![allow(dead_code)]

pub mod fake;
pub mod feishu;
pub mod inbox;
pub mod slack;
pub mod wecom;
