//! A browser without one, for the tests of the web app's pages over HTTP:
//! it keeps the cookies the server sets, follows no redirects, and
//! remembers the CSRF token of the last form it saw.

use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Method, StatusCode, redirect};

use super::TestApp;

/// A browser's state: its cookies and the token its forms carry.
pub struct Browser {
    client: Client,
    base: String,
    cookies: Vec<(String, String)>,
    /// The token of the last form seen.
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub csp: Option<String>,
    pub body: String,
}

impl Page {
    /// Where the page's links lead, as a browser reads them: the templates
    /// escape `/`, `&` and `=` in attributes.
    pub fn links(&self) -> Vec<String> {
        self.body
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(|href| {
                href.replace("&#x2F;", "/")
                    .replace("&#x3D;", "=")
                    .replace("&amp;", "&")
            })
            .collect()
    }

    /// The first link whose address contains `part`.
    pub fn link_with(&self, part: &str) -> Option<String> {
        self.links().into_iter().find(|href| href.contains(part))
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            client: Client::builder()
                .redirect(redirect::Policy::none())
                .build()
                .expect("a client"),
            base: app.base_url.clone(),
            cookies: Vec::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Page {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header());
        if let Some(form) = form {
            request = request.form(form);
        }
        let response = request.send().await.expect("an answer");
        for set in response.headers().get_all(SET_COOKIE) {
            let text = set.to_str().expect("ASCII");
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            self.cookies.retain(|(k, _)| k != name);
            if !value.is_empty() {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| v.to_str().expect("ASCII").to_owned())
        };
        let (status, location, csp) = (
            response.status(),
            header(LOCATION),
            header(CONTENT_SECURITY_POLICY),
        );
        let body = response.text().await.expect("a body");
        if let Some(token) = csrf_in(&body) {
            self.csrf = token;
        }
        Page {
            status,
            location,
            csp,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(form)).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        self.get("/login").await;
        let csrf = self.csrf.clone();
        self.post(
            "/login",
            &[
                ("email", email),
                ("password", password),
                ("next", "/deals"),
                ("csrf", &csrf),
            ],
        )
        .await
    }
}

pub fn csrf_in(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(
        body[at..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect(),
    )
}
