//! Who may use the dashboard. On loopback (the default) anyone on this machine, but only
//! under a loopback host name: a page elsewhere that points its own domain at 127.0.0.1 (DNS
//! rebinding) is refused. Served to other machines (`--dashboard-allow-remote`), every request
//! needs the server's random token (`?token=` or `Authorization: Bearer`), else 401. Either
//! way, a POST or a WebSocket upgrade whose `Origin` is not the dashboard's own is refused
//! (403), so a page elsewhere cannot drive the trainer through the user's browser.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use std::sync::Arc;

/// A fresh token: 128 random bits from the operating system, as 32 hex digits.
pub fn generate_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a request is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The token is missing or wrong (401).
    Unauthorized,
    /// The request came from a page of another origin (403).
    ForeignOrigin(String),
    /// The request names a host that is not loopback, to a loopback-only server (403).
    ForeignHost(String),
}

impl Refusal {
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Unauthorized => StatusCode::UNAUTHORIZED,
            Refusal::ForeignOrigin(_) | Refusal::ForeignHost(_) => StatusCode::FORBIDDEN,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Unauthorized => "this dashboard needs its token: open the URL the trainer \
                                      printed at start (it ends in ?token=...), or send \
                                      `Authorization: Bearer <token>`"
                .into(),
            Refusal::ForeignOrigin(origin) => format!(
                "requests from the page at {origin} may not control this dashboard: open the \
                 dashboard itself"
            ),
            Refusal::ForeignHost(host) => format!(
                "host `{host}` is not this dashboard's: it serves loopback names only \
                 (localhost, 127.0.0.1, [::1])"
            ),
        }
    }
}

/// The rules of one server.
#[derive(Clone, Debug)]
pub struct Access {
    token: Option<String>,
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host.rsplit_once(':').map_or(host, |(name, _port)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Compares without stopping at the first difference, so the time taken tells nothing about
/// how much of a guess was right.
fn same_secret(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

fn query_token(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
}

impl Access {
    /// `token`: required on every request when given.
    pub fn new(token: Option<String>) -> Self {
        Access { token }
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The verdict on a request with this method, headers and query string.
    pub fn check(
        &self,
        method: &Method,
        headers: &HeaderMap,
        query: Option<&str>,
    ) -> Result<(), Refusal> {
        let text = |name: header::HeaderName| {
            headers
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let host = text(header::HOST);
        match &self.token {
            Some(token) => {
                let bearer = text(header::AUTHORIZATION);
                let given = query_token(query)
                    .or_else(|| bearer.as_deref().and_then(|b| b.strip_prefix("Bearer ")));
                if !given.is_some_and(|given| same_secret(given, token)) {
                    return Err(Refusal::Unauthorized);
                }
            }
            None => {
                if let Some(host) = &host
                    && !is_loopback_host(host)
                {
                    return Err(Refusal::ForeignHost(host.clone()));
                }
            }
        }
        let upgrade = text(header::UPGRADE).is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
        let changes_state = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
        if (changes_state || upgrade)
            && let Some(origin) = text(header::ORIGIN)
        {
            let own = host.is_some_and(|host| {
                origin
                    .strip_prefix("http://")
                    .is_some_and(|origin_host| origin_host.eq_ignore_ascii_case(&host))
            });
            if !own {
                return Err(Refusal::ForeignOrigin(origin));
            }
        }
        Ok(())
    }
}

/// The middleware in front of every route.
pub async fn guard(State(access): State<Arc<Access>>, request: Request, next: Next) -> Response {
    match access.check(request.method(), request.headers(), request.uri().query()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => (
            refusal.status(),
            axum::Json(serde_json::json!({ "error": refusal.message() })),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn tokens_are_fresh_hex() {
        let (a, b) = (generate_token(), generate_token());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn loopback_serves_loopback_names_only() {
        let access = Access::new(None);
        for host in [
            "127.0.0.1:8050",
            "localhost:8050",
            "LOCALHOST",
            "[::1]:8050",
            "127.0.0.2",
        ] {
            assert_eq!(
                access.check(&Method::GET, &headers(&[("host", host)]), None),
                Ok(()),
                "{host}"
            );
        }
        assert_eq!(
            access.check(
                &Method::GET,
                &headers(&[("host", "rebound.example:8050")]),
                None
            ),
            Err(Refusal::ForeignHost("rebound.example:8050".into()))
        );
    }

    #[test]
    fn the_token_is_required_by_query_or_bearer() {
        let access = Access::new(Some("00ff".into()));
        let host = ("host", "buildbox:8050");
        assert_eq!(
            access.check(&Method::GET, &headers(&[host]), None),
            Err(Refusal::Unauthorized)
        );
        assert_eq!(
            access.check(&Method::GET, &headers(&[host]), Some("x=1&token=00fe")),
            Err(Refusal::Unauthorized)
        );
        assert_eq!(
            access.check(&Method::GET, &headers(&[host]), Some("x=1&token=00ff")),
            Ok(())
        );
        assert_eq!(
            access.check(
                &Method::GET,
                &headers(&[host, ("authorization", "Bearer 00ff")]),
                None
            ),
            Ok(())
        );
        assert_eq!(Refusal::Unauthorized.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn state_changes_and_upgrades_from_another_origin_are_refused() {
        let access = Access::new(None);
        let host = ("host", "127.0.0.1:8050");
        let own = ("origin", "http://127.0.0.1:8050");
        let foreign = ("origin", "http://evil.example");
        assert_eq!(
            access.check(&Method::POST, &headers(&[host, own]), None),
            Ok(())
        );
        // Scripts send no Origin.
        assert_eq!(access.check(&Method::POST, &headers(&[host]), None), Ok(()));
        let refused = Err(Refusal::ForeignOrigin("http://evil.example".into()));
        assert_eq!(
            access.check(&Method::POST, &headers(&[host, foreign]), None),
            refused
        );
        assert_eq!(
            access.check(
                &Method::GET,
                &headers(&[host, foreign, ("upgrade", "websocket")]),
                None
            ),
            refused
        );
        assert_eq!(
            access.check(&Method::POST, &headers(&[host, ("origin", "null")]), None),
            Err(Refusal::ForeignOrigin("null".into()))
        );
        // A plain GET from elsewhere cannot read the answer (no CORS headers) and changes nothing.
        assert_eq!(
            access.check(&Method::GET, &headers(&[host, foreign]), None),
            Ok(())
        );
        assert_eq!(
            Refusal::ForeignOrigin(String::new()).status(),
            StatusCode::FORBIDDEN
        );
    }
}
