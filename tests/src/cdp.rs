//! Headless Chromium driven over the Chrome DevTools protocol: JSON commands on the browser's
//! WebSocket, answers matched by `id`, one page attached with a flat session. Enough to open a
//! page, read it with JavaScript and take a screenshot; no chromedriver to match versions with.

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

/// Where Debian's package puts the browser; `CHROMIUM` overrides it.
pub fn chromium_path() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// Flags that keep a headless browser from reaching anything but the page it is given.
const FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

const STARTUP: Duration = Duration::from_secs(30);
const ANSWER: Duration = Duration::from_secs(30);

pub struct Browser {
    child: Child,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: Option<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts the browser with a fresh profile and a window of `width` x `height`.
    pub async fn launch(width: u32, height: u32) -> Result<Browser, String> {
        let profile = tempfile::tempdir().map_err(|e| format!("profile directory: {e}"))?;
        let chromium = chromium_path();
        let mut child = Command::new(&chromium)
            .args(FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--window-size={width},{height}"))
            .arg("--remote-debugging-port=0")
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromium.display()))?;
        let stderr = child.stderr.take().expect("piped");
        let (found, endpoint) = mpsc::channel();
        // Reads the endpoint, then keeps draining so the browser never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = found.send(url.trim().to_string());
                }
            }
        });
        let url = match endpoint.recv_timeout(STARTUP) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                return Err(format!(
                    "{} printed no DevTools endpoint within {STARTUP:?}",
                    chromium.display()
                ));
            }
        };
        let (socket, _) = connect_async(&url)
            .await
            .map_err(|e| format!("cannot connect to {url}: {e}"))?;
        Ok(Browser {
            child,
            socket,
            next_id: 0,
            session: None,
            _profile: profile,
        })
    }

    /// Sends a command (to the attached page, once there is one) and waits for its answer;
    /// events in between are skipped.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = &self.session {
            command["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(command.to_string()))
            .await
            .map_err(|e| format!("{method}: {e}"))?;
        let answer = tokio::time::timeout(ANSWER, async {
            loop {
                let message = match self.socket.next().await {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => return Err(format!("{method}: {e}")),
                    None => return Err(format!("{method}: the browser closed the connection")),
                };
                let Ok(text) = message.to_text() else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(text) else {
                    continue;
                };
                if value["id"] == id {
                    return Ok(value);
                }
            }
        })
        .await
        .map_err(|_| format!("{method}: no answer within {ANSWER:?}"))??;
        match answer.get("error") {
            Some(error) => Err(format!("{method}: {error}")),
            None => Ok(answer["result"].clone()),
        }
    }

    /// Opens `url` in a new page of `width` x `height` CSS pixels and attaches to it.
    pub async fn open(&mut self, url: &str, width: u32, height: u32) -> Result<(), String> {
        let target = self
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .await?;
        let attached = self
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await?;
        self.session = attached["sessionId"].as_str().map(str::to_string);
        self.call("Page.enable", json!({})).await?;
        self.call("Runtime.enable", json!({})).await?;
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await?;
        let navigated = self.call("Page.navigate", json!({ "url": url })).await?;
        if let Some(error) = navigated.get("errorText") {
            return Err(format!("cannot open {url}: {error}"));
        }
        Ok(())
    }

    /// The value of a JavaScript expression (JSON-serialisable), in the attached page.
    pub async fn evaluate(&mut self, expression: &str) -> Result<Value, String> {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await?;
        if let Some(exception) = result.get("exceptionDetails") {
            return Err(format!("{expression}: {exception}"));
        }
        Ok(result["result"]["value"].clone())
    }

    /// Emulates the user's colour-scheme preference: `dark` or `light`.
    pub async fn color_scheme(&mut self, scheme: &str) -> Result<(), String> {
        self.call(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        )
        .await
        .map(drop)
    }

    /// Saves a PNG of the whole page (beyond the window) to `path`.
    pub async fn screenshot(&mut self, path: &Path) -> Result<(), String> {
        let metrics = self.call("Page.getLayoutMetrics", json!({})).await?;
        let size = &metrics["cssContentSize"];
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1 }
                }),
            )
            .await?;
        let data = shot["data"].as_str().ok_or("a screenshot without data")?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("screenshot data: {e}"))?;
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
