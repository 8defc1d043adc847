//! The shapes every dialect's answers share, written once. A dialect module keeps only what is its own:
//! the members of its error object ([`Envelope`]), the status, code and sentence of a refused rule
//! ([`Wording`]), and how it reads a processor's 2xx ([`settle`]).
//!
//! | dialect | error object before `mitgate` |
//! | --- | --- |
//! | Infinic | `{"detail"}` |
//! | Coinflow | `{"message"}` |
//! | SPG | `{"returnStatus": {"statusCode", "statusMsg"}, "paymentStatus": "Failed"}` |
//! | Axerve | `{"transactionResult": "KO", "errorCode", "errorDescription"}` |

use mitgate_core::decision::{Decision, Violation};
use mitgate_core::model::Outcome;
use mitgate_core::validate::FieldError;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use crate::common::{lead, not_sent, summary};
use crate::{DialectResponse, OutcomeContext};

/// One member of a dialect's error object, in the order written.
#[derive(Debug)]
pub(crate) enum Field {
    /// A fixed value: SPG `"paymentStatus": "Failed"`, Axerve `"transactionResult": "KO"`.
    Fixed(&'static str, &'static str),
    /// The error code: the dialect's own for the rule when it has one (Axerve `8026`), else the HTTP
    /// status as three digits (`"410"`).
    Code(&'static str),
    /// The sentence for people: Infinic `detail`, Coinflow `message`, SPG `statusMsg`, Axerve
    /// `errorDescription`.
    Message(&'static str),
    /// A nested object: SPG `returnStatus`.
    Object(&'static str, &'static [Field]),
}

/// A dialect's error answer: its own members, then mitgate's under `mitgate` (the decision of a refusal, or
/// `{"code": "bad_input", "errors"}`).
#[derive(Debug)]
pub(crate) struct Envelope(pub &'static [Field]);

/// What a dialect answers for one refused rule.
#[derive(Debug)]
pub(crate) struct Wording {
    /// The HTTP status.
    pub status: u16,
    /// The dialect's own error code, when it has one for this rule (else the status stands for it).
    pub code: Option<String>,
    /// The sentence.
    pub message: String,
}

impl Envelope {
    /// A refused decision in this envelope, worded after its first violation (the one its status comes
    /// from); `Retry-After` when every violation clears by waiting. `None` for an allowed decision.
    pub(crate) fn refusal(
        &self,
        decision: &Decision,
        wording: fn(&Violation) -> Wording,
    ) -> Option<DialectResponse> {
        let words = wording(lead(decision)?);
        let body = Body { members: self.0, words: &words, mitgate: decision };
        Some(respond(words.status, &body, decision.retry_after_seconds))
    }

    /// An error of mitgate's own in this envelope (not a refusal, not bad input: a route it does not
    /// forward), with `message` as the dialect's sentence and `mitgate` under `mitgate`.
    pub(crate) fn error<M: Serialize>(&self, status: u16, message: &str, mitgate: &M) -> DialectResponse {
        let words = Wording { status, code: None, message: message.to_string() };
        respond(status, &Body { members: self.0, words: &words, mitgate }, None)
    }

    /// Bad input in this envelope: 400, the first error and how many more as the sentence, every error
    /// with its field path under `mitgate.errors`.
    pub(crate) fn bad_input(&self, errors: &[FieldError]) -> DialectResponse {
        let words = Wording { status: 400, code: None, message: summary(errors) };
        let body = Body { members: self.0, words: &words, mitgate: BadInput { code: "bad_input", errors } };
        respond(400, &body, None)
    }
}

/// How a processor's HTTP status settles a forwarded MIT before its body is read: a 2xx is the dialect's
/// to `read`; any other 4xx means no charge reached the card network (not sent: the velocity slot is
/// given back); a 5xx or anything else leaves the attempt pending (`Ok(None)`). A dialect that reads
/// another status itself (Coinflow's 402 decline) does so before calling this.
pub(crate) fn settle(
    status: u16,
    ctx: &OutcomeContext<'_>,
    read: impl FnOnce() -> Result<Option<Outcome>, Vec<FieldError>>,
) -> Result<Option<Outcome>, Vec<FieldError>> {
    match status {
        200..=299 => read(),
        400..=499 => Ok(Some(not_sent(ctx))),
        _ => Ok(None),
    }
}

/// The `mitgate` object of a bad-input answer: every error with its field path.
#[derive(Serialize)]
struct BadInput<'a> {
    /// Always `bad_input`.
    code: &'static str,
    /// The errors.
    errors: &'a [FieldError],
}

/// The whole body: the dialect's members, then `mitgate`.
struct Body<'a, M> {
    members: &'static [Field],
    words: &'a Wording,
    mitgate: M,
}

/// A nested object of the dialect's members.
struct Members<'a> {
    members: &'static [Field],
    words: &'a Wording,
}

fn write_members<M: SerializeStruct>(
    map: &mut M,
    members: &[Field],
    words: &Wording,
) -> Result<(), M::Error> {
    for member in members {
        match member {
            Field::Fixed(name, value) => map.serialize_field(name, value)?,
            Field::Code(name) => match &words.code {
                Some(code) => map.serialize_field(name, code)?,
                None => map.serialize_field(name, &format!("{:03}", words.status))?,
            },
            Field::Message(name) => map.serialize_field(name, &words.message)?,
            Field::Object(name, inner) => map.serialize_field(name, &Members { members: inner, words })?,
        }
    }
    Ok(())
}

impl Serialize for Members<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_struct("Members", self.members.len())?;
        write_members(&mut map, self.members, self.words)?;
        map.end()
    }
}

impl<M: Serialize> Serialize for Body<'_, M> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_struct("Body", self.members.len() + 1)?;
        write_members(&mut map, self.members, self.words)?;
        map.serialize_field("mitgate", &self.mitgate)?;
        map.end()
    }
}

/// Builds the HTTP answer: JSON body, `content-type`, and `Retry-After` when every violation clears by
/// itself (the decision's `retryAfterSeconds`).
fn respond<M: Serialize>(
    status: u16,
    body: &Body<'_, M>,
    retry_after_seconds: Option<u64>,
) -> DialectResponse {
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if let Some(seconds) = retry_after_seconds {
        headers.push(("retry-after".to_string(), seconds.max(1).to_string()));
    }
    let body = serde_json::to_string(body).unwrap_or_else(|_| {
        // Unreachable in practice (plain structs, string keys); answer rather than panic.
        r#"{"mitgate":{"error":"internal serialization error"}}"#.to_string()
    });
    DialectResponse { status, headers, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NESTED: Envelope = Envelope(&[
        Field::Fixed("result", "KO"),
        Field::Object("status", &[Field::Code("code"), Field::Message("text")]),
        Field::Message("detail"),
    ]);

    #[test]
    fn members_keep_their_order_and_mitgate_comes_last() {
        let r = NESTED.bad_input(&[FieldError::new("a.b", "is required"), FieldError::new("c", "x")]);
        assert_eq!(r.status, 400);
        assert_eq!(r.header("retry-after"), None);
        assert_eq!(
            r.body,
            r#"{"result":"KO","status":{"code":"400","text":"a.b: is required (and 1 more)"},"detail":"a.b: is required (and 1 more)","mitgate":{"code":"bad_input","errors":[{"path":"a.b","message":"is required"},{"path":"c","message":"x"}]}}"#
        );
    }
}
