//! PINs and passwords at the edge: hashed with argon2id before anything
//! reaches a command, verified against the stored hash at sign-in. The
//! secret itself is never logged, never in the event log, never kept.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, SaltString};
use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Shortest secret accepted (a 4-digit PIN at a counter or handheld).
pub const SECRET_LEN_MIN: usize = 4;
/// Longest secret accepted.
pub const SECRET_LEN_MAX: usize = 128;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("a PIN or password has at least {SECRET_LEN_MIN} characters")]
    TooShort,
    #[error("a PIN or password has at most {SECRET_LEN_MAX} characters")]
    TooLong,
    #[error("a PIN or password cannot hold control characters")]
    Control,
    #[error("a PIN or password cannot be only spaces")]
    Blank,
    #[error("the two entries differ")]
    Mismatch,
    #[error("could not hash the secret: {0}")]
    Hash(String),
}

/// Is `secret` acceptable as a new PIN or password?
pub fn check_policy(secret: &str) -> Result<(), PasswordError> {
    let n = secret.chars().count();
    if n < SECRET_LEN_MIN {
        return Err(PasswordError::TooShort);
    }
    if n > SECRET_LEN_MAX {
        return Err(PasswordError::TooLong);
    }
    if secret.chars().any(char::is_control) {
        return Err(PasswordError::Control);
    }
    if secret.trim().is_empty() {
        return Err(PasswordError::Blank);
    }
    Ok(())
}

/// The argon2id PHC string of `secret` with a fresh random salt and the
/// crate's default parameters (OWASP's: 19 MiB, 2 passes, 1 lane).
pub fn hash(secret: &str) -> Result<String, PasswordError> {
    check_policy(secret)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Does `secret` match the stored PHC string? A malformed stored hash
/// matches nothing.
pub fn verify(secret: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(secret.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_secret_and_no_other() {
        let h = hash("4711").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains("4711"));
        assert!(verify("4711", &h));
        assert!(!verify("4712", &h));
        assert!(!verify("4711", "not a hash"));
        // A fresh salt every time: the same PIN never hashes the same.
        assert_ne!(hash("4711").expect("hash"), h);
    }

    #[test]
    fn the_policy_refuses_short_long_and_control() {
        assert_eq!(check_policy("123"), Err(PasswordError::TooShort));
        assert_eq!(check_policy(&"x".repeat(129)), Err(PasswordError::TooLong));
        assert_eq!(check_policy("12\n34"), Err(PasswordError::Control));
        assert!(check_policy("1234").is_ok());
        assert!(hash("12").is_err());
    }
}
