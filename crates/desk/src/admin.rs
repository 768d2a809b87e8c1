//! What the command line does to an installation: the same store calls as the API, with the
//! audit actor `cli`, so a change made at the terminal is as traceable as one made over HTTP.

use frontdesk_engine::{Email, PhoneE164, Profile};
use frontdesk_store::accounts::{self, Role, User};
use frontdesk_store::audit::Actor;
use frontdesk_store::businesses::{self, Business};
use frontdesk_store::customers::CustomerFields;
use frontdesk_store::inventory::{Change, Reason};
use frontdesk_store::{BusinessId, Db, StoreError, Tx, now_ms};

use crate::accounts::{self as creds, TokenKeys, check_password_rules, hash_password};

fn cli() -> Actor {
    Actor {
        kind: "cli",
        id: None,
    }
}

/// Appends to the audit log as the command line (there is no request id).
async fn record(
    e: &mut impl frontdesk_store::Exec,
    business: Option<&frontdesk_store::BusinessId>,
    action: &str,
    target: (&str, &str),
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    creds::audit(e, &cli(), None, business, action, target, detail).await?;
    Ok(())
}

/// Creates an operator admin, or resets the password of the operator with that e-mail (which
/// revokes their refresh tokens; access tokens lapse within their short lifetime).
pub async fn create_operator(
    db: &Db,
    email: &str,
    name: Option<&str>,
    password: &str,
) -> anyhow::Result<(User, bool)> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    check_password_rules(password)?;
    let hash = hash_password(password.to_owned()).await?;
    let mut tx = db.begin().await?;
    let (user, created) = match accounts::user_by_email(&mut tx, email.as_str()).await {
        Ok(u) if u.user.is_operator => {
            accounts::set_password(&mut tx, &u.user.id, &hash).await?;
            // A new password ends the sessions opened with the old one.
            accounts::revoke_user_sessions(&mut tx, &u.user.id, now_ms()).await?;
            (u.user, false)
        }
        Ok(_) => anyhow::bail!("{email} is a business member, not an operator"),
        Err(StoreError::NotFound) => (
            accounts::create_user(&mut tx, email.as_str(), name, &hash, true, now_ms()).await?,
            true,
        ),
        Err(e) => return Err(e.into()),
    };
    let action = if created {
        "operator.create"
    } else {
        "operator.password_reset"
    };
    record(
        &mut tx,
        None,
        action,
        ("user", user.id.as_str()),
        serde_json::json!({"email": user.email}),
    )
    .await?;
    tx.commit().await?;
    Ok((user, created))
}

/// Gives the business member `email` the owner role in `business`, with `password`: creating
/// the account, or setting its password (which ends its sessions). For the demo's owners.
pub async fn demo_owner(
    db: &Db,
    business: &BusinessId,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    check_password_rules(password)?;
    let hash = hash_password(password.to_owned()).await?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let user = match accounts::user_by_email(&mut tx, email.as_str()).await {
        Ok(u) if u.user.is_operator => anyhow::bail!("{email} is an operator, not a member"),
        Ok(u) => {
            accounts::set_password(&mut tx, &u.user.id, &hash).await?;
            accounts::revoke_user_sessions(&mut tx, &u.user.id, now).await?;
            u.user
        }
        Err(StoreError::NotFound) => {
            accounts::create_user(
                &mut tx,
                email.as_str(),
                Some("Demo owner"),
                &hash,
                false,
                now,
            )
            .await?
        }
        Err(e) => return Err(e.into()),
    };
    tx.tenant(business)
        .set_member(&user.id, Role::Owner, now)
        .await?;
    record(
        &mut tx,
        Some(business),
        "member.demo_owner",
        ("user", user.id.as_str()),
        serde_json::json!({"email": user.email}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What an import did.
#[derive(Debug)]
pub struct Imported {
    pub business: Business,
    /// The import created the business (rather than updating it).
    pub created: bool,
    /// The unit types whose count of free units the file set (it gave `available`), with the
    /// count; the others kept theirs.
    pub available_set: Vec<(String, u32)>,
}

/// Creates or updates (by slug) the business a profile describes, as the command line.
pub async fn import_profile(db: &Db, profile: &Profile) -> anyhow::Result<Imported> {
    let mut tx = db.begin().await?;
    let r = import_profile_in(&mut tx, &cli(), None, profile).await?;
    tx.commit().await?;
    Ok(r)
}

/// Creates or updates (by slug) the business a profile describes in the transaction `tx`, and
/// records who did it; the records the business owns are kept. The one way a profile comes in,
/// from the command line and the API. Returns the business and whether it was created.
pub async fn import_profile_in(
    tx: &mut Tx,
    actor: &Actor,
    request_id: Option<&str>,
    profile: &Profile,
) -> Result<Imported, StoreError> {
    let now = now_ms();
    let (b, created) = businesses::upsert_profile(tx, profile, now).await?;
    let who = actor.reference();
    let change = Change {
        reason: Reason::Import,
        reference: Some(&who),
        note: None,
    };
    let mut available_set = Vec::new();
    for u in profile.units.iter().filter(|u| u.available_given) {
        tx.tenant(&b.id)
            .set_available(&u.unit_type, u.available, &change, now)
            .await?;
        available_set.push((u.unit_type.clone(), u.available));
    }
    let action = if created {
        "business.create"
    } else {
        "profile.import"
    };
    creds::audit(
        tx,
        actor,
        request_id,
        Some(&b.id),
        action,
        ("business", b.id.as_str()),
        serde_json::json!({"slug": b.slug, "available_set": available_set}),
    )
    .await?;
    Ok(Imported {
        business: b,
        created,
        available_set,
    })
}

/// The profile of the business with `slug`, as YAML.
pub async fn export_profile(db: &Db, slug: &str) -> anyhow::Result<String> {
    let mut d = db.clone();
    let b = match businesses::get_by_slug(&mut d, slug).await {
        Err(StoreError::NotFound) => anyhow::bail!("no business with slug {slug:?}"),
        other => other?,
    };
    Ok(db.tenant(&b.id).profile().await?.to_yaml())
}

/// An access token for the user with `email`.
pub async fn issue_token(
    db: &Db,
    keys: &TokenKeys,
    email: &str,
    ttl_secs: Option<i64>,
) -> anyhow::Result<String> {
    let mut d = db.clone();
    let u = match accounts::user_by_email(&mut d, email).await {
        Err(StoreError::NotFound) => anyhow::bail!("no user with e-mail {email:?}"),
        other => other?,
    };
    let (token, _) = keys.issue(&u.user.id, u.user.is_operator, ttl_secs)?;
    record(
        &mut d,
        None,
        "token.create",
        ("user", u.user.id.as_str()),
        serde_json::json!({"ttl_secs": ttl_secs}),
    )
    .await?;
    Ok(token)
}

/// Creates an API key: for a business with a role, or operator-wide. Returns the secret.
pub async fn create_key(
    db: &Db,
    name: &str,
    business: Option<(&str, Role)>,
) -> anyhow::Result<String> {
    let scope = match business {
        Some((slug, role)) => match businesses::get_by_slug(&mut db.clone(), slug).await {
            Ok(b) => Some((b.id, role)),
            Err(StoreError::NotFound) => anyhow::bail!("no business with slug {slug:?}"),
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let created =
        creds::issue_key(db, &cli(), None, name, scope.as_ref().map(|(b, r)| (b, *r))).await?;
    Ok(created.secret)
}

/// The demo businesses, compiled into the binary: a storage facility, a plumber, a pizzeria.
pub const DEMO_PROFILES: [(&str, &str); 3] = [
    (
        "demo/sunny-storage.yaml",
        include_str!("../../../demo/sunny-storage.yaml"),
    ),
    (
        "demo/rapid-rooter.yaml",
        include_str!("../../../demo/rapid-rooter.yaml"),
    ),
    (
        "demo/tonys-pizza.yaml",
        include_str!("../../../demo/tonys-pizza.yaml"),
    ),
];

/// The demo profiles, parsed.
pub fn demo_profiles() -> anyhow::Result<Vec<Profile>> {
    DEMO_PROFILES
        .iter()
        .map(|(name, text)| Profile::from_yaml(text).map_err(|e| anyhow::anyhow!("{name}: {e}")))
        .collect()
}

/// Loads demo profiles and, for a business without customers, a few demo customers. A demo
/// business that exists already keeps its profile as its owner left it, unless `replace`.
pub async fn load_demo(
    db: &Db,
    profiles: &[Profile],
    customers: &[(&str, &str, &str)],
    replace: bool,
) -> anyhow::Result<Vec<Business>> {
    let mut out = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        let existing = match businesses::get_by_slug(&mut db.clone(), p.slug.as_str()).await {
            Ok(b) => Some(b),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let b = match existing {
            Some(b) if !replace => b,
            _ => import_profile(db, p).await?.business,
        };
        let mut tx = db.begin().await?;
        let mut t = tx.tenant(&b.id);
        if t.customer_count().await? == 0 {
            for (j, (name, phone, email)) in customers.iter().enumerate() {
                // Vary the demo numbers per business so each looks like its own town.
                let phone = format!("{}{}{}", &phone[..phone.len() - 2], i, j);
                let f = CustomerFields {
                    name: Some((*name).into()),
                    phone: Some(PhoneE164::parse(&phone)?),
                    email: Some(Email::parse(email)?),
                    notes: None,
                    tags: vec!["demo".into()],
                };
                t.create_customer(&f, now_ms()).await?;
            }
        }
        tx.commit().await?;
        out.push(b);
    }
    Ok(out)
}

#[cfg(test)]
mod demo_tests {
    use super::*;

    /// Running the demo again keeps what the owner changed; replacing starts the profiles
    /// over. The demo owner can be made again with a new password, and is an owner.
    #[tokio::test]
    async fn the_demo_keeps_an_owners_changes_unless_replaced() {
        let t = frontdesk_store::testing::sqlite().await;
        let db = &t.db;
        let profiles = demo_profiles().unwrap();
        let first = load_demo(db, &profiles, &[], false).await.unwrap();
        let b = &first[0];
        let mut changed = profiles[0].clone();
        changed.name = serde_json::from_value(serde_json::json!("Renamed by the owner")).unwrap();
        import_profile(db, &changed).await.unwrap();
        load_demo(db, &profiles, &[], false).await.unwrap();
        let kept = businesses::get(&mut db.clone(), &b.id).await.unwrap();
        assert_eq!(kept.name, "Renamed by the owner");
        load_demo(db, &profiles, &[], true).await.unwrap();
        let reset = businesses::get(&mut db.clone(), &b.id).await.unwrap();
        assert_eq!(reset.name, profiles[0].name.as_str());

        for password in ["first demo password", "second demo password"] {
            demo_owner(db, &b.id, "owner@demo.example", password)
                .await
                .unwrap();
        }
        let u = accounts::user_by_email(&mut db.clone(), "owner@demo.example")
            .await
            .unwrap();
        assert!(creds::verify_password("second demo password".into(), u.password_hash).await);
        let role = db.tenant(&b.id).member_role(&u.user.id).await.unwrap();
        assert_eq!(role, Some(Role::Owner));
    }
}
