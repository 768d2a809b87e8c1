//! Secrets and credentials, shared by the API and the command line: argon2 password hashes
//! (computed off the reactor), short-lived HS256 access tokens, random secrets of which only a
//! SHA-256 hash is stored (refresh tokens, API keys), API key issuance, and the audit log's
//! entries.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use frontdesk_store::accounts::{self, ApiKey, NewApiKey, Role};
use frontdesk_store::audit::{Actor, NewEntry};
use frontdesk_store::{BusinessId, Db, Exec, StoreError, UserId, now_ms};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::secrets::{Opened, Sealer};

/// Every API key starts with this, so it can be told apart from a JWT and found by scanners.
pub const API_KEY_PREFIX: &str = "fd_";
/// Refresh tokens start with this.
pub const REFRESH_PREFIX: &str = "fdr_";
/// A password must be at least this long.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Hashes a password with argon2id on a blocking thread.
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(e.to_string()))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// The stored hash of an account made by invitation that has no password yet: no password
/// matches it (it is not a hash), and signing in needs a password set first.
pub const NO_PASSWORD: &str = "!";

/// Checks a password against a stored hash on a blocking thread.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

pub fn check_password_rules(p: &str) -> Result<()> {
    if p.chars().count() < MIN_PASSWORD_LEN {
        return Err(Error::Invalid(format!(
            "password: use at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

/// A random secret with a recognisable prefix, such as `fd_…` for API keys.
pub fn random_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// What an access token says.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    /// Operator admin.
    pub op: bool,
    iat: i64,
    exp: i64,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    enc: EncodingKey,
    dec: DecodingKey,
    ttl_secs: i64,
    /// The longest lifetime issued or accepted: a token claiming more is refused, whoever
    /// signed it.
    max_ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl_minutes: u32, max_minutes: u32) -> Self {
        let max_ttl_secs = i64::from(max_minutes.max(1)) * 60;
        Self {
            enc: EncodingKey::from_secret(secret),
            dec: DecodingKey::from_secret(secret),
            ttl_secs: (i64::from(ttl_minutes) * 60).min(max_ttl_secs),
            max_ttl_secs,
        }
    }

    /// The installation's keys: the configured secret or, when none is set, one kept in the
    /// database (made on first use), so every server of the installation signs alike.
    pub async fn for_installation(db: &Db, cfg: &Config) -> Result<Self> {
        let secret = if cfg.auth.jwt_secret.is_empty() {
            // Kept sealed: a copy of the database alone cannot mint tokens.
            let sealer = Sealer::for_installation(cfg).map_err(Error::Internal)?;
            let fresh = sealer.seal(&random_secret(""));
            let stored = frontdesk_store::setting_or_init(db, "jwt_secret", &fresh).await?;
            match sealer.open(&stored).map_err(Error::Internal)? {
                Opened::Sealed(s) => s,
                Opened::Plain(s) => {
                    // Stored in the clear by an earlier version: sealed now.
                    frontdesk_store::set_setting(db, "jwt_secret", &sealer.seal(&s)).await?;
                    s
                }
            }
        } else {
            cfg.auth.jwt_secret.expose().to_owned()
        };
        Ok(Self::new(
            secret.as_bytes(),
            cfg.auth.access_token_minutes,
            cfg.auth.max_token_minutes,
        ))
    }

    /// An access token for `user`, valid for the configured lifetime (or `ttl_secs`).
    pub fn issue(
        &self,
        user: &UserId,
        operator: bool,
        ttl_secs: Option<i64>,
    ) -> Result<(String, i64)> {
        let iat = now_ms() / 1000;
        let ttl = ttl_secs.unwrap_or(self.ttl_secs);
        if !(1..=self.max_ttl_secs).contains(&ttl) {
            return Err(Error::Invalid(format!(
                "a token lives at most {} minutes (auth.max_token_minutes)",
                self.max_ttl_secs / 60
            )));
        }
        let claims = Claims {
            sub: user.to_string(),
            op: operator,
            iat,
            exp: iat + ttl,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.enc)
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok((token, ttl))
    }

    /// The claims of a valid, unexpired token whose lifetime is within the server's cap and
    /// which was not issued in the future.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        const LEEWAY: i64 = 5;
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = LEEWAY as u64;
        let c = jsonwebtoken::decode::<Claims>(token, &self.dec, &v)
            .ok()?
            .claims;
        let now = now_ms() / 1000;
        (c.iat <= now + LEEWAY && c.exp - c.iat <= self.max_ttl_secs).then_some(c)
    }
}

/// Writes an audit entry in the transaction that makes the change.
#[allow(clippy::too_many_arguments)]
pub async fn audit(
    e: &mut impl Exec,
    actor: &Actor,
    request_id: Option<&str>,
    business: Option<&BusinessId>,
    action: &str,
    target: (&str, &str),
    detail: serde_json::Value,
) -> std::result::Result<(), StoreError> {
    let entry = NewEntry {
        business,
        actor,
        action,
        target_type: Some(target.0),
        target_id: Some(target.1),
        request_id,
        detail,
    };
    frontdesk_store::audit::record(e, &entry, now_ms()).await?;
    Ok(())
}

/// A key just made, with its secret (the only time it is known).
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: String,
}

/// Creates a key for a business with a role, or for the operator when `scope` is `None`,
/// records who did it, and returns the key with its secret.
pub async fn issue_key(
    db: &Db,
    actor: &Actor,
    request_id: Option<&str>,
    name: &str,
    scope: Option<(&BusinessId, Role)>,
) -> Result<IssuedKey> {
    if name.trim().is_empty() || name.len() > 100 {
        return Err(Error::Invalid(
            "name: give a name of 1-100 characters".into(),
        ));
    }
    let secret = random_secret(API_KEY_PREFIX);
    let prefix: String = secret.chars().take(10).collect();
    let hash = sha256_hex(&secret);
    let new = NewApiKey {
        name,
        prefix: &prefix,
        secret_hash: &hash,
        created_by: actor.id.as_deref(),
    };
    let mut tx = db.begin().await?;
    let key = match scope {
        Some((business, role)) => {
            tx.tenant(business)
                .create_api_key(role, &new, now_ms())
                .await?
        }
        None => accounts::create_operator_key(&mut tx, &new, now_ms()).await?,
    };
    let detail = serde_json::json!({"role": key.role, "name": key.name});
    audit(
        &mut tx,
        actor,
        request_id,
        scope.map(|s| s.0),
        "api_key.create",
        ("api_key", key.id.as_str()),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedKey { key, secret })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn signed(secret: &[u8], iat: i64, exp: i64) -> String {
        let claims = Claims {
            sub: UserId::new().to_string(),
            op: true,
            iat,
            exp,
        };
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    #[test]
    fn token_lifetimes_are_capped_when_issued_and_when_checked() {
        let keys = TokenKeys::new(b"k", 15, 60);
        let user = UserId::new();
        assert!(keys.issue(&user, true, Some(3600)).is_ok());
        assert!(matches!(
            keys.issue(&user, true, Some(3601)),
            Err(Error::Invalid(_))
        ));
        assert!(keys.issue(&user, true, Some(0)).is_err());
        let (t, ttl) = keys.issue(&user, false, None).unwrap();
        assert_eq!(ttl, 900);
        assert!(keys.verify(&t).is_some());
        // Signed with the right key but claiming a longer life, or issued in the future.
        let now = now_ms() / 1000;
        assert!(keys.verify(&signed(b"k", now, now + 3600)).is_some());
        assert!(
            keys.verify(&signed(b"k", now, now + 365 * 86_400))
                .is_none()
        );
        assert!(keys.verify(&signed(b"k", now + 600, now + 900)).is_none());
        assert!(keys.verify(&signed(b"other", now, now + 60)).is_none());
        // A configured lifetime above the cap is cut to it.
        assert_eq!(TokenKeys::new(b"k", 600, 60).ttl_secs, 3600);
    }
}
