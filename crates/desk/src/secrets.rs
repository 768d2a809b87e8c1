//! Secrets kept in the database are sealed: encrypted with ChaCha20-Poly1305 under a key that
//! is not in the database — `auth.secret_key` from the config or the environment, or else a key
//! file in the data directory, made owner-only on first start. A copy of the database alone
//! then gives away no secret. Several servers on one PostgreSQL database must share the key
//! (set `FRONTDESK_AUTH_SECRET_KEY`, or copy the key file).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use crate::config::Config;

/// What a sealed value starts with; the rest is base64 of the nonce and the ciphertext.
const PREFIX: &str = "sealed:v1:";
/// The key file's name in the data directory.
pub const KEY_FILE: &str = "secret.key";

/// Seals and opens secrets with the installation's key.
pub struct Sealer {
    key: LessSafeKey,
    /// A key for signing links, derived from the same secret (so it is shared by every server
    /// that shares the secret key, and never equal to it).
    links_key: [u8; 32],
}

/// What was stored: sealed (now opened), or still plain from before sealing began.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    Sealed(String),
    Plain(String),
}

impl Sealer {
    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let key = UnboundKey::new(&CHACHA20_POLY1305, bytes)
            .map_err(|_| "the secret key must be 32 bytes".to_owned())?;
        let derived = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, bytes),
            b"frontdesk: the key of self-service links",
        );
        let mut links_key = [0u8; 32];
        links_key.copy_from_slice(derived.as_ref());
        Ok(Self {
            key: LessSafeKey::new(key),
            links_key,
        })
    }

    /// The key self-service links are signed with.
    pub fn links_key(&self) -> [u8; 32] {
        self.links_key
    }

    /// The configured key (`auth.secret_key`, base64 of 32 bytes) or the data directory's key
    /// file, made when there is none yet.
    pub fn for_installation(cfg: &Config) -> Result<Self, String> {
        if !cfg.auth.secret_key.is_empty() {
            // Either base64 alphabet: `openssl rand -base64 32` writes the standard one.
            let text = cfg.auth.secret_key.expose().trim().trim_end_matches('=');
            let bytes = URL_SAFE_NO_PAD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
                .map_err(|_| "auth.secret_key is not base64".to_owned())?;
            return Self::from_bytes(&bytes);
        }
        Self::from_key_file(&cfg.data_dir.join(KEY_FILE))
    }

    /// Reads the key file, or makes one (owner-only) when it is missing. A key file other
    /// users can read is refused.
    pub fn from_key_file(path: &Path) -> Result<Self, String> {
        if !path.exists() {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            write_private(path, &URL_SAFE_NO_PAD.encode(bytes))?;
        }
        check_private(path)?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| format!("{} is not a key written by frontdesk", path.display()))?;
        Self::from_bytes(&bytes)
    }

    /// Seals `plain`: a fresh random nonce each time.
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let mut buf = plain.as_bytes().to_vec();
        // Sealing in place cannot fail for a buffer this size; keep the plain text out of it if
        // it ever does.
        if self
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .is_err()
        {
            buf.clear();
        }
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out))
    }

    /// Opens what [`Sealer::seal`] wrote; a value stored before sealing began comes back as
    /// [`Opened::Plain`]. A value sealed under another key is an error that says so.
    pub fn open(&self, stored: &str) -> Result<Opened, String> {
        let Some(body) = stored.strip_prefix(PREFIX) else {
            return Ok(Opened::Plain(stored.to_owned()));
        };
        let wrong = || {
            "a secret in the database was sealed with another key: set auth.secret_key (or the \
             key file) to the key this database was made with"
                .to_owned()
        };
        let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| wrong())?;
        if raw.len() < NONCE_LEN {
            return Err(wrong());
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
        let mut buf = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut buf)
            .map_err(|_| wrong())?;
        String::from_utf8(plain.to_vec())
            .map(Opened::Sealed)
            .map_err(|_| wrong())
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| format!("reading {}: {e}", path.display()))?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "the key file {} can be read by other users (mode {mode:03o}): run `chmod 600 {}`",
            path.display(),
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_plain_ones_are_recognised() {
        let dir = std::env::temp_dir().join(format!("fd-seal-{}", uuid::Uuid::new_v4()));
        let file = dir.join("keys").join(KEY_FILE);
        let a = Sealer::from_key_file(&file).unwrap();
        // The same file gives the same key.
        let again = Sealer::from_key_file(&file).unwrap();
        let sealed = a.seal("the signing key");
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("signing"));
        assert_ne!(a.seal("the signing key"), sealed, "a fresh nonce each time");
        assert_eq!(
            again.open(&sealed).unwrap(),
            Opened::Sealed("the signing key".into())
        );
        assert_eq!(
            a.open("old plain value").unwrap(),
            Opened::Plain("old plain value".into())
        );
        let other = Sealer::from_bytes(&[7u8; 32]).unwrap();
        assert!(other.open(&sealed).unwrap_err().contains("another key"));
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(a.open(&tampered).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&file), 0o600);
            assert_eq!(mode(file.parent().unwrap()), 0o700);
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(
                Sealer::from_key_file(&file)
                    .err()
                    .unwrap()
                    .contains("chmod 600")
            );
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
