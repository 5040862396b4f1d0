//! The web inbox in real headless Chromium, driving the real `ghl serve`: sign in, a request
//! made through the API appears live, approve with edited arguments (the waiting agent gets
//! exactly them), reject with a reason, answer, a three-turn conversation, sign out; a second
//! session sees a decision live; markup in a request never runs; the original Python client
//! gets the arguments an approver edited; Chinese on a phone-sized screen; dark mode; tasks and
//! keys. Screenshots go to `test-artifacts/screenshots/`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::browser::{click, fill, screenshot, text, wait_for, wait_until, Driver};
use common::{get_json, post_json, python, HubProcess};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

/// One browser test at a time: Chromium is heavy for a two-core machine.
static ONE_BROWSER_TEST: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The hub, with an agent key and two approvers (alice, bob) of tenant "a".
struct Setup {
    hub: HubProcess,
    key: String,
    alice: String,
    bob: String,
}

fn setup() -> Setup {
    let hub = HubProcess::start();
    let key = hub.key("a", "agent");
    let alice = hub.user("alice", "approver", &["a"]);
    let bob = hub.user("bob", "approver", &["a"]);
    Setup {
        hub,
        key,
        alice,
        bob,
    }
}

/// One browser test's world: its turn, chromedriver, and a hub with accounts; `None` (the test
/// is skipped) when Chromium is not installed.
async fn world() -> Option<(tokio::sync::MutexGuard<'static, ()>, Driver, Setup)> {
    let turn = ONE_BROWSER_TEST.lock().await;
    let driver = Driver::start()?;
    Some((turn, driver, setup()))
}

async fn agent(setup: &Setup, path: &str, body: Value) -> Value {
    let reply: Value = post_json(
        &format!("{}/api/v1/humanloop/{path}", setup.hub.base),
        &setup.key,
        &body,
    )
    .await;
    assert_eq!(reply["success"], true, "{path}: {reply}");
    reply
}

fn request_body(rid: &str, conversation: &str, loop_type: &str, context: Value) -> Value {
    json!({
        "task_id": "release-42",
        "conversation_id": conversation,
        "request_id": rid,
        "loop_type": loop_type,
        "context": context,
        "platform": "GoHumanLoop",
        "metadata": {"timeout": 3600, "source": "browser test"},
    })
}

/// The agent asks: a new request through the original API.
async fn ask(setup: &Setup, rid: &str, conversation: &str, loop_type: &str, context: Value) {
    agent(
        setup,
        "request",
        request_body(rid, conversation, loop_type, context),
    )
    .await;
}

/// The hub's id of a request, by its client id.
async fn hub_id(setup: &Setup, rid: &str) -> String {
    let body: Value = get_json(
        &format!("{}/api/v1/requests/{rid}", setup.hub.base),
        &setup.key,
    )
    .await;
    body["request"]["id"].as_str().unwrap().to_owned()
}

/// What `/status` says of a request (with `wait`, after up to that many seconds).
async fn status(setup: &Setup, conversation: &str, rid: &str, wait: u32) -> Value {
    get_json(
        &format!(
            "{}/api/v1/humanloop/status?conversation_id={conversation}&request_id={rid}\
             &platform=GoHumanLoop&wait={wait}",
            setup.hub.base
        ),
        &setup.key,
    )
    .await
}

async fn sign_in(client: &Client, base: &str, name: &str, password: &str) {
    client.goto(&format!("{base}/inbox")).await.unwrap();
    // Not signed in: the inbox sends us to the sign-in page.
    wait_for(client, "#login-form").await;
    fill(client, "#name", name).await;
    fill(client, "#password", password).await;
    click(client, "#sign-in").await;
    wait_for(client, "#filters").await;
    assert!(client.current_url().await.unwrap().path() == "/inbox");
}

/// Marks the page; [`still_same_page`] tells whether it was reloaded since.
async fn mark_page(client: &Client) {
    client
        .execute("window.__notReloaded = true; return true;", vec![])
        .await
        .unwrap();
}

async fn still_same_page(client: &Client) -> bool {
    client
        .execute("return window.__notReloaded === true;", vec![])
        .await
        .unwrap()
        == Value::Bool(true)
}

async fn open_request(client: &Client, base: &str, id: &str) {
    client.goto(&format!("{base}/requests/{id}")).await.unwrap();
    wait_for(client, &format!("#request[data-id=\"{id}\"]")).await;
}

#[tokio::test]
async fn an_approver_answers_every_kind_of_request_in_the_browser() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.hub.base.clone();
    let browser = driver.session(1280, 900).await;
    sign_in(&browser, &base, "alice", &setup.alice).await;
    mark_page(&browser).await;

    // A request made through the API appears without reloading.
    let context = json!({
        "message": "Deploy release 42 to production.",
        "question": "May I run the deployment?",
        "additional": "Change window: today 18:00–19:00 UTC.",
        "function": {"function_name": "deploy", "arguments": {"env": "staging", "replicas": 2}},
    });
    ask(&setup, "deploy-1", "conv-deploy", "approval", context).await;
    let deploy = hub_id(&setup, "deploy-1").await;
    wait_for(&browser, &format!("li.req[data-id=\"{deploy}\"]")).await;
    assert!(
        still_same_page(&browser).await,
        "it came live, not by reloading"
    );
    wait_until(
        &browser,
        "return document.querySelector('.countdown').textContent.includes('expires in');",
    )
    .await;
    screenshot(&browser, "inbox").await;

    // The agent waits while the approver decides.
    let waiting = {
        let base = base.clone();
        let key = setup.key.clone();
        tokio::spawn(async move {
            get_json(
                &format!(
                    "{base}/api/v1/humanloop/status?conversation_id=conv-deploy&request_id=deploy-1\
                     &platform=GoHumanLoop&wait=60"
                ),
                &key,
            )
            .await
        })
    };
    click(&browser, &format!("li.req[data-id=\"{deploy}\"] a")).await;
    wait_for(&browser, "#approve-form").await;
    assert_eq!(
        text(&browser, "h1#question").await,
        "May I run the deployment?"
    );
    assert_eq!(
        text(&browser, "#arguments-table tr[data-key=\"replicas\"] td").await,
        "2"
    );
    browser.set_window_size(1280, 1800).await.unwrap();
    screenshot(&browser, "request").await;
    // A number that is not one is caught before sending.
    click(&browser, "#edit").await;
    wait_until(
        &browser,
        "return document.getElementById('edit-panel').hidden === false;",
    )
    .await;
    fill(&browser, "#edit-panel [data-arg=\"replicas\"]", "five").await;
    wait_until(
        &browser,
        "return document.getElementById('approve').disabled === true;",
    )
    .await;
    assert!(text(&browser, "#arguments-check")
        .await
        .contains("is not a number"));
    fill(&browser, "#edit-panel [data-arg=\"replicas\"]", "5").await;
    fill(&browser, "#edit-panel [data-arg=\"env\"]", "prod").await;
    wait_until(
        &browser,
        "return document.getElementById('approve').disabled === false;",
    )
    .await;
    fill(&browser, "#approve-reason", "inside the change window").await;
    click(&browser, "#approve").await;
    wait_for(&browser, "#notice").await;
    let seen = tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .expect("the waiting agent is answered")
        .unwrap();
    assert_eq!(seen["status"], "approved");
    assert_eq!(
        seen["response"],
        json!({"decision": "approved", "reason": "inside the change window",
               "arguments": {"env": "prod", "replicas": 5},
               "edited": true, "edited_keys": ["env", "replicas"],
               // The approval is bound to the call as edited.
               "call_hash": gohumanloop::model::call_hash(
                   "deploy", &json!({"env": "prod", "replicas": 5}))})
    );
    assert_eq!(seen["responded_by"], "alice");
    open_request(&browser, &base, &deploy).await;
    assert_eq!(text(&browser, "#status").await, "Approved");
    assert!(text(&browser, "#audit-trail")
        .await
        .contains("Approved · edited env, replicas — “inside the change window”"));

    // Reject with a reason.
    ask(
        &setup,
        "drop-1",
        "conv-drop",
        "approval",
        json!({"question": "Drop the users table?"}),
    )
    .await;
    let drop = hub_id(&setup, "drop-1").await;
    open_request(&browser, &base, &drop).await;
    fill(&browser, "#reject-reason", "never on production").await;
    click(&browser, "#reject").await;
    wait_for(&browser, "#notice").await;
    let seen = status(&setup, "conv-drop", "drop-1", 0).await;
    assert_eq!(seen["status"], "rejected");
    assert_eq!(seen["response"]["reason"], "never on production");

    // Answer a question.
    ask(
        &setup,
        "ask-1",
        "conv-ask",
        "information",
        json!({"question": "Which region should the replica go to?"}),
    )
    .await;
    let question = hub_id(&setup, "ask-1").await;
    open_request(&browser, &base, &question).await;
    fill(&browser, "#answer-text", "eu-west-1").await;
    click(&browser, "#send-answer").await;
    wait_for(&browser, "#notice").await;
    let seen = status(&setup, "conv-ask", "ask-1", 0).await;
    assert_eq!(
        (seen["status"].clone(), seen["response"].clone()),
        (json!("completed"), json!({"information": "eu-west-1"}))
    );

    // A three-turn conversation: each next turn shows up live on the page of the last one.
    let turns = [
        "Hi, I found 3 failing tests. Fix them?",
        "Done for two. The third needs a schema change. Go ahead?",
        "All green now. Anything else?",
    ];
    let replies = [
        "Yes, please.",
        "Go ahead, but keep a backup.",
        "No, thanks — we are done.",
    ];
    ask(
        &setup,
        "talk-1",
        "conv-talk",
        "conversation",
        json!({"question": turns[0]}),
    )
    .await;
    let mut id = hub_id(&setup, "talk-1").await;
    open_request(&browser, &base, &id).await;
    for (i, reply) in replies.iter().enumerate() {
        fill(&browser, "#reply-text", reply).await;
        if i == 2 {
            click(&browser, "#end-conversation").await;
        } else {
            click(&browser, "#send-reply").await;
        }
        // Nothing else is pending: back to the inbox, which says what was answered.
        wait_for(&browser, "#notice").await;
        assert_eq!(browser.current_url().await.unwrap().path(), "/inbox");
        let rid = format!("talk-{}", i + 1);
        let seen = status(&setup, "conv-talk", &rid, 0).await;
        let expected = if i == 2 { "completed" } else { "inprogress" };
        assert_eq!(seen["status"], expected, "turn {}", i + 1);
        assert_eq!(seen["response"], json!({"message": reply}));
        if i < 2 {
            wait_until(
                &browser,
                "return document.getElementById('live-dot').hidden === false;",
            )
            .await;
            mark_page(&browser).await;
            let next = format!("talk-{}", i + 2);
            agent(
                &setup,
                "continue",
                request_body(
                    &next,
                    "conv-talk",
                    "conversation",
                    json!({"question": turns[i + 1]}),
                ),
            )
            .await;
            // The conversation's one row is now its newest turn, live.
            id = hub_id(&setup, &next).await;
            wait_for(&browser, &format!("li.req[data-id=\"{id}\"]")).await;
            assert!(still_same_page(&browser).await, "the next turn came live");
            click(&browser, &format!("li.req[data-id=\"{id}\"] a")).await;
            wait_for(&browser, &format!("#request[data-id=\"{id}\"]")).await;
        }
    }
    open_request(&browser, &base, &id).await;
    browser.set_window_size(1280, 2000).await.unwrap();
    let thread = browser
        .find_all(Locator::Css("#thread li.turn"))
        .await
        .unwrap();
    assert_eq!(thread.len(), 3);
    let thread_text = text(&browser, "#thread").await;
    for line in turns.iter().chain(replies.iter()) {
        assert!(thread_text.contains(line), "{line} in the thread");
    }
    screenshot(&browser, "conversation").await;

    // Sign out: the inbox asks for a sign-in again.
    click(&browser, "#sign-out").await;
    wait_for(&browser, "#login-form").await;
    browser.goto(&format!("{base}/inbox")).await.unwrap();
    wait_for(&browser, "#login-form").await;
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_second_session_sees_the_first_ones_decision_live() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.hub.base.clone();
    ask(
        &setup,
        "r1",
        "c1",
        "approval",
        json!({"question": "Rotate the signing keys?"}),
    )
    .await;
    let id = hub_id(&setup, "r1").await;
    let alice = driver.session(1280, 900).await;
    let bob = driver.session(1280, 900).await;
    sign_in(&alice, &base, "alice", &setup.alice).await;
    sign_in(&bob, &base, "bob", &setup.bob).await;
    open_request(&bob, &base, &id).await;
    // Bob watches the inbox in his second look: first the request page.
    mark_page(&bob).await;
    wait_until(
        &bob,
        "return document.getElementById('live-dot').hidden === false;",
    )
    .await;
    open_request(&alice, &base, &id).await;
    fill(&alice, "#approve-reason", "scheduled rotation").await;
    click(&alice, "#approve").await;
    wait_for(&alice, "#notice").await;
    wait_until(
        &bob,
        "return document.getElementById('status').textContent === 'Approved';",
    )
    .await;
    assert!(
        still_same_page(&bob).await,
        "bob's page changed without reloading"
    );
    assert!(text(&bob, "#responded-by").await.contains("alice"));
    assert!(text(&bob, "#answer").await.contains("scheduled rotation"));
    assert!(
        bob.find(Locator::Css("#approve-form")).await.is_err(),
        "no actions left"
    );
    screenshot(&bob, "second-session").await;

    // Bob's inbox counts move live too.
    bob.goto(&format!("{base}/inbox")).await.unwrap();
    wait_for(&bob, "#filters").await;
    mark_page(&bob).await;
    wait_until(
        &bob,
        "return document.getElementById('live-dot').hidden === false;",
    )
    .await;
    ask(
        &setup,
        "r2",
        "c2",
        "information",
        json!({"question": "Which on-call engineer?"}),
    )
    .await;
    wait_until(&bob, "var c = document.getElementById('count-pending'); return !!c && c.textContent.includes('1');").await;
    assert!(still_same_page(&bob).await);
    alice.close().await.unwrap();
    bob.close().await.unwrap();
}

#[tokio::test]
async fn markup_in_a_request_is_shown_as_text_and_never_runs() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.hub.base.clone();
    let context = json!({
        "question": "<img src=x onerror=\"window.__xss = 'question'\">",
        "message": "<script>window.__xss = 'message'</script>",
        "additional": "\"><svg onload=\"window.__xss = 'additional'\"></svg>",
        "function": {"function_name": "<b onclick=alert(1)>f</b>",
                     "arguments": {"</pre><script>window.__xss='args'</script>": "<iframe src=javascript:alert(1)>"}},
        "custom": "<a href=\"javascript:window.__xss='link'\" id=\"evil\">click</a>",
    });
    ask(&setup, "x1", "cx", "approval", context).await;
    let id = hub_id(&setup, "x1").await;
    let browser = driver.session(1280, 900).await;
    sign_in(&browser, &base, "alice", &setup.alice).await;
    wait_for(&browser, &format!("li.req[data-id=\"{id}\"]")).await;
    open_request(&browser, &base, &id).await;
    // Any injected handler has had its turn once the page's load event has passed (images and
    // frames included) and two frames and a task after it have run.
    let settled = browser
        .execute_async(
            "var done = arguments[arguments.length - 1];
             function settle() {
               requestAnimationFrame(function () {
                 requestAnimationFrame(function () { setTimeout(function () { done(true); }, 0); });
               });
             }
             if (document.readyState === 'complete') settle();
             else window.addEventListener('load', settle);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(settled, Value::Bool(true));
    let ran = browser
        .execute("return window.__xss === undefined;", vec![])
        .await
        .unwrap();
    assert_eq!(ran, Value::Bool(true), "no injected script ran");
    let injected = browser
        .execute(
            "return document.querySelectorAll('main script, main img, main svg, main iframe, main b[onclick], #evil').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(injected, json!(0), "no injected element exists");
    assert_eq!(
        text(&browser, "#message .text").await,
        "<script>window.__xss = 'message'</script>"
    );
    assert!(text(&browser, "#question")
        .await
        .contains("<img src=x onerror="));
    assert!(text(&browser, "#function")
        .await
        .contains("<iframe src=javascript:alert(1)>"));
    screenshot(&browser, "markup-as-text").await;
    browser.close().await.unwrap();
}

#[tokio::test]
async fn chinese_on_a_phone_sized_screen() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.hub.base.clone();
    ask(
        &setup,
        "z1",
        "cz",
        "approval",
        json!({"question": "是否批准本次发布？", "message": "版本 1.4.2 → 生产环境"}),
    )
    .await;
    let id = hub_id(&setup, "z1").await;
    let phone = driver.sized(390, 844, true, &[]).await;
    sign_in(&phone, &base, "alice", &setup.alice).await;
    click(&phone, "#lang-switch").await;
    wait_until(&phone, "return document.documentElement.lang === 'zh-CN';").await;
    assert_eq!(
        phone.current_url().await.unwrap().path(),
        "/inbox",
        "back where it was"
    );
    assert!(text(&phone, "nav.sections").await.contains("收件箱"));
    assert!(text(&phone, &format!("li.req[data-id=\"{id}\"]"))
        .await
        .contains("待处理"));
    let overflow = phone
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(overflow, Value::Bool(true), "nothing wider than the phone");
    screenshot(&phone, "inbox-phone-zh").await;
    open_request(&phone, &base, &id).await;
    assert!(text(&phone, "#approve").await.contains("批准"));
    screenshot(&phone, "request-phone-zh").await;
    phone.close().await.unwrap();
}

#[tokio::test]
async fn the_original_python_client_gets_the_arguments_an_approver_edited() {
    let _one = ONE_BROWSER_TEST.lock().await;
    let Some(driver) = Driver::start() else {
        return;
    };
    let Some(python) = python() else { return };
    let setup = setup();
    let base = setup.hub.base.clone();
    let script = format!(
        "{}/../../tests/python/web_approval_agent.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut agent_process = Command::new(python)
        .arg(script)
        .env("HUB", &base)
        .env("AGENT_KEY", &setup.key)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python runs");
    let stdout = agent_process.stdout.take().unwrap();
    let (lines, said) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let ready = said
        .recv_timeout(Duration::from_secs(60))
        .expect("the Python agent made its request");
    let mut words = ready.split_whitespace();
    assert_eq!(words.next(), Some("READY"), "{ready}");
    let request_id = words.nth(1).expect("a request id").to_owned();
    let id = hub_id(&setup, &request_id).await;

    let browser = driver.session(1280, 1000).await;
    sign_in(&browser, &base, "alice", &setup.alice).await;
    wait_for(&browser, &format!("li.req[data-id=\"{id}\"]")).await;
    open_request(&browser, &base, &id).await;
    click(&browser, "#edit").await;
    fill(&browser, "#edit-panel [data-arg=\"amount\"]", "90").await;
    fill(&browser, "#edit-panel [data-arg=\"to\"]", "ACME Ltd").await;
    fill(&browser, "#approve-reason", "capped at 90").await;
    click(&browser, "#approve").await;
    wait_for(&browser, "#notice").await;

    let result = said
        .recv_timeout(Duration::from_secs(60))
        .expect("the Python agent saw the outcome");
    let json = result.strip_prefix("RESULT ").expect("a RESULT line");
    let seen: Value = serde_json::from_str(json).unwrap();
    assert_eq!(seen["status"], "approved");
    assert_eq!(
        seen["response"],
        json!({"decision": "approved", "reason": "capped at 90",
               "arguments": {"amount": 90, "to": "ACME Ltd"},
               "edited": true, "edited_keys": ["amount", "to"],
               "call_hash": gohumanloop::model::call_hash(
                   "transfer", &json!({"amount": 90, "to": "ACME Ltd"}))})
    );
    assert_eq!(seen["responded_by"], "alice");
    assert!(agent_process.wait().unwrap().success());
    browser.close().await.unwrap();
}

#[tokio::test]
async fn dark_mode_tasks_and_keys() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.hub.base.clone();
    let root = setup.hub.user("root", "admin", &[]);
    ask(
        &setup,
        "d1",
        "cd",
        "approval",
        json!({"question": "Scale the cluster to 12 nodes?",
               "function": {"function_name": "scale", "arguments": {"nodes": 12}}}),
    )
    .await;
    // A task snapshot, as the original client's manager uploads it.
    agent(&setup, "tasks/sync", json!({
        "task_id": "release-42",
        "conversations": [{"conversation_id": "cd", "provider_id": "GoHumanLoop", "requests": [
            {"request_id": "d1", "status": "pending", "loop_type": "approval", "response": {}}
        ]}],
        "timestamp": "2026-11-25T10:00:00",
        "metadata": {"source": "gohumanloop-0.0.15", "client_ip": "127.0.0.1", "user_agent": "Linux 6"},
    })).await;
    let id = hub_id(&setup, "d1").await;

    let dark = driver.session_with(1280, 900, &["--force-dark-mode"]).await;
    sign_in(&dark, &base, "root", &root).await;
    let is_dark = dark
        .execute(
            "return matchMedia('(prefers-color-scheme: dark)').matches;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(is_dark, Value::Bool(true), "the browser prefers dark");
    // The page follows: a dark background.
    let background = dark
        .execute(
            "return getComputedStyle(document.body).backgroundColor;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(background, json!("rgb(15, 19, 24)"));
    screenshot(&dark, "inbox-dark").await;
    open_request(&dark, &base, &id).await;
    screenshot(&dark, "request-dark").await;

    // Tasks: the synced snapshot, linked to the hub's copy of its request.
    dark.goto(&format!("{base}/tasks")).await.unwrap();
    wait_for(&dark, "#tasks").await;
    assert!(text(&dark, "#tasks").await.contains("release-42"));
    click(&dark, "#tasks a").await;
    wait_for(&dark, "#task").await;
    click(&dark, &format!("#task a[href=\"/requests/{id}\"]")).await;
    wait_for(&dark, &format!("#request[data-id=\"{id}\"]")).await;

    // Keys: an admin makes one (shown once) and revokes it.
    dark.goto(&format!("{base}/keys")).await.unwrap();
    wait_for(&dark, "#create-key").await;
    fill(&dark, "#key-tenant", "a").await;
    fill(&dark, "#key-name", "deploy-bot").await;
    click(&dark, "#create-key-button").await;
    wait_for(&dark, "#new-key").await;
    let key = text(&dark, "#new-key").await;
    assert!(key.starts_with("ghl_"), "{key}");
    screenshot(&dark, "keys").await;
    let listed: Value = get_json(&format!("{base}/api/v1/requests"), &key).await;
    assert_eq!(listed["success"], true, "the new key works");
    dark.goto(&format!("{base}/keys")).await.unwrap();
    wait_for(&dark, "#keys").await;
    assert!(
        dark.find(Locator::Css("#new-key")).await.is_err(),
        "shown once"
    );
    dark.close().await.unwrap();
}
