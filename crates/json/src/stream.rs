//! [`Reader`]: typed values read straight from the text, without the tree (feature `speed`, the Node build).
//!
//! Why: reading a typical evaluation (4.7 KB) through the tree was most of a one-shot call's instructions:
//! building the tree (a vector per object and array, grown step by step), looking every field up in it,
//! then freeing it (PERFORMANCE.md, section 2). Here each type's [`crate::FromJson::read`] scans its own text
//! and puts each member where it belongs as the scan meets it.
//!
//! The rule that keeps the answers identical: a reader answers `None` at the first thing it does not
//! accept, and never names the problem. [`crate::from_str`] then reads the same text the other way
//! (parse, then [`crate::FromJson::from_json`]), which finds the error and words it as before. So this path only
//! has to be right when it succeeds: it accepts a text only when the tree path accepts it, with the same
//! value. It scans with the tree parser's own string, number and literal code, keeps its depth limit, and
//! refuses what the tree readers refuse (a known field given twice, an unknown field where unknown fields
//! are denied, a missing required field); the property tests in `tests/stream.rs` hold both paths to the
//! same results.

use std::borrow::Cow;

use crate::parse::Parser;
use crate::{Value, MAX_DEPTH};

/// A cursor over JSON text, for [`crate::FromJson::read`]. Each method skips the whitespace before the value it
/// reads; each answers `None` where the text is not what it reads (the caller gives up; see the module).
pub struct Reader<'a> {
    p: Parser<'a>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Reader { p: Parser::new(text) }
    }

    /// The whole document being read.
    pub fn document(&self) -> &'a str {
        self.p.text
    }

    fn next(&mut self) -> Option<u8> {
        self.p.skip_ws();
        self.p.peek()
    }

    /// Consumes a `null` if one comes next: `Some(true)`; `Some(false)` when another value comes next.
    pub fn null(&mut self) -> Option<bool> {
        if self.next() != Some(b'n') {
            return Some(false);
        }
        self.p.literal("null").ok().map(|()| true)
    }

    /// Whether only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.next().is_none()
    }

    /// A string's text (borrowed unless it has escapes).
    pub fn string(&mut self) -> Option<Cow<'a, str>> {
        if self.next() != Some(b'"') {
            return None;
        }
        self.p.string().ok()
    }

    /// A number's exact text.
    pub fn number(&mut self) -> Option<&'a str> {
        match self.next() {
            Some(b'-' | b'0'..=b'9') => self.p.number().ok(),
            _ => None,
        }
    }

    /// `true` or `false`.
    pub fn bool(&mut self) -> Option<bool> {
        match self.next() {
            Some(b't') => self.p.literal("true").ok().map(|()| true),
            Some(b'f') => self.p.literal("false").ok().map(|()| false),
            _ => None,
        }
    }

    /// Any value, as a tree (what [`crate::FromJson::read`] does by default, and how an ignored member is skipped).
    pub fn value(&mut self) -> Option<Value<'a>> {
        self.p.value().ok()
    }

    /// An object: `member` is called with each key, in document order, and must read that member's value.
    pub fn object(&mut self, mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>) -> Option<()> {
        self.nested(b'{', b'}', |r| {
            if r.next() != Some(b'"') {
                return None;
            }
            let key = r.p.string().ok()?;
            if r.next() != Some(b':') {
                return None;
            }
            r.p.pos += 1;
            member(r, key)
        })
    }

    /// An array: `item` is called for each item and must read it.
    pub fn array(&mut self, item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.nested(b'[', b']', item)
    }

    /// `open`, then `entry` separated by commas, then `close`; at most [`MAX_DEPTH`] levels deep, as in
    /// the parser.
    fn nested(&mut self, open: u8, close: u8, mut entry: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if self.next() != Some(open) || self.p.depth >= MAX_DEPTH {
            return None;
        }
        self.p.depth += 1;
        self.p.pos += 1;
        if self.next() == Some(close) {
            self.p.pos += 1;
            self.p.depth -= 1;
            return Some(());
        }
        loop {
            entry(self)?;
            match self.next() {
                Some(b',') => self.p.pos += 1,
                Some(b) if b == close => {
                    self.p.pos += 1;
                    self.p.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}
