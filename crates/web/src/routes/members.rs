//! Business members and their roles. Owners manage members; the last owner stays.

use crate::views::Member;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use frontdesk_engine::Email;
use frontdesk_store::accounts::{self, Role};
use frontdesk_store::audit::Actor;
use frontdesk_store::{BusinessId, StoreError, Tx, UserId, now_ms};
use serde::Deserialize;

use super::{JsonBody, RequestId, audit, views};
use crate::AppState;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use frontdesk_desk::accounts::{NO_PASSWORD, check_password_rules, hash_password};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/businesses/{business}/members",
            get(list_members).post(add_member),
        )
        .route(
            "/businesses/{business}/members/{user}",
            axum::routing::patch(update_member).delete(remove_member),
        )
}

/// The business's members. Managers and owners.
#[utoipa::path(get, path = "/api/v1/businesses/{business}/members", tag = "members", security(("bearer" = [])),
    params(("business" = String, Path)), responses((status = 200, body = Vec<Member>)))]
async fn list_members(
    State(st): State<AppState>,
    p: Principal,
    Path(key): Path<String>,
) -> ApiResult<Json<Vec<Member>>> {
    let id = p.business(&st, &key, Role::Manager).await?;
    Ok(Json(views(st.db.tenant(&id).members().await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    #[schema(format = Email)]
    pub email: String,
    #[schema(schema_with = crate::views::state::<Role>)]
    pub role: Role,
    /// The password of the account made when none exists for the e-mail yet; ignored for an
    /// existing account. Without one, a new account has no password until it is reset.
    #[schema(min_length = 10)]
    pub password: Option<String>,
    pub name: Option<String>,
}

/// Adds a person to the business (creating their account when a password is given), or changes
/// the role of one already there. Owners only.
#[utoipa::path(post, path = "/api/v1/businesses/{business}/members", tag = "members", security(("bearer" = [])),
    params(("business" = String, Path)), request_body = AddMember, responses((status = 201, body = Member)))]
async fn add_member(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path(key): Path<String>,
    JsonBody(req): JsonBody<AddMember>,
) -> ApiResult<(StatusCode, Json<Member>)> {
    let id = p.business(&st, &key, Role::Owner).await?;
    let email = Email::parse(&req.email).map_err(|e| ApiError::invalid(format!("email: {e}")))?;
    let hash = match &req.password {
        Some(pw) => {
            check_password_rules(pw)?;
            Some(hash_password(pw.clone()).await?)
        }
        None => None,
    };
    let mut tx = st.db.begin().await?;
    let user = match accounts::user_by_email(&mut tx, email.as_str()).await {
        Ok(u) => u.user,
        // The answer is the same whether or not the e-mail has an account, so this cannot be
        // used to find out who has one: without a password, the account is made without one
        // (its owner sets it by password reset).
        Err(StoreError::NotFound) => {
            accounts::create_user(
                &mut tx,
                email.as_str(),
                req.name.as_deref(),
                hash.as_deref().unwrap_or(NO_PASSWORD),
                false,
                now_ms(),
            )
            .await?
        }
        Err(e) => return Err(e.into()),
    };
    let m = tx
        .tenant(&id)
        .set_member(&user.id, req.role, now_ms())
        .await?;
    audit(
        &mut tx,
        &p.actor(),
        &rid,
        Some(&id),
        "member.set",
        ("user", user.id.as_str()),
        serde_json::json!({"role": req.role}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(m.into())))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    #[schema(schema_with = crate::views::state::<Role>)]
    pub role: Role,
}

/// Sets a member's role, or removes them (`None`), in `tx`, audited: the one way members are
/// changed (the API, the Team page, the operator console). The business's last owner is
/// neither demoted nor removed (`Conflict`); `NotFound` when `user` is not a member.
pub async fn change_member(
    tx: &mut Tx,
    actor: &Actor,
    rid: &RequestId,
    business: &BusinessId,
    user: &UserId,
    role: Option<Role>,
    detail: serde_json::Value,
) -> ApiResult<Option<accounts::Member>> {
    let mut t = tx.tenant(business);
    let current = t.member_role(user).await?.ok_or(ApiError::NotFound)?;
    if current == Role::Owner && role != Some(Role::Owner) && t.owner_count().await? <= 1 {
        return Err(ApiError::Conflict(
            "a business keeps at least one owner: make someone else owner first".into(),
        ));
    }
    let mut detail = detail;
    let (member, action) = match role {
        Some(r) => {
            detail["role"] = serde_json::json!(r);
            (Some(t.set_member(user, r, now_ms()).await?), "member.set")
        }
        None => {
            t.remove_member(user).await?;
            (None, "member.remove")
        }
    };
    audit(
        tx,
        actor,
        rid,
        Some(business),
        action,
        ("user", user.as_str()),
        detail,
    )
    .await?;
    Ok(member)
}

fn user_id(s: &str) -> ApiResult<UserId> {
    UserId::parse(s).ok_or(ApiError::NotFound)
}

/// Changes a member's role. Owners only; the last owner cannot be demoted.
#[utoipa::path(patch, path = "/api/v1/businesses/{business}/members/{user}", tag = "members", security(("bearer" = [])),
    params(("business" = String, Path), ("user" = String, Path)), request_body = UpdateMember, responses((status = 200, body = Member)))]
async fn update_member(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, user)): Path<(String, String)>,
    JsonBody(req): JsonBody<UpdateMember>,
) -> ApiResult<Json<Member>> {
    let id = p.business(&st, &key, Role::Owner).await?;
    let user = user_id(&user)?;
    let mut tx = st.db.begin().await?;
    let m = change_member(
        &mut tx,
        &p.actor(),
        &rid,
        &id,
        &user,
        Some(req.role),
        serde_json::json!({}),
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(m.into()))
}

/// Removes a member. Owners only; the last owner cannot be removed.
#[utoipa::path(delete, path = "/api/v1/businesses/{business}/members/{user}", tag = "members", security(("bearer" = [])),
    params(("business" = String, Path), ("user" = String, Path)), responses((status = 204)))]
async fn remove_member(
    State(st): State<AppState>,
    p: Principal,
    rid: RequestId,
    Path((key, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = p.business(&st, &key, Role::Owner).await?;
    let user = user_id(&user)?;
    let mut tx = st.db.begin().await?;
    change_member(
        &mut tx,
        &p.actor(),
        &rid,
        &id,
        &user,
        None,
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
