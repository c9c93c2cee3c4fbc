//! The identity provider's public keys, by key id, each with the one algorithm it verifies. The
//! algorithm comes from the key (its `alg`, else its type and curve), never from a token's header, so
//! a token signed with HS256 using a public key as the secret finds no key for it (docs/decisions.md,
//! "Identity from a provider").

use std::collections::HashMap;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

/// The algorithms a provider key may verify.
pub const ACCEPTED: [Algorithm; 7] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// One verification key and its algorithm.
#[derive(Clone)]
pub struct ProviderKey {
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// The usable keys of a JWK set, by `kid`.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: HashMap<String, ProviderKey>,
}

/// A JWK set read key by key, so that one key of an unknown kind does not hide the others.
#[derive(Deserialize)]
struct RawSet {
    keys: Vec<Value>,
}

impl KeySet {
    /// Reads a JWK set answer. Keys that cannot verify tokens here (encryption keys, symmetric keys,
    /// other curves or algorithms, keys without `kid`) are left out; each is described in `skipped`.
    pub fn parse(body: &[u8]) -> Result<(KeySet, Vec<String>), String> {
        let raw: RawSet =
            serde_json::from_slice(body).map_err(|error| format!("not a JWK set: {error}"))?;
        let mut keys = HashMap::new();
        let mut skipped = Vec::new();
        for (index, value) in raw.keys.into_iter().enumerate() {
            let kid = value.get("kid").and_then(Value::as_str).map(str::to_owned);
            let name = kid.clone().unwrap_or_else(|| format!("#{index}"));
            match usable(value).and_then(|key| kid.map(|kid| (kid, key)).ok_or("no kid".into())) {
                Ok((kid, key)) => {
                    keys.insert(kid, key);
                }
                Err(reason) => skipped.push(format!("key {name}: {reason}")),
            }
        }
        Ok((KeySet { keys }, skipped))
    }

    pub fn get(&self, kid: &str) -> Option<&ProviderKey> {
        self.keys.get(kid)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

fn usable(value: Value) -> Result<ProviderKey, String> {
    let jwk: Jwk = serde_json::from_value(value).map_err(|error| error.to_string())?;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return Err("an encryption key".into());
    }
    let algorithm = algorithm_of(&jwk)?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|error| error.to_string())?;
    Ok(ProviderKey { algorithm, key })
}

/// The key's own `alg` when it has one, else the only algorithm its type allows (RS256, OpenID
/// Connect's default, for an RSA key); refused when the two disagree.
fn algorithm_of(jwk: &Jwk) -> Result<Algorithm, String> {
    let allowed: &[Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => &ACCEPTED[..4],
        AlgorithmParameters::EllipticCurve(params) => match params.curve {
            EllipticCurve::P256 => &[Algorithm::ES256],
            EllipticCurve::P384 => &[Algorithm::ES384],
            ref other => return Err(format!("curve {other:?} is not supported")),
        },
        AlgorithmParameters::OctetKeyPair(params) => match params.curve {
            EllipticCurve::Ed25519 => &[Algorithm::EdDSA],
            ref other => return Err(format!("curve {other:?} is not supported")),
        },
        AlgorithmParameters::OctetKey(_) => {
            return Err("a symmetric key is never taken from a JWK set".into());
        }
        _ => return Err("unsupported key type".into()),
    };
    let Some(declared) = jwk.common.key_algorithm else {
        return Ok(allowed[0]);
    };
    Algorithm::try_from(declared)
        .ok()
        .filter(|algorithm| allowed.contains(algorithm))
        .ok_or_else(|| format!("algorithm {declared} is not accepted for this key"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    // A P-256 point and an Ed25519 key (RFC 8037's example); the RSA modulus needs only to decode.
    const X: &str = "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4";
    const Y: &str = "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM";
    const ED: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

    fn parse(keys: Value) -> (KeySet, Vec<String>) {
        KeySet::parse(json!({ "keys": keys }).to_string().as_bytes()).unwrap()
    }

    #[test]
    fn each_key_verifies_the_algorithm_of_its_type_or_its_own() {
        let (set, skipped) = parse(json!([
            {"kid": "rsa", "kty": "RSA", "n": "sXch", "e": "AQAB"},
            {"kid": "ps", "kty": "RSA", "alg": "PS256", "use": "sig", "n": "sXch", "e": "AQAB"},
            {"kid": "ec", "kty": "EC", "crv": "P-256", "x": X, "y": Y},
            {"kid": "ed", "kty": "OKP", "crv": "Ed25519", "x": ED, "alg": "EdDSA"},
        ]));
        assert!(skipped.is_empty(), "{skipped:?}");
        let algorithm = |kid| set.get(kid).unwrap().algorithm;
        assert_eq!(algorithm("rsa"), Algorithm::RS256);
        assert_eq!(algorithm("ps"), Algorithm::PS256);
        assert_eq!(algorithm("ec"), Algorithm::ES256);
        assert_eq!(algorithm("ed"), Algorithm::EdDSA);
        assert_eq!(set.len(), 4);
    }

    #[test]
    fn keys_that_cannot_verify_here_are_skipped_with_a_reason() {
        let (set, skipped) = parse(json!([
            {"kid": "secret", "kty": "oct", "k": "c2VjcmV0", "alg": "HS256"},
            {"kid": "enc", "kty": "RSA", "use": "enc", "alg": "RSA-OAEP", "n": "sXch", "e": "AQAB"},
            {"kid": "mixed", "kty": "EC", "crv": "P-256", "alg": "ES384", "x": X, "y": Y},
            {"kid": "hs-on-rsa", "kty": "RSA", "alg": "HS256", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "n": "sXch", "e": "AQAB"},
            {"kid": "future", "kty": "ML-DSA", "pub": "AAAA"},
            {"kid": "ok", "kty": "RSA", "alg": "RS512", "n": "sXch", "e": "AQAB"},
        ]));
        assert_eq!(set.len(), 1);
        assert_eq!(set.get("ok").unwrap().algorithm, Algorithm::RS512);
        let text = skipped.join("\n");
        assert!(
            text.contains("key secret: a symmetric key is never taken"),
            "{text}"
        );
        assert!(text.contains("key enc: an encryption key"), "{text}");
        assert!(
            text.contains("key mixed: algorithm ES384 is not accepted"),
            "{text}"
        );
        assert!(
            text.contains("key hs-on-rsa: algorithm HS256 is not accepted"),
            "{text}"
        );
        assert!(text.contains("key #4: no kid"), "{text}");
        assert!(text.contains("key future:"), "{text}");
        assert_eq!(skipped.len(), 6);
    }

    #[test]
    fn an_answer_that_is_not_a_set_is_an_error() {
        let error = KeySet::parse(b"<html>login</html>").err().unwrap();
        assert!(error.starts_with("not a JWK set: "), "{error}");
        assert!(KeySet::parse(b"{\"keys\": []}").unwrap().0.is_empty());
    }
}
