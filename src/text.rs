//! Text helpers shared by every module that turns an error into a report cell, a log field or
//! a Telegram line: [`one_line`] and [`error_chain`] (one of each in the crate).

use std::fmt::Display;

/// The longest error kept in a report line (and so in the Lambda error and on Telegram).
pub const ERROR_LINE_CHARS: usize = 600;

/// `text` on one line of at most `max_chars` characters: a line break becomes `; ` (a space
/// after a line that ends in punctuation), other whitespace and control characters one space,
/// and a cut text ends with `…`.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut line = String::new();
    for part in text.lines() {
        let part = part
            .split(|c: char| c.is_whitespace() || c.is_control())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if part.is_empty() {
            continue;
        }
        if !line.is_empty() {
            line.push_str(if line.ends_with([':', ';', ',', '.']) {
                " "
            } else {
                "; "
            });
        }
        line.push_str(&part);
    }
    if line.chars().count() <= max_chars {
        line
    } else {
        let mut cut: String = line.chars().take(max_chars.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// An error on one line for a report cell, at most [`ERROR_LINE_CHARS`].
pub fn error_line(error: &dyn Display) -> String {
    one_line(&error.to_string(), ERROR_LINE_CHARS)
}

/// An error and its sources on one line (`error sending request: connection refused`), each
/// cause's Display once (a cause already quoted by its parent is not repeated).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_flattens_and_cuts() {
        assert_eq!(one_line("a\n  b\tc\u{7}d\n\n", 100), "a; b c d");
        assert_eq!(one_line("failed:\n  wrong", 100), "failed: wrong");
        assert_eq!(one_line("abcdef", 4), "abc…");
        assert_eq!(one_line("abc", 3), "abc");
        assert_eq!(one_line("", 3), "");
    }

    #[test]
    fn error_chain_quotes_each_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let e = Outer(std::io::Error::other("refused"));
        assert_eq!(error_chain(&e), "outer: refused");
    }
}
