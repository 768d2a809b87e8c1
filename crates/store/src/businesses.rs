//! Businesses (the tenants) and their profiles. A profile is kept whole as JSON beside the
//! columns that are looked up (slug, phone) or listed.

use frontdesk_engine::Profile;
use serde::Serialize;

use crate::exec::I;
use crate::exec::{Exec, FromRow, Row};
use crate::{BusinessId, Result, StoreError, Tenant, UserId, params};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Business {
    pub id: BusinessId,
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub timezone: String,
    pub phone: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLS: &str = "id, slug, name, kind, timezone, phone, created_at, updated_at";
/// The same columns, qualified for a join with `members`.
const B_COLS: &str =
    "b.id, b.slug, b.name, b.kind, b.timezone, b.phone, b.created_at, b.updated_at";

impl FromRow for Business {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self {
            id: BusinessId::from_db(r.text(0)?),
            slug: r.text(1)?,
            name: r.text(2)?,
            kind: r.text(3)?,
            timezone: r.text(4)?,
            phone: r.text(5)?,
            created_at: r.int(6)?,
            updated_at: r.int(7)?,
        })
    }
}

fn profile_json(p: &Profile) -> Result<String> {
    serde_json::to_string(p).map_err(|e| StoreError::backend("encoding profile", e))
}

/// Creates the business a profile describes, or updates it in place when its slug exists
/// (records it owns are kept). Returns the business and whether it was created.
pub async fn upsert_profile(e: &mut impl Exec, p: &Profile, now: i64) -> Result<(Business, bool)> {
    let json = profile_json(p)?;
    let args = params![
        p.slug.as_str(),
        p.name.as_str(),
        p.kind.as_str(),
        p.timezone.0.name(),
        p.phone.as_str(),
        json,
        now
    ];
    let updated: Option<Business> = e
        .fetch_optional(I, &format!(
                "UPDATE businesses SET name = $2, kind = $3, timezone = $4, phone = $5, profile = $6, updated_at = $7
                 WHERE slug = $1 RETURNING {COLS}"
            ),
            &args,
        )
        .await?;
    if let Some(b) = updated {
        crate::inventory::ensure_inventory(e, &b.id, &p.units, now).await?;
        return Ok((b, false));
    }
    let mut args = args.to_vec();
    args.push(BusinessId::new().as_str().into());
    let b: Business = e
        .fetch_one(I, &format!(
                "INSERT INTO businesses (id, slug, name, kind, timezone, phone, profile, created_at, updated_at)
                 VALUES ($8, $1, $2, $3, $4, $5, $6, $7, $7) RETURNING {COLS}"
            ),
            &args,
        )
        .await?;
    crate::inventory::ensure_inventory(e, &b.id, &p.units, now).await?;
    Ok((b, true))
}

pub async fn get(e: &mut impl Exec, id: &BusinessId) -> Result<Business> {
    e.fetch_one(
        I,
        &format!("SELECT {COLS} FROM businesses WHERE id = $1"),
        &params![id],
    )
    .await
}

/// The business whose number is `phone` (E.164): where an inbound call or message goes.
pub async fn get_by_phone(e: &mut impl Exec, phone: &str) -> Result<Business> {
    e.fetch_one(
        I,
        &format!("SELECT {COLS} FROM businesses WHERE phone = $1"),
        &params![phone],
    )
    .await
}

/// The business whose web chat widget carries `key`.
pub async fn get_by_widget_key(e: &mut impl Exec, key: &str) -> Result<Business> {
    e.fetch_one(
        I,
        &format!("SELECT {COLS} FROM businesses WHERE widget_key = $1"),
        &params![key],
    )
    .await
}

/// The business's widget key: the one it has, or `fresh` (which becomes its key) when it has
/// none yet or `replace` is set.
pub async fn widget_key(
    e: &mut impl Exec,
    id: &BusinessId,
    fresh: &str,
    replace: bool,
) -> Result<String> {
    e.execute(
        I,
        "UPDATE businesses SET widget_key = $2 WHERE id = $1 AND (widget_key IS NULL OR $3)",
        &params![id, fresh, replace],
    )
    .await?;
    e.fetch_one(
        I,
        "SELECT COALESCE(widget_key, '') FROM businesses WHERE id = $1",
        &params![id],
    )
    .await
}

pub async fn get_by_slug(e: &mut impl Exec, slug: &str) -> Result<Business> {
    e.fetch_one(
        I,
        &format!("SELECT {COLS} FROM businesses WHERE slug = $1"),
        &params![slug],
    )
    .await
}

/// Businesses in id order after `after`; only those `member` belongs to when given.
pub async fn list(
    e: &mut impl Exec,
    member: Option<&UserId>,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<Business>> {
    let after = after.unwrap_or("");
    match member {
        None => {
            e.fetch_all(
                I,
                &format!("SELECT {COLS} FROM businesses WHERE id > $1 ORDER BY id LIMIT $2"),
                &params![after, limit],
            )
            .await
        }
        Some(u) => {
            e.fetch_all(
                I,
                &format!(
                    "SELECT {B_COLS} FROM businesses b JOIN members m ON m.business_id = b.id
                     WHERE m.user_id = $1 AND b.id > $2 ORDER BY b.id LIMIT $3"
                ),
                &params![u, after, limit],
            )
            .await
        }
    }
}

/// Deletes a business and everything it owns (the audit log keeps its history).
pub async fn delete(e: &mut impl Exec, id: &BusinessId) -> Result<()> {
    match e
        .execute(I, "DELETE FROM businesses WHERE id = $1", &params![id])
        .await?
    {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

struct Json(String);
impl FromRow for Json {
    fn from_row(r: &dyn Row) -> Result<Self> {
        Ok(Self(r.text(0)?))
    }
}

impl<E: Exec> Tenant<E> {
    /// This business's profile, with the live count of free units of each type.
    pub async fn profile(&mut self) -> Result<Profile> {
        let mut p = self.stored_profile().await?;
        if !p.units.is_empty() {
            let counts = self.inventory().await?;
            crate::inventory::overlay(&mut p.units, &counts);
        }
        Ok(p)
    }

    /// The profile document as it was last saved (its unit counts may be stale).
    pub(crate) async fn stored_profile(&mut self) -> Result<Profile> {
        let Json(j) = self
            .exec
            .fetch_one(
                I,
                "SELECT profile FROM businesses WHERE id = $1",
                &params![&self.business],
            )
            .await?;
        let v: serde_json::Value =
            serde_json::from_str(&j).map_err(|e| StoreError::backend("stored profile", e))?;
        Profile::from_json_value(v)
            .map_err(|e| StoreError::backend("stored profile no longer valid", e))
    }

    /// Replaces this business's profile; its slug may change but must stay unique. The counts
    /// of free units are not changed by it (a new unit type starts from what it says).
    pub async fn put_profile(&mut self, p: &Profile, now: i64) -> Result<Business> {
        let json = profile_json(p)?;
        let b = self.exec
            .fetch_one(I, &format!(
                    "UPDATE businesses SET slug = $2, name = $3, kind = $4, timezone = $5, phone = $6, profile = $7, updated_at = $8
                     WHERE id = $1 RETURNING {COLS}"
                ),
                &params![&self.business, p.slug.as_str(), p.name.as_str(), p.kind.as_str(), p.timezone.0.name(), p.phone.as_str(), json, now],
            )
            .await?;
        crate::inventory::ensure_inventory(&mut self.exec, &self.business, &p.units, now).await?;
        Ok(b)
    }

    pub async fn business(&mut self) -> Result<Business> {
        get(&mut self.exec, &self.business).await
    }
}
