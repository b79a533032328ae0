//! Password hashing with Argon2id, off the async threads (a hash takes tens
//! of milliseconds by design).

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::{Error, FieldErrors};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

/// Records a problem with a new password under `field`.
pub fn check(errors: &mut FieldErrors, field: &str, password: &str) {
    let n = password.chars().count();
    if n < MIN_LENGTH {
        errors.add(field, format!("must have at least {MIN_LENGTH} characters"));
    } else if n > MAX_LENGTH {
        errors.add(field, format!("must have at most {MAX_LENGTH} characters"));
    }
}

/// The letters and digits of a temporary password: none that look alike
/// (0 and o, 1, l and i), so it is read out or typed without mistakes.
const TEMPORARY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A password for a new user to sign in with until they choose their own:
/// four groups of five characters, about 99 bits from the system's random
/// source.
pub fn temporary() -> String {
    // Bytes past the last whole multiple of the alphabet's size are drawn
    // again, so every character is equally likely.
    let n = TEMPORARY_ALPHABET.len();
    let limit = (256 / n * n) as u8;
    let mut chosen = Vec::with_capacity(20);
    let mut byte = [0u8; 1];
    while chosen.len() < 20 {
        OsRng.fill_bytes(&mut byte);
        if byte[0] < limit {
            chosen.push(TEMPORARY_ALPHABET[usize::from(byte[0]) % n]);
        }
    }
    chosen
        .chunks(5)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

pub async fn hash(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Whether `password` matches `hash`. With no hash (an unknown user, or one
/// who cannot sign in) a fixed hash is checked instead, so the answer takes
/// as long either way and does not tell which emails exist.
pub async fn verify(hash: Option<String>, password: String) -> bool {
    static DECOY: LazyLock<String> = LazyLock::new(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"not anyone's password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    });
    let known = hash.is_some();
    let result = tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| DECOY.clone());
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false);
    known && result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_are_long_unambiguous_and_different() {
        let a = temporary();
        let b = temporary();
        assert_ne!(a, b);
        assert_eq!(a.len(), 23, "{a}");
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.len(), 4, "{a}");
        assert!(
            a.bytes()
                .all(|c| c == b'-' || TEMPORARY_ALPHABET.contains(&c)),
            "{a}"
        );
        let mut errors = FieldErrors::new();
        check(&mut errors, "password", &a);
        assert!(errors.is_empty());
    }
}
