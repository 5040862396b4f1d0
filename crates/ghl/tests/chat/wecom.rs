//! A fake WeCom server API (qyapi.weixin.qq.com): `gettoken` checked against the corp id and
//! secret, `message/send` of a `template_card` (task ids unique per app and of WeCom's
//! characters, at most six buttons; a `response_code` per card) and
//! `message/update_template_card` (each response_code once), answering `errcode` as WeCom
//! does; and `oa/applyevent` (an approval application of a template).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::json;

use super::approvers_line;
use super::fake::{Call, Fake};

/// WeCom's published sample (developer.work.weixin.qq.com/document/path/91144).
pub const CORP_ID: &str = "wx5823bf96d3bd56c7";
pub const TOKEN: &str = "QDG6eK";
pub const AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
pub const SECRET: &str = "wecom-app-secret";
pub const AGENT_ID: i64 = 1_000_002;
/// The access_token the fake issues.
pub const ACCESS_TOKEN: &str = "accesstoken000001";

/// Starts the fake WeCom.
pub async fn start() -> Fake {
    let next = AtomicU64::new(1);
    let tasks: Mutex<Vec<String>> = Mutex::new(Vec::new());
    // response_code → used?
    let codes: Mutex<HashMap<String, bool>> = Mutex::new(HashMap::new());
    Fake::start(move |call: &Call| {
        if call.path == "/cgi-bin/gettoken" {
            return if call.param("corpid").as_deref() == Some(CORP_ID)
                && call.param("corpsecret").as_deref() == Some(SECRET)
            {
                (
                    200,
                    json!({"errcode": 0, "errmsg": "ok", "access_token": ACCESS_TOKEN,
                             "expires_in": 7200}),
                )
            } else {
                (
                    200,
                    json!({"errcode": 40001, "errmsg": "invalid credential"}),
                )
            };
        }
        if call.param("access_token").as_deref() != Some(ACCESS_TOKEN) {
            return (
                200,
                json!({"errcode": 40014, "errmsg": "invalid access_token"}),
            );
        }
        let body = &call.json;
        if call.path != "/cgi-bin/oa/applyevent" && body["agentid"] != AGENT_ID {
            return (200, json!({"errcode": 40056, "errmsg": "invalid agentid"}));
        }
        match call.path.as_str() {
            "/cgi-bin/message/send" => {
                let card = &body["template_card"];
                let task = card["task_id"].as_str().unwrap_or("");
                let valid = !task.is_empty()
                    && task.len() <= 128
                    && task
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-@".contains(c));
                if body["msgtype"] != "template_card" || !valid {
                    return (
                        200,
                        json!({"errcode": 40058, "errmsg": "invalid template_card"}),
                    );
                }
                if card["button_list"]
                    .as_array()
                    .is_none_or(|b| b.is_empty() || b.len() > 6)
                {
                    return (
                        200,
                        json!({"errcode": 40058, "errmsg": "button_list: 1 to 6"}),
                    );
                }
                let mut tasks = tasks.lock().unwrap();
                if tasks.iter().any(|t| t == task) {
                    return (200, json!({"errcode": 42014, "errmsg": "task_id exist"}));
                }
                tasks.push(task.to_owned());
                let n = next.fetch_add(1, Ordering::Relaxed);
                let code = format!("response-code-{n}");
                codes.lock().unwrap().insert(code.clone(), false);
                (
                    200,
                    json!({"errcode": 0, "errmsg": "ok", "invaliduser": "",
                             "msgid": format!("msg-{n}"), "response_code": code}),
                )
            }
            "/cgi-bin/oa/applyevent" => {
                // The application: a creator, a template, its controls' values.
                let contents = &body["apply_data"]["contents"];
                let valid = body["creator_userid"].is_string()
                    && body["template_id"] == "TEMPLATE-1"
                    && contents.as_array().is_some_and(|c| !c.is_empty());
                if !valid {
                    return (
                        200,
                        json!({"errcode": 301025, "errmsg": "invalid apply_data"}),
                    );
                }
                let n = next.fetch_add(1, Ordering::Relaxed);
                (
                    200,
                    json!({"errcode": 0, "errmsg": "ok", "sp_no": format!("20261203{n:04}")}),
                )
            }
            "/cgi-bin/message/update_template_card" => {
                let code = body["response_code"].as_str().unwrap_or("");
                let mut codes = codes.lock().unwrap();
                match codes.get_mut(code) {
                    Some(used) if !*used => {
                        *used = true;
                        (
                            200,
                            json!({"errcode": 0, "errmsg": "ok", "invaliduser": []}),
                        )
                    }
                    _ => (
                        200,
                        json!({"errcode": 40098, "errmsg": "invalid response_code"}),
                    ),
                }
            }
            _ => (404, json!({"errcode": 404, "errmsg": "not found"})),
        }
    })
    .await
}

/// The `[[wecom]]` table `corp` of a hub using `fake`, routing to `to`.
pub fn table(fake: &Fake, to: &[&str], approvers: &[&str]) -> String {
    format!(
        "\n[[wecom]]\nname = \"corp\"\ncorp_id = \"{CORP_ID}\"\nagent_id = {AGENT_ID}\nsecret = \"{SECRET}\"\ntoken = \"{TOKEN}\"\nencoding_aes_key = \"{AES_KEY}\"\nbase_url = \"{}\"\n[[wecom.route]]\nto = {to:?}\n{}",
        fake.url,
        approvers_line(approvers)
    )
}

/// A `sys_approval_change` event (doc path 91815's shape): application `sp_no` now has
/// `status` (2 approved, 3 rejected, 4 revoked), the approver `approver` acted with `speech`.
pub fn approval_change(sp_no: &str, status: u32, approver: &str, speech: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>\
<CreateTime>1764720000</CreateTime><MsgType><![CDATA[event]]></MsgType>\
<Event><![CDATA[sys_approval_change]]></Event><AgentID>{AGENT_ID}</AgentID><ApprovalInfo>\
<SpNo>{sp_no}</SpNo><SpName><![CDATA[GoHumanLoop]]></SpName><SpStatus>{status}</SpStatus>\
<TemplateId><![CDATA[TEMPLATE-1]]></TemplateId><ApplyTime>1764719000</ApplyTime>\
<Applyer><UserId><![CDATA[lisi]]></UserId><Party><![CDATA[1]]></Party></Applyer>\
<SpRecord><SpStatus>{status}</SpStatus><ApproverAttr>1</ApproverAttr><Details><Approver>\
<UserId><![CDATA[{approver}]]></UserId></Approver><Speech><![CDATA[{speech}]]></Speech>\
<SpStatus>{status}</SpStatus><SpTime>1764720000</SpTime></Details></SpRecord>\
<StatuChangeEvent>{}</StatuChangeEvent></ApprovalInfo></xml>",
        if status == 1 { 1 } else { 2 }
    )
}
