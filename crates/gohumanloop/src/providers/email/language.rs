//! What the e-mails say, in Chinese (the original's default) or English: the original's strings
//! word for word (protocol reference §2.2), so that its users see the mails they know.

use crate::model::LoopType;

/// The language of the mails a provider sends. Replies are read in both languages whatever
/// this is set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmailLanguage {
    /// Chinese: the original's default.
    #[default]
    Zh,
    /// English (the original uses it for any value other than `zh`).
    En,
}

impl EmailLanguage {
    /// `zh` → Chinese; anything else → English (as the original).
    pub fn from_code(code: &str) -> Self {
        if code.trim().eq_ignore_ascii_case("zh") || code.trim().to_lowercase().starts_with("zh-") {
            Self::Zh
        } else {
            Self::En
        }
    }

    /// The words the reply template offers to approve.
    pub fn approve_words(self) -> &'static [&'static str] {
        match self {
            Self::Zh => &["批准", "同意", "approve"],
            Self::En => &["approve", "approved", "accept", "yes"],
        }
    }

    /// The words the reply template offers to reject.
    pub fn reject_words(self) -> &'static [&'static str] {
        match self {
            Self::Zh => &["拒绝", "否决", "reject"],
            Self::En => &["reject", "rejected", "deny", "no"],
        }
    }

    /// The line that opens the part of a reply that is read.
    pub fn content_start_mark(self) -> &'static str {
        match self {
            Self::Zh => "===== 请保留此行作为内容开始标记 =====",
            Self::En => "===== PLEASE KEEP THIS LINE AS CONTENT START MARKER =====",
        }
    }

    /// The line that closes the part of a reply that is read.
    pub fn content_end_mark(self) -> &'static str {
        match self {
            Self::Zh => "===== 请保留此行作为内容结束标记 =====",
            Self::En => "===== PLEASE KEEP THIS LINE AS CONTENT END MARKER =====",
        }
    }

    /// `Decision: ` / `决定：`.
    pub fn decision_prefix(self) -> &'static str {
        match self {
            Self::Zh => "决定：",
            Self::En => "Decision: ",
        }
    }

    /// `Reason: ` / `理由：`.
    pub fn reason_prefix(self) -> &'static str {
        match self {
            Self::Zh => "理由：",
            Self::En => "Reason: ",
        }
    }

    /// `Information: ` / `信息：`.
    pub fn information_prefix(self) -> &'static str {
        match self {
            Self::Zh => "信息：",
            Self::En => "Information: ",
        }
    }

    /// What a conversation reply contains to end the conversation.
    pub fn conversation_end_mark(self) -> &'static str {
        match self {
            Self::Zh => "[结束对话]",
            Self::En => "[END CONVERSATION]",
        }
    }

    /// The line before an approval's or information's template.
    pub fn approval_instruction(self) -> &'static str {
        match self {
            Self::Zh => "请按以下格式回复：",
            Self::En => "Please reply in the following format:",
        }
    }

    /// The line before a conversation's template.
    pub fn conversation_instruction(self) -> &'static str {
        match self {
            Self::Zh => "请直接回复您的内容。如需结束对话，请在回复中包含\"[结束对话]\"。",
            Self::En => {
                "Please reply directly with your content. If you want to end the conversation, \
                 include \"[END CONVERSATION]\" in your reply."
            }
        }
    }

    /// The conversation template's placeholder.
    pub fn input_placeholder(self) -> &'static str {
        match self {
            Self::Zh => "[请在此处输入您的回复内容]",
            Self::En => "[Please enter your reply here]",
        }
    }

    /// The approval template's reason placeholder (the original's, in both languages).
    pub fn reason_placeholder(self) -> &'static str {
        "[Your reason]"
    }

    /// The information template's placeholder (the original's, in both languages).
    pub fn information_placeholder(self) -> &'static str {
        "[Your information]"
    }

    /// The reason given when a decision line holds no recognisable decision.
    pub fn invalid_decision(self) -> &'static str {
        match self {
            Self::Zh => "未提供有效的审批决定",
            Self::En => "No valid approval decision provided",
        }
    }

    /// The footer under every mail.
    pub fn footer(self) -> &'static str {
        match self {
            Self::Zh => "由 GoHumanLoop 提供支持 - Perfecting AI workflows with human intelligence",
            Self::En => "Powered by GoHumanLoop - Perfecting AI workflows with human intelligence",
        }
    }

    /// The template lines a reply fills in for a request of `loop_type` (between the markers).
    pub fn template_lines(self, loop_type: LoopType) -> Vec<String> {
        match loop_type {
            LoopType::Approval => vec![
                format!(
                    "{}[{}|{}]",
                    self.decision_prefix(),
                    self.approve_words().join("/"),
                    self.reject_words().join("/")
                ),
                format!("{}{}", self.reason_prefix(), self.reason_placeholder()),
            ],
            LoopType::Information => vec![format!(
                "{}{}",
                self.information_prefix(),
                self.information_placeholder()
            )],
            LoopType::Conversation => vec![self.input_placeholder().to_owned()],
        }
    }

    /// The instruction line before the template for a request of `loop_type`.
    pub fn instruction(self, loop_type: LoopType) -> &'static str {
        match loop_type {
            LoopType::Conversation => self.conversation_instruction(),
            _ => self.approval_instruction(),
        }
    }

    /// Every language, to read replies with.
    pub const ALL: [EmailLanguage; 2] = [Self::Zh, Self::En];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_as_the_original() {
        assert_eq!(EmailLanguage::from_code("zh"), EmailLanguage::Zh);
        assert_eq!(EmailLanguage::from_code("zh-CN"), EmailLanguage::Zh);
        assert_eq!(EmailLanguage::from_code("en"), EmailLanguage::En);
        assert_eq!(EmailLanguage::from_code("fr"), EmailLanguage::En);
        assert_eq!(EmailLanguage::default(), EmailLanguage::Zh);
    }

    #[test]
    fn templates_are_the_originals() {
        assert_eq!(
            EmailLanguage::En.template_lines(LoopType::Approval),
            [
                "Decision: [approve/approved/accept/yes|reject/rejected/deny/no]",
                "Reason: [Your reason]"
            ]
        );
        assert_eq!(
            EmailLanguage::Zh.template_lines(LoopType::Information),
            ["信息：[Your information]"]
        );
        assert_eq!(EmailLanguage::Zh.decision_prefix(), "决定：");
    }
}
