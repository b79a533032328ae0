//! The web app's pages over HTTP as a browser talks to them, without one:
//! a client that keeps its cookies, follows no redirect (so tests see
//! them), and picks up the CSRF token each page's forms carry.

use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Method, StatusCode, redirect};

use super::TestApp;

/// A browser's state: its cookies and the token its forms carry.
pub struct PageClient {
    pub client: Client,
    pub base: String,
    pub cookies: Vec<(String, String)>,
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub csp: Option<String>,
    pub body: String,
}

/// An attribute's text as a browser reads it: the templates escape `/`,
/// `=` and `&` in attributes.
pub fn unescape(text: &str) -> String {
    text.replace("&#x2F;", "/")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&")
}

impl Page {
    /// Where the page's links lead.
    pub fn links(&self) -> Vec<String> {
        self.body
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(unescape)
            .collect()
    }

    /// The first link whose address contains `part`.
    pub fn link_with(&self, part: &str) -> Option<String> {
        self.links().into_iter().find(|href| href.contains(part))
    }
}

impl PageClient {
    pub fn new(app: &TestApp) -> PageClient {
        PageClient {
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
        body: Option<(String, Vec<u8>)>,
    ) -> Page {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header());
        if let Some((content_type, bytes)) = body {
            request = request.header(CONTENT_TYPE, content_type).body(bytes);
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
        let encoded = serde_urlencoded::to_string(form).expect("a form encodes");
        let body = (
            "application/x-www-form-urlencoded".to_owned(),
            encoded.into_bytes(),
        );
        self.send(Method::POST, path, Some(body)).await
    }

    /// Posts a `multipart/form-data` form, as one with a file input
    /// sends it: `file` as the `file` part named `file_name`, and the text
    /// `fields`.
    pub async fn post_file(
        &mut self,
        path: &str,
        file_name: &str,
        file: &[u8],
        fields: &[(&str, &str)],
    ) -> Page {
        let body = super::multipart(file_name, file, fields);
        self.send(Method::POST, path, Some(body)).await
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
