//! The simulated Google OAuth side: service-account keys generated for this simulator, the
//! `/token` JWT-bearer grant (RS256 signatures checked against the keys it issued) and the
//! bearer tokens the API then accepts.

use std::collections::HashSet;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use rand08::Rng as _;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use serde::Deserialize;

/// The service account every simulated key belongs to.
pub const SIM_CLIENT_EMAIL: &str = "exportsync@sim-project.iam.gserviceaccount.com";
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Lifetime announced for issued tokens, as Google does.
pub const TOKEN_LIFETIME_SECS: u64 = 3599;
/// Clock skew tolerated on `iat` / `exp`.
const SKEW_SECS: i64 = 300;

/// JWT parts are URL-safe base64; yup-oauth2 pads them, Google's own clients do not.
const JWT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a token grant was refused; the message becomes `error_description`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GrantError {
    #[error("unsupported grant_type {0:?}: expected {GRANT_TYPE}")]
    UnsupportedGrantType(String),
    #[error("the assertion is not a JWT (header.claims.signature)")]
    Malformed,
    #[error("the JWT header must say alg RS256")]
    Algorithm,
    #[error("Invalid JWT Signature.")]
    Signature,
    #[error("the JWT claims are missing or wrong: {0}")]
    Claims(String),
    #[error(
        "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe."
    )]
    Expired,
}

impl GrantError {
    /// The OAuth `error` code Google answers with.
    pub fn code(&self) -> &'static str {
        match self {
            GrantError::UnsupportedGrantType(_) => "unsupported_grant_type",
            _ => "invalid_grant",
        }
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    exp: i64,
    iat: i64,
    #[serde(default)]
    scope: String,
}

/// Keys issued and tokens granted by one simulator.
#[derive(Default)]
pub struct Authority {
    /// PKCS#1 DER public keys of the service-account keys this simulator generated.
    public_keys: Mutex<Vec<Vec<u8>>>,
    tokens: Mutex<HashSet<String>>,
}

impl Authority {
    /// Generates a 2048-bit RSA service-account key whose `token_uri` is `token_uri`, and
    /// remembers its public half so grants signed with it are accepted.
    pub fn issue_key(&self, token_uri: &str) -> yup_oauth2::ServiceAccountKey {
        let mut rng = rand08::thread_rng();
        let private = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("RSA key generation");
        let public_der = private
            .to_public_key()
            .to_pkcs1_der()
            .expect("PKCS#1 encoding of a fresh public key")
            .as_bytes()
            .to_vec();
        let pem = private
            .to_pkcs8_pem(LineEnding::LF)
            .expect("PKCS#8 encoding of a fresh private key");
        self.public_keys.lock().expect("keys lock").push(public_der);
        let key_id: String = (0..40)
            .map(|_| char::from_digit(rng.gen_range(0..16), 16).expect("hex digit"))
            .collect();
        yup_oauth2::ServiceAccountKey {
            key_type: Some("service_account".into()),
            project_id: Some("sim-project".into()),
            private_key_id: Some(key_id),
            private_key: pem.to_string(),
            client_email: SIM_CLIENT_EMAIL.into(),
            client_id: Some("100000000000000000001".into()),
            auth_uri: Some("https://accounts.google.com/o/oauth2/auth".into()),
            token_uri: token_uri.into(),
            auth_provider_x509_cert_url: None,
            client_x509_cert_url: None,
        }
    }

    /// Checks a `/token` form (`grant_type`, `assertion`) and returns a fresh access token.
    pub fn grant(
        &self,
        grant_type: Option<&str>,
        assertion: Option<&str>,
        token_uri: &str,
        now_unix: i64,
    ) -> Result<String, GrantError> {
        match grant_type {
            Some(GRANT_TYPE) => {}
            other => return Err(GrantError::UnsupportedGrantType(other.unwrap_or("").into())),
        }
        let assertion = assertion.ok_or(GrantError::Malformed)?;
        let claims = self.verify(assertion)?;
        if claims.iss != SIM_CLIENT_EMAIL {
            return Err(GrantError::Claims(format!(
                "iss must be {SIM_CLIENT_EMAIL}"
            )));
        }
        if claims.aud != token_uri {
            return Err(GrantError::Claims(format!("aud must be {token_uri}")));
        }
        if claims.scope.trim().is_empty() {
            return Err(GrantError::Claims("scope is empty".into()));
        }
        let lifetime = claims.exp - claims.iat;
        if claims.iat > now_unix + SKEW_SECS
            || claims.exp < now_unix - SKEW_SECS
            || !(1..=3600).contains(&lifetime)
        {
            return Err(GrantError::Expired);
        }
        let mut rng = rand08::thread_rng();
        let token: String = (0..48)
            .map(|_| char::from(rng.sample(rand08::distributions::Alphanumeric)))
            .collect();
        let token = format!("ya29.sim-{token}");
        self.tokens
            .lock()
            .expect("tokens lock")
            .insert(token.clone());
        Ok(token)
    }

    fn verify(&self, jwt: &str) -> Result<Claims, GrantError> {
        let mut parts = jwt.split('.');
        let (Some(header_b64), Some(claims_b64), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(GrantError::Malformed);
        };
        let decode = |s: &str| JWT_BASE64.decode(s).map_err(|_| GrantError::Malformed);
        let header: Header =
            serde_json::from_slice(&decode(header_b64)?).map_err(|_| GrantError::Malformed)?;
        if header.alg != "RS256" {
            return Err(GrantError::Algorithm);
        }
        let signature = decode(signature)?;
        let signed = &jwt.as_bytes()[..header_b64.len() + 1 + claims_b64.len()];
        let keys = self.public_keys.lock().expect("keys lock");
        let valid = keys.iter().any(|der| {
            ring::signature::UnparsedPublicKey::new(
                &ring::signature::RSA_PKCS1_2048_8192_SHA256,
                der,
            )
            .verify(signed, &signature)
            .is_ok()
        });
        if !valid {
            return Err(GrantError::Signature);
        }
        serde_json::from_slice(&decode(claims_b64)?).map_err(|e| GrantError::Claims(e.to_string()))
    }

    /// True when `authorization` is `Bearer <a token this simulator granted>`.
    pub fn accepts(&self, authorization: Option<&str>) -> bool {
        let Some(token) = authorization.and_then(|h| h.strip_prefix("Bearer ")) else {
            return false;
        };
        self.tokens
            .lock()
            .expect("tokens lock")
            .contains(token.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "http://127.0.0.1:9/token";

    /// Signs claims the way yup-oauth2 does (padded URL-safe base64, RS256 over PKCS#8 key).
    fn sign(key: &yup_oauth2::ServiceAccountKey, claims: serde_json::Value, alg: &str) -> String {
        use rsa::pkcs8::DecodePrivateKey;
        let b64 = &base64::engine::general_purpose::URL_SAFE;
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(&key.private_key).unwrap();
        let der = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&private).unwrap();
        let pair = ring::signature::RsaKeyPair::from_pkcs8(der.as_bytes()).unwrap();
        let head = format!(
            "{}.{}",
            b64.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#)),
            b64.encode(claims.to_string())
        );
        let mut sig = vec![0; pair.public().modulus_len()];
        pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            head.as_bytes(),
            &mut sig,
        )
        .unwrap();
        format!("{head}.{}", b64.encode(sig))
    }

    fn claims(now: i64) -> serde_json::Value {
        serde_json::json!({"iss": SIM_CLIENT_EMAIL, "aud": URI, "iat": now, "exp": now + 3595,
            "scope": "https://www.googleapis.com/auth/spreadsheets"})
    }

    #[test]
    fn grants_signed_assertions_and_refuses_others() {
        let authority = Authority::default();
        let key = authority.issue_key(URI);
        // The key is PKCS#8 PEM, the form Google issues and yup-oauth2 reads.
        use rsa::pkcs8::DecodePrivateKey;
        rsa::RsaPrivateKey::from_pkcs8_pem(&key.private_key).expect("a PKCS#8 PEM key");
        let now = 1_700_000_000;
        let jwt = sign(&key, claims(now), "RS256");
        let token = authority
            .grant(Some(GRANT_TYPE), Some(&jwt), URI, now)
            .unwrap();
        assert!(authority.accepts(Some(&format!("Bearer {token}"))));
        assert!(!authority.accepts(Some("Bearer ya29.other")));
        assert!(!authority.accepts(Some(&token)));
        assert!(!authority.accepts(None));

        // A key this simulator never issued.
        let stranger = Authority::default().issue_key(URI);
        let forged = sign(&stranger, claims(now), "RS256");
        assert_eq!(
            authority.grant(Some(GRANT_TYPE), Some(&forged), URI, now),
            Err(GrantError::Signature)
        );
        // Tampered claims break the signature.
        let mut parts: Vec<String> = jwt.split('.').map(String::from).collect();
        let mut other = claims(now);
        other["scope"] = "x".into();
        parts[1] = base64::engine::general_purpose::URL_SAFE.encode(other.to_string());
        assert_eq!(
            authority.grant(Some(GRANT_TYPE), Some(&parts.join(".")), URI, now),
            Err(GrantError::Signature)
        );
        assert_eq!(
            authority.grant(Some(GRANT_TYPE), Some(&jwt), "http://elsewhere/token", now),
            Err(GrantError::Claims(
                "aud must be http://elsewhere/token".into()
            ))
        );
        assert_eq!(
            authority.grant(Some(GRANT_TYPE), Some(&jwt), URI, now + 7200),
            Err(GrantError::Expired)
        );
        assert!(matches!(
            authority.grant(Some("password"), Some(&jwt), URI, now),
            Err(GrantError::UnsupportedGrantType(_))
        ));
        assert_eq!(
            authority.grant(Some(GRANT_TYPE), Some("not-a-jwt"), URI, now),
            Err(GrantError::Malformed)
        );
        let hs = sign(&key, claims(now), "HS256");
        assert_eq!(
            authority.grant(Some(GRANT_TYPE), Some(&hs), URI, now),
            Err(GrantError::Algorithm)
        );
    }
}
