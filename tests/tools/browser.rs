//! A real headless Chromium for end-to-end tests, driven over WebDriver by a private chromedriver.
// Each integration test binary compiles this module but uses only part of it.
#![allow(dead_code)]

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio::process::{Child, Command};
use tokio::time::sleep;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const WAIT: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);
// The network is closed and runs must be repeatable: no background fetches, updates or sandbox (root).
const FLAGS: &str = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --disable-quic --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --disable-default-apps --disable-extensions";

/// Where the README's screenshot `name` is kept: the browser tests
/// photograph the pages at every run.
pub fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("docs/screenshots")
        .join(format!("{name}.png"))
}

pub struct Browser {
    client: Client,
    driver: Child,
    // Owned only so they are deleted with the browser.
    downloads: TempDir,
    profile: TempDir,
    clicks: usize,
    downloaded: HashSet<String>,
}

impl Browser {
    /// A headless Chromium whose viewport (the page's inner width/height, not the window) is width × height CSS px.
    /// Returns None, after printing "skipped: … (install chromium and chromium-driver)", when /usr/bin/chromium or chromedriver is missing — but when the env var CI is "true" a missing browser is a panic with that message instead.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let missing = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .find(|p| !Path::new(p).exists());
        if let Some(missing) = missing {
            let message = format!("skipped: no {missing} (install chromium and chromium-driver)");
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{message}");
            }
            eprintln!("{message}");
            return None;
        }
        let profile = TempDir::new().expect("a temp dir for the Chromium profile");
        let downloads = TempDir::new().expect("a temp dir for downloads");
        let (driver, port) = spawn_driver(profile.path()).await;
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": FLAGS.split_whitespace().map(String::from).chain([
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().join("profile").display()),
                ]).collect::<Vec<_>>(),
                // Headless Chromium saves attachments only when told where and not to ask.
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "safebrowsing.enabled": false,
                },
            },
        });
        let Value::Object(caps) = caps else {
            unreachable!("json!({{…}}) is an object")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("chromedriver opens a Chromium session");
        let browser = Browser {
            client,
            driver,
            downloads,
            profile,
            clicks: 0,
            downloaded: HashSet::new(),
        };
        browser.fit_viewport(width, height).await;
        Some(browser)
    }

    /// --window-size sizes the window, and headless Chromium still reserves room for browser
    /// chrome (and clamps narrow windows to 500 px), so grow the window by what the page lacks.
    async fn fit_viewport(&self, width: u32, height: u32) {
        let want = (i64::from(width), i64::from(height));
        for _ in 0..5 {
            let inner = self.js("return [innerWidth, innerHeight]").await;
            let px = |i: usize| inner[i].as_i64().unwrap_or(0);
            let got = (px(0), px(1));
            if got == want {
                return;
            }
            let (_, _, w, h) = self.client.get_window_rect().await.expect("window rect");
            let w = u32::try_from(w as i64 + want.0 - got.0).expect("a sane window width");
            let h = u32::try_from(h as i64 + want.1 - got.1).expect("a sane window height");
            let resized = self.client.set_window_size(w, h).await;
            resized.expect("window resizes");
        }
        panic!("could not make the viewport {width}×{height}");
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn js(&self, script: &str) -> Value {
        let result = self.client.execute(script, vec![]).await;
        result.unwrap_or_else(|e| panic!("script {script:?} failed: {e}"))
    }

    pub async fn goto(&self, url: &str) {
        let loaded = self.client.goto(url).await;
        loaded.unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// Clicks the first element matching the CSS selector (waiting up to 10 s for it to exist and be displayed) and counts the click.
    pub async fn click(&mut self, css: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            // Retrying on click errors too rides out elements that are still being laid out.
            let last = match self.client.find(Locator::Css(css)).await {
                Err(e) => e.to_string(),
                Ok(el) if !el.is_displayed().await.unwrap_or(false) => "not displayed".into(),
                Ok(el) => match el.click().await {
                    Ok(()) => break,
                    Err(e) => e.to_string(),
                },
            };
            assert!(Instant::now() < deadline, "cannot click {css:?}: {last}");
            sleep(POLL).await;
        }
        self.clicks += 1;
    }

    pub fn clicks(&self) -> usize {
        self.clicks
    }

    /// Clears the input/textarea/select matching css and types text (for a <select>, chooses the option whose value or visible text equals text).
    pub async fn fill(&self, css: &str, text: &str) {
        let el = self.wait_for(css).await;
        let tag = el.tag_name().await.expect("tag name");
        if tag.eq_ignore_ascii_case("select") {
            let options = el.find_all(Locator::Css("option")).await.expect("options");
            for option in options {
                let value = option.prop("value").await.expect("option value");
                if value.as_deref() == Some(text) || option.text().await.expect("label") == text {
                    return option.click().await.expect("option can be chosen");
                }
            }
            panic!("{css:?} has no option {text:?}");
        }
        let cleared = el.clear().await;
        cleared.unwrap_or_else(|e| panic!("clear {css:?}: {e}"));
        let typed = el.send_keys(text).await;
        typed.unwrap_or_else(|e| panic!("type into {css:?}: {e}"));
    }

    /// Chooses the file at `path` (absolute) in the file input matching css.
    pub async fn choose_file(&self, css: &str, path: &Path) {
        let el = self.wait_for(css).await;
        let path = path.to_str().expect("a UTF-8 path");
        let chosen = el.send_keys(path).await;
        chosen.unwrap_or_else(|e| panic!("choose {path} in {css:?}: {e}"));
    }

    async fn wait_for(&self, css: &str) -> Element {
        let wait = self.client.wait().at_most(WAIT).every(POLL);
        let found = wait.for_element(Locator::Css(css)).await;
        found.unwrap_or_else(|e| panic!("no {css:?} within {WAIT:?}: {e}"))
    }

    /// Waits up to 10 s for css to exist; returns its visible text.
    pub async fn text(&self, css: &str) -> String {
        let text = self.wait_for(css).await.text().await;
        text.unwrap_or_else(|e| panic!("text of {css:?}: {e}"))
    }

    /// Waits up to 10 s for css to exist; returns its attribute `name` ("" when absent).
    pub async fn attribute(&self, css: &str, name: &str) -> String {
        let value = self.wait_for(css).await.attr(name).await;
        value
            .unwrap_or_else(|e| panic!("attribute {name} of {css:?}: {e}"))
            .unwrap_or_default()
    }

    /// Waits up to 10 s until attribute `name` of css is `value`: what a script sets once done.
    pub async fn wait_attribute(&self, css: &str, name: &str, value: &str) {
        let deadline = Instant::now() + WAIT;
        let mut last = None;
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await
                && let Ok(found) = el.attr(name).await
            {
                if found.as_deref() == Some(value) {
                    return;
                }
                last = found;
            }
            assert!(
                Instant::now() < deadline,
                "{css:?}[{name}] never became {value:?}; last: {last:?}"
            );
            sleep(POLL).await;
        }
    }

    /// Whether css matches anything now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        let found = self.client.find_all(Locator::Css(css)).await;
        !found
            .unwrap_or_else(|e| panic!("find {css:?}: {e}"))
            .is_empty()
    }

    /// Waits up to 10 s until `pred(visible text of css)` holds; returns that text; panics with the last text seen.
    pub async fn wait_text(&self, css: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        let mut last = None;
        loop {
            // The page may be mid-navigation: a missing or stale element just means "not yet".
            if let Ok(el) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = el.text().await
            {
                if pred(&text) {
                    return text;
                }
                last = Some(text);
            }
            assert!(
                Instant::now() < deadline,
                "{css:?} never matched; last: {last:?}"
            );
            sleep(POLL).await;
        }
    }

    pub async fn current_url(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        url.to_string()
    }

    pub async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// The inner width of the page in CSS px (window.innerWidth), to check the viewport.
    pub async fn inner_width(&self) -> u64 {
        let width = self.js("return window.innerWidth").await;
        width.as_u64().expect("innerWidth is a number")
    }

    /// Whether the document scrolls sideways (document.documentElement.scrollWidth > innerWidth): a phone layout must not.
    pub async fn scrolls_sideways(&self) -> bool {
        let script = "return document.documentElement.scrollWidth > window.innerWidth";
        let wider = self.js(script).await;
        wider.as_bool().expect("a comparison is a boolean")
    }

    /// Writes a PNG screenshot of the viewport to path (creating parent folders).
    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    /// Waits up to 20 s for a download to complete in the browser's download folder (a file not ending in .crdownload, size stable) and returns (file name, bytes); panics if none arrives. Files returned before are not returned again.
    pub async fn download(&mut self) -> (String, Vec<u8>) {
        let dir = self.downloads.path();
        let deadline = Instant::now() + 2 * WAIT;
        let mut last = None;
        loop {
            let entries = std::fs::read_dir(dir).expect("download folder readable");
            // Chromium writes into `*.crdownload` (and hidden temp files), then renames.
            let done = entries
                .flatten()
                .filter_map(|e| Some((e.file_name().into_string().ok()?, e.metadata().ok()?.len())))
                .find(|(name, _)| {
                    !name.starts_with('.')
                        && !name.ends_with(".crdownload")
                        && !self.downloaded.contains(name)
                });
            if let Some((name, _)) = done.as_ref().filter(|_| done == last) {
                let bytes = std::fs::read(dir.join(name)).expect("downloaded file readable");
                self.downloaded.insert(name.clone());
                return (name.clone(), bytes);
            }
            assert!(Instant::now() < deadline, "no download arrived in {dir:?}");
            last = done;
            sleep(2 * POLL).await;
        }
    }

    /// The value of cookie `name` as the browser holds it (if set): what Set-Cookie really left behind.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        let cookies = self.client.get_all_cookies().await.expect("cookies");
        let cookie = cookies.into_iter().find(|c| c.name() == name)?;
        Some(cookie.value().to_string())
    }

    pub async fn close(mut self) {
        // Ending the session makes chromedriver quit Chromium cleanly; errors mean it is gone anyway.
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

impl Drop for Browser {
    /// A failing test never reaches close(), and killing chromedriver alone orphans Chromium:
    /// kill the whole process group chromedriver leads.
    fn drop(&mut self) {
        if let (Ok(None), Some(pid)) = (self.driver.try_wait(), self.driver.id()) {
            let group = format!("-{pid}");
            let kill = std::process::Command::new("kill")
                .args(["-KILL", "--", &group])
                .status();
            let _ = (kill, self.driver.start_kill());
        }
    }
}

/// Starts chromedriver on a free loopback port, retrying if another process grabbed the port.
/// Chromium inherits TMPDIR, so its stray temp files vanish with `tmp`.
async fn spawn_driver(tmp: &Path) -> (Child, u16) {
    let tmpdir = tmp.join("tmp");
    std::fs::create_dir_all(&tmpdir).expect("a private TMPDIR");
    for _ in 0..3 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("bound address").port();
        drop(listener);
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .env("TMPDIR", &tmpdir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline && matches!(driver.try_wait(), Ok(None)) {
            let url = format!("http://127.0.0.1:{port}/status");
            if let Ok(answer) = reqwest::get(&url).await
                && let Ok(body) = answer.text().await
                && serde_json::from_str::<Value>(&body).is_ok_and(|s| s["value"]["ready"] == true)
            {
                return (driver, port);
            }
            sleep(POLL).await;
        }
        let _ = driver.kill().await;
    }
    panic!("chromedriver did not become ready within {WAIT:?} (3 attempts)");
}
