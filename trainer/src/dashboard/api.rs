//! The HTTP side: the page, the API for scripts, and a run's report files. Every answer of the
//! API is JSON; a refusal is `{"error": message}` with `"field"` naming the setting when one
//! is to blame.

use super::app::App;
use super::control::settings_from_json;
use super::error::StartError;
use super::files::{list_runs, run_dir, served_file};
use super::protocol::RunState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Value, json};

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn parsed(frame: Option<impl std::ops::Deref<Target = str>>) -> Value {
    frame
        .and_then(|f| serde_json::from_str(&f).ok())
        .unwrap_or(Value::Null)
}

/// `GET /`: the live page.
pub async fn page(State(app): State<App>) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(app.page.to_string()),
    )
        .into_response()
}

/// `GET /api/status`: the run's state, its latest metrics, and the server's clients.
pub async fn status(State(app): State<App>) -> Response {
    let status = app.control.status().current();
    let (latest, last_iteration) = app.hub.latest();
    let latest_iteration = parsed(last_iteration);
    Json(json!({
        "state": status.state,
        "run_id": status.run_id,
        "settings": status.settings,
        "progress": latest_iteration.get("progress").cloned().unwrap_or(Value::Null),
        "latest": latest_iteration,
        "timing": parsed(latest.timing),
        "evaluation": parsed(latest.evaluation),
        "finished": parsed(latest.finished),
        "clients": app.hub.counts(),
        "server": {
            "version": env!("CARGO_PKG_VERSION"),
            "log_dir": app.control.base().log_dir,
            "token_required": app.token_required,
        },
    }))
    .into_response()
}

/// `POST /api/runs`: starts a run with the JSON body's settings over the server's base.
/// 202 with the run's settings; 400 naming the field; 409 while a run is going.
pub async fn start_run(State(app): State<App>, body: Bytes) -> Response {
    let control = app.control.clone();
    let started = tokio::task::spawn_blocking(move || {
        let settings = settings_from_json(control.base(), &body)?;
        control.start(settings.clone()).map(|_handle| settings)
    })
    .await;
    match started {
        Ok(Ok(settings)) => (
            StatusCode::ACCEPTED,
            Json(json!({ "state": RunState::Starting, "settings": settings })),
        )
            .into_response(),
        Ok(Err(StartError::Settings { field, message })) => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": message, "field": field })),
        )
            .into_response(),
        Ok(Err(busy @ StartError::Busy)) => error(StatusCode::CONFLICT, busy.to_string()),
        Ok(Err(e @ StartError::Spawn(_))) => {
            error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
        }
        Err(join) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("starting the run failed: {join}"),
        ),
    }
}

/// `POST /api/stop`: asks the run to stop after its current iteration, as Ctrl-C does.
pub async fn stop(State(app): State<App>) -> Response {
    if app.control.request_stop() {
        (
            StatusCode::ACCEPTED,
            Json(json!({ "state": app.control.status().current().state })),
        )
            .into_response()
    } else {
        error(StatusCode::CONFLICT, "no run is going")
    }
}

/// `GET /api/runs`: the runs of the server's log directory, newest first.
pub async fn runs(State(app): State<App>) -> Response {
    let log_dir = app.control.base().log_dir.clone();
    let listed = tokio::task::spawn_blocking(move || list_runs(&log_dir)).await;
    match listed {
        Ok(runs) => {
            Json(json!({ "log_dir": app.control.base().log_dir, "runs": runs })).into_response()
        }
        Err(join) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("listing the runs failed: {join}"),
        ),
    }
}

/// `GET /runs/{id}/{file}`: one of a run's served files (its report, comparison, manifest,
/// metrics).
pub async fn run_file(
    State(app): State<App>,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    let log_dirs = app.control.log_dirs();
    let found = run_dir(&log_dirs, &id).and_then(|dir| served_file(&dir, &name));
    let Some((path, content_type)) = found else {
        return error(
            StatusCode::NOT_FOUND,
            format!("run `{id}` has no file `{name}` here"),
        );
    };
    let read = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || std::fs::read(path)).await
    };
    let read = read.unwrap_or_else(|join| Err(std::io::Error::other(join.to_string())));
    match read {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => error(
            StatusCode::NOT_FOUND,
            format!("run `{id}` has no `{name}` (yet)"),
        ),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read {}: {e}", path.display()),
        ),
    }
}

/// Any other path.
pub async fn not_found(uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no such path: {}", uri.path()),
    )
}
