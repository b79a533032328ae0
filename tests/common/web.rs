//! Talking to the web app as a browser would, without one: the session
//! cookie and each form's CSRF token.

use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Method, StatusCode, redirect};

use super::TestApp;

/// A browser's state without a browser: its cookies and the token its
/// forms carry. Redirects are not followed, so a test sees each answer.
pub struct CookieClient {
    client: Client,
    base: String,
    cookies: Vec<(String, String)>,
    /// The CSRF token of the last page that had a form.
    pub csrf: String,
}

/// A page as the server answered it.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub csp: Option<String>,
    pub body: String,
}

impl CookieClient {
    pub fn new(app: &TestApp) -> CookieClient {
        CookieClient {
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

fn csrf_in(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(
        body[at..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect(),
    )
}
