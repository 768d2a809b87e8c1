//! The OpenAPI 3 document, generated from the handlers' annotations, and Swagger UI (vendored
//! into the binary, nothing fetched) to read it in a browser.

use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;
use crate::routes::{
    appointments, audit, auth, businesses, calls, conversations, customers, emails, inbox,
    inventory, jobs, keys, members, ops, orders, reservations, texts, widget,
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
        appointments::list_appointments, reservations::list_reservations, orders::list_orders, inbox::list_messages,
        inbox::list_unanswered, customers::customer_timeline,
        calls::list_calls, calls::get_call, texts::list_texts, emails::list_emails,
        widget::get_widget, widget::rotate_widget,
        inventory::get_inventory, inventory::adjust_inventory,
    ),
    modifiers(&BearerAuth, &ProfileSchema),
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

struct BearerAuth;

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
