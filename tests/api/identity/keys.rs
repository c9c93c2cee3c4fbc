//! Signing keys of a test identity provider, generated here: RSA (the `rsa` crate), P-256 (rcgen on
//! ring) and Ed25519 (a random seed); each signs tokens and shows itself as a public JWK.

use std::sync::OnceLock;

use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use serde_json::{Value, json};

/// A provider's private key, its id and the algorithm it signs with.
pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    /// PKCS#1 DER of the RSA public key (what an attacker would use as an HS256 secret).
    pub rsa_public_der: Option<Vec<u8>>,
}

/// One 2048-bit RSA key for the whole run: generating one costs a fraction of a second.
fn rsa_key() -> &'static rsa::RsaPrivateKey {
    static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap())
}

impl SigningKey {
    pub fn rsa(kid: &str, alg: Algorithm) -> SigningKey {
        use rsa::pkcs1::EncodeRsaPublicKey;
        let key = rsa_key();
        let der = key.to_pkcs1_der().unwrap();
        SigningKey {
            kid: kid.into(),
            alg,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            rsa_public_der: Some(key.to_public_key().to_pkcs1_der().unwrap().into_vec()),
        }
    }

    pub fn es256(kid: &str) -> SigningKey {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        SigningKey {
            kid: kid.into(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(&pair.serialize_der()),
            rsa_public_der: None,
        }
    }

    /// A random seed in a PKCS#8 v1 document (ring's v2 documents, which rcgen writes, are not read
    /// by ed25519-dalek, which jsonwebtoken signs with).
    pub fn ed25519(kid: &str) -> SigningKey {
        use rsa::rand_core::RngCore;
        const V1_PREFIX: [u8; 16] = [
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        let mut der = V1_PREFIX.to_vec();
        let mut seed = [0u8; 32];
        rsa::rand_core::OsRng.fill_bytes(&mut seed);
        der.extend_from_slice(&seed);
        SigningKey {
            kid: kid.into(),
            alg: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(&der),
            rsa_public_der: None,
        }
    }

    /// The public key as a JWK set publishes it: `kid`, `alg`, `use: sig`.
    pub fn jwk(&self) -> Value {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.alg).unwrap();
        jwk.common.key_id = Some(self.kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        serde_json::to_value(jwk).unwrap()
    }

    /// A token with these claims, its header naming this key and its algorithm.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        self.sign_with(header, claims)
    }

    /// A token with this header (which may lie about the key or the algorithm).
    pub fn sign_with(&self, header: Header, claims: &Value) -> String {
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

/// A JWK set of these keys.
pub fn jwk_set(keys: &[&SigningKey]) -> Value {
    json!({ "keys": keys.iter().map(|key| key.jwk()).collect::<Vec<_>>() })
}
