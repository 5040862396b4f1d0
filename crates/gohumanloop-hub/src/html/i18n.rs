//! The inbox's two languages. The choice is a cookie (`ghl_lang`); without one, the browser's
//! `Accept-Language` decides.

use axum::extract::FromRequestParts;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use gohumanloop::model::{LoopType, Status};

use super::cookies::cookie_value;
use crate::json_view::Words;

/// The cookie that remembers the chosen language.
pub(crate) const LANG_COOKIE: &str = "ghl_lang";

/// A language of the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// From a code (`en`, `zh`, `zh-CN`, …).
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim().to_ascii_lowercase();
        if code.starts_with("zh") {
            Some(Lang::Zh)
        } else if code.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The HTML `lang` code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The other language (the switch offers it).
    pub fn other(self) -> Self {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// The short code the switch uses.
    pub fn short(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The language of the fold notices ("… 12 more items").
    pub(crate) fn words(self) -> Words {
        match self {
            Lang::En => Words::En,
            Lang::Zh => Words::Zh,
        }
    }

    /// The texts in this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(lang) =
            cookie_value(&parts.headers, LANG_COOKIE).and_then(|c| Lang::from_code(&c))
        {
            return Ok(lang);
        }
        // The first language the browser names that we have.
        let accepted = parts
            .headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        Ok(accepted
            .split(',')
            .filter_map(|part| Lang::from_code(part.split(';').next().unwrap_or("")))
            .next()
            .unwrap_or(Lang::En))
    }
}

/// Every text the pages show, in one language.
#[allow(missing_docs)]
pub struct Texts {
    pub language_name: &'static str,
    pub inbox: &'static str,
    pub tasks: &'static str,
    pub keys: &'static str,
    /// The grants section.
    pub grants: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub name: &'static str,
    pub password: &'static str,
    pub wrong_credentials: &'static str,
    pub too_many_attempts: &'static str,
    pub live: &'static str,
    pub all: &'static str,
    pub status: &'static str,
    pub loop_type: &'static str,
    pub platform: &'static str,
    pub task: &'static str,
    pub tenant: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub filter: &'static str,
    pub clear: &'static str,
    pub nothing_here: &'static str,
    pub older: &'static str,
    pub newest: &'static str,
    pub created: &'static str,
    pub deadline: &'static str,
    pub expires_in: &'static str,
    pub no_deadline: &'static str,
    pub question: &'static str,
    pub message: &'static str,
    pub additional: &'static str,
    pub function: &'static str,
    pub arguments: &'static str,
    pub other_context: &'static str,
    /// Above a request whose page leaves out part of it.
    pub folded: &'static str,
    /// The link to the raw context.
    pub download_context: &'static str,
    pub metadata: &'static str,
    pub conversation: &'static str,
    pub audit: &'static str,
    pub email: &'static str,
    pub mailed_to: &'static str,
    pub mail_not_sent: &'static str,
    pub mail_given_up: &'static str,
    /// The section of the other channels' deliveries.
    pub deliveries: &'static str,
    /// A delivery's states: delivered, waiting, skipped, given up.
    pub delivery_states: [&'static str; 4],
    /// Before a delivery's next attempt time.
    pub next_attempt: &'static str,
    pub answer_label: &'static str,
    pub responded_by: &'static str,
    pub approve: &'static str,
    pub approve_edited: &'static str,
    pub reject: &'static str,
    pub reason: &'static str,
    pub reject_reason: &'static str,
    pub reason_required: &'static str,
    pub invalid_json: &'static str,
    pub submit_answer: &'static str,
    pub your_answer: &'static str,
    pub reply: &'static str,
    pub mark_complete: &'static str,
    pub cancel_request: &'static str,
    pub already_answered: &'static str,
    pub open_turn: &'static str,
    pub not_found: &'static str,
    pub forbidden: &'static str,
    pub bad_form: &'static str,
    /// A form over the size limit.
    pub too_large: &'static str,
    pub unavailable: &'static str,
    pub back_to_inbox: &'static str,
    pub when: &'static str,
    pub actor: &'static str,
    pub channel: &'static str,
    pub change: &'static str,
    pub detail: &'static str,
    pub updates: &'static str,
    pub received: &'static str,
    pub requests: &'static str,
    pub conversations: &'static str,
    pub create_key: &'static str,
    pub key_created: &'static str,
    pub prefix: &'static str,
    pub revoke: &'static str,
    pub revoked: &'static str,
    pub active: &'static str,
    pub status_names: [&'static str; 8],
    pub type_names: [&'static str; 3],
    /// The inbox's search field's label.
    pub search: &'static str,
    /// The inbox's search field's placeholder.
    pub search_hint: &'static str,
    /// Said when more requests match a search than it reads (`SEARCH_MATCHES`, written out).
    pub search_capped: &'static str,
    /// The inbox's view of the requests assigned to the approver.
    pub assigned_to_me: &'static str,
    /// The marker of a pending request whose deadline is near.
    pub due_soon: &'static str,
    /// After a number of conversation turns.
    pub turns: &'static str,
    /// After a quorum's approvals so far, of those it needs (`1/2 approvals`).
    pub approvals: &'static str,
    /// The toggle of the inbox's other filters (folded on phones).
    pub filters: &'static str,
    /// The opt-in to browser notifications.
    pub notify: &'static str,
    /// Before whom a request is assigned to.
    pub assigned_to: &'static str,
    /// The inbox's skip link (the first thing to tab to).
    pub skip_to_requests: &'static str,
    /// A request page's skip link.
    pub skip_to_request: &'static str,
    /// The visible hint of the keyboard shortcuts ("Press ? …").
    pub shortcut_hint: &'static str,
    /// The title of the keyboard help.
    pub shortcuts: &'static str,
    /// The keyboard help: the keys, and what they do.
    pub shortcut_keys: [(&'static str, &'static str); 8],
    /// Closes a dialog.
    pub close: &'static str,
    /// The collapsed section of a request's ids and technical fields.
    pub details: &'static str,
    /// The hub's own id of a request.
    pub hub_id: &'static str,
    /// The client's id of a request.
    pub request_id: &'static str,
    /// Opens (and folds) the argument editor.
    pub edit_arguments: &'static str,
    /// Puts the agent's arguments back in the editor.
    pub reset_arguments: &'static str,
    /// The columns of an argument diff: argument, before, after.
    pub diff_columns: [&'static str; 3],
    /// Above the diff of an approval's edited arguments.
    pub edited_arguments: &'static str,
    /// A field that must be a number.
    pub not_a_number: &'static str,
    /// A field that must be `true` or `false`.
    pub not_a_bool: &'static str,
    /// A field that must be JSON.
    pub not_json: &'static str,
    /// The choice of going on to the next pending request after deciding.
    pub then_next: &'static str,
    /// Replies and ends the conversation.
    pub end_conversation: &'static str,
    /// What a cancel does, above its confirmation.
    pub cancel_warning: &'static str,
    /// The confirmation of a cancel.
    pub confirm_cancel: &'static str,
    /// Above the quick answers a request offers.
    pub choices: &'static str,
    /// Assigns a request to the signed-in approver.
    pub assign_to_me: &'static str,
    /// Assigns a request to nobody.
    pub unassign: &'static str,
    /// Assigns a request to the chosen person.
    pub assign: &'static str,
    /// Nobody is assigned.
    pub nobody: &'static str,
    /// What became of a request, by status, in the notice after a decision and in the audit
    /// trail ("Request cancelled"; in [`Status::ALL`]'s order).
    pub decided_names: [&'static str; 8],
    /// The audit trail's word for a request's creation.
    pub created_event: &'static str,
    /// Before the keys an edit changed.
    pub edited: &'static str,
    /// The folded record of an audit entry (statuses, detail, hashes).
    pub record: &'static str,
    /// Stops the browser notifications.
    pub notify_stop: &'static str,
    /// A notification's title when the new request's own is not on the page.
    pub new_request: &'static str,
}

impl Texts {
    /// A status in this language.
    pub(crate) fn status_name(&self, status: Status) -> &'static str {
        let i = Status::ALL.iter().position(|s| *s == status).unwrap_or(0);
        self.status_names[i]
    }

    /// What became of a request with this status, in words ("Request cancelled").
    pub(crate) fn decided_name(&self, status: Status) -> &'static str {
        let i = Status::ALL.iter().position(|s| *s == status).unwrap_or(0);
        self.decided_names[i]
    }

    /// A loop type in this language.
    pub(crate) fn type_name(&self, loop_type: LoopType) -> &'static str {
        let i = LoopType::ALL
            .iter()
            .position(|t| *t == loop_type)
            .unwrap_or(0);
        self.type_names[i]
    }
}

/// English.
pub(crate) static EN: Texts = Texts {
    language_name: "English",
    inbox: "Inbox",
    tasks: "Tasks",
    keys: "API keys",
    grants: "Grants",
    sign_in: "Sign in",
    sign_out: "Sign out",
    name: "Name",
    password: "Password",
    wrong_credentials: "Wrong name or password.",
    too_many_attempts: "Too many failed sign-ins from your address. Try again in (seconds):",
    live: "live",
    all: "All",
    status: "Status",
    loop_type: "Type",
    platform: "Platform",
    task: "Task",
    tenant: "Tenant",
    from: "From",
    to: "To",
    filter: "Filter",
    clear: "Clear",
    nothing_here: "Nothing here.",
    older: "Older →",
    newest: "← Newest",
    created: "Created",
    deadline: "Deadline",
    expires_in: "expires in",
    no_deadline: "no deadline",
    question: "Question",
    message: "Message",
    additional: "Additional context",
    function: "Function",
    arguments: "Arguments",
    other_context: "Other context",
    folded:
        "This request is too large to show in full: the folded parts say how much they leave out.",
    download_context: "Download the whole context (JSON)",
    metadata: "Metadata",
    conversation: "Conversation",
    audit: "Audit trail",
    email: "Email",
    mailed_to: "Mailed to",
    mail_not_sent: "Not sent yet; it is tried again",
    mail_given_up: "Not sent: the mail was refused",
    deliveries: "Channels",
    delivery_states: [
        "Delivered",
        "Waiting to be delivered",
        "Skipped",
        "Given up",
    ],
    next_attempt: "next attempt",
    answer_label: "Answer",
    responded_by: "Answered by",
    approve: "Approve",
    approve_edited: "Approve with these arguments",
    reject: "Reject",
    reason: "Note (optional)",
    reject_reason: "Reason for rejecting",
    reason_required: "A reason is required to reject.",
    invalid_json: "The arguments are not valid JSON",
    submit_answer: "Send answer",
    your_answer: "Your answer",
    reply: "Send reply",
    mark_complete: "This ends the conversation",
    cancel_request: "Cancel request",
    already_answered: "Someone answered first",
    open_turn: "The conversation goes on: open the waiting turn",
    not_found: "No such request, or it is not yours to see.",
    forbidden: "You may not do that.",
    bad_form: "The form was not accepted",
    too_large: "The form is too large (1 MiB at most)",
    unavailable: "The hub cannot reach its database just now. Please try again shortly.",
    back_to_inbox: "Back to the inbox",
    when: "When",
    actor: "Who",
    channel: "Channel",
    change: "Change",
    detail: "Detail",
    updates: "Updates",
    received: "Last sync",
    requests: "Requests",
    conversations: "Conversations",
    create_key: "Create key",
    key_created: "New key — copy it now, it is not shown again:",
    prefix: "Prefix",
    revoke: "Revoke",
    revoked: "Revoked",
    active: "Active",
    status_names: [
        "Pending",
        "Approved",
        "Rejected",
        "Expired",
        "Error",
        "Completed",
        "In progress",
        "Cancelled",
    ],
    type_names: ["Approval", "Information", "Conversation"],
    search: "Search",
    search_hint: "Search questions, messages, functions, arguments",
    search_capped:
        "More requests match than the newest 1,000 a search reads: add a word to narrow it.",
    assigned_to_me: "Assigned to me",
    due_soon: "Due soon",
    turns: "turns",
    approvals: "approvals",
    filters: "Filters",
    notify: "Notify me of new requests",
    assigned_to: "Assigned to",
    skip_to_requests: "Skip to requests",
    skip_to_request: "Skip to the request",
    shortcut_hint: "Press ? for keyboard shortcuts",
    shortcuts: "Keyboard shortcuts",
    shortcut_keys: [
        ("j / k", "Next / previous request"),
        ("o / Enter", "Open the request"),
        ("/", "Search"),
        ("a", "Go to Approve (Enter approves)"),
        ("e", "Edit the arguments"),
        ("r", "Reject: type the reason"),
        ("u / Esc", "Back to the inbox"),
        ("?", "Show or hide this help"),
    ],
    close: "Close",
    details: "Details",
    hub_id: "Hub ID",
    request_id: "Request ID",
    edit_arguments: "Edit arguments",
    reset_arguments: "Reset",
    diff_columns: ["Argument", "Before", "After"],
    edited_arguments: "Edited arguments",
    not_a_number: "is not a number",
    not_a_bool: "must be true or false",
    not_json: "is not valid JSON",
    then_next: "Then the next request",
    end_conversation: "Reply and end",
    cancel_warning: "The agent is told that the request was cancelled.",
    confirm_cancel: "Yes, cancel it",
    choices: "Quick answers",
    assign_to_me: "Assign to me",
    unassign: "Unassign",
    assign: "Assign",
    nobody: "nobody",
    decided_names: [
        "Still pending",
        "Approved",
        "Rejected",
        "Expired",
        "Failed",
        "Completed",
        "Replied",
        "Request cancelled",
    ],
    created_event: "Created",
    edited: "edited",
    record: "Record",
    notify_stop: "Stop notifications",
    new_request: "New request",
};

/// Simplified Chinese.
pub(crate) static ZH: Texts = Texts {
    language_name: "中文",
    inbox: "收件箱",
    tasks: "任务",
    keys: "API 密钥",
    grants: "授权",
    sign_in: "登录",
    sign_out: "退出",
    name: "用户名",
    password: "密码",
    wrong_credentials: "用户名或密码错误。",
    too_many_attempts: "您的地址登录失败次数过多，请稍后再试（秒）：",
    live: "实时",
    all: "全部",
    status: "状态",
    loop_type: "类型",
    platform: "平台",
    task: "任务",
    tenant: "租户",
    from: "起",
    to: "止",
    filter: "筛选",
    clear: "清除",
    nothing_here: "暂无内容。",
    older: "更早 →",
    newest: "← 最新",
    created: "创建时间",
    deadline: "截止时间",
    expires_in: "剩余",
    no_deadline: "无截止时间",
    question: "问题",
    message: "消息",
    additional: "补充说明",
    function: "函数",
    arguments: "参数",
    other_context: "其他上下文",
    folded: "此请求太大，无法完整显示：折叠处注明了省略的数量。",
    download_context: "下载完整上下文（JSON）",
    metadata: "元数据",
    conversation: "对话",
    audit: "审计记录",
    email: "邮件",
    mailed_to: "已发送给",
    mail_not_sent: "尚未发送，稍后重试",
    mail_given_up: "未发送：邮件被拒收",
    deliveries: "渠道",
    delivery_states: ["已送达", "等待送达", "已跳过", "已放弃"],
    next_attempt: "下次尝试",
    answer_label: "回复内容",
    responded_by: "回复人",
    approve: "批准",
    approve_edited: "按这些参数批准",
    reject: "拒绝",
    reason: "备注（可选）",
    reject_reason: "拒绝理由",
    reason_required: "拒绝时必须填写理由。",
    invalid_json: "参数不是有效的 JSON",
    submit_answer: "提交回答",
    your_answer: "您的回答",
    reply: "发送回复",
    mark_complete: "结束对话",
    cancel_request: "取消请求",
    already_answered: "已有人先行回复",
    open_turn: "对话仍在继续：打开等待中的一轮",
    not_found: "请求不存在，或您无权查看。",
    forbidden: "您无权执行此操作。",
    bad_form: "表单未被接受",
    too_large: "表单过大（最多 1 MiB）",
    unavailable: "服务暂时无法访问数据库，请稍后再试。",
    back_to_inbox: "返回收件箱",
    when: "时间",
    actor: "操作人",
    channel: "渠道",
    change: "变更",
    detail: "详情",
    updates: "同步次数",
    received: "最近同步",
    requests: "请求",
    conversations: "对话",
    create_key: "创建密钥",
    key_created: "新密钥——请立即复制，之后不再显示：",
    prefix: "前缀",
    revoke: "吊销",
    revoked: "已吊销",
    active: "有效",
    status_names: [
        "待处理",
        "已批准",
        "已拒绝",
        "已过期",
        "错误",
        "已完成",
        "进行中",
        "已取消",
    ],
    type_names: ["审批", "信息", "对话"],
    search: "搜索",
    search_hint: "搜索问题、消息、函数和参数",
    search_capped: "匹配的请求多于搜索读取的最新 1,000 条：请再加一个词缩小范围。",
    assigned_to_me: "分配给我的",
    due_soon: "即将到期",
    turns: "轮",
    approvals: "票批准",
    filters: "筛选",
    notify: "新请求时通知我",
    assigned_to: "负责人",
    skip_to_requests: "跳到请求列表",
    skip_to_request: "跳到请求",
    shortcut_hint: "按 ? 查看键盘快捷键",
    shortcuts: "键盘快捷键",
    shortcut_keys: [
        ("j / k", "下一个 / 上一个请求"),
        ("o / Enter", "打开请求"),
        ("/", "搜索"),
        ("a", "转到“批准”（按 Enter 批准）"),
        ("e", "编辑参数"),
        ("r", "拒绝：填写理由"),
        ("u / Esc", "返回收件箱"),
        ("?", "显示或隐藏本帮助"),
    ],
    close: "关闭",
    details: "详细信息",
    hub_id: "中心 ID",
    request_id: "请求 ID",
    edit_arguments: "编辑参数",
    reset_arguments: "重置",
    diff_columns: ["参数", "原值", "新值"],
    edited_arguments: "修改过的参数",
    not_a_number: "不是数字",
    not_a_bool: "只能是 true 或 false",
    not_json: "不是有效的 JSON",
    then_next: "完成后转到下一个请求",
    end_conversation: "回复并结束对话",
    cancel_warning: "智能体会收到请求已取消的通知。",
    confirm_cancel: "确认取消",
    choices: "快捷回答",
    assign_to_me: "分配给我",
    unassign: "取消分配",
    assign: "分配",
    nobody: "无人",
    decided_names: [
        "仍待处理",
        "已批准",
        "已拒绝",
        "已过期",
        "失败",
        "已完成",
        "已回复",
        "请求已取消",
    ],
    created_event: "已创建",
    edited: "修改了",
    record: "记录",
    notify_stop: "停止通知",
    new_request: "新请求",
};
