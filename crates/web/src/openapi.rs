//! The OpenAPI 3 document, generated from the handlers' annotations, and Swagger UI (vendored
//! into the binary, nothing fetched) to read it in a browser.

use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;
use crate::routes::{
    appointments, audit, auth, blocks, businesses, calendars, calls, conversations, customers,
    emails, inbox, inventory, jobs, keys, members, ops, orders, reservations, texts, widget,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "frontdesk API", description = "REST API of frontdesk. Authenticate with `Authorization: Bearer <access token or API key>`. Errors have the shape `{\"error\": {\"code\": …, \"message\": …}}`."),
    paths(
        ops::healthz, ops::readyz, ops::metrics,
        auth::login, auth::refresh, auth::logout, auth::me, auth::start_totp, auth::confirm_totp, auth::disable_totp,
        businesses::list_businesses, businesses::create_business, businesses::import_profile, businesses::get_business,
        businesses::update_business, businesses::delete_business, businesses::get_profile, businesses::put_profile,
        members::list_members, members::add_member, members::update_member, members::remove_member,
        keys::list_keys, keys::create_key, keys::revoke_key, keys::list_operator_keys, keys::create_operator_key, keys::revoke_operator_key,
        customers::list_customers, customers::create_customer, customers::get_customer, customers::update_customer, customers::delete_customer,
        audit::list_business, audit::list_all,
        jobs::list_jobs, jobs::retry_job,
        conversations::start_conversation, conversations::post_turn, conversations::list_conversations, conversations::get_conversation,
        appointments::list_appointments, appointments::list_slots, appointments::book_appointment, appointments::cancel_appointment, appointments::move_appointment, appointments::mark_appointment,
        blocks::list_blocks, blocks::add_block, blocks::remove_block,
        calendars::list_feeds, calendars::create_feed, calendars::revoke_feed,
        reservations::list_reservations, orders::list_orders, inbox::list_messages, inbox::mark_message,
        inbox::list_unanswered, inbox::dismiss_question, customers::customer_timeline,
        calls::list_calls, calls::get_call, texts::list_texts, emails::list_emails,
        widget::get_widget, widget::rotate_widget,
        inventory::get_inventory, inventory::adjust_inventory,
    ),
    modifiers(&BearerAuth, &ProfileSchema, &ErrorResponses, &Rfc3339Times),
)]
pub struct ApiDoc;

/// The business profile's JSON Schema, generated from the parser's types, as the schema of
/// every request body that carries a profile.
struct ProfileSchema;

/// The operations whose body is a profile (JSON or YAML).
const PROFILE_BODIES: [(&str, &str); 3] = [
    ("/api/v1/businesses", "post"),
    ("/api/v1/businesses/import", "post"),
    ("/api/v1/businesses/{business}/profile", "put"),
];

impl Modify for ProfileSchema {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Schema};
        let (root, defs) = frontdesk_engine::Profile::openapi_schemas();
        let components = doc.components.get_or_insert_with(Default::default);
        for (name, v) in defs
            .into_iter()
            .chain([("BusinessProfile".to_owned(), root)])
        {
            match serde_json::from_value::<RefOr<Schema>>(v) {
                Ok(s) => {
                    components.schemas.insert(name, s);
                }
                Err(e) => {
                    tracing::warn!(schema = name, error = %e, "profile schema not documented")
                }
            }
        }
        for (path, method) in PROFILE_BODIES {
            let Some(item) = doc.paths.paths.get_mut(path) else {
                continue;
            };
            let op = match method {
                "post" => item.post.as_mut(),
                _ => item.put.as_mut(),
            };
            let Some(body) = op.and_then(|o| o.request_body.as_mut()) else {
                continue;
            };
            for content in body.content.values_mut() {
                content.schema = Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    "BusinessProfile",
                )));
            }
        }
    }
}

/// The errors every operation can answer with, added to each where its annotation does not
/// name them already, so the document lists every status a client can get: the credential
/// ones (401, 403, 429) where it needs one, 404 where the path names something, the body ones
/// (400, 409, 413, 415, 422) where it takes one, 400 for an unreadable query, and 503 everywhere
/// (the database is unavailable).
struct ErrorResponses;

impl Modify for ErrorResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{Operation, ParameterIn};
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let error = |why: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(why)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ErrorBody")))
                            .build(),
                    )
                    .build(),
            )
        };
        let add = |op: &mut Operation, path: &str| {
            let mut statuses: Vec<(&str, &str)> = Vec::new();
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                statuses.extend([
                    ("401", "No credential, or one that is expired, revoked or invalid."),
                    ("403", "The credential's role does not allow this here."),
                    ("429", "Too many requests for this credential or business; `Retry-After` says when to try again."),
                ]);
            }
            if path.contains('{') {
                statuses.push((
                    "404",
                    "Nothing by that name here (or not visible to this credential).",
                ));
            }
            if op.request_body.is_some() {
                statuses.extend([
                    ("400", "The body cannot be read (malformed JSON or YAML)."),
                    ("409", "It conflicts with what exists (a phone number or name in use, a state that has moved on)."),
                    ("413", "The body is larger than this operation takes."),
                    (
                        "415",
                        "The body's content type is not one this operation takes.",
                    ),
                    (
                        "422",
                        "The body is readable but not valid; the message names the field.",
                    ),
                ]);
            }
            let has_query = op
                .parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in == ParameterIn::Query);
            if has_query {
                statuses.push(("400", "A query parameter cannot be read."));
            }
            statuses.push(("503", "The database is unavailable; try again shortly."));
            for (status, why) in statuses {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(why));
            }
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                add(op, path);
            }
        }
    }
}

struct BearerAuth;

/// The RFC 3339 twin of every time property (see `routes::times`).
struct Rfc3339Times;

impl Modify for Rfc3339Times {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let Some(components) = doc.components.as_mut() else {
            return;
        };
        let Ok(mut v) = serde_json::to_value(&components.schemas) else {
            return;
        };
        crate::routes::times::document(&mut v);
        match serde_json::from_value(v) {
            Ok(schemas) => components.schemas = schemas,
            Err(e) => tracing::warn!(error = %e, "times not documented"),
        }
    }
}

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
        .route("/api/profile.schema.json", get(profile_schema))
}

/// The business profile format's JSON Schema (draft 2020-12). Public: it describes a file
/// format, nothing of any business.
async fn profile_schema() -> axum::Json<serde_json::Value> {
    axum::Json(frontdesk_engine::Profile::json_schema())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation documents the errors it can answer with, each with the error body.
    #[test]
    fn every_operation_lists_its_errors() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                let mut want = vec!["503"];
                if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                    want.extend(["401", "403", "429"]);
                }
                if path.contains('{') {
                    want.push("404");
                }
                if op.get("requestBody").is_some() {
                    want.extend(["400", "409", "413", "415", "422"]);
                }
                for status in want {
                    let r = &responses
                        .get(status)
                        .unwrap_or_else(|| panic!("{method} {path} lacks {status}"));
                    // An operation may document one of these its own way (/readyz's 503).
                    if status == "503" {
                        continue;
                    }
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
                checked += 1;
            }
        }
        assert!(checked >= 50, "{checked} operations");
        let codes = &doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["enum"];
        assert_eq!(
            codes.as_array().unwrap().len(),
            crate::error::ERROR_CODES.len(),
            "{codes}"
        );
    }
}
