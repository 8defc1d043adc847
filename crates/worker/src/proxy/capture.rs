//! Capturing an agreement from a CIT the processor accepted: stored (a new CIT on a known id adds its
//! payment), indexed by token and customer, and the answer annotated with what happened.

use mitgate_core::json::Value;
use mitgate_core::validate::FieldError;
use mitgate_dialects::{CitCapture, DialectId};
use mitgate_json::RawJson;

use crate::app::App;
use crate::handlers::load::index_customer;
use crate::http::HttpResponse;
use crate::store::indexes::TOKEN;
use crate::store::{AgreementRecord, Kv, ProcessorContext};

/// The processor's 2xx answer to a CIT, with what capturing its agreement did: `X-Mitgate-Agreement-Id`
/// when stored, `X-Mitgate-Warning` for what was not.
pub(super) async fn answer_capture<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: DialectId,
    resp: HttpResponse,
    captured: Result<CitCapture, Vec<FieldError>>,
    request: &str,
) -> HttpResponse {
    match captured {
        Ok(c) => match store_capture(app, merchant, dialect, c, processor_context(dialect, request)).await {
            Ok((aid, None)) => resp.with_header("x-mitgate-agreement-id", aid),
            Ok((aid, Some(w))) => {
                resp.with_header("x-mitgate-agreement-id", aid).with_header("x-mitgate-warning", w)
            }
            Err(m) => resp.with_header("x-mitgate-warning", format!("agreement not captured: {m}")),
        },
        Err(errors) => {
            let m = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
            resp.with_header("x-mitgate-warning", format!("agreement not captured: {m}"))
        }
    }
}

/// The CIT's merchant-side values a canonical `POST /v1/charges` needs to render this dialect's MIT
/// (SPG `merchant.terminalId`, Axerve `shopLogin`): plain identifiers, never card data.
pub(super) fn processor_context(dialect: DialectId, body: &str) -> ProcessorContext {
    let mut out = ProcessorContext::new();
    let fields: &[(&str, &[&str])] = match dialect {
        DialectId::Spg => &[("terminalId", &["merchant", "terminalId"])],
        DialectId::Axerve => &[("shopLogin", &["shopLogin"])],
        DialectId::Infinic | DialectId::Coinflow => return out,
    };
    let Ok(v) = mitgate_core::json::parse(body) else { return out };
    for (name, keys) in fields {
        if let Some(text) = v.get_path(keys).and_then(Value::text) {
            let plain =
                text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            if plain && !mitgate_core::pan::looks_like_card_number(text) {
                out.insert((*name).to_string(), RawJson::string(text));
            }
        }
    }
    out
}

/// Stores a captured agreement (a new CIT on an existing id adds its payment) and adds its payment to
/// the customer's index; the second part's failure is a warning (`Ok((id, Some(warning)))`).
pub(super) async fn store_capture<K: Kv, P>(
    app: &App<'_, K, P>,
    merchant: &str,
    dialect: DialectId,
    c: CitCapture,
    processor_context: ProcessorContext,
) -> Result<(String, Option<String>), String> {
    let aid = c.agreement.id.clone();
    let existing = app.stores.agreement(merchant, &aid).await.map_err(|e| e.0)?;
    if existing.as_ref().is_some_and(|r| r.agreement.merchant_id != merchant) {
        return Err("the id belongs to another merchant's agreement".into());
    }
    // A re-delivered webhook or a repeated capture of a CIT already recorded changes nothing: the agreement
    // keeps its status (a revocation or a re-authentication stands) and its ledger (issue 15, item 1).
    // Its payment is indexed again (a merge is idempotent): a repeat retries an index write that failed.
    if let Some(known) = existing.as_ref().filter(|r| r.payments.iter().any(|p| p.id == c.payment.id)) {
        return Ok((aid, index_customer(app, known).await.err()));
    }
    let mut payments = existing.as_ref().map(|r| r.payments.clone()).unwrap_or_default();
    if !payments.iter().any(|p| p.id == c.payment.id) {
        payments.push(c.payment);
    }
    let record = AgreementRecord {
        agreement: c.agreement,
        payments,
        dialect: Some(dialect),
        processor_context,
        created_at: existing.as_ref().map_or(app.now, |r| r.created_at),
        updated_at: app.now,
        rev: existing.as_ref().map_or(0, |r| r.rev),
    };
    app.stores.put_agreement(&record).await.map_err(|e| e.0)?;
    let token = &record.agreement.credential.token;
    app.stores.link(&TOKEN, merchant, token, &aid).await.map_err(|e| e.0)?;
    app.stores.add_token_agreement(merchant, token, &aid).await.map_err(|e| e.0)?;
    if let Some(customer) = &record.agreement.customer_id {
        app.stores.add_customer_agreement(merchant, customer, &aid).await.map_err(|e| e.0)?;
    }
    Ok((aid, index_customer(app, &record).await.err()))
}
