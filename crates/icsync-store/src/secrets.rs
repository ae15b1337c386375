//! Secrets at rest: the key that encrypts Intercom tokens and webhook secrets, and the cipher.
//!
//! Ciphertexts are `version (1 byte) || nonce (24 bytes) || XChaCha20-Poly1305(plaintext)`, with
//! the column's name as associated data, so a ciphertext copied into another column fails to
//! decrypt instead of being misread.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};

const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

/// Why a secret could not be loaded, stored or read back.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "the secret key in {source_name} is not valid: {reason}; it must be 32 bytes as 64 hex characters or base64 (generate one with `openssl rand -hex 32`)"
    )]
    BadKey { source_name: String, reason: String },

    #[error("cannot read the key file {}: {source}; restore it from backup, or delete it only if no workspace is connected (stored tokens become unreadable)", path.display())]
    ReadKeyFile {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot create the key file {}: {source}; make the data directory writable or set ICSYNC_SECRET_KEY", path.display())]
    CreateKeyFile {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "no secret key is configured, so secrets cannot be stored; set ICSYNC_SECRET_KEY or secret_key_file"
    )]
    NoKey,

    #[error(
        "a stored secret cannot be decrypted with the configured key (wrong key, or the data is damaged); restore the original key, or reconnect the workspace to store its token again"
    )]
    Decrypt,
}

/// The 32-byte key that encrypts secrets at rest. `Debug` never shows it.
#[derive(Clone)]
pub struct SecretKey(Key);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

/// Where the key came from, for the startup log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Configured,
    File(PathBuf),
    Created(PathBuf),
}

impl SecretKey {
    /// Parses a key given as 64 hex characters or as base64 of 32 bytes.
    pub fn parse(text: &str, source_name: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        let bytes = if text.len() == KEY_LEN * 2 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|e| bad_key(source_name, e))?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| bad_key(source_name, format!("neither hex nor base64 ({e})")))?
        };
        if bytes.len() != KEY_LEN {
            return Err(bad_key(
                source_name,
                format!("it decodes to {} bytes", bytes.len()),
            ));
        }
        Ok(Self(*Key::from_slice(&bytes)))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        Self(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// The configured key if there is one, else the key in `path`, else a new key written to
    /// `path` with mode 0600.
    pub fn load_or_create(
        configured: Option<&SecretString>,
        path: &Path,
    ) -> Result<(Self, KeySource), SecretError> {
        if let Some(configured) = configured {
            let key = Self::parse(configured.expose_secret(), "ICSYNC_SECRET_KEY")?;
            return Ok((key, KeySource::Configured));
        }
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let key = Self::parse(&text, &path.display().to_string())?;
                Ok((key, KeySource::File(path.to_owned())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                key.write_new_file(path)?;
                Ok((key, KeySource::Created(path.to_owned())))
            }
            Err(source) => Err(SecretError::ReadKeyFile {
                path: path.to_owned(),
                source,
            }),
        }
    }

    fn write_new_file(&self, path: &Path) -> Result<(), SecretError> {
        let fail = |source| SecretError::CreateKeyFile {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(fail)?;
        writeln!(file, "{}", hex::encode(self.0)).map_err(fail)?;
        file.sync_all().map_err(fail)
    }

    pub(crate) fn cipher(&self) -> Cipher {
        Cipher(XChaCha20Poly1305::new(&self.0))
    }
}

fn bad_key(source_name: &str, reason: impl fmt::Display) -> SecretError {
    SecretError::BadKey {
        source_name: source_name.to_owned(),
        reason: reason.to_string(),
    }
}

/// Encrypts and decrypts column values with the store's key.
#[derive(Clone)]
pub(crate) struct Cipher(XChaCha20Poly1305);

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher([REDACTED])")
    }
}

impl Cipher {
    pub(crate) fn encrypt(
        &self,
        column: &str,
        secret: &SecretString,
    ) -> Result<Vec<u8>, SecretError> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: secret.expose_secret().as_bytes(),
            aad: column.as_bytes(),
        };
        // Encryption fails only for plaintexts beyond the cipher's limit (~256 GiB).
        let ciphertext = self
            .0
            .encrypt(&nonce, payload)
            .map_err(|_| SecretError::Decrypt)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    pub(crate) fn decrypt(&self, column: &str, stored: &[u8]) -> Result<SecretString, SecretError> {
        if stored.len() < 1 + NONCE_LEN || stored[0] != VERSION {
            return Err(SecretError::Decrypt);
        }
        let nonce = XNonce::from_slice(&stored[1..1 + NONCE_LEN]);
        let payload = Payload {
            msg: &stored[1 + NONCE_LEN..],
            aad: column.as_bytes(),
        };
        let plaintext = self
            .0
            .decrypt(nonce, payload)
            .map_err(|_| SecretError::Decrypt)?;
        let text = String::from_utf8(plaintext).map_err(|_| SecretError::Decrypt)?;
        Ok(SecretString::from(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_round_trips_and_is_bound_to_its_column() {
        let cipher = SecretKey::generate().cipher();
        let token = SecretString::from("dG9rOmFiYw==");
        let stored = cipher.encrypt("access_token", &token).unwrap();
        assert!(
            !stored.windows(6).any(|w| w == b"dG9rOm"),
            "plaintext leaked into ciphertext"
        );
        assert_eq!(
            cipher
                .decrypt("access_token", &stored)
                .unwrap()
                .expose_secret(),
            "dG9rOmFiYw=="
        );
        assert!(cipher.decrypt("webhook_secret", &stored).is_err());
    }

    #[test]
    fn another_key_cannot_decrypt() {
        let stored = SecretKey::generate()
            .cipher()
            .encrypt("c", &SecretString::from("s"))
            .unwrap();
        assert!(matches!(
            SecretKey::generate().cipher().decrypt("c", &stored),
            Err(SecretError::Decrypt)
        ));
    }

    #[test]
    fn keys_parse_from_hex_or_base64_and_reject_anything_else() {
        let hex_key = "00".repeat(32);
        assert!(SecretKey::parse(&hex_key, "test").is_ok());
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(SecretKey::parse(&b64, "test").is_ok());
        let err = SecretKey::parse("too-short", "ICSYNC_SECRET_KEY")
            .unwrap_err()
            .to_string();
        assert!(err.contains("ICSYNC_SECRET_KEY"), "{err}");
        assert!(SecretKey::parse(&"00".repeat(31), "test").is_err());
    }

    #[test]
    fn a_missing_key_file_is_created_private_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/secret.key");
        let (first, source) = SecretKey::load_or_create(None, &path).unwrap();
        assert_eq!(source, KeySource::Created(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let (second, source) = SecretKey::load_or_create(None, &path).unwrap();
        assert_eq!(source, KeySource::File(path.clone()));
        let stored = first
            .cipher()
            .encrypt("c", &SecretString::from("s"))
            .unwrap();
        assert_eq!(
            second
                .cipher()
                .decrypt("c", &stored)
                .unwrap()
                .expose_secret(),
            "s"
        );
    }

    #[test]
    fn a_corrupted_key_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        std::fs::write(&path, "not a key at all").unwrap();
        let err = SecretKey::load_or_create(None, &path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("secret.key") && err.contains("not valid"),
            "{err}"
        );
    }

    #[test]
    fn debug_output_never_shows_key_material() {
        let key = SecretKey::parse(&"ab".repeat(32), "t").unwrap();
        assert_eq!(format!("{key:?}"), "SecretKey([REDACTED])");
        assert!(!format!("{:?}", key.cipher()).contains("ab"));
    }
}
