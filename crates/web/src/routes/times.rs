//! Times in the API: every moment is epoch milliseconds (`created_at`, `start_at`, `at`, …),
//! and beside each, the same moment in RFC 3339 UTC (`created_at_rfc3339`), added here to
//! every JSON answer of the API and to every schema of the OpenAPI document, so no response
//! type can forget one.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{SecondsFormat, TimeZone, Utc};
use serde_json::{Map, Value};

/// The suffix of the RFC 3339 field beside a time.
pub const SUFFIX: &str = "_rfc3339";

/// Whether `key` names a moment in epoch milliseconds.
fn is_time(key: &str) -> bool {
    key == "at" || key.ends_with("_at")
}

fn rfc3339(ms: i64) -> Option<String> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// Adds the RFC 3339 field beside every time in `v`, at any depth; whether it added any.
pub fn add(v: &mut Value) -> bool {
    match v {
        Value::Array(items) => items.iter_mut().fold(false, |any, x| add(x) | any),
        Value::Object(o) => {
            let mut extra = Map::new();
            for (k, x) in o.iter() {
                if !is_time(k) || o.contains_key(&format!("{k}{SUFFIX}")) {
                    continue;
                }
                match x {
                    Value::Number(n) => {
                        if let Some(s) = n.as_i64().and_then(rfc3339) {
                            extra.insert(format!("{k}{SUFFIX}"), Value::String(s));
                        }
                    }
                    Value::Null => {
                        extra.insert(format!("{k}{SUFFIX}"), Value::Null);
                    }
                    _ => {}
                }
            }
            let mut any = !extra.is_empty();
            for x in o.values_mut() {
                any |= add(x);
            }
            o.extend(extra);
            any
        }
        _ => false,
    }
}

/// Marks an answer written with its RFC 3339 times already (a hot path writing JSON itself):
/// the middleware leaves it as it is.
#[derive(Clone, Copy)]
pub struct Written;

/// The API's JSON answers with the RFC 3339 times added (others pass untouched).
pub async fn middleware(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    if resp.extensions().get::<Written>().is_some() {
        return resp;
    }
    let json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !json {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let mut v: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Response::from_parts(parts, Body::from(bytes)),
    };
    if !add(&mut v) {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let out = serde_json::to_vec(&v).unwrap_or_else(|_| bytes.to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(out))
}

/// Documents the RFC 3339 field beside every time property of the OpenAPI document's schemas.
pub fn document(components: &mut Value) {
    match components {
        Value::Object(o) => {
            if let Some(Value::Object(props)) = o.get_mut("properties") {
                let mut extra = Map::new();
                for (k, p) in props.iter() {
                    let integer = match &p["type"] {
                        Value::String(t) => t == "integer",
                        Value::Array(ts) => ts.iter().any(|t| t == "integer"),
                        _ => false,
                    };
                    if is_time(k) && integer {
                        let nullable = p["type"]
                            .as_array()
                            .is_some_and(|ts| ts.iter().any(|t| t == "null"));
                        let ty = if nullable {
                            serde_json::json!(["string", "null"])
                        } else {
                            serde_json::json!("string")
                        };
                        extra.insert(
                            format!("{k}{SUFFIX}"),
                            serde_json::json!({"type": ty, "format": "date-time",
                                "description": format!("`{k}` in RFC 3339, UTC.")}),
                        );
                    }
                }
                let required: Vec<String> = o
                    .get("required")
                    .and_then(|r| r.as_array())
                    .map(|r| {
                        r.iter()
                            .filter_map(|x| x.as_str())
                            .filter(|x| extra.contains_key(&format!("{x}{SUFFIX}")))
                            .map(|x| format!("{x}{SUFFIX}"))
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(Value::Object(props)) = o.get_mut("properties") {
                    props.extend(extra);
                }
                if let Some(Value::Array(r)) = o.get_mut("required") {
                    r.extend(required.into_iter().map(Value::String));
                }
            }
            for x in o.values_mut() {
                document(x);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(document),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::add;
    use serde_json::json;

    #[test]
    fn every_time_gets_its_rfc3339_twin_at_any_depth() {
        let mut v = json!({"items": [{"created_at": 1_796_000_000_000i64, "ended_at": null, "turns": 3,
            "detail": {"start_at": 0}}], "at": 1_000});
        assert!(add(&mut v));
        assert_eq!(
            v["items"][0]["created_at_rfc3339"],
            "2026-11-30T00:53:20.000Z"
        );
        assert_eq!(v["items"][0]["ended_at_rfc3339"], json!(null));
        assert_eq!(
            v["items"][0]["detail"]["start_at_rfc3339"],
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(v["at_rfc3339"], "1970-01-01T00:00:01.000Z");
        assert!(v["items"][0].get("turns_rfc3339").is_none());
        let mut none = json!({"name": "x", "format": "at"});
        assert!(!add(&mut none));
    }
}
