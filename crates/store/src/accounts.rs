//! People and keys: users (operator admins and business members), memberships with roles,
//! API keys (stored as hashes) and rotating refresh tokens.

use std::str::FromStr;

use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::states::KeyRole;
use crate::{ApiKeyId, BusinessId, Result, StoreError, Tenant, UserId, params};

pub use crate::states::Role;

impl FromStr for Role {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        Role::parse(s).ok_or_else(|| {
            StoreError::Invalid(format!(
                "unknown role {s:?}: expected owner, manager, agent or viewer"
            ))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub is_operator: bool,
    pub created_at: i64,
}

const USER_COLS: &str = "id, email, name, is_operator, created_at, password_hash, totp_secret, totp_enabled, totp_last_step";

/// A user with the password hash and second factor, for checking a login.
pub struct UserWithHash {
    pub user: User,
    pub password_hash: String,
    pub totp: Totp,
}

/// A user's second factor.
#[derive(Debug, Clone, Default)]
pub struct Totp {
    /// The secret, sealed by the server; `None` when never set up.
    pub secret: Option<String>,
    /// Confirmed with a code, so required at sign-in.
    pub enabled: bool,
    /// The last time step a code was accepted for.
    pub last_step: i64,
}

impl FromRow for UserWithHash {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            user: User {
                id: UserId::from_db(r.text(0)?),
                email: r.text(1)?,
                name: r.opt_text(2)?,
                is_operator: r.boolean(3)?,
                created_at: r.int(4)?,
            },
            password_hash: r.text(5)?,
            totp: Totp {
                secret: r.opt_text(6)?,
                enabled: r.boolean(7)?,
                last_step: r.int(8)?,
            },
        })
    }
}

/// Creates a user; the e-mail must be unique (case-insensitively).
pub async fn create_user(
    e: &mut impl Exec,
    email: &str,
    name: Option<&str>,
    password_hash: &str,
    is_operator: bool,
    now: i64,
) -> Result<User> {
    let u: UserWithHash = e
        .fetch_one(I, &format!(
                "INSERT INTO users (id, email, name, password_hash, is_operator, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                 RETURNING {USER_COLS}"
            ),
            &params![&UserId::new(), email.to_lowercase(), name, password_hash, is_operator, now],
        )
        .await?;
    Ok(u.user)
}

pub async fn user_by_email(e: &mut impl Exec, email: &str) -> Result<UserWithHash> {
    e.fetch_one(
        I,
        &format!("SELECT {USER_COLS} FROM users WHERE email = $1"),
        &params![email.to_lowercase()],
    )
    .await
}

/// A user with the password hash and second factor, by id.
pub async fn user_with_hash(e: &mut impl Exec, id: &UserId) -> Result<UserWithHash> {
    e.fetch_one(
        I,
        &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
        &params![id],
    )
    .await
}

/// Sets (or, with `None`, removes) a user's second factor; `enabled` makes it required.
pub async fn set_totp(
    e: &mut impl Exec,
    id: &UserId,
    sealed_secret: Option<&str>,
    enabled: bool,
) -> Result<()> {
    match e
        .execute(
            I,
            "UPDATE users SET totp_secret = $2, totp_enabled = $3, totp_last_step = 0 WHERE id = $1",
            &params![id, sealed_secret, enabled],
        )
        .await?
    {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// Records that a code for time step `step` was used; false when that step (or a later one)
/// was already used, so a code seen once never works again.
pub async fn use_totp_step(e: &mut impl Exec, id: &UserId, step: i64) -> Result<bool> {
    let n = e
        .execute(
            I,
            "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
            &params![id, step],
        )
        .await?;
    Ok(n == 1)
}

pub async fn user(e: &mut impl Exec, id: &UserId) -> Result<User> {
    let u: UserWithHash = e
        .fetch_one(
            I,
            &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
            &params![id],
        )
        .await?;
    Ok(u.user)
}

pub async fn set_password(e: &mut impl Exec, id: &UserId, password_hash: &str) -> Result<()> {
    match e
        .execute(
            I,
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            &params![id, password_hash],
        )
        .await?
    {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub created_at: i64,
}

impl FromRow for Member {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            user_id: UserId::from_db(r.text(0)?),
            email: r.text(1)?,
            name: r.opt_text(2)?,
            role: r.text(3)?.parse()?,
            created_at: r.int(4)?,
        })
    }
}

struct RoleRow(Role);
impl FromRow for RoleRow {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self(r.text(0)?.parse()?))
    }
}

/// The highest role `user` holds in any business, if any.
pub async fn highest_role(e: &mut impl Exec, user: &UserId) -> Result<Option<Role>> {
    let roles: Vec<RoleRow> = e
        .fetch_all(
            I,
            "SELECT role FROM members WHERE user_id = $1",
            &params![user],
        )
        .await?;
    Ok(roles.into_iter().map(|r| r.0).max())
}

const MEMBER_SELECT: &str = "SELECT u.id, u.email, u.name, m.role, m.created_at FROM members m JOIN users u ON u.id = m.user_id";

impl<E: Exec> Tenant<E> {
    /// The role `user` holds in this business, if any.
    pub async fn member_role(&mut self, user: &UserId) -> Result<Option<Role>> {
        let r: Option<RoleRow> = self
            .exec
            .fetch_optional(
                I,
                "SELECT role FROM members WHERE business_id = $1 AND user_id = $2",
                &params![&self.business, user],
            )
            .await?;
        Ok(r.map(|r| r.0))
    }

    pub async fn members(&mut self) -> Result<Vec<Member>> {
        self.exec
            .fetch_all(
                I,
                &format!("{MEMBER_SELECT} WHERE m.business_id = $1 ORDER BY m.created_at, u.id"),
                &params![&self.business],
            )
            .await
    }

    /// Adds a member, or changes the role of one who is already a member.
    pub async fn set_member(&mut self, user: &UserId, role: Role, now: i64) -> Result<Member> {
        self.exec
            .execute(I, "INSERT INTO members (business_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (business_id, user_id) DO UPDATE SET role = excluded.role",
                &params![&self.business, user, role.as_str(), now],
            )
            .await?;
        self.exec
            .fetch_one(
                I,
                &format!("{MEMBER_SELECT} WHERE m.business_id = $1 AND m.user_id = $2"),
                &params![&self.business, user],
            )
            .await
    }

    pub async fn remove_member(&mut self, user: &UserId) -> Result<()> {
        match self
            .exec
            .execute(
                I,
                "DELETE FROM members WHERE business_id = $1 AND user_id = $2",
                &params![&self.business, user],
            )
            .await?
        {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    /// How many owners this business has (the last one may not be removed or demoted).
    pub async fn owner_count(&mut self) -> Result<i64> {
        self.exec
            .fetch_one(
                I,
                "SELECT COUNT(*) FROM members WHERE business_id = $1 AND role = 'owner'",
                &params![&self.business],
            )
            .await
    }
}

/// What an API key may do: act as the operator, or hold a role in one business.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub business_id: Option<BusinessId>,
    pub name: String,
    /// `operator` for operator keys, else a member role.
    pub role: KeyRole,
    /// The first characters of the key, shown so a person can tell keys apart.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const KEY_COLS: &str = "id, business_id, name, role, prefix, created_at, last_used_at, revoked_at";

impl FromRow for ApiKey {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: ApiKeyId::from_db(r.text(0)?),
            business_id: r.opt_text(1)?.map(BusinessId::from_db),
            name: r.text(2)?,
            role: crate::states::read(r, 3)?,
            prefix: r.text(4)?,
            created_at: r.int(5)?,
            last_used_at: r.opt_int(6)?,
            revoked_at: r.opt_int(7)?,
        })
    }
}

/// A key to store: the secret is never stored, only its hash.
pub struct NewApiKey<'a> {
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a str,
    pub created_by: Option<&'a str>,
}

async fn insert_key(
    e: &mut impl Exec,
    business: Option<&BusinessId>,
    role: KeyRole,
    k: &NewApiKey<'_>,
    now: i64,
) -> Result<ApiKey> {
    e.fetch_one(I, &format!(
            "INSERT INTO api_keys (id, business_id, name, role, prefix, secret_hash, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {KEY_COLS}"
        ),
        &params![&ApiKeyId::new(), business, k.name, role, k.prefix, k.secret_hash, k.created_by, now],
    )
    .await
}

/// Creates an operator-wide key.
pub async fn create_operator_key(e: &mut impl Exec, k: &NewApiKey<'_>, now: i64) -> Result<ApiKey> {
    insert_key(e, None, KeyRole::Operator, k, now).await
}

pub async fn operator_keys(e: &mut impl Exec) -> Result<Vec<ApiKey>> {
    e.fetch_all(
        I,
        &format!("SELECT {KEY_COLS} FROM api_keys WHERE business_id IS NULL ORDER BY id"),
        &[],
    )
    .await
}

pub async fn revoke_operator_key(e: &mut impl Exec, id: &ApiKeyId, now: i64) -> Result<()> {
    let n = e
        .execute(I, "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND business_id IS NULL AND revoked_at IS NULL", &params![id, now])
        .await?;
    if n == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// The live (unrevoked) key with this secret hash.
pub async fn key_by_hash(e: &mut impl Exec, secret_hash: &str) -> Result<ApiKey> {
    e.fetch_one(
        I,
        &format!("SELECT {KEY_COLS} FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL"),
        &params![secret_hash],
    )
    .await
}

pub async fn touch_key(e: &mut impl Exec, id: &ApiKeyId, now: i64) -> Result<()> {
    e.execute(
        I,
        "UPDATE api_keys SET last_used_at = $2 WHERE id = $1",
        &params![id, now],
    )
    .await
    .map(|_| ())
}

impl<E: Exec> Tenant<E> {
    pub async fn create_api_key(
        &mut self,
        role: Role,
        k: &NewApiKey<'_>,
        now: i64,
    ) -> Result<ApiKey> {
        insert_key(&mut self.exec, Some(&self.business), role.into(), k, now).await
    }

    pub async fn api_keys(&mut self) -> Result<Vec<ApiKey>> {
        self.exec
            .fetch_all(
                I,
                &format!("SELECT {KEY_COLS} FROM api_keys WHERE business_id = $1 ORDER BY id"),
                &params![&self.business],
            )
            .await
    }

    pub async fn revoke_api_key(&mut self, id: &ApiKeyId, now: i64) -> Result<()> {
        let n = self
            .exec
            .execute(I, "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND business_id = $2 AND revoked_at IS NULL",
                &params![id, &self.business, now],
            )
            .await?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }
}

/// What presenting a refresh token led to.
#[derive(Debug, PartialEq)]
pub enum RefreshOutcome {
    /// Valid and now spent: issue a new one in the same family.
    Rotated {
        user: UserId,
        family: String,
    },
    /// Already spent or revoked: the whole family has been revoked (likely theft).
    Reused,
    Expired,
    Unknown,
}

pub async fn insert_refresh(
    e: &mut impl Exec,
    user: &UserId,
    family: &str,
    token_hash: &str,
    expires_at: i64,
    now: i64,
) -> Result<()> {
    e.execute(I, "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &params![uuid::Uuid::now_v7().to_string(), user, family, token_hash, expires_at, now],
    )
    .await
    .map(|_| ())
}

struct RefreshRow {
    user: String,
    family: String,
    expires_at: i64,
    spent: bool,
}
impl FromRow for RefreshRow {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            user: r.text(0)?,
            family: r.text(1)?,
            expires_at: r.int(2)?,
            spent: r.boolean(3)?,
        })
    }
}

/// Spends a refresh token (call inside a transaction with the insert of its successor).
pub async fn spend_refresh(
    e: &mut impl Exec,
    token_hash: &str,
    now: i64,
) -> Result<RefreshOutcome> {
    let row: Option<RefreshRow> = e
        .fetch_optional(I, "SELECT user_id, family_id, expires_at, (used_at IS NOT NULL OR revoked_at IS NOT NULL) FROM refresh_tokens WHERE token_hash = $1",
            &params![token_hash],
        )
        .await?;
    let Some(row) = row else {
        return Ok(RefreshOutcome::Unknown);
    };
    if row.spent {
        revoke_family(e, &row.family, now).await?;
        return Ok(RefreshOutcome::Reused);
    }
    if row.expires_at <= now {
        return Ok(RefreshOutcome::Expired);
    }
    e.execute(
        I,
        "UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1",
        &params![token_hash, now],
    )
    .await?;
    Ok(RefreshOutcome::Rotated {
        user: UserId::from_db(row.user),
        family: row.family,
    })
}

pub async fn revoke_family(e: &mut impl Exec, family: &str, now: i64) -> Result<()> {
    e.execute(
        I,
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL",
        &params![family, now],
    )
    .await
    .map(|_| ())
}

/// Deletes refresh tokens that expired before `now`; returns how many.
pub async fn purge_refresh_tokens(db: &crate::Db, now: i64) -> Result<u64> {
    let mut db = db.clone();
    db.execute(
        I,
        "DELETE FROM refresh_tokens WHERE expires_at < $1",
        &params![now],
    )
    .await
}

/// Revokes every live refresh token and dashboard session of `user` (after a password
/// change: sessions end).
pub async fn revoke_user_sessions(e: &mut impl Exec, user: &UserId, now: i64) -> Result<u64> {
    e.execute(
        I,
        "UPDATE web_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        &params![user, now],
    )
    .await?;
    e.execute(
        I,
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        &params![user, now],
    )
    .await
}

/// Starts a dashboard session: `id_hash` is the hash of the id the browser holds.
pub async fn create_web_session(
    e: &mut impl Exec,
    id_hash: &str,
    user: &UserId,
    csrf: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    e.execute(
        I,
        "INSERT INTO web_sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        &params![id_hash, user, csrf, now, expires_at],
    )
    .await?;
    Ok(())
}

/// The live session with this hash: its user and its CSRF token. `NotFound` when there is
/// none, or it ended or expired.
pub async fn web_session(e: &mut impl Exec, id_hash: &str, now: i64) -> Result<(UserId, String)> {
    let row: Option<SessionRow> = e
        .fetch_optional(
            I,
            "SELECT user_id, csrf FROM web_sessions WHERE id_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
            &params![id_hash, now],
        )
        .await?;
    let SessionRow(user, csrf) = row.ok_or(StoreError::NotFound)?;
    Ok((user, csrf))
}

struct SessionRow(UserId, String);
impl FromRow for SessionRow {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self(UserId::from_db(r.text(0)?), r.text(1)?))
    }
}

/// Ends a dashboard session (signing out).
pub async fn end_web_session(e: &mut impl Exec, id_hash: &str, now: i64) -> Result<()> {
    e.execute(
        I,
        "UPDATE web_sessions SET revoked_at = $2 WHERE id_hash = $1 AND revoked_at IS NULL",
        &params![id_hash, now],
    )
    .await?;
    Ok(())
}

/// Keeps a one-time link's token (by its hash) for `user`: `reset` or `invite`.
pub async fn create_link(
    e: &mut impl Exec,
    token_hash: &str,
    user: &UserId,
    purpose: &str,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    e.execute(
        I,
        "INSERT INTO account_links (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        &params![token_hash, user, purpose, now, expires_at],
    )
    .await?;
    Ok(())
}

/// Whose a link is and what for, while it is unused and unexpired.
pub async fn live_link(
    e: &mut impl Exec,
    token_hash: &str,
    now: i64,
) -> Result<Option<(UserId, String)>> {
    struct L(UserId, String);
    impl FromRow for L {
        fn from_row(r: &dyn Row) -> Result<Self> {
            Ok(L(UserId::from_db(r.text(0)?), r.text(1)?))
        }
    }
    let l: Option<L> = e
        .fetch_optional(
            I,
            "SELECT user_id, purpose FROM account_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            &params![token_hash, now],
        )
        .await?;
    Ok(l.map(|L(u, p)| (u, p)))
}

/// Uses a link up; false when it was already used or has expired (a second use loses).
pub async fn use_link(e: &mut impl Exec, token_hash: &str, now: i64) -> Result<bool> {
    let n = e
        .execute(
            I,
            "UPDATE account_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            &params![token_hash, now],
        )
        .await?;
    Ok(n == 1)
}

/// The first business `user` is a member of, oldest membership first (where their account's
/// e-mails are sent from).
pub async fn first_business(e: &mut impl Exec, user: &UserId) -> Result<Option<crate::BusinessId>> {
    let id: Option<String> = e
        .fetch_optional(
            I,
            "SELECT business_id FROM members WHERE user_id = $1 ORDER BY created_at, business_id LIMIT 1",
            &params![user],
        )
        .await?;
    Ok(id.map(crate::BusinessId::from_db))
}
