//! `Secret`: key material that never prints itself. Here, in the crypto leaf, rather than in
//! `config.rs` (which reads secrets from the environment), so that `crypto` and `auth` can hold
//! secrets without importing the configuration.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A secret that never prints itself.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
    /// A sub-key for one purpose (key separation: a cursor key never equals the JWT secret).
    pub fn derive(&self, purpose: &str) -> Secret {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(purpose.as_bytes());
        Secret(mac.finalize().into_bytes().to_vec())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new(b"hunter2".to_vec())), "Secret(***)");
    }
}
