//! The OpenAPI 3 document, generated from the handlers' annotations, and Swagger UI (vendored
//! into the binary, nothing fetched) to read it in a browser.

use axum::Router;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;
use crate::routes::{
    audit, auth, businesses, calls, conversations, customers, inventory, jobs, keys, members, ops,
    widget,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "frontdesk API", description = "REST API of frontdesk. Authenticate with `Authorization: Bearer <access token or API key>`. Errors have the shape `{\"error\": {\"code\": …, \"message\": …}}`."),
    paths(
        ops::healthz, ops::readyz, ops::metrics,
        auth::login, auth::refresh, auth::logout, auth::me,
        businesses::list_businesses, businesses::create_business, businesses::import_profile, businesses::get_business,
        businesses::update_business, businesses::delete_business, businesses::get_profile, businesses::put_profile,
        members::list_members, members::add_member, members::update_member, members::remove_member,
        keys::list_keys, keys::create_key, keys::revoke_key, keys::list_operator_keys, keys::create_operator_key, keys::revoke_operator_key,
        customers::list_customers, customers::create_customer, customers::get_customer, customers::update_customer, customers::delete_customer,
        audit::list_business, audit::list_all,
        jobs::list_jobs, jobs::retry_job,
        conversations::start_conversation, conversations::post_turn, conversations::list_conversations, conversations::get_conversation,
        conversations::list_appointments, conversations::list_reservations, conversations::list_orders, conversations::list_messages,
        conversations::list_unanswered, conversations::customer_timeline,
        calls::list_calls, calls::get_call, calls::list_texts, calls::list_emails,
        widget::get_widget, widget::rotate_widget,
        inventory::get_inventory, inventory::adjust_inventory,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

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
    Router::new().merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", ApiDoc::openapi()))
}
