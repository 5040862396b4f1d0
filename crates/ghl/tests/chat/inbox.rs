//! Reading a request's page in the web inbox, signed in as a person would.

use reqwest::header::{COOKIE, SET_COOKIE};

use crate::common::HubProcess;

/// The request page `/requests/{id}`, as the approver `name` (created here, of tenant `a`)
/// sees it.
pub async fn request_page(hub: &HubProcess, name: &str, id: &str) -> String {
    let password = hub.user(name, "approver", &["a"]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = http
        .get(format!("{}/login", hub.base))
        .send()
        .await
        .unwrap();
    let mut cookies: Vec<String> = form
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect();
    let body = form.text().await.unwrap();
    let start = body.find(r#"name="csrf" value=""#).expect("a csrf field") + 19;
    let csrf = body[start..].split('"').next().unwrap().to_owned();
    let signed = http
        .post(format!("{}/login", hub.base))
        .header(COOKIE, cookies.join("; "))
        .form(&[("name", name), ("password", &password), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), reqwest::StatusCode::SEE_OTHER);
    cookies.extend(
        signed
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned)),
    );
    let page = http
        .get(format!("{}/requests/{id}", hub.base))
        .header(COOKIE, cookies.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    page.text().await.unwrap()
}
