//! A real headless Chromium for the console's browser test: Debian's `chromedriver` on a free
//! port driving `/usr/bin/chromium` (`.ci/run` installs both when missing), through the
//! fantoccini WebDriver client; the browser's console log read back (every entry at level
//! SEVERE is an error: script errors, CSP violations, failed loads, 4xx/5xx pages); PNG
//! screenshots saved under `target/console-screenshots/`.
//!
//! Override the binaries with `ICSYNC_CHROMEDRIVER` and `ICSYNC_CHROMIUM`.

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// A running chromedriver with one browser session.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    driver: tokio::process::Child,
    shots: PathBuf,
    taken: std::sync::atomic::AtomicUsize,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    /// A test that panics never reaches [`Browser::stop`]: end chromedriver and the Chromium
    /// it started (its process group, which this browser created) so none outlive the test.
    fn drop(&mut self) {
        if let Some(pid) = self.driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// `POST /session/{id}/se/log {"type": "browser"}`: the browser's console entries since the
/// last call (chromedriver's log endpoint; WebDriver itself has none).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or("")))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// Where screenshots go: `$CARGO_TARGET_DIR/console-screenshots`, else the workspace's
/// `target/console-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("console-screenshots")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium `width` x `height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        let driver_bin =
            std::env::var("ICSYNC_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let chromium =
            std::env::var("ICSYNC_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        let port = free_port();
        let driver = tokio::process::Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {driver_bin} ({e}): install Debian's chromium and \
                     chromium-driver (apt-get install -y chromium chromium-driver; .ci/run does)"
                )
            });
        let url = format!("http://127.0.0.1:{port}");
        let http = crate::http_client();
        let mut ready = false;
        for _ in 0..200 {
            if let Ok(response) = http.get(format!("{url}/status")).send().await
                && response.status().is_success()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "chromedriver did not start on port {port}");
        let profile = tempfile::tempdir().expect("a browser profile dir");
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--disable-extensions",
                    "--hide-scrollbars",
                    "--force-device-scale-factor=1",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&url)
            .await
            .expect("a Chromium session");
        let shots = screenshot_dir();
        std::fs::create_dir_all(&shots).expect("the screenshot dir");
        Browser {
            client,
            driver,
            shots,
            taken: Default::default(),
            _profile: profile,
        }
    }

    /// The console entries logged since the last call, as `LEVEL source: message`.
    pub async fn console_log(&self) -> Vec<(String, String)> {
        let value = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("the browser log");
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| {
                (
                    entry["level"].as_str().unwrap_or("").to_owned(),
                    format!(
                        "{}: {}",
                        entry["source"].as_str().unwrap_or(""),
                        entry["message"].as_str().unwrap_or("")
                    ),
                )
            })
            .collect()
    }

    /// Fails the test on any console error since the last check, naming `when`.
    pub async fn assert_no_console_errors(&self, when: &str) {
        let errors: Vec<String> = self
            .console_log()
            .await
            .into_iter()
            .filter(|(level, _)| level == "SEVERE")
            .map(|(_, message)| message)
            .collect();
        assert!(
            errors.is_empty(),
            "browser console errors {when}:\n{}",
            errors.join("\n")
        );
    }

    /// Saves a PNG of the viewport as `NN-name.png`; its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let n = 1 + self
            .taken
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let png = self.client.screenshot().await.expect("a screenshot");
        let path = self.shots.join(format!("{n:02}-{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is written");
        path
    }

    /// Saves a PNG of the whole page (the window made as tall as the document first).
    pub async fn full_page_screenshot(&self, name: &str, width: u32) -> PathBuf {
        let height = self
            .client
            .execute(
                "return Math.ceil(document.documentElement.scrollHeight);",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(900)
            .clamp(400, 6000) as u32;
        let _ = self.client.set_window_size(width, height).await;
        let path = self.screenshot(name).await;
        let _ = self.client.set_window_size(width, 900).await;
        path
    }

    /// Saves what a failing test saw: a screenshot, the page's source and the console log,
    /// as `failure-*` files beside the screenshots.
    pub async fn save_failure(&self, what: &str) {
        self.screenshot("failure").await;
        let source = self.client.source().await.unwrap_or_default();
        let log: Vec<String> = self
            .console_log()
            .await
            .into_iter()
            .map(|(level, message)| format!("{level} {message}"))
            .collect();
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let _ = std::fs::write(self.shots.join("failure-page.html"), source);
        let _ = std::fs::write(
            self.shots.join("failure.txt"),
            format!("waiting for {what} at {url}\n{}\n", log.join("\n")),
        );
    }

    /// Scrolls the first element matching `css` to the top of the window.
    pub async fn scroll_to(&self, css: &str) {
        self.client
            .execute(
                "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
                vec![serde_json::Value::String(css.to_owned())],
            )
            .await
            .unwrap_or_else(|e| panic!("cannot scroll to {css}: {e}"));
    }

    /// Ends the session (Chromium exits); dropping stops chromedriver.
    pub async fn stop(self) {
        let _ = self.client.clone().close().await;
    }
}
