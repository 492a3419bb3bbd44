//! The request bodies the Bot API accepts, read into one list of fields: JSON objects,
//! `application/x-www-form-urlencoded` and `multipart/form-data` (files keep their bytes).

use std::collections::HashMap;

/// One field of a request; `file_name` is set for uploaded files.
#[derive(Clone, Debug, Default)]
pub struct Field {
    pub value: Vec<u8>,
    pub file_name: Option<String>,
}

impl Field {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.value).into_owned()
    }
}

/// Reads a body by its `Content-Type`; the error is Telegram-style `Bad Request: ...` text.
pub fn read(content_type: &str, body: &[u8]) -> Result<HashMap<String, Field>, String> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "" if body.is_empty() => Ok(HashMap::new()),
        "application/json" => json(body),
        "application/x-www-form-urlencoded" => Ok(urlencoded(body)),
        "multipart/form-data" => {
            let boundary = content_type
                .split(';')
                .filter_map(|p| p.trim().strip_prefix("boundary="))
                .next()
                .map(|b| b.trim_matches('"').to_owned())
                .ok_or("Bad Request: multipart body without a boundary")?;
            multipart(&boundary, body)
        }
        other => Err(format!("Bad Request: unsupported content type \"{other}\"")),
    }
}

fn json(body: &[u8]) -> Result<HashMap<String, Field>, String> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("Bad Request: the JSON body cannot be read: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("Bad Request: the JSON body must be an object".to_owned());
    };
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (
                k,
                Field {
                    value: text.into_bytes(),
                    file_name: None,
                },
            )
        })
        .collect())
}

fn urlencoded(body: &[u8]) -> HashMap<String, Field> {
    let decode = |s: &[u8]| {
        let plus: Vec<u8> = s
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&plus).collect::<Vec<u8>>()
    };
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut kv = pair.splitn(2, |&b| b == b'=');
            let key = decode(kv.next().unwrap_or_default());
            let value = decode(kv.next().unwrap_or_default());
            (
                String::from_utf8_lossy(&key).into_owned(),
                Field {
                    value,
                    file_name: None,
                },
            )
        })
        .collect()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn multipart(boundary: &str, body: &[u8]) -> Result<HashMap<String, Field>, String> {
    let bad = |why: &str| format!("Bad Request: malformed multipart body: {why}");
    let delimiter = format!("--{boundary}").into_bytes();
    let mut fields = HashMap::new();
    let mut rest = &body[find(body, &delimiter).ok_or_else(|| bad("no boundary"))?..];
    loop {
        rest = &rest[delimiter.len()..];
        if rest.starts_with(b"--") {
            return Ok(fields);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or_else(|| bad("no line break after a boundary"))?;
        let head_end = find(rest, b"\r\n\r\n").ok_or_else(|| bad("part without headers"))?;
        let head = String::from_utf8_lossy(&rest[..head_end]).into_owned();
        let content = &rest[head_end + 4..];
        let next = find(content, &[b"\r\n".as_slice(), &delimiter].concat())
            .ok_or_else(|| bad("part without a closing boundary"))?;
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))
            .ok_or_else(|| bad("part without Content-Disposition"))?;
        let parameter = |key: &str| {
            disposition.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix(key)
                    .and_then(|v| v.strip_prefix('='))
                    .map(|v| v.trim_matches('"').to_owned())
            })
        };
        let name = parameter("name").ok_or_else(|| bad("part without a name"))?;
        fields.insert(
            name,
            Field {
                value: content[..next].to_vec(),
                file_name: parameter("filename"),
            },
        );
        rest = &content[next + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::read;

    #[test]
    fn reads_multipart_json_and_urlencoded() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n--XX\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--X\r\n--XX--\r\n";
        let f = read("multipart/form-data; boundary=XX", body).unwrap();
        assert_eq!(f["chat_id"].text(), "42");
        assert_eq!(f["photo"].value, b"\x89PNG\r\n--X");
        assert_eq!(f["photo"].file_name.as_deref(), Some("a.png"));

        let f = read("application/json", br#"{"chat_id": -100, "text": "a"}"#).unwrap();
        assert_eq!(f["chat_id"].text(), "-100");
        assert_eq!(f["text"].text(), "a");

        let f = read(
            "application/x-www-form-urlencoded",
            b"text=a+%3Cb%3E&chat_id=1",
        )
        .unwrap();
        assert_eq!(f["text"].text(), "a <b>");
        assert!(read("text/plain", b"x").is_err());
    }
}
