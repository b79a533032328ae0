//! The web app's pages over HTTP as a browser would talk to them, without
//! one: a client that keeps its cookies and the CSRF token the last page's
//! forms carried, posts forms (urlencoded or multipart), and does not
//! follow redirects, so a test sees each answer.

use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Method, RequestBuilder, StatusCode, redirect};

use super::TestApp;

/// A browser's state: its cookies and the token its forms carry.
pub struct Browser {
    client: Client,
    base: String,
    cookies: Vec<(String, String)>,
    pub csrf: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub csp: Option<String>,
    pub body: String,
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

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
    }

    /// Sends `request`, keeps the cookies it sets and the token its page's
    /// forms carry.
    async fn answer(&mut self, request: RequestBuilder) -> Page {
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

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> Page {
        let mut request = self.request(method, path);
        if let Some(form) = form {
            request = request.form(form);
        }
        self.answer(request).await
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(Method::POST, path, Some(form)).await
    }

    /// Posts a `multipart/form-data` form: `file` as the `file` part named
    /// `file_name`, and the text `fields`.
    pub async fn post_file(
        &mut self,
        path: &str,
        file_name: &str,
        file: &[u8],
        fields: &[(&str, &str)],
    ) -> Page {
        let (content_type, body) = super::multipart(file_name, file, fields);
        let request = self
            .request(Method::POST, path)
            .header(CONTENT_TYPE, content_type)
            .body(body);
        self.answer(request).await
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

/// The CSRF token a page's forms carry.
pub fn csrf_in(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(
        body[at..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect(),
    )
}
