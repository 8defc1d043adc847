//! The JSON text parser: RFC 8259 text to a [`Value`] tree that borrows from the input.
//!
//! Strict where serde_json is strict (no trailing commas, comments, `NaN`, leading zeros, control
//! characters in strings, lone surrogates, trailing data) and nesting is capped at [`MAX_DEPTH`] levels,
//! so hostile input fails with a message rather than exhausting the stack.

use std::borrow::Cow;

use super::{render_segments, Kind, Segment, Value};
use crate::FieldError;

/// The deepest nesting of arrays and objects accepted: 127 levels, where serde_json stops too.
pub const MAX_DEPTH: usize = 127;

/// Parses a whole JSON document: one value with only whitespace around it. A syntax error names the
/// member or item it occurred in (`policy.maxMultiple` for `"maxMultiple": NaN`).
pub fn parse(text: &str) -> Result<Value<'_>, FieldError> {
    let mut p = Parser { text, bytes: text.as_bytes(), pos: 0, depth: 0, path: Vec::new() };
    let value = p.value()?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("trailing characters"));
    }
    Ok(value)
}

/// Where the value starting at byte `at` of `text` ends (exclusive), if a value starts there.
pub(super) fn value_end(text: &str, at: usize) -> Option<usize> {
    let mut p = Parser { text, bytes: text.as_bytes(), pos: at, depth: 0, path: Vec::new() };
    p.value().ok().map(|_| p.pos)
}

/// The parser's state; with the feature `speed`, [`crate::Reader`] scans with it too.
pub(crate) struct Parser<'a> {
    pub(crate) text: &'a str,
    bytes: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) depth: usize,
    /// The members and items being parsed, for the error path (escaped keys appear as written).
    path: Vec<Segment<'a>>,
}

impl<'a> Parser<'a> {
    /// A parser at the start of `text`.
    #[cfg(feature = "speed")]
    pub(crate) fn new(text: &'a str) -> Self {
        Parser { text, bytes: text.as_bytes(), pos: 0, depth: 0, path: Vec::new() }
    }

    fn error(&self, what: &str) -> FieldError {
        FieldError::positioned(render_segments(&self.path), what, &super::position(self.text, self.pos))
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(crate) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `word` (after its first byte was seen) or fails.
    pub(crate) fn literal(&mut self, word: &str) -> Result<(), FieldError> {
        for expected in word.bytes() {
            match self.peek() {
                Some(b) if b == expected => self.pos += 1,
                Some(_) => return Err(self.error("expected ident")),
                None => return Err(self.error("EOF while parsing a value")),
            }
        }
        Ok(())
    }

    pub(crate) fn value(&mut self) -> Result<Value<'a>, FieldError> {
        self.skip_ws();
        let at = self.pos;
        let kind = match self.peek() {
            None => return Err(self.error("EOF while parsing a value")),
            Some(b'n') => self.literal("null").map(|()| Kind::Null)?,
            Some(b't') => self.literal("true").map(|()| Kind::Bool(true))?,
            Some(b'f') => self.literal("false").map(|()| Kind::Bool(false))?,
            Some(b'"') => Kind::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => Kind::Number(self.number()?),
            Some(b'[') => self.nested(Self::array)?,
            Some(b'{') => self.nested(Self::object)?,
            Some(_) => return Err(self.error("expected value")),
        };
        Ok(Value { kind, at })
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Kind<'a>, FieldError>) -> Result<Kind<'a>, FieldError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.depth += 1;
        self.pos += 1; // `[` or `{`
        let kind = f(self)?;
        self.depth -= 1;
        Ok(kind)
    }

    fn array(&mut self) -> Result<Kind<'a>, FieldError> {
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Kind::Array(items));
        }
        loop {
            self.path.push(Segment::Index(items.len()));
            items.push(self.value()?);
            self.path.pop();
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Kind::Array(items));
                }
                Some(_) => return Err(self.error("expected `,` or `]`")),
                None => return Err(self.error("EOF while parsing a list")),
            }
        }
    }

    fn object(&mut self) -> Result<Kind<'a>, FieldError> {
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Kind::Object(entries));
        }
        loop {
            self.skip_ws();
            let key_start = self.pos + 1;
            let key = match self.peek() {
                Some(b'"') => self.string()?,
                Some(_) => return Err(self.error("key must be a string")),
                None => return Err(self.error("EOF while parsing an object")),
            };
            // INVARIANT: the key's quotes are ASCII, so key_start and pos - 1 are char boundaries.
            let raw_key = self.text.get(key_start..self.pos - 1).unwrap_or_default();
            self.skip_ws();
            match self.peek() {
                Some(b':') => self.pos += 1,
                Some(_) => return Err(self.error("expected `:`")),
                None => return Err(self.error("EOF while parsing an object")),
            }
            self.path.push(Segment::Key(raw_key));
            entries.push((key, self.value()?));
            self.path.pop();
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Kind::Object(entries));
                }
                Some(_) => return Err(self.error("expected `,` or `}`")),
                None => return Err(self.error("EOF while parsing an object")),
            }
        }
    }

    /// A number's text, checked against the JSON grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    pub(crate) fn number(&mut self) -> Result<&'a str, FieldError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.error("invalid number"));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            self.digits();
        }
        // INVARIANT: start..pos covers ASCII bytes only, so both ends are char boundaries.
        Ok(self.text.get(start..self.pos).unwrap_or_default())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// A string (the opening quote is at `pos`): borrowed when it has no escapes.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>, FieldError> {
        // With the feature `speed`: a string without escapes (nearly every one) found in one scan, in a
        // function small enough to keep its state in registers; anything else below.
        #[cfg(feature = "speed")]
        {
            let start = self.pos + 1;
            let end = start + crate::plain_prefix(self.bytes.get(start..).unwrap_or_default());
            if self.bytes.get(end) == Some(&b'"') {
                self.pos = end + 1;
                // INVARIANT: `"` is ASCII and start follows one, so both ends are char boundaries.
                return Ok(Cow::Borrowed(self.text.get(start..end).unwrap_or_default()));
            }
        }
        self.string_with_escapes()
    }

    /// [`Self::string`] in general (escapes, errors).
    #[cfg_attr(feature = "speed", inline(never))]
    fn string_with_escapes(&mut self) -> Result<Cow<'a, str>, FieldError> {
        self.pos += 1;
        let start = self.pos;
        // Fast path: scan to the closing quote; fall back to decoding at the first backslash. With the
        // feature `speed`, the run without `"`, `\` or a control character is found eight bytes at a time.
        #[cfg(feature = "speed")]
        {
            self.pos += crate::plain_prefix(self.bytes.get(self.pos..).unwrap_or_default());
        }
        loop {
            match self.peek() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    // INVARIANT: `"` is ASCII, so start..pos ends on a char boundary (start follows one).
                    let s = self.text.get(start..self.pos).unwrap_or_default();
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(0x00..=0x1f) => {
                    return Err(self.error("control character (\\u0000-\\u001F) found while parsing a string"))
                }
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::from(self.text.get(start..self.pos).unwrap_or_default());
        loop {
            let run = self.pos;
            #[cfg(feature = "speed")]
            {
                self.pos += crate::plain_prefix(self.bytes.get(self.pos..).unwrap_or_default());
            }
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(run..self.pos).unwrap_or_default());
            match self.peek() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => {
                    return Err(self.error("control character (\\u0000-\\u001F) found while parsing a string"))
                }
            }
        }
    }

    /// One escape after its backslash.
    fn escape(&mut self, out: &mut String) -> Result<(), FieldError> {
        let Some(b) = self.peek() else { return Err(self.error("EOF while parsing a string")) };
        self.pos += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                match first {
                    0xD800..=0xDBFF => {
                        if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u".as_slice()) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return Err(self.error("lone leading surrogate in hex escape"));
                        }
                        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        char::from_u32(code).ok_or_else(|| self.error("invalid unicode code point"))?
                    }
                    0xDC00..=0xDFFF => return Err(self.error("lone trailing surrogate in hex escape")),
                    _ => char::from_u32(first).ok_or_else(|| self.error("invalid unicode code point"))?,
                }
            }
            _ => return Err(self.error("invalid escape")),
        };
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, FieldError> {
        let mut n = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(b @ b'0'..=b'9') => b - b'0',
                Some(b @ b'a'..=b'f') => b - b'a' + 10,
                Some(b @ b'A'..=b'F') => b - b'A' + 10,
                Some(_) => return Err(self.error("invalid escape")),
                None => return Err(self.error("EOF while parsing a string")),
            };
            self.pos += 1;
            n = n * 16 + u32::from(d);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Value<'_> {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str) -> String {
        match parse(text) {
            Ok(_) => panic!("{text} parsed"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_every_kind_with_positions() {
        let v = ok(" {\"a\": [1, -2.5e3, true, false, null], \"b\": \"x\\u00e9\\ud83d\\ude00\\n\"} ");
        let Kind::Object(entries) = &v.kind else { panic!() };
        assert_eq!(v.at, 1);
        assert_eq!(entries[0].0, "a");
        let Kind::Array(items) = &entries[0].1.kind else { panic!() };
        assert!(matches!(items[1].kind, Kind::Number("-2.5e3")));
        assert_eq!(items[1].at, 11);
        assert!(matches!(&entries[1].1.kind, Kind::String(s) if s == "xé😀\n"));
        assert!(matches!(&ok("\"plain\"").kind, Kind::String(Cow::Borrowed("plain"))));
        let text = "{\"a\": {\"b\": [1, 2.50]} }";
        let Kind::Object(entries) = &ok(text).kind else { panic!() };
        assert_eq!(entries[0].1.raw(text), "{\"b\": [1, 2.50]}");
    }

    #[test]
    fn refuses_what_json_does_not_allow() {
        for (text, msg) in [
            ("", "EOF while parsing a value at line 1 column 1"),
            ("not json", "expected ident at line 1 column 2"),
            ("[1,]", "[1]: expected value at line 1 column 4"),
            ("{\"a\":1,}", "key must be a string at line 1 column 8"),
            ("{\"a\" 1}", "expected `:` at line 1 column 6"),
            ("[1 2]", "expected `,` or `]` at line 1 column 4"),
            ("01", "invalid number at line 1 column 2"),
            ("1.", "invalid number at line 1 column 3"),
            ("-", "invalid number at line 1 column 2"),
            ("1e", "invalid number at line 1 column 3"),
            ("NaN", "expected value at line 1 column 1"),
            ("{} x", "trailing characters at line 1 column 4"),
            (
                "\"a\u{1}\"",
                "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3",
            ),
            ("\"\\ud800\"", "lone leading surrogate in hex escape at line 1 column 8"),
            ("\"\\udc00\"", "lone trailing surrogate in hex escape at line 1 column 8"),
            ("\"\\x\"", "invalid escape at line 1 column 4"),
            ("{\n\"a\":\n tru }", "a: expected ident at line 3 column 5"),
            ("{\"a\": {\"b\": [1, 2, NaN]}}", "a.b[2]: expected value at line 1 column 20"),
            ("[", "[0]: EOF while parsing a value at line 1 column 2"),
            ("{\"a\":1", "EOF while parsing an object at line 1 column 7"),
        ] {
            assert_eq!(err(text), msg, "{text:?}");
        }
    }

    #[test]
    fn caps_nesting() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        ok(&deep);
        let deeper = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let expected = format!("recursion limit exceeded at line 1 column {}", MAX_DEPTH + 1);
        assert!(err(&deeper).contains(&expected), "{}", err(&deeper));
    }
}
