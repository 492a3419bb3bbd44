//! The Secrets Manager fake's check of AWS Signature Version 4: the `Authorization` header's
//! form and `x-amz-date` always, and, when the secret access key is known, the signature
//! itself (canonical request, string to sign, HMAC-SHA256 key chain) as AWS computes it.

use axum::body::Bytes;
use axum::http::{HeaderMap, Uri};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "secretsmanager";

/// The parts of `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/secretsmanager/
/// aws4_request, SignedHeaders=a;b, Signature=HEX`.
struct Authorization<'a> {
    date: &'a str,
    region: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// The region of the signature's scope, or the error type and message AWS would answer.
pub(super) fn check(
    headers: &HeaderMap,
    uri: &Uri,
    body: &Bytes,
    secret_access_key: Option<&str>,
) -> Result<String, (&'static str, String)> {
    let Some(value) = headers.get("authorization") else {
        return Err((
            "MissingAuthenticationTokenException",
            "Missing Authentication Token".to_owned(),
        ));
    };
    let incomplete = |why: &str| ("IncompleteSignatureException", why.to_owned());
    let value = value
        .to_str()
        .map_err(|_| incomplete("the Authorization header is not text"))?;
    let auth = parse_authorization(value).ok_or_else(|| {
        incomplete(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' \
             parameters of an AWS4-HMAC-SHA256 signature for service secretsmanager",
        )
    })?;
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| incomplete("the x-amz-date header is missing"))?;
    let well_formed = amz_date.len() == 16
        && amz_date.as_bytes()[8] == b'T'
        && amz_date.ends_with('Z')
        && amz_date.starts_with(auth.date);
    if !well_formed {
        return Err(incomplete(
            "x-amz-date must be YYYYMMDDTHHMMSSZ on the Credential's date",
        ));
    }
    let signed: Vec<&str> = auth.signed_headers.split(';').collect();
    if !signed.contains(&"host") || !signed.contains(&"x-amz-date") {
        return Err(incomplete("SignedHeaders must include host and x-amz-date"));
    }
    if let Some(secret) = secret_access_key {
        let expected = signature(secret, &auth, amz_date, &signed, headers, uri, body);
        if expected != auth.signature {
            return Err((
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you \
                 provided. Check your AWS Secret Access Key and signing method."
                    .to_owned(),
            ));
        }
    }
    Ok(auth.region.to_owned())
}

fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim) {
        let (key, value) = part.split_once('=')?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let scope: Vec<&str> = credential?.split('/').collect();
    let [key_id, date, region, SERVICE, "aws4_request"] = scope[..] else {
        return None;
    };
    let signature = signature?;
    let hex = signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit());
    let date_ok = date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit());
    if key_id.is_empty() || region.is_empty() || !hex || !date_ok {
        return None;
    }
    Some(Authorization {
        date,
        region,
        signed_headers: signed_headers.filter(|s| !s.is_empty())?,
        signature,
    })
}

/// The signature AWS would compute for this request.
fn signature(
    secret: &str,
    auth: &Authorization<'_>,
    amz_date: &str,
    signed: &[&str],
    headers: &HeaderMap,
    uri: &Uri,
    body: &Bytes,
) -> String {
    let mut canonical_headers = String::new();
    for name in signed {
        let values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let mut query: Vec<&str> = uri.query().unwrap_or("").split('&').collect();
    query.retain(|q| !q.is_empty());
    query.sort_unstable();
    let payload_hash = hex(ring::digest::digest(&ring::digest::SHA256, body).as_ref());
    let canonical_request = format!(
        "POST\n{}\n{}\n{canonical_headers}\n{}\n{payload_hash}",
        uri.path(),
        query.join("&"),
        auth.signed_headers
    );
    let scope = format!("{}/{}/{SERVICE}/aws4_request", auth.date, auth.region);
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(ring::digest::digest(&ring::digest::SHA256, canonical_request.as_bytes()).as_ref())
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), auth.date.as_bytes());
    for part in [auth.region, SERVICE, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    hex(&hmac(&key, string_to_sign.as_bytes()))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    ring::hmac::sign(&key, data).as_ref().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
