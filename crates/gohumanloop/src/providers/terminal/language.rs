//! What the terminal says, in English (the original's words) or Chinese. The keywords a human
//! may type are the same in both: either language's words are always understood.

use crate::model::{LoopType, Status};

/// The language of the terminal's prompts and notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// English, word for word the original's prompts.
    #[default]
    En,
    /// Chinese.
    Zh,
}

impl Language {
    /// The prompt for the first answer to a request of `loop_type`.
    pub fn prompt(self, loop_type: LoopType) -> &'static str {
        match (self, loop_type) {
            (Self::En, LoopType::Approval) => "Please enter your decision (approve/reject):",
            (Self::En, LoopType::Information) => "Please provide the required information:",
            (Self::En, LoopType::Conversation) => {
                "Please enter your response (type 'exit' to end conversation):"
            }
            (Self::Zh, LoopType::Approval) => "请输入您的决定（同意/拒绝，或 approve/reject）：",
            (Self::Zh, LoopType::Information) => "请提供所需的信息：",
            (Self::Zh, LoopType::Conversation) => "请输入您的回复（输入“结束”或 exit 结束对话）：",
        }
    }

    /// The prompt for a rejection's reason.
    pub fn reason_prompt(self) -> &'static str {
        match self {
            Self::En => "Please enter the reason for rejection:",
            Self::Zh => "请输入拒绝的理由：",
        }
    }

    /// Said after an answer that is neither approval nor rejection.
    pub fn invalid_decision(self) -> &'static str {
        match self {
            Self::En => "Invalid input, please enter 'approve' or 'reject'",
            Self::Zh => "输入无效，请输入“同意”或“拒绝”（approve/reject）",
        }
    }

    /// Said once the answer is taken.
    pub fn recorded(self, status: Status) -> String {
        match self {
            Self::En => format!("Your decision has been recorded: {status}"),
            Self::Zh => format!("您的决定已记录：{status}"),
        }
    }

    /// Said when the request expired while it was asked.
    pub fn timed_out(self, request_id: &str, seconds: u64) -> String {
        match self {
            Self::En => format!("Request {request_id} has timed out after {seconds} seconds"),
            Self::Zh => format!("请求 {request_id} 已在 {seconds} 秒后超时"),
        }
    }

    /// Said when the request was closed elsewhere while it was asked.
    pub fn closed(self, request_id: &str, status: Status) -> String {
        match self {
            Self::En => format!("Request {request_id} is no longer waiting: {status}"),
            Self::Zh => format!("请求 {request_id} 已不再等待：{status}"),
        }
    }

    /// The time-left tag before a prompt.
    pub fn time_left(self, left: &str) -> String {
        match self {
            Self::En => format!("[{left} left] "),
            Self::Zh => format!("[剩余 {left}] "),
        }
    }

    /// Said when the input ends.
    pub fn end_of_input(self) -> &'static str {
        match self {
            Self::En => "(end of input)",
            Self::Zh => "（输入已结束）",
        }
    }
}
