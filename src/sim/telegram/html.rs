//! Telegram's HTML parse mode as the Bot API checks it: only the formatting tags it knows,
//! properly nested and closed; `<`, `>` and `&` outside tags only as entities (`&lt; &gt; &amp;
//! &quot;` and numeric ones). Yields the plain text, whose length is what Telegram limits.

/// Tags Telegram's HTML mode accepts (with their synonyms), besides `a` which needs `href`.
const FORMAT_TAGS: [&str; 11] = [
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre",
];

/// Parses `html` like Telegram; on error, the `description` Telegram would answer with 400.
pub fn parse(html: &str) -> Result<String, String> {
    let bytes = html.as_bytes();
    let mut plain = String::with_capacity(html.len());
    let mut open: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'&' => {
                let (c, len) = entity(&html[i..])
                    .ok_or_else(|| fail(&format!("Unsupported HTML entity at byte offset {i}")))?;
                plain.push(c);
                i += len;
            }
            b'<' => {
                let end = html[i..]
                    .find('>')
                    .map(|e| i + e)
                    .ok_or_else(|| fail(&format!("Unclosed start tag at byte offset {i}")))?;
                let inside = &html[i + 1..end];
                if let Some(name) = inside.strip_prefix('/') {
                    let name = name.trim();
                    match open.pop() {
                        Some(top) if top.eq_ignore_ascii_case(name) => {}
                        Some(top) => {
                            return Err(fail(&format!(
                                "Can't find end tag corresponding to start tag \"{top}\""
                            )));
                        }
                        None => {
                            return Err(fail(&format!("Unexpected end tag at byte offset {i}")));
                        }
                    }
                } else {
                    let name_len = inside
                        .find(|c: char| c.is_whitespace())
                        .unwrap_or(inside.len());
                    let (name, attributes) = inside.split_at(name_len);
                    let name = name.to_ascii_lowercase();
                    let known = FORMAT_TAGS.iter().find(|t| **t == name).copied();
                    match (known, name.as_str()) {
                        (Some(tag), _) => open.push(tag),
                        (None, "a") => {
                            check_href(attributes, i)?;
                            open.push("a");
                        }
                        _ => {
                            return Err(fail(&format!(
                                "Unsupported start tag \"{name}\" at byte offset {i}"
                            )));
                        }
                    }
                }
                i = end + 1;
            }
            b'>' => {
                return Err(fail(&format!(
                    "Unexpected \">\" at byte offset {i}; it must be written &gt;"
                )));
            }
            _ => {
                let c = html[i..].chars().next().expect("inside the text");
                plain.push(c);
                i += c.len_utf8();
            }
        }
    }
    if let Some(tag) = open.pop() {
        return Err(fail(&format!(
            "Can't find end tag corresponding to start tag \"{tag}\""
        )));
    }
    Ok(plain)
}

fn fail(why: &str) -> String {
    format!("Bad Request: can't parse entities: {why}")
}

/// The character an entity at the start of `text` stands for, and its length.
fn entity(text: &str) -> Option<(char, usize)> {
    let end = text.find(';')?;
    let name = &text[1..end];
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse::<u32>().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

/// `<a href="...">`: exactly an `href` attribute, quoted, with its entities valid.
fn check_href(attributes: &str, at: usize) -> Result<(), String> {
    let attributes = attributes.trim();
    let value = attributes
        .strip_prefix("href")
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='))
        .map(str::trim_start)
        .ok_or_else(|| fail(&format!("Tag \"a\" must have an href at byte offset {at}")))?;
    let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'');
    let inner = match quote {
        Some(q) => value[1..]
            .strip_suffix(q)
            .ok_or_else(|| fail(&format!("Unclosed attribute value at byte offset {at}")))?,
        None => value,
    };
    if inner.contains(['<', '"']) {
        return Err(fail(&format!("Bad attribute value at byte offset {at}")));
    }
    let mut rest = inner;
    while let Some(amp) = rest.find('&') {
        let (_, len) = entity(&rest[amp..])
            .ok_or_else(|| fail(&format!("Unsupported HTML entity at byte offset {at}")))?;
        rest = &rest[amp + len..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn accepts_formatting_and_entities() {
        assert_eq!(
            parse("<b>a</b> &lt;script&gt;&amp;&quot; <i><code>x</code></i> &#65;&#x42;").unwrap(),
            "a <script>&\" x AB"
        );
        assert_eq!(
            parse("<a href=\"https://example.com/?a=1&amp;b=2\">link</a>").unwrap(),
            "link"
        );
    }

    #[test]
    fn rejects_what_telegram_rejects() {
        for (html, why) in [
            ("<script>x</script>", "Unsupported start tag \"script\""),
            (
                "<b>x",
                "Can't find end tag corresponding to start tag \"b\"",
            ),
            (
                "<b><i>x</b></i>",
                "Can't find end tag corresponding to start tag \"i\"",
            ),
            ("x</b>", "Unexpected end tag"),
            ("a & b", "Unsupported HTML entity"),
            ("&nbsp;", "Unsupported HTML entity"),
            ("a > b", "Unexpected \">\""),
            ("a <b", "Unclosed start tag"),
            ("<a>x</a>", "must have an href"),
        ] {
            let error = parse(html).expect_err(html);
            assert!(error.contains(why), "{html}: {error}");
            assert!(error.starts_with("Bad Request: can't parse entities: "));
        }
    }
}
