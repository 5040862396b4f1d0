//! The reworked inbox (issue 19) in real headless Chromium, driving the real `ghl serve`: long
//! content wraps on desktop and phone, the pending list comes by deadline with a due-soon marker
//! and its count in the title (live), the actions stay in view, a decision by keyboard alone,
//! the diff of an edit (and the `edited` information reaching the original Python client),
//! search kept in the URL, a conversation as one thread, a confirmed cancel, the primary
//! button's contrast in both themes, quick choices, assignment, browser notifications, and
//! Chinese units. Screenshots (desktop and phone, English and Chinese, light and dark) go to
//! `test-artifacts/screenshots/triage-*.png`.

mod common;

use common::browser::{
    click, fill, fits_width, js, js_with, press, screenshot, text, wait_for, wait_for_page,
    wait_until, Driver,
};
use common::{get_json, post_json, HubProcess};
use fantoccini::key::Key;
use fantoccini::Client;
use serde_json::{json, Value};

/// One browser test at a time: Chromium is heavy for a two-core machine.
static ONE_BROWSER_TEST: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const DESKTOP: (u32, u32) = (1280, 800);
const PHONE: (u32, u32) = (390, 844);

/// The hub, with an agent key and two approvers (alice, bob) of tenant "a".
struct Setup {
    hub: HubProcess,
    key: String,
    alice: String,
    bob: String,
}

/// One browser test's world: its turn, chromedriver, and a hub with accounts; `None` (the test
/// is skipped) when Chromium is not installed.
async fn world() -> Option<(tokio::sync::MutexGuard<'static, ()>, Driver, Setup)> {
    let turn = ONE_BROWSER_TEST.lock().await;
    let driver = Driver::start()?;
    let hub = HubProcess::start();
    let key = hub.key("a", "agent");
    let alice = hub.user("alice", "approver", &["a"]);
    let bob = hub.user("bob", "approver", &["a"]);
    Some((
        turn,
        driver,
        Setup {
            hub,
            key,
            alice,
            bob,
        },
    ))
}

impl Setup {
    fn base(&self) -> &str {
        &self.hub.base
    }

    /// `POST /api/v1/humanloop/{path}` as the agent; the reply (which must say success).
    async fn agent(&self, path: &str, body: Value) -> Value {
        let reply = post_json(
            &format!("{}/api/v1/humanloop/{path}", self.base()),
            &self.key,
            &body,
        )
        .await;
        assert_eq!(reply["success"], true, "{path}: {reply}");
        reply
    }

    /// A new request through the original API (task "release-42", platform "GoHumanLoop",
    /// conversation `c-{rid}`), with a deadline `timeout` seconds away (none: no deadline);
    /// the hub's id of it.
    async fn ask(
        &self,
        rid: &str,
        loop_type: &str,
        context: Value,
        timeout: Option<u64>,
    ) -> String {
        let mut body = json!({
            "task_id": "release-42",
            "conversation_id": format!("c-{rid}"),
            "request_id": rid,
            "loop_type": loop_type,
            "context": context,
            "platform": "GoHumanLoop",
            "metadata": {"source": "triage test"},
        });
        if let Some(seconds) = timeout {
            body["timeout"] = json!(seconds);
        }
        self.agent("request", body).await;
        self.id(rid).await
    }

    /// An approval with only a question.
    async fn ask_approval(&self, rid: &str, question: &str, timeout: Option<u64>) -> String {
        self.ask(rid, "approval", json!({"question": question}), timeout)
            .await
    }

    /// The hub's id of a request, by its client id.
    async fn id(&self, rid: &str) -> String {
        self.request(rid).await["id"].as_str().unwrap().to_owned()
    }

    /// The request as `GET /api/v1/requests/{id}` shows it (by the hub's or the client's id).
    async fn request(&self, id: &str) -> Value {
        let body = get_json(&format!("{}/api/v1/requests/{id}", self.base()), &self.key).await;
        assert_eq!(body["success"], true, "{id}: {body}");
        body["request"].clone()
    }

    /// The request's status now.
    async fn status(&self, id: &str) -> String {
        self.request(id).await["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Decides a request through the answering API (`approve`, `reject`, …) as the agent's key.
    async fn decide(&self, id: &str, action: &str, reason: &str) {
        let reply = post_json(
            &format!("{}/api/v1/requests/{id}/{action}", self.base()),
            &self.key,
            &json!({"reason": reason}),
        )
        .await;
        assert_eq!(reply["success"], true, "{action} {id}: {reply}");
    }
}

async fn sign_in(client: &Client, base: &str, name: &str, password: &str) {
    client.goto(&format!("{base}/inbox")).await.unwrap();
    wait_for(client, "#login-form").await;
    fill(client, "#name", name).await;
    fill(client, "#password", password).await;
    click(client, "#sign-in").await;
    wait_for(client, "#filters").await;
    wait_for_page(client, "/inbox", None).await;
}

/// A browser of `size`, signed in as alice.
async fn alice(driver: &Driver, setup: &Setup, size: (u32, u32), extra: &[&str]) -> Client {
    let browser = driver.sized(size.0, size.1, size == PHONE, extra).await;
    sign_in(&browser, setup.base(), "alice", &setup.alice).await;
    assert_viewport(&browser, size).await;
    browser
}

async fn goto(client: &Client, base: &str, path: &str) {
    client.goto(&format!("{base}{path}")).await.unwrap();
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(format!("?{q}"))),
        None => (path.to_owned(), None),
    };
    wait_for_page(client, &path, query.as_deref()).await;
}

/// The ids of the inbox's rows, top to bottom.
async fn rows(client: &Client) -> Vec<String> {
    let ids = js(
        client,
        "return Array.from(document.querySelectorAll('#requests li.req')).map(li => li.dataset.id);",
    )
    .await;
    serde_json::from_value(ids).unwrap()
}

/// Owned copies of ids, to compare with [`rows`].
fn ids(list: &[&String]) -> Vec<String> {
    list.iter().map(|id| id.to_string()).collect()
}

/// Asserts the size of the page's viewport.
async fn assert_viewport(client: &Client, size: (u32, u32)) {
    let seen = js(client, "return [window.innerWidth, window.innerHeight];").await;
    assert_eq!(seen, json!([size.0, size.1]), "the viewport");
}

/// Marks the page; [`still_same_page`] tells whether it was reloaded since.
async fn mark_page(client: &Client) {
    js(client, "window.__notReloaded = true; return true;").await;
}

async fn still_same_page(client: &Client) -> bool {
    js(client, "return window.__notReloaded === true;").await == Value::Bool(true)
}

/// Waits until the page's live stream is connected (the live dot shows).
async fn live(client: &Client) {
    wait_until(
        client,
        "return document.getElementById('live-dot').hidden === false;",
    )
    .await;
}

/// Whether the element is wholly inside the viewport and on top at its centre (not covered).
async fn in_view(client: &Client, css: &str) -> Value {
    js_with(
        client,
        "const el = document.querySelector(arguments[0]);
         if (!el) return 'missing';
         const r = el.getBoundingClientRect();
         if (r.width === 0 || r.height === 0) return 'not displayed';
         if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth)
           return 'outside: ' + JSON.stringify([r.left, r.top, r.right, r.bottom]) + ' of ' + innerWidth + 'x' + innerHeight;
         const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
         return el === hit || el.contains(hit) ? true : 'covered by ' + (hit ? hit.outerHTML.slice(0, 80) : 'nothing');",
        vec![json!(css)],
    )
    .await
}

/// Whether an element is shown (present, rendered, not hidden, with a size).
async fn shown(client: &Client, css: &str) -> bool {
    js_with(
        client,
        "const el = document.querySelector(arguments[0]);
         if (!el) return false;
         const r = el.getBoundingClientRect();
         // checkVisibility: also false inside a closed <details> (content-visibility: hidden).
         return el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true}) &&
                r.width > 0 && r.height > 0;",
        vec![json!(css)],
    )
    .await
        == Value::Bool(true)
}

/// The id of the element that has the focus ("" for none), or its tag and classes.
async fn focused(client: &Client) -> String {
    js(
        client,
        "const el = document.activeElement;
         if (!el || el === document.body) return '';
         return el.id || (el.tagName.toLowerCase() + '.' + Array.from(el.classList).join('.'));",
    )
    .await
    .as_str()
    .unwrap()
    .to_owned()
}

/// The data-id of the inbox's current row and whether its link has the focus.
async fn current_row(client: &Client) -> (String, bool) {
    let seen = js(
        client,
        "const rows = document.querySelectorAll('#requests li.req.current');
         if (rows.length !== 1) return [rows.length + ' current rows', false];
         const link = rows[0].querySelector('a.open');
         return [rows[0].dataset.id, document.activeElement === link];",
    )
    .await;
    (
        seen[0].as_str().unwrap().to_owned(),
        seen[1].as_bool().unwrap(),
    )
}

fn key(k: Key) -> String {
    char::from(k).to_string()
}

/// A 3,000-character message in sentences, after an unbroken 400-character word.
fn long_message() -> (String, String) {
    let word = format!("https://billing.example.com/invoices/{}", "x".repeat(364));
    let mut message = format!("{word} ");
    let sentence = "Paying the first invoice of the quarter moves money from the operating \
                    account to the supplier, and the finance team asked for a human check. ";
    while message.len() < 3_000 {
        message.push_str(sentence);
    }
    message.truncate(2_991);
    message.push_str(" THE END.");
    (message, word)
}

#[tokio::test]
async fn long_content_wraps_and_no_page_is_wider_than_the_screen() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let (message, word) = long_message();
    // The message as the list's title (no question), and a question with the long message.
    let untitled = setup
        .ask(
            "long-1",
            "approval",
            json!({"message": message}),
            Some(3600),
        )
        .await;
    let titled = setup
        .ask(
            "long-2",
            "approval",
            json!({"question": "Pay the first invoice of the quarter?",
                   "message": message,
                   "function": {"function_name": "pay_invoice",
                                "arguments": {"invoice": word, "amount": 1250}}}),
            Some(3600),
        )
        .await;
    // A chat-style message: the role as a label, the content as prose (not JSON).
    let role = setup
        .ask(
            "long-3",
            "approval",
            json!({"question": "Send this reply to the customer?",
                   "message": {"role": "assistant", "content": message}}),
            None,
        )
        .await;
    // A JSON object: pretty-printed, and wrapping too.
    let object = setup
        .ask(
            "long-4",
            "approval",
            json!({"question": "File this expense report?",
                   "message": {"report": {"link": word, "note": message, "lines": [1, 2, 3]}}}),
            None,
        )
        .await;
    assert_eq!(message.chars().count(), 3_000);

    for (size, name) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
        let browser = alice(&driver, &setup, size, &[]).await;
        assert_eq!(rows(&browser).await.len(), 4);
        assert!(
            fits_width(&browser).await,
            "the inbox is no wider than the {name}"
        );
        for (id, kind) in [
            (&untitled, "text"),
            (&titled, "question"),
            (&role, "role"),
            (&object, "object"),
        ] {
            goto(&browser, &base, &format!("/requests/{id}")).await;
            assert!(
                fits_width(&browser).await,
                "request {id} is no wider than the {name}"
            );
            // The whole message is there, wrapped inside its box (no hidden sideways scroll).
            let prose = js(
                &browser,
                "const p = document.querySelector('#message .prose');
                 if (!p) return 'no #message .prose';
                 const r = p.getBoundingClientRect();
                 const boxes = [p].concat(Array.from(p.querySelectorAll('*')))
                   .filter(e => e.clientWidth > 0);
                 const wide = boxes.filter(e => e.scrollWidth > e.clientWidth + 1)
                   .map(e => e.tagName + '.' + e.className);
                 return {text: p.textContent, wide: wide,
                         right: r.right <= innerWidth, height: r.height};",
            )
            .await;
            let shown_text = prose["text"].as_str().unwrap_or_else(|| panic!("{prose}"));
            assert!(shown_text.contains(&word), "the long word is shown whole");
            assert!(
                shown_text.contains("THE END."),
                "the message is shown to its end"
            );
            assert_eq!(
                prose["wide"],
                json!([]),
                "the message wraps, nothing in it scrolls sideways ({name})"
            );
            assert_eq!(prose["right"], true, "the message box fits the {name}");
            assert!(
                prose["height"].as_f64().unwrap() > 200.0,
                "3,000 characters take many lines, not one: {prose}"
            );
            if id == &role {
                // The role is a label; the content prose, not JSON.
                assert_eq!(
                    js(
                        &browser,
                        "return document.querySelector('#message span.role').textContent;"
                    )
                    .await,
                    json!("assistant")
                );
                let shown_message = text(&browser, "#message").await;
                assert!(
                    !shown_message.contains("\"content\"") && !shown_message.contains('{'),
                    "the message is prose, not JSON: {}",
                    &shown_message[..100]
                );
            }
            screenshot(&browser, &format!("triage-long-{kind}-{name}")).await;
        }
        goto(&browser, &base, "/inbox").await;
        screenshot(&browser, &format!("triage-long-inbox-{name}")).await;
        browser.close().await.unwrap();
    }
}

#[tokio::test]
async fn the_request_page_reads_question_first_with_a_summary_a_table_and_folded_details() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    // A risk note in the metadata: shown, not folded away.
    setup
        .agent(
            "request",
            json!({"task_id": "release-42", "conversation_id": "c-pay-1", "request_id": "pay-1",
                   "loop_type": "approval", "platform": "GoHumanLoop", "timeout": 3600,
                   "context": {"question": "May I pay the supplier?",
                               "message": "Paying the first invoice of the quarter.",
                               "function": {"function_name": "transfer",
                                            "arguments": {"amount": 1250, "to": "ACME GmbH",
                                                          "route": {"bank": "DE", "hops": [1, 2]}}}},
                   "metadata": {"risk": "moves money out of the company", "source": "triage test"}}),
        )
        .await;
    let id = setup.id("pay-1").await;
    let browser = alice(&driver, &setup, DESKTOP, &[]).await;
    let row = format!("li.req[data-id=\"{id}\"]");
    assert!(text(&browser, &format!("{row} span.summary"))
        .await
        .starts_with("transfer("));
    goto(&browser, &base, &format!("/requests/{id}")).await;
    let first_heading = js(
        &browser,
        "const h = document.querySelector('main h1'); return h ? h.id + ': ' + h.textContent.trim() : null;",
    )
    .await;
    assert_eq!(first_heading, json!("question: May I pay the supplier?"));
    let what = text(&browser, "p#what").await;
    assert!(
        what.contains("transfer") && what.contains("1250") && what.contains("ACME GmbH"),
        "the summary names the function and its telling arguments: {what}"
    );
    let keys = js(
        &browser,
        "return Array.from(document.querySelectorAll('table#arguments-table tr[data-key]')).map(tr => tr.dataset.key);",
    )
    .await;
    assert_eq!(
        keys,
        json!(["amount", "to", "route"]),
        "in the agent's order"
    );
    assert!(
        shown(
            &browser,
            "table#arguments-table tr[data-key=\"route\"] details"
        )
        .await,
        "a nested value is folded JSON"
    );
    let short = text(&browser, "dl#short-metadata").await;
    assert!(
        short.contains("risk") && short.contains("moves money out of the company"),
        "{short}"
    );
    // The ids are in the collapsed details.
    let details = js(
        &browser,
        "const d = document.querySelector('details#details'); return d ? [d.open, d.textContent] : null;",
    )
    .await;
    assert_eq!(details[0], false, "the details start collapsed");
    assert!(details[1].as_str().unwrap().contains("pay-1"));
    assert!(details[1].as_str().unwrap().contains("c-pay-1"));
    browser.close().await.unwrap();
}

#[tokio::test]
async fn pending_requests_come_by_deadline_with_due_soon_marked_and_counted_in_the_title() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    // Created in this order: B (no deadline), A (1 h), D (no deadline), C (10 min), E (2 h);
    // then F (5 min) and G (none), both decided (F first).
    let b = setup.ask_approval("B", "Archive the old logs?", None).await;
    let a = setup
        .ask_approval("A", "Renew the TLS certificate?", Some(3600))
        .await;
    let d = setup.ask_approval("D", "Update the README?", None).await;
    let c = setup
        .ask_approval("C", "Hard-delete the staging database?", Some(600))
        .await;
    let e = setup
        .ask_approval("E", "Rotate the API keys?", Some(7200))
        .await;
    let f = setup
        .ask_approval("F", "Restart the cache?", Some(300))
        .await;
    let g = setup
        .ask_approval("G", "Merge the release branch?", None)
        .await;
    setup.decide(&f, "approve", "fine").await;
    setup.decide(&g, "reject", "not today").await;
    let (b_at, d_at) = (
        setup.request(&b).await["created_at"].clone(),
        setup.request(&d).await["created_at"].clone(),
    );
    assert_ne!(b_at, d_at, "B and D were created at different times");

    let browser = alice(&driver, &setup, DESKTOP, &[]).await;
    // Soonest deadline first, then those without one oldest first, then the decided ones
    // newest first.
    assert_eq!(rows(&browser).await, ids(&[&c, &a, &e, &b, &d, &g, &f]));
    // The deadline is on the pending rows that have one, as the API says it.
    for (id, rid) in [(&c, "C"), (&a, "A"), (&e, "E")] {
        let deadline = setup.request(rid).await["deadline_at"].clone();
        let same = js_with(
            &browser,
            "const li = document.querySelector(`li.req[data-id=\"${arguments[0]}\"]`);
             return Number(li.dataset.deadline) === Date.parse(arguments[1]);",
            vec![json!(id), deadline.clone()],
        )
        .await;
        assert_eq!(same, true, "{rid}: data-deadline is {deadline}");
    }
    let without = js(
        &browser,
        "return Array.from(document.querySelectorAll('li.req:not([data-deadline])')).map(li => li.dataset.id);",
    )
    .await;
    assert_eq!(without, json!([b, d, g, f]));
    // Due soon: only C (10 minutes left), marked visibly.
    let due = js(
        &browser,
        "return Array.from(document.querySelectorAll('li.req.due-soon')).map(li => li.dataset.id);",
    )
    .await;
    assert_eq!(due, json!([c]));
    assert_eq!(
        js(
            &browser,
            "return document.querySelectorAll('.due-soon-marker').length;"
        )
        .await,
        json!(1)
    );
    assert!(
        shown(
            &browser,
            &format!("li.req[data-id=\"{c}\"] span.due-soon-marker")
        )
        .await
    );
    assert_eq!(
        text(
            &browser,
            &format!("li.req[data-id=\"{c}\"] span.due-soon-marker")
        )
        .await,
        "Due soon"
    );
    // The pending count in the title.
    assert_eq!(browser.title().await.unwrap(), "(5) Inbox · GoHumanLoop");
    screenshot(&browser, "triage-order").await;

    // A new request arrives: the title counts it and it goes first, without reloading.
    live(&browser).await;
    mark_page(&browser).await;
    let h = setup
        .ask_approval("H", "Stop the runaway job?", Some(120))
        .await;
    wait_until(
        &browser,
        "return document.title === '(6) Inbox · GoHumanLoop';",
    )
    .await;
    wait_until(
        &browser,
        &format!("const li = document.querySelector('#requests li.req'); return !!li && li.dataset.id === '{h}';"),
    )
    .await;
    assert!(still_same_page(&browser).await, "it came live");
    assert_eq!(rows(&browser).await, ids(&[&h, &c, &a, &e, &b, &d, &g, &f]));

    // Decided elsewhere: the count goes down live.
    setup.decide(&h, "approve", "stopped").await;
    wait_until(
        &browser,
        "return document.title === '(5) Inbox · GoHumanLoop';",
    )
    .await;
    for id in [&c, &a, &e, &b, &d] {
        setup.decide(id, "reject", "no").await;
    }
    wait_until(&browser, "return document.title === 'Inbox · GoHumanLoop';").await;
    assert!(still_same_page(&browser).await);
    browser.close().await.unwrap();
}

#[tokio::test]
async fn the_actions_stay_in_view_on_desktop_and_phone() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let (message, _) = long_message();
    let id = setup
        .ask(
            "sticky-1",
            "approval",
            json!({"question": "Pay the first invoice of the quarter?",
                   "message": message,
                   "function": {"function_name": "pay_invoice",
                                "arguments": {"invoice": "INV-7", "amount": 1250}}}),
            Some(3600),
        )
        .await;
    for (size, name) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
        let browser = alice(&driver, &setup, size, &[]).await;
        goto(&browser, &base, &format!("/requests/{id}")).await;
        let tall = js(
            &browser,
            "return document.documentElement.scrollHeight > innerHeight + 200;",
        )
        .await;
        assert_eq!(tall, true, "the page is longer than the {name} screen");
        // At the top, half-way and at the end of the page.
        for at in [
            "0",
            "(document.documentElement.scrollHeight - innerHeight) / 2",
            "document.documentElement.scrollHeight",
        ] {
            js(&browser, &format!("window.scrollTo(0, {at}); return true;")).await;
            assert_eq!(
                in_view(&browser, "#approve").await,
                true,
                "#approve in view on the {name}, scrolled to {at}"
            );
        }
        js(&browser, "window.scrollTo(0, 0); return true;").await;
        screenshot(&browser, &format!("triage-sticky-{name}")).await;
        browser.close().await.unwrap();
    }
}

#[tokio::test]
async fn a_decision_by_keyboard_alone() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let first = setup
        .ask_approval("k1", "Hard-delete the staging database?", Some(600))
        .await;
    let second = setup
        .ask_approval("k2", "Renew the TLS certificate?", Some(1200))
        .await;
    let third = setup
        .ask_approval("k3", "Rotate the API keys?", Some(1800))
        .await;
    let browser = alice(&driver, &setup, DESKTOP, &[]).await;

    // The skip link is the first thing to tab to; the hint is shown.
    let first_focusable = js(
        &browser,
        "const f = document.querySelector('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]');
         return f ? [f.id, f.getAttribute('href')] : null;",
    )
    .await;
    assert_eq!(first_focusable, json!(["skip", "#requests"]));
    assert!(shown(&browser, "#shortcut-hint").await);
    assert!(text(&browser, "#shortcut-hint").await.contains('?'));

    // On load, the most urgent row is current and its link focused.
    wait_until(
        &browser,
        "const li = document.querySelector('#requests li.req');
         return li.classList.contains('current') && document.activeElement === li.querySelector('a.open');",
    )
    .await;
    assert_eq!(current_row(&browser).await, (first.clone(), true));
    press(&browser, "j").await;
    assert_eq!(current_row(&browser).await, (second.clone(), true));
    press(&browser, "j").await;
    assert_eq!(current_row(&browser).await, (third.clone(), true));
    press(&browser, "j").await;
    assert_eq!(
        current_row(&browser).await,
        (third.clone(), true),
        "stays on the last"
    );
    press(&browser, "kk").await;
    assert_eq!(current_row(&browser).await, (first.clone(), true));

    // ? shows the help, Escape closes it.
    assert!(!shown(&browser, "#shortcuts").await, "no help before ?");
    press(&browser, "?").await;
    assert!(shown(&browser, "#shortcuts").await, "? shows the help");
    let help = text(&browser, "#shortcuts").await;
    for k in ["j", "k", "o", "a", "e", "r", "/", "?"] {
        assert!(help.contains(k), "the help lists {k}: {help}");
    }
    press(&browser, &key(Key::Escape)).await;
    assert!(
        !shown(&browser, "#shortcuts").await,
        "Escape closes the help"
    );

    // Enter opens the current row; a focuses Approve; Enter approves; the next one is shown.
    press(&browser, &key(Key::Enter)).await;
    wait_for_page(&browser, &format!("/requests/{first}"), None).await;
    press(&browser, "a").await;
    assert_eq!(focused(&browser).await, "approve");
    press(&browser, &key(Key::Enter)).await;
    wait_for_page(
        &browser,
        &format!("/requests/{second}"),
        Some(&format!("?done={first}")),
    )
    .await;
    let decided = setup.request(&first).await;
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["responded_by"], "alice");
    let notice = text(&browser, "#notice").await;
    assert!(
        notice.contains("Approved") && notice.contains("Hard-delete the staging database?"),
        "{notice}"
    );
    assert_eq!(
        js(
            &browser,
            "return document.getElementById('decided-link').getAttribute('href');"
        )
        .await,
        json!(format!("/requests/{first}"))
    );
    assert_eq!(setup.status(&second).await, "pending", "only the first");

    // r focuses the reject reason; u goes back to the inbox.
    press(&browser, "r").await;
    assert_eq!(focused(&browser).await, "reject-reason");
    js(&browser, "document.activeElement.blur(); return true;").await;
    press(&browser, "u").await;
    wait_for_page(&browser, "/inbox", None).await;
    assert_eq!(rows(&browser).await[..2], [second.clone(), third.clone()]);

    // / focuses the search; keys typed there are text, not shortcuts.
    wait_until(
        &browser,
        "return document.activeElement === document.querySelector('#requests li.req a.open');",
    )
    .await;
    press(&browser, "/").await;
    assert_eq!(focused(&browser).await, "q");
    press(&browser, "jk").await;
    assert_eq!(
        js(&browser, "return document.getElementById('q').value;").await,
        json!("jk")
    );
    assert_eq!(
        current_row(&browser).await.0,
        second,
        "j and k typed into #q moved nothing"
    );

    // o opens the current row too.
    goto(&browser, &base, "/inbox").await;
    wait_until(
        &browser,
        "return document.activeElement === document.querySelector('#requests li.req a.open');",
    )
    .await;
    press(&browser, "jo").await;
    wait_for_page(&browser, &format!("/requests/{third}"), None).await;
    browser.close().await.unwrap();
}

/// The per-field input of an argument on the request page.
fn arg(key: &str) -> String {
    format!("#edit-panel [data-arg=\"{key}\"]")
}

/// The keys of the rows of a diff table.
async fn diff_keys(client: &Client, table: &str) -> Value {
    js_with(
        client,
        "return Array.from(document.querySelectorAll(arguments[0] + ' tr[data-key]')).map(tr => tr.dataset.key);",
        vec![json!(table)],
    )
    .await
}

#[tokio::test]
async fn an_edit_shows_its_diff_before_and_after_and_tells_the_agent() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let id = setup
        .ask(
            "edit-1",
            "approval",
            json!({"question": "May I make this transfer?",
                   "function": {"function_name": "transfer",
                                "arguments": {"amount": 100, "memo": "invoice 7", "to": "ACME"}}}),
            Some(3600),
        )
        .await;
    let browser = alice(&driver, &setup, DESKTOP, &[]).await;
    goto(&browser, &base, &format!("/requests/{id}")).await;

    // e opens the edit panel with its first field focused.
    assert!(!shown(&browser, "#edit-panel").await, "folded at first");
    press(&browser, "e").await;
    assert!(
        shown(&browser, "#edit-panel").await,
        "e opens the edit panel"
    );
    assert_eq!(
        js(
            &browser,
            "return document.activeElement.dataset.arg || null;"
        )
        .await,
        json!("amount")
    );
    // #edit toggles it too.
    click(&browser, "#edit").await;
    assert!(!shown(&browser, "#edit-panel").await, "#edit folds it");
    click(&browser, "#edit").await;
    assert!(shown(&browser, "#edit-panel").await, "#edit opens it");
    assert_eq!(diff_keys(&browser, "table#diff").await, json!([]));

    // A change shows in the diff, old → new; a reset takes it back.
    fill(&browser, &arg("memo"), "changed").await;
    wait_until(
        &browser,
        "return !!document.querySelector('table#diff tr[data-key=\"memo\"]');",
    )
    .await;
    click(&browser, "#reset-arguments").await;
    wait_until(
        &browser,
        "return document.querySelectorAll('table#diff tr[data-key]').length === 0;",
    )
    .await;
    assert_eq!(
        js_with(
            &browser,
            "return document.querySelector(arguments[0]).value;",
            vec![json!(arg("memo"))]
        )
        .await,
        json!("invoice 7")
    );
    fill(&browser, &arg("amount"), "90").await;
    wait_until(
        &browser,
        "return !!document.querySelector('table#diff tr[data-key=\"amount\"]');",
    )
    .await;
    assert_eq!(diff_keys(&browser, "table#diff").await, json!(["amount"]));
    let row = text(&browser, "table#diff tr[data-key=\"amount\"]").await;
    assert!(
        row.contains("100") && row.contains("90"),
        "old and new: {row}"
    );
    screenshot(&browser, "triage-edit-diff").await;
    fill(&browser, "#approve-reason", "capped at 90").await;
    click(&browser, "#approve").await;
    // Nothing else is pending: back to the inbox, with the notice.
    wait_for_page(&browser, "/inbox", Some(&format!("?done={id}"))).await;
    assert!(text(&browser, "#notice").await.contains("Approved"));

    let decided = setup.request(&id).await;
    assert_eq!(decided["status"], "approved");
    assert_eq!(
        decided["response"],
        json!({"decision": "approved", "reason": "capped at 90",
               "arguments": {"amount": 90, "memo": "invoice 7", "to": "ACME"},
               "edited": true, "edited_keys": ["amount"],
               // Bound to the call as edited.
               "call_hash": gohumanloop::model::call_hash(
                   "transfer", &json!({"amount": 90, "memo": "invoice 7", "to": "ACME"}))})
    );

    // The decided page shows the diff and a readable audit trail.
    goto(&browser, &base, &format!("/requests/{id}")).await;
    assert_eq!(
        diff_keys(&browser, "table#edit-diff").await,
        json!(["amount"])
    );
    let row = text(&browser, "table#edit-diff tr[data-key=\"amount\"]").await;
    assert!(
        row.contains("100") && row.contains("90"),
        "old and new: {row}"
    );
    let approved = js(
        &browser,
        "return Array.from(document.querySelectorAll('ol#audit-trail > li')).map(li =>
           [li.querySelector('.what').textContent, li.querySelector('.who').textContent]);",
    )
    .await;
    let approved: Vec<(String, String)> = serde_json::from_value(approved).unwrap();
    assert!(
        approved
            .iter()
            .any(|(what, who)| what.contains("Approved") && who.contains("alice")),
        "{approved:?}"
    );
    assert!(
        approved.iter().all(|(what, _)| !what.contains('{')),
        "the trail is readable, not JSON: {approved:?}"
    );
    screenshot(&browser, "triage-edit-decided").await;
    browser.close().await.unwrap();
}

#[tokio::test]
async fn search_finds_by_message_question_function_and_arguments_and_keeps_the_url() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let rotate = setup
        .ask(
            "s1",
            "approval",
            json!({"question": "May I go ahead?",
                   "message": "Rotate the signing keys of the billing service.",
                   "function": {"function_name": "rotate_keys", "arguments": {"service": "ledger-7"}}}),
            None,
        )
        .await;
    let region = setup
        .ask(
            "s2",
            "information",
            json!({"question": "Which region should the replica go to?",
                   "message": "Choose where to place it."}),
            None,
        )
        .await;
    let pay = setup
        .ask(
            "s3",
            "approval",
            json!({"question": "Pay the supplier?",
                   "function": {"function_name": "transfer_funds",
                                "arguments": {"to": "北京供应商", "amount": 100}}}),
            None,
        )
        .await;
    setup
        .agent(
            "request",
            json!({"task_id": "release-2026-q3", "conversation_id": "c-s4", "request_id": "s4",
                   "loop_type": "approval", "platform": "slack-bot",
                   "context": {"question": "Post the release notes?"}}),
        )
        .await;
    let slack = setup.id("s4").await;
    let browser = alice(&driver, &setup, DESKTOP, &[]).await;
    assert_eq!(rows(&browser).await.len(), 4);

    // Typed into the search field: the URL says what was searched.
    fill(&browser, "#q", "signing").await;
    press(&browser, &key(Key::Enter)).await;
    wait_for_page(&browser, "/inbox", None).await;
    wait_until(
        &browser,
        "return new URLSearchParams(location.search).get('q') === 'signing';",
    )
    .await;
    assert_eq!(rows(&browser).await, ids(&[&rotate]));
    // A reload (or the link, shared) gives the same view.
    browser.refresh().await.unwrap();
    wait_for_page(&browser, "/inbox", None).await;
    assert_eq!(rows(&browser).await, ids(&[&rotate]));
    assert_eq!(
        js(&browser, "return document.getElementById('q').value;").await,
        json!("signing")
    );

    // Each field, and nothing else.
    let cases: [(&str, Vec<&String>); 10] = [
        ("signing", vec![&rotate]),           // a word of the message
        ("SIGNING%20billing", vec![&rotate]), // every word, any case
        ("region", vec![&region]),            // a word of the question
        ("rotate_keys", vec![&rotate]),       // the function's name
        ("transfer_funds", vec![&pay]),       // the function's name
        ("ledger-7", vec![&rotate]),          // an argument's value
        ("%E5%8C%97%E4%BA%AC", vec![&pay]),   // 北京, part of an argument's value
        ("replica%20ledger", vec![]),         // every word must occur
        ("nowhere", vec![]),
        ("release%20notes", vec![&slack]),
    ];
    for (q, expected) in cases {
        goto(&browser, &base, &format!("/inbox?q={q}")).await;
        assert_eq!(rows(&browser).await, ids(&expected), "q={q}");
        if expected.is_empty() {
            assert!(
                shown(&browser, "#empty").await,
                "q={q}: says nothing matched"
            );
        }
    }
    // Platform and task: a part of the name is enough; with other filters, all apply.
    for (query, expected) in [
        ("platform=slack", vec![&slack]),
        ("task=2026-q3", vec![&slack]),
        ("task=release", vec![&rotate, &region, &pay, &slack]),
        ("platform=GoHuman&type=information", vec![&region]),
        ("q=the&platform=Loop", vec![&rotate, &region, &pay]),
    ] {
        goto(&browser, &base, &format!("/inbox?{query}")).await;
        let mut seen = rows(&browser).await;
        seen.sort();
        let mut expected = ids(&expected);
        expected.sort();
        assert_eq!(seen, expected, "{query}");
    }
    // The form keeps the filters, and submitting it again keeps them in the URL.
    goto(&browser, &base, "/inbox?platform=slack&q=notes").await;
    assert_eq!(
        js(
            &browser,
            "return [document.getElementById('q').value, document.getElementById('f-platform').value];"
        )
        .await,
        json!(["notes", "slack"])
    );
    click(&browser, "#apply-filters").await;
    wait_until(
        &browser,
        "const p = new URLSearchParams(location.search); return p.get('q') === 'notes' && p.get('platform') === 'slack' && document.readyState === 'complete';",
    )
    .await;
    assert_eq!(rows(&browser).await, ids(&[&slack]));
    browser.close().await.unwrap();

    // On a phone the other filters fold behind a toggle; the search stays.
    let phone = alice(&driver, &setup, PHONE, &[]).await;
    assert!(shown(&phone, "#q").await);
    assert!(!shown(&phone, "#f-platform").await, "folded on a phone");
    click(&phone, "label#filters-toggle").await;
    assert!(
        shown(&phone, "#f-platform").await,
        "the toggle unfolds them"
    );
    assert!(fits_width(&phone).await);
    screenshot(&phone, "triage-filters-phone").await;
    phone.close().await.unwrap();
}

#[tokio::test]
async fn a_conversation_is_one_row_and_one_thread() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let said = [
        (
            "I found 3 failing tests in the billing module.",
            "Fix them?",
        ),
        (
            "Two are fixed; the third needs a schema change.",
            "Go ahead with the migration?",
        ),
        ("All green now after the migration.", "Anything else?"),
    ];
    let replies = ["Yes, please.", "Go ahead, but keep a backup."];
    let turn = |i: usize| {
        json!({"task_id": "release-42", "conversation_id": "talk", "request_id": format!("t{}", i + 1),
               "loop_type": "conversation", "platform": "GoHumanLoop",
               "context": {"message": said[i].0, "question": said[i].1}})
    };
    setup.agent("request", turn(0)).await;
    let browser = alice(&driver, &setup, DESKTOP, &[]).await;
    let mut turn_ids = Vec::new();
    for (i, reply) in replies.iter().enumerate() {
        let id = setup.id(&format!("t{}", i + 1)).await;
        turn_ids.push(id.clone());
        goto(&browser, &base, "/inbox").await;
        assert_eq!(rows(&browser).await, ids(&[&id]), "turn {}: one row", i + 1);
        goto(&browser, &base, &format!("/requests/{id}")).await;
        fill(&browser, "#reply-text", reply).await;
        click(&browser, "#send-reply").await;
        wait_for_page(&browser, "/inbox", Some(&format!("?done={id}"))).await;
        assert_eq!(setup.status(&id).await, "inprogress");
        setup.agent("continue", turn(i + 1)).await;
    }
    turn_ids.push(setup.id("t3").await);
    goto(&browser, &base, "/inbox").await;
    assert_eq!(
        rows(&browser).await,
        ids(&[&turn_ids[2]]),
        "turn 3: one row"
    );
    let row = format!("li.req[data-id=\"{}\"]", turn_ids[2]);
    assert!(text(&browser, &format!("{row} span.turns"))
        .await
        .contains('3'));

    // Its page: every turn, what the agent said and what the human replied, above the reply box.
    goto(&browser, &base, &format!("/requests/{}", turn_ids[2])).await;
    let turns = js(
        &browser,
        "return Array.from(document.querySelectorAll('section#thread li.turn')).map(li =>
           [li.querySelector('.said') ? li.querySelector('.said').textContent : '',
            li.querySelector('.replied') ? li.querySelector('.replied').textContent : '']);",
    )
    .await;
    let turns: Vec<(String, String)> = serde_json::from_value(turns).unwrap();
    assert_eq!(turns.len(), 3, "{turns:?}");
    for (i, (agent_said, replied)) in turns.iter().enumerate() {
        assert!(
            agent_said.contains(said[i].0) && agent_said.contains(said[i].1),
            "turn {}: the agent's message and question: {agent_said}",
            i + 1
        );
        if i < 2 {
            assert!(replied.contains(replies[i]), "turn {}: {replied}", i + 1);
        } else {
            assert_eq!(replied, "", "turn 3 is not answered yet");
        }
    }
    let above = js(
        &browser,
        "const t = document.getElementById('thread'), a = document.getElementById('actions');
         return !!t && !!a && !!(t.compareDocumentPosition(a) & Node.DOCUMENT_POSITION_FOLLOWING);",
    )
    .await;
    assert_eq!(above, true, "the thread comes before the reply box");
    assert_eq!(
        js(
            &browser,
            "return document.getElementById('reject') === null;"
        )
        .await,
        true,
        "End conversation instead of Reject"
    );
    screenshot(&browser, "triage-conversation").await;
    fill(&browser, "#reply-text", "No, thanks — we are done.").await;
    click(&browser, "#end-conversation").await;
    wait_for_page(&browser, "/inbox", Some(&format!("?done={}", turn_ids[2]))).await;
    let ended = setup.request(&turn_ids[2]).await;
    assert_eq!(ended["status"], "completed");
    assert_eq!(
        ended["response"],
        json!({"message": "No, thanks — we are done."})
    );
    browser.close().await.unwrap();
}

#[tokio::test]
async fn cancel_asks_for_a_confirmation_and_says_it_cancelled() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let id = setup
        .ask_approval("x1", "Drop the users table?", Some(3600))
        .await;
    let browser = alice(&driver, &setup, DESKTOP, &[]).await;
    goto(&browser, &base, &format!("/requests/{id}")).await;
    mark_page(&browser).await;
    assert!(!shown(&browser, "#confirm-cancel").await, "folded at first");
    click(&browser, "details#cancel-box > summary#cancel").await;
    assert!(
        shown(&browser, "#confirm-cancel").await,
        "the confirmation shows"
    );
    assert!(still_same_page(&browser).await, "nothing was sent");
    assert_eq!(setup.status(&id).await, "pending", "nothing was cancelled");
    screenshot(&browser, "triage-cancel-confirm").await;
    click(&browser, "#confirm-cancel").await;
    wait_for_page(&browser, "/inbox", Some(&format!("?done={id}"))).await;
    assert_eq!(setup.status(&id).await, "cancelled");
    let notice = text(&browser, "#notice").await;
    assert!(
        notice.contains("Request cancelled") && notice.contains("Drop the users table?"),
        "{notice}"
    );
    assert!(!notice.contains("Your answer was recorded"), "{notice}");
    browser.close().await.unwrap();
}

/// The sRGB bytes (with alpha) of any CSS colour, as the page's canvas paints it.
async fn rgba(client: &Client, color: &Value) -> [f64; 4] {
    let bytes = js_with(
        client,
        "const c = document.createElement('canvas'); c.width = c.height = 1;
         const g = c.getContext('2d'); g.fillStyle = arguments[0]; g.fillRect(0, 0, 1, 1);
         return Array.from(g.getImageData(0, 0, 1, 1).data);",
        vec![color.clone()],
    )
    .await;
    serde_json::from_value(bytes).unwrap()
}

/// WCAG 2 relative luminance of sRGB bytes.
fn luminance([r, g, b, _]: [f64; 4]) -> f64 {
    let channel = |c: f64| {
        let c = c / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

fn contrast(a: [f64; 4], b: [f64; 4]) -> f64 {
    let (x, y) = (luminance(a), luminance(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

#[test]
fn contrast_is_computed_as_wcag_says() {
    let black = [0.0, 0.0, 0.0, 255.0];
    let white = [255.0, 255.0, 255.0, 255.0];
    assert!((contrast(black, white) - 21.0).abs() < 1e-9);
    assert!((contrast(white, white) - 1.0).abs() < 1e-9);
    // #767676 on white: the classic 4.54:1.
    let grey = [118.0, 118.0, 118.0, 255.0];
    assert!((contrast(grey, white) - 4.54).abs() < 0.01);
}

#[tokio::test]
async fn the_primary_button_has_enough_contrast_in_both_themes() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let id = setup
        .ask_approval("c1", "Scale the cluster to 12 nodes?", Some(3600))
        .await;
    for (theme, extra) in [("light", vec![]), ("dark", vec!["--force-dark-mode"])] {
        let browser = alice(&driver, &setup, DESKTOP, &extra).await;
        let dark = js(
            &browser,
            "return matchMedia('(prefers-color-scheme: dark)').matches;",
        )
        .await;
        assert_eq!(dark, json!(theme == "dark"));
        goto(&browser, &base, &format!("/requests/{id}")).await;
        let page = rgba(
            &browser,
            &js(
                &browser,
                "return getComputedStyle(document.body).backgroundColor;",
            )
            .await,
        )
        .await;
        assert_eq!(
            luminance(page) < 0.2,
            theme == "dark",
            "the page follows the {theme} theme: {page:?}"
        );
        let styles = js(
            &browser,
            "const s = getComputedStyle(document.getElementById('approve'));
             return [s.color, s.backgroundColor];",
        )
        .await;
        let fg = rgba(&browser, &styles[0]).await;
        let bg = rgba(&browser, &styles[1]).await;
        assert_eq!(
            bg[3], 255.0,
            "{theme}: the button has a solid background: {styles}"
        );
        assert_eq!(fg[3], 255.0, "{theme}: solid text: {styles}");
        let ratio = contrast(fg, bg);
        assert!(
            ratio >= 4.5,
            "{theme}: #approve's text on its background is {ratio:.2}:1 ({styles})"
        );
        browser.close().await.unwrap();
    }
}

#[tokio::test]
async fn quick_choices_answer_an_information_request() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let region = setup
        .ask(
            "q1",
            "information",
            json!({"question": "Which region should the replica go to?",
                   "options": ["eu-west-1", "us-east-1", "ap-south-1"]}),
            None,
        )
        .await;
    setup
        .agent(
            "request",
            json!({"task_id": "release-42", "conversation_id": "c-q2", "request_id": "q2",
                   "loop_type": "information", "platform": "GoHumanLoop",
                   "context": {"question": "Keep the backup?"},
                   "metadata": {"options": ["yes", "no"]}}),
        )
        .await;
    let backup = setup.id("q2").await;
    let open = setup
        .ask(
            "q3",
            "information",
            json!({"question": "Who is on call?"}),
            None,
        )
        .await;
    let browser = alice(&driver, &setup, DESKTOP, &[]).await;
    let choices = "return Array.from(document.querySelectorAll('button.choice')).map(b => [b.value, b.textContent.trim()]);";
    goto(&browser, &base, &format!("/requests/{open}")).await;
    assert_eq!(
        js(&browser, choices).await,
        json!([]),
        "no options, no choices"
    );
    goto(&browser, &base, &format!("/requests/{backup}")).await;
    assert_eq!(
        js(&browser, choices).await,
        json!([["yes", "yes"], ["no", "no"]]),
        "options from the metadata"
    );
    goto(&browser, &base, &format!("/requests/{region}")).await;
    assert_eq!(
        js(&browser, choices).await,
        json!([
            ["eu-west-1", "eu-west-1"],
            ["us-east-1", "us-east-1"],
            ["ap-south-1", "ap-south-1"]
        ])
    );
    screenshot(&browser, "triage-quick-choices").await;
    click(&browser, "button.choice[value=\"us-east-1\"]").await;
    // One tap answers; the next pending request (by age: q2) is shown.
    wait_for_page(
        &browser,
        &format!("/requests/{backup}"),
        Some(&format!("?done={region}")),
    )
    .await;
    let answered = setup.request(&region).await;
    assert_eq!(answered["status"], "completed");
    assert_eq!(answered["response"], json!({"information": "us-east-1"}));
    browser.close().await.unwrap();
}

/// The button of the request page's assignment form that sends `to` = `to`.
fn assign_button(id: &str, to: &str) -> String {
    let form = format!("form[action=\"/requests/{id}/assignee\"]");
    format!(
        "{form} button[name=\"to\"][value=\"{to}\"], {form}:has(input[type=\"hidden\"][name=\"to\"][value=\"{to}\"]) button"
    )
}

#[tokio::test]
async fn assign_to_me_and_the_assigned_to_me_view() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let mine = setup
        .ask_approval("m1", "Renew the TLS certificate?", Some(3600))
        .await;
    let other = setup
        .ask_approval("m2", "Rotate the API keys?", Some(7200))
        .await;
    let browser = alice(&driver, &setup, DESKTOP, &[]).await;
    goto(&browser, &base, "/inbox?mine=1").await;
    assert!(rows(&browser).await.is_empty(), "nothing assigned yet");
    goto(&browser, &base, &format!("/requests/{mine}")).await;
    click(&browser, &assign_button(&mine, "me")).await;
    wait_for_page(&browser, &format!("/requests/{mine}"), None).await;
    wait_for(&browser, &assign_button(&mine, "")).await;

    // The full inbox shows who has it; "assigned to me" lists only it.
    goto(&browser, &base, "/inbox").await;
    assert_eq!(rows(&browser).await, ids(&[&mine, &other]));
    assert!(text(
        &browser,
        &format!("li.req[data-id=\"{mine}\"] span.assignee")
    )
    .await
    .contains("alice"));
    assert_eq!(
        js(
            &browser,
            &format!("return document.querySelector('li.req[data-id=\"{other}\"] span.assignee') === null;")
        )
        .await,
        true
    );
    click(&browser, "a#assigned-to-me").await;
    wait_for_page(&browser, "/inbox", Some("?mine=1")).await;
    assert_eq!(rows(&browser).await, ids(&[&mine]));
    screenshot(&browser, "triage-assigned-to-me").await;

    // Bob's "assigned to me" is empty.
    let bob = driver.sized(DESKTOP.0, DESKTOP.1, false, &[]).await;
    sign_in(&bob, &base, "bob", &setup.bob).await;
    goto(&bob, &base, "/inbox?mine=1").await;
    assert!(rows(&bob).await.is_empty());
    bob.close().await.unwrap();

    // Unassigned again: alice's view is empty.
    goto(&browser, &base, &format!("/requests/{mine}")).await;
    click(&browser, &assign_button(&mine, "")).await;
    wait_for_page(&browser, &format!("/requests/{mine}"), None).await;
    goto(&browser, &base, "/inbox?mine=1").await;
    assert!(rows(&browser).await.is_empty());
    browser.close().await.unwrap();
}

/// Replaces `window.Notification` before any page script: permission granted, and every
/// notification recorded (title and body) in localStorage `test-notified`.
const NOTIFICATION_STUB: &str = r#"
(function () {
  function recorded() {
    try { return JSON.parse(localStorage.getItem('test-notified') || '[]'); } catch (e) { return []; }
  }
  function Stub(title, options) {
    var all = recorded();
    all.push({title: String(title), body: options && options.body ? String(options.body) : ''});
    localStorage.setItem('test-notified', JSON.stringify(all));
    this.title = title;
  }
  Stub.prototype.close = function () {};
  Stub.prototype.addEventListener = function () {};
  Object.defineProperty(Stub, 'permission', {get: function () { return 'granted'; }});
  Stub.requestPermission = function (callback) {
    if (callback) callback('granted');
    return Promise.resolve('granted');
  };
  window.Notification = Stub;
})();
"#;

#[tokio::test]
async fn browser_notifications_for_new_requests() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let browser = driver.sized(DESKTOP.0, DESKTOP.1, false, &[]).await;
    driver.before_each_page(&browser, NOTIFICATION_STUB).await;
    sign_in(&browser, &base, "alice", &setup.alice).await;
    live(&browser).await;
    let notified = "return localStorage.getItem('test-notified') || '[]';";

    // Not opted in: a new request comes live, and no notification.
    let quiet = setup
        .ask_approval("n1", "Archive the old logs?", None)
        .await;
    wait_for(&browser, &format!("li.req[data-id=\"{quiet}\"]")).await;
    assert_eq!(js(&browser, notified).await, json!("[]"));

    // Opted in.
    wait_until(
        &browser,
        "return !document.getElementById('notify').hidden;",
    )
    .await;
    click(&browser, "#notify").await;
    wait_until(
        &browser,
        "return localStorage.getItem('ghl-notify') === '1';",
    )
    .await;
    live(&browser).await;
    let loud = setup
        .ask_approval("n2", "Stop the runaway job?", Some(600))
        .await;
    wait_for(&browser, &format!("li.req[data-id=\"{loud}\"]")).await;
    wait_until(
        &browser,
        "return JSON.parse(localStorage.getItem('test-notified') || '[]').length === 1;",
    )
    .await;
    let seen: Vec<Value> =
        serde_json::from_str(js(&browser, notified).await.as_str().unwrap()).unwrap();
    let said = format!("{} {}", seen[0]["title"], seen[0]["body"]);
    assert!(said.contains("Stop the runaway job?"), "{said}");

    // A decision is no new request: no notification for it.
    setup.decide(&quiet, "approve", "ok").await;
    wait_until(
        &browser,
        &format!("const li = document.querySelector('li.req[data-id=\"{quiet}\"]'); return !!li && li.dataset.status === 'approved';"),
    )
    .await;
    let third = setup
        .ask_approval("n3", "Merge the release branch?", None)
        .await;
    wait_for(&browser, &format!("li.req[data-id=\"{third}\"]")).await;
    wait_until(
        &browser,
        "return JSON.parse(localStorage.getItem('test-notified') || '[]').length >= 2;",
    )
    .await;
    let seen: Vec<Value> =
        serde_json::from_str(js(&browser, notified).await.as_str().unwrap()).unwrap();
    assert_eq!(
        seen.len(),
        2,
        "one for each new request, none for the decision: {seen:?}"
    );
    let said = format!("{} {}", seen[1]["title"], seen[1]["body"]);
    assert!(said.contains("Merge the release branch?"), "{said}");
    browser.close().await.unwrap();
}

/// Whether a text has no ASCII letters (every word translated).
fn no_ascii_letters(text: &str) -> bool {
    !text.chars().any(|c| c.is_ascii_alphabetic())
}

#[tokio::test]
async fn chinese_units_statuses_and_title() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let soon = setup
        .ask_approval("z1", "是否删除预发布数据库？", Some(600))
        .await;
    let later = setup
        .ask_approval("z2", "是否续期证书？", Some(3 * 3600 + 120))
        .await;
    let done = setup.ask_approval("z3", "是否合并分支？", None).await;
    setup.decide(&done, "approve", "好").await;
    let browser = alice(&driver, &setup, DESKTOP, &[]).await;
    click(&browser, "#lang-switch").await;
    wait_until(
        &browser,
        "return document.documentElement.lang === 'zh-CN' && document.readyState === 'complete';",
    )
    .await;
    assert_eq!(browser.title().await.unwrap(), "(2) 收件箱 · GoHumanLoop");
    wait_until(
        &browser,
        "const c = document.querySelectorAll('#requests .countdown');
         return c.length === 2 && Array.from(c).every(e => /\\d/.test(e.textContent));",
    )
    .await;
    let countdowns = js(
        &browser,
        "return Array.from(document.querySelectorAll('#requests .countdown')).map(e => e.textContent);",
    )
    .await;
    for shown_text in countdowns.as_array().unwrap() {
        let shown_text = shown_text.as_str().unwrap();
        assert!(
            no_ascii_letters(shown_text),
            "a countdown in Chinese: {shown_text}"
        );
    }
    let later_countdown = text(&browser, &format!("li.req[data-id=\"{later}\"] .countdown")).await;
    assert!(
        later_countdown.contains("小时") && later_countdown.contains('分'),
        "hours and minutes in Chinese: {later_countdown}"
    );
    let badges = js(
        &browser,
        "return Array.from(document.querySelectorAll('#requests li.req .badge')).map(e => e.textContent.trim());",
    )
    .await;
    let badges: Vec<String> = serde_json::from_value(badges).unwrap();
    assert!(badges.contains(&"待处理".to_owned()), "{badges:?}");
    assert!(badges.contains(&"已批准".to_owned()), "{badges:?}");
    assert!(badges.iter().all(|b| no_ascii_letters(b)), "{badges:?}");
    assert_eq!(
        text(
            &browser,
            &format!("li.req[data-id=\"{soon}\"] span.due-soon-marker")
        )
        .await,
        "即将到期"
    );
    wait_until(
        &browser,
        "return Array.from(document.querySelectorAll('time.rel')).every(t => /[前后在]/.test(t.textContent));",
    )
    .await;
    let times = js(
        &browser,
        "return Array.from(document.querySelectorAll('time.rel')).map(t => t.textContent);",
    )
    .await;
    assert!(
        times
            .as_array()
            .unwrap()
            .iter()
            .all(|t| no_ascii_letters(t.as_str().unwrap())),
        "relative times in Chinese: {times}"
    );

    goto(&browser, &base, &format!("/requests/{later}")).await;
    assert_eq!(text(&browser, "#status").await, "待处理");
    wait_until(
        &browser,
        "const c = document.getElementById('countdown'); return !!c && /\\d/.test(c.textContent);",
    )
    .await;
    let countdown = text(&browser, "#countdown").await;
    assert!(no_ascii_letters(&countdown), "{countdown}");
    browser.close().await.unwrap();
}

#[tokio::test]
async fn screenshots_desktop_and_phone_both_languages_both_themes() {
    let Some((_one, driver, setup)) = world().await else {
        return;
    };
    let base = setup.base().to_owned();
    let (message, _) = long_message();
    setup
        .ask_approval("p1", "Hard-delete the staging database?", Some(600))
        .await;
    let pay = setup
        .ask(
            "p2",
            "approval",
            json!({"question": "Pay the first invoice of the quarter?",
                   "message": message,
                   "function": {"function_name": "transfer",
                                "arguments": {"amount": 1250, "to": "ACME GmbH", "memo": "INV-2026-007"}}}),
            Some(3600),
        )
        .await;
    setup
        .ask(
            "p3",
            "information",
            json!({"question": "备份应该放在哪个区域？", "options": ["华东", "华北"]}),
            None,
        )
        .await;
    let done = setup
        .ask_approval("p4", "Merge the release branch?", None)
        .await;
    setup.decide(&done, "approve", "green build").await;
    for (theme, extra) in [("light", vec![]), ("dark", vec!["--force-dark-mode"])] {
        let browser = alice(&driver, &setup, DESKTOP, &extra).await;
        for lang in ["en", "zh"] {
            browser.goto(&format!("{base}/lang/{lang}")).await.unwrap();
            let code = if lang == "en" { "en" } else { "zh-CN" };
            wait_until(
                &browser,
                &format!("return document.documentElement.lang === '{code}' && document.readyState === 'complete';"),
            )
            .await;
            for (size, device) in [(DESKTOP, "desktop"), (PHONE, "phone")] {
                driver
                    .resize(&browser, size.0, size.1, device == "phone")
                    .await;
                for (path, page) in [
                    ("/inbox".to_owned(), "inbox"),
                    (format!("/requests/{pay}"), "request"),
                    (format!("/requests/{done}"), "decided"),
                ] {
                    goto(&browser, &base, &path).await;
                    assert_viewport(&browser, size).await;
                    wait_until(
                        &browser,
                        "return Array.from(document.querySelectorAll('.countdown')).every(e => e.textContent !== '');",
                    )
                    .await;
                    assert!(
                        fits_width(&browser).await,
                        "{page} on a {device} in {lang}, {theme}: no sideways scroll"
                    );
                    screenshot(&browser, &format!("triage-{page}-{device}-{lang}-{theme}")).await;
                }
            }
        }
        browser.close().await.unwrap();
    }
}
