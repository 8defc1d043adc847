//! GestPay's SOAP 1.1 wire format for Axerve (document 003): `WSs2s.asmx` (`callPagamS2S`) and
//! `WSCryptDecrypt.asmx` (`Encrypt`, `Decrypt`), read into the JSON shape of [`super`] and answered in
//! GestPay's own shapes.
//!
//! ## Sources
//! - Document 003 (`/work/shared/reference/003_*`): the `Encrypt` 01F and `callPagamS2S` 01N / 03N
//!   envelopes, namespaces `https://ecomm.sella.it/` (WSCryptDecrypt) and `https://ecomms2s.sella.it/`
//!   (WSs2s).
//! - Axerve's API reference (github.com/hype-app/gestpay-api, `source/includes/_wss2s_callpagams2s.md.erb`,
//!   `_wscryptdecrypt*.md*`, `_errors.md`): service URLs `…/gestpay/gestpayws/WSs2s.asmx` and
//!   `…/gestpay/GestPayWS/WsCryptDecrypt.asmx` (both spellings occur: IIS paths are case-insensitive),
//!   `callPagamS2S` parameters and the `GestPayS2S` answer (`TransactionType` `PAGAM`, `TransactionResult`,
//!   `ShopTransactionID`, `BankTransactionID`, …, `ErrorCode`, `ErrorDescription`, …, `TOKEN`), the
//!   `GestPayCryptDecrypt` answers of `Encrypt` / `Decrypt`, error `8026`.
//! - Client code generated from GestPay's WSDLs: github.com/gestpay/java-gestpay-starter (JAX-WS,
//!   `it/gestpay/wscryptdecrypt/model/*.java`: `Encrypt`'s parameter order, SOAPAction
//!   `https://ecomm.sella.it/Encrypt`, `EncryptResult` / `DecryptResult` as mixed `any` content) and a
//!   gowsdl client of `WSs2s` (`CallPagamS2S` parameter order ending `OrderDetails`, `apikey`,
//!   `transDetails`; SOAPAction `https://ecomms2s.sella.it/callPagamS2S`; `TransDetails` children
//!   `type`, `authenticationAmount`, `threeDSAuthResult`, `threeDsContainer`, `recurringTransaction`,
//!   `previousTransDetails`).
//!
//! ## Reading a call ([`read_call`])
//! The XML is read by `quick-xml`'s namespace-resolving reader (`NsReader`: end tags checked against
//! their start tags, attributes checked, character and the five predefined entity references resolved,
//! any other entity an error; a DTD is refused, so nothing is ever expanded). Its events are gathered
//! into a small tree ([`Tree`]) with limits on elements (20,000) and depth (64); one root element, no
//! text outside it. `quick-xml` rather than `roxmltree`: the Worker's `.wasm` has a 300 KiB gzip budget
//! and `roxmltree` put it over (about 10 KiB more than `quick-xml` for the same reads). Text mitgate
//! writes is escaped with `quick_xml::escape::escape`. The envelope must be SOAP 1.1
//! (`http://schemas.xmlsoap.org/soap/envelope/`; SOAP 1.2 is refused, not forwarded) with one operation
//! element in the service's namespace, and `SOAPAction` must name that operation (ASMX dispatches on
//! it). The operation's children in that namespace become JSON members named after the elements (a
//! leaf's text, comments skipped, is a string; `xsi:nil="true"` is `null`; an element given twice is an
//! array, so a field mitgate reads that is given twice is a type error). Children in other namespaces
//! are ignored, as ASMX's XmlSerializer ignores them. Element order does not matter (document 003
//! sends `apikey` after `transDetails`; the WSDL orders it before).
//!
//! Errors are [`FieldError`]s whose paths are element paths (`callPagamS2S/transDetails/type`);
//! [`render_fault`] answers them as a SOAP 1.1 `soap:Client` Fault with HTTP 400.
//!
//! ## Answers
//! - A refusal ([`render_refusal`]): HTTP 200 and GestPay's own business-error shape,
//!   `callPagamS2SResponse/callPagamS2SResult/GestPayS2S` with `TransactionType` `PAGAM`,
//!   `TransactionResult` `KO`, `ShopTransactionID`, an empty `BankTransactionID`, `Currency`, `Amount`,
//!   `ErrorCode`, `ErrorDescription` (see [`super::error_for`]: `8026` for a chain that needs a new
//!   authentication) and `TOKEN` (the request's `tokenValue`) when the request had `requestToken`.
//!   mitgate's full decision is in the `X-Mitgate-Decision` header (JSON, ASCII only) so that a client
//!   generated from the WSDL, which validates the body against GestPay's schema, never sees a foreign
//!   element; `Retry-After` is set when waiting clears every violation.
//! - The processor's answers are read by [`read_result`]: the `GestPayS2S` / `GestPayCryptDecrypt`
//!   element's children, in the JSON shape of [`super`] (`TransactionResult` → `transactionResult`,
//!   `BankTransactionID` → `bankTransactionID`, `ErrorCode`, `ErrorDescription`, `TOKEN` → `token`,
//!   `TokenExpiryMonth`, `TokenExpiryYear`); empty elements are left out.
//! - [`rewrite_wsdl`] points every `soap:address` / `soap12:address` of a WSDL at the proxy, leaving
//!   every other byte as the processor sent it.

use mitgate_core::decision::Decision;
use mitgate_core::validate::FieldError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use serde_json::{Map, Value};

use crate::common;
use crate::DialectResponse;

/// SOAP 1.1's envelope namespace.
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2's envelope namespace (refused: GestPay's documents and clients use 1.1).
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// The WSs2s service namespace.
pub const NS_S2S: &str = "https://ecomms2s.sella.it/";
/// The WSCryptDecrypt service namespace.
pub const NS_CRYPT: &str = "https://ecomm.sella.it/";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const WSDL_SOAP: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const WSDL_SOAP12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";
/// Elements a document may have (a document 003 envelope has 17; a GestPay WSDL about 1,500).
const ELEMENTS_LIMIT: usize = 20_000;
/// How deep elements may nest (a document 003 envelope: 6).
const DEPTH_LIMIT: usize = 64;
/// The header that carries mitgate's decision beside a SOAP answer.
pub const DECISION_HEADER: &str = "x-mitgate-decision";

/// One of GestPay's two SOAP services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `/gestpay/gestpayws/WSs2s.asmx`: server-to-server payments.
    WsS2s,
    /// `/gestpay/gestpayws/WSCryptDecrypt.asmx`: the payment page's `Encrypt` / `Decrypt`.
    WsCryptDecrypt,
}

impl Service {
    /// The service a processor path names. IIS matches paths ASCII case-insensitively, so does this
    /// (`/gestpay/GestPayWS/WsCryptDecrypt.asmx` and `/gestpay/gestpayws/WSCryptDecrypt.asmx` are one).
    pub fn at(path: &str) -> Option<Service> {
        if path.eq_ignore_ascii_case("/gestpay/gestpayws/WSs2s.asmx") {
            Some(Service::WsS2s)
        } else if path.eq_ignore_ascii_case("/gestpay/gestpayws/WSCryptDecrypt.asmx") {
            Some(Service::WsCryptDecrypt)
        } else {
            None
        }
    }

    /// The service's XML namespace (its WSDL's `targetNamespace`).
    pub fn namespace(self) -> &'static str {
        match self {
            Service::WsS2s => NS_S2S,
            Service::WsCryptDecrypt => NS_CRYPT,
        }
    }

    /// What mitgate does with an operation of this service.
    pub fn operation(self, name: &str) -> Operation {
        match (self, name) {
            (Service::WsS2s, "callPagamS2S") => Operation::CallPagamS2S,
            (Service::WsCryptDecrypt, "Encrypt") => Operation::Encrypt,
            (Service::WsCryptDecrypt, "Decrypt") => Operation::Decrypt,
            (Service::WsS2s, n) if S2S_PASS_THROUGH.contains(&n) => Operation::PassThrough,
            _ => Operation::Unsupported,
        }
    }
}

/// WSs2s operations forwarded without a decision: they read, cancel, refund or settle an existing
/// transaction, or list banks and rates; none authorizes a new charge. Every other operation
/// (`callCheckCartaS2S` and `callVerifycardS2S` may authorize, `CallRequestTokenS2S` /
/// `CallUpdateTokenS2S` may authorize with `withAuth`) is refused with a Fault and never forwarded.
pub const S2S_PASS_THROUGH: &[&str] = &[
    "callReadTrxS2S",
    "callRefundS2S",
    "callDeleteS2S",
    "callSettleS2S",
    "callDeleteTokenS2S",
    "CallIdealListS2S",
    "CallMyBankListS2S",
    "callExchangeRateS2S",
];

/// What mitgate does with a SOAP operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `callPagamS2S`: a CIT (`01F`/`03F`, or no MIT type) or an MIT (`01N`/`03N`) that is decided.
    CallPagamS2S,
    /// `Encrypt`: opens a payment page; with `01F`/`03F` it sets up a chain whose terms mitgate keeps.
    Encrypt,
    /// `Decrypt`: reads the payment page's result; completes the chain set up by `Encrypt`.
    Decrypt,
    /// Forwarded untouched ([`S2S_PASS_THROUGH`]).
    PassThrough,
    /// Refused: never forwarded.
    Unsupported,
}

/// A SOAP call read from its envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The service it was posted to.
    pub service: Service,
    /// The operation element's local name (`callPagamS2S`).
    pub operation: String,
    /// The operation's parameters in the JSON shape of [`super`].
    pub params: Map<String, Value>,
}

impl Call {
    /// The parameters as JSON text (what [`super::parse_mit`] and [`super::capture_cit`] read).
    pub fn json(&self) -> String {
        Value::Object(self.params.clone()).to_string()
    }

    /// A top-level parameter's text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str)
    }

    /// `transDetails.type`, when it is text.
    pub fn trans_type(&self) -> Option<&str> {
        self.params.get("transDetails")?.get("type")?.as_str()
    }

    /// Maps a JSON field path of an error from [`super`] to the element path (`amount` →
    /// `callPagamS2S/amount`).
    pub fn element_path(&self, json_path: &str) -> String {
        element_path(&self.operation, json_path)
    }
}

fn element_path(operation: &str, json_path: &str) -> String {
    if json_path.is_empty() {
        operation.to_string()
    } else {
        format!("{operation}/{}", json_path.replace('.', "/"))
    }
}

/// An attribute: its namespace, local name, value (references resolved) and where its raw value sits
/// in the document (for [`rewrite_wsdl`]).
struct Attr {
    ns: Option<String>,
    name: String,
    raw: std::ops::Range<usize>,
}

/// An element: namespace, local name, attributes, its own character data (comments skipped; the
/// text of child elements is theirs) and its child elements (indices into [`Tree::elements`]).
struct Element {
    ns: Option<String>,
    name: String,
    attrs: Vec<Attr>,
    nil: bool,
    text: String,
    children: Vec<usize>,
}

/// A parsed document: its elements in document order, the root first.
struct Tree {
    elements: Vec<Element>,
}

impl Tree {
    fn root(&self) -> Option<&Element> {
        self.elements.first()
    }

    fn children<'t>(&'t self, e: &'t Element) -> impl Iterator<Item = &'t Element> + 't {
        e.children.iter().filter_map(|i| self.elements.get(*i))
    }
}

impl Element {
    fn is(&self, ns: &str, name: &str) -> bool {
        self.ns.as_deref() == Some(ns) && self.name == name
    }

    fn qualified(&self) -> String {
        match &self.ns {
            Some(ns) => format!("{{{ns}}}{}", self.name),
            None => self.name.clone(),
        }
    }
}

fn owned_ns(r: ResolveResult<'_>) -> Result<Option<String>, String> {
    match r {
        ResolveResult::Bound(ns) => Ok(Some(String::from_utf8_lossy(ns.as_ref()).into_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => {
            Err(format!("the prefix `{}` is not declared", String::from_utf8_lossy(&prefix)))
        }
    }
}

const NOT_UTF8: &str = "text that is not UTF-8";

/// What kind of mistake a `quick-xml` error is, in a few words (its `Display` texts cost the Worker's
/// `.wasm` more than they tell a merchant; the fault also gives the byte offset).
fn xml_error(e: &quick_xml::Error) -> &'static str {
    use quick_xml::Error;
    match e {
        Error::Syntax(_) => "a syntax error (an unclosed tag, comment, CDATA or declaration)",
        Error::IllFormed(_) => {
            "an ill-formed document (an end tag that does not match, or a misplaced declaration)"
        }
        Error::Escape(_) => "a malformed or unknown character or entity reference",
        Error::InvalidAttr(_) => "a malformed or repeated attribute",
        Error::Namespace(_) => "a malformed namespace declaration",
        Error::Encoding(_) => NOT_UTF8,
        _ => "unreadable XML",
    }
}

/// Reads a document into a [`Tree`]; errors name `Envelope` (the document) and say what and where.
fn parse(xml: &str) -> Result<Tree, FieldError> {
    let mut reader = NsReader::from_str(xml);
    let mut tree = Tree { elements: Vec::new() };
    let mut stack: Vec<usize> = Vec::new();
    let fail = |m: String, at: u64| {
        FieldError::new("Envelope", format!("is not well-formed XML: {m} (at byte {at})"))
    };
    loop {
        let at = reader.buffer_position();
        let (ns, event) = match reader.read_resolved_event() {
            Ok((r, e)) => (owned_ns(r).map_err(|m| fail(m, at))?, e),
            Err(e) => return Err(fail(xml_error(&e).into(), reader.error_position())),
        };
        let text = match event {
            Event::Start(e) => {
                let i = open(&reader, xml, &mut tree, &stack, ns, &e).map_err(|m| fail(m, at))?;
                stack.push(i);
                continue;
            }
            Event::Empty(e) => {
                open(&reader, xml, &mut tree, &stack, ns, &e).map_err(|m| fail(m, at))?;
                continue;
            }
            Event::End(_) => {
                stack.pop();
                continue;
            }
            Event::Text(t) => t.xml_content().map_err(|_| fail(NOT_UTF8.into(), at))?.into_owned(),
            Event::CData(t) => t.xml_content().map_err(|_| fail(NOT_UTF8.into(), at))?.into_owned(),
            Event::GeneralRef(r) => match r.resolve_char_ref().map_err(|e| fail(xml_error(&e).into(), at))? {
                Some(c) => c.to_string(),
                None => {
                    let name = r.decode().map_err(|_| fail(NOT_UTF8.into(), at))?;
                    quick_xml::escape::resolve_predefined_entity(&name)
                        .ok_or_else(|| fail(format!("the entity `&{name};` is not defined"), at))?
                        .to_string()
                }
            },
            Event::DocType(_) => return Err(fail("a DTD is not accepted".into(), at)),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => continue,
            Event::Eof => break,
        };
        match stack.last().and_then(|i| tree.elements.get_mut(*i)) {
            Some(e) => e.text.push_str(&text),
            None if text.trim().is_empty() => {}
            None => return Err(fail("text outside the root element".into(), at)),
        }
    }
    if let Some(open) = stack.last().and_then(|i| tree.elements.get(*i)) {
        return Err(fail(format!("<{}> is not closed", open.name), reader.buffer_position()));
    }
    if tree.elements.is_empty() {
        return Err(fail("no root element".into(), 0));
    }
    Ok(tree)
}

/// Adds a start tag's element to the tree under the innermost open element; returns its index.
fn open(
    reader: &NsReader<&[u8]>,
    xml: &str,
    tree: &mut Tree,
    stack: &[usize],
    ns: Option<String>,
    e: &BytesStart<'_>,
) -> Result<usize, String> {
    if stack.is_empty() && !tree.elements.is_empty() {
        return Err("a second root element".into());
    }
    if tree.elements.len() >= ELEMENTS_LIMIT || stack.len() >= DEPTH_LIMIT {
        return Err(format!("more than {ELEMENTS_LIMIT} elements or {DEPTH_LIMIT} levels"));
    }
    let mut attrs = Vec::new();
    let mut nil = false;
    for a in e.attributes() {
        let a = a.map_err(|_| "a malformed or repeated attribute".to_string())?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let (r, local) = reader.resolve_attribute(a.key);
        let ns = owned_ns(r)?;
        let name = String::from_utf8_lossy(local.as_ref()).into_owned();
        // The only attribute value mitgate reads: `xsi:nil` (schema booleans `true` / `1`), raw.
        if ns.as_deref() == Some(XSI) && name == "nil" {
            nil = matches!(a.value.as_ref(), b"true" | b"1");
        }
        // The reader borrows from `xml`: the raw value's offset is its distance from the start.
        let start = (a.value.as_ptr() as usize).wrapping_sub(xml.as_ptr() as usize);
        attrs.push(Attr { ns, name, raw: start..start.saturating_add(a.value.len()) });
    }
    let index = tree.elements.len();
    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
    tree.elements.push(Element { ns, name, attrs, nil, text: String::new(), children: Vec::new() });
    if let Some(parent) = stack.last().and_then(|i| tree.elements.get_mut(*i)) {
        parent.children.push(index);
    }
    Ok(index)
}

fn has_text(e: &Element) -> bool {
    !e.text.trim().is_empty()
}

/// The `soap:Body`'s single element, checked: SOAP 1.1, one `Header` at most, then `Body`.
fn body_element(tree: &Tree) -> Result<&Element, FieldError> {
    let envelope = tree.root().ok_or_else(|| FieldError::new("Envelope", "is missing"))?;
    if envelope.is(SOAP12, "Envelope") {
        return Err(FieldError::new(
            "Envelope",
            "is SOAP 1.2; GestPay's services are called with SOAP 1.1 (namespace http://schemas.xmlsoap.org/soap/envelope/)",
        ));
    }
    if !envelope.is(SOAP11, "Envelope") {
        return Err(FieldError::new(
            "Envelope",
            format!("must be a SOAP 1.1 soap:Envelope (namespace {SOAP11}); found {}", envelope.qualified()),
        ));
    }
    if has_text(envelope) {
        return Err(FieldError::new("Envelope", "has text outside its Header and Body"));
    }
    let mut body = None;
    for child in tree.children(envelope) {
        match (child.ns.as_deref(), child.name.as_str(), body.is_some()) {
            (Some(SOAP11), "Header", false) => {}
            (Some(SOAP11), "Body", false) => body = Some(child),
            _ => {
                return Err(FieldError::new(
                    format!("Envelope/{}", child.name),
                    "is not allowed here: an envelope holds soap:Header (optional) and one soap:Body",
                ))
            }
        }
    }
    let body = body.ok_or_else(|| FieldError::new("Envelope/Body", "is required"))?;
    let mut elements = tree.children(body);
    let op = elements.next().ok_or_else(|| FieldError::new("Envelope/Body", "holds no operation element"))?;
    if let Some(extra) = elements.next() {
        return Err(FieldError::new(
            format!("Envelope/Body/{}", extra.name),
            "is a second operation: a SOAP body holds one",
        ));
    }
    if has_text(body) {
        return Err(FieldError::new("Envelope/Body", "has text beside its operation element"));
    }
    Ok(op)
}

/// An element's content as JSON: an object of its children in `ns`, or its text.
fn element_json(tree: &Tree, node: &Element, ns: &str, path: &str) -> Result<Value, FieldError> {
    if node.nil {
        return Ok(Value::Null);
    }
    if node.children.is_empty() {
        return Ok(Value::String(node.text.clone()));
    }
    if has_text(node) {
        return Err(FieldError::new(path, "mixes text and elements"));
    }
    let mut out = Map::new();
    for child in tree.children(node) {
        if child.ns.as_deref() != Some(ns) {
            continue;
        }
        let value = element_json(tree, child, ns, &format!("{path}/{}", child.name))?;
        match out.get_mut(&child.name) {
            None => {
                out.insert(child.name.clone(), value);
            }
            Some(Value::Array(items)) => items.push(value),
            Some(first) => {
                let first = first.take();
                out.insert(child.name.clone(), Value::Array(vec![first, value]));
            }
        }
    }
    Ok(Value::Object(out))
}

/// Reads a SOAP 1.1 call posted to `service` with the `SOAPAction` header `soap_action`.
pub fn read_call(service: Service, soap_action: Option<&str>, xml: &str) -> Result<Call, Vec<FieldError>> {
    let tree = parse(xml).map_err(|e| vec![e])?;
    let op = body_element(&tree).map_err(|e| vec![e])?;
    let name = op.name.as_str();
    let ns = service.namespace();
    if op.ns.as_deref() != Some(ns) {
        return Err(vec![FieldError::new(
            name,
            format!(
                "must be in the namespace {ns} (found {}): GestPay's service at this path does not read it otherwise",
                op.ns.as_deref().unwrap_or("none")
            ),
        )]);
    }
    let expected = format!("{ns}{name}");
    match soap_action.map(|a| a.trim().trim_matches('"')) {
        Some(a) if a == expected => {}
        Some(a) => {
            return Err(vec![FieldError::new(
                "SOAPAction",
                format!("is \"{a}\" but the body is {name}: it must be \"{expected}\""),
            )])
        }
        None => {
            return Err(vec![FieldError::new(
                "SOAPAction",
                format!("header is required with SOAP 1.1: \"{expected}\""),
            )])
        }
    }
    let params = match element_json(&tree, op, ns, name).map_err(|e| vec![e])? {
        Value::Object(map) => map,
        // An empty operation element: no parameters.
        _ => Map::new(),
    };
    Ok(Call { service, operation: name.to_string(), params })
}

/// Escapes text for XML content and quoted attribute values (`quick_xml::escape::escape`).
pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP11}" xmlns:xsi="{XSI}" xmlns:xsd="http://www.w3.org/2001/XMLSchema"><soap:Body>{body}</soap:Body></soap:Envelope>"#
    )
}

fn xml_response(status: u16, body: String) -> DialectResponse {
    DialectResponse {
        status,
        headers: vec![("content-type".to_string(), "text/xml; charset=utf-8".to_string())],
        body,
    }
}

/// A SOAP 1.1 `soap:Client` Fault (HTTP 400) naming every element in `errors` (paths are element paths).
pub fn render_fault(errors: &[FieldError]) -> DialectResponse {
    let detail: String = errors
        .iter()
        .map(|e| format!(r#"<error element="{}">{}</error>"#, escape(&e.path), escape(&e.message)))
        .collect();
    let body = format!(
        r#"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>{}</faultstring><detail><mitgate xmlns="urn:mitgate:errors">{detail}</mitgate></detail></soap:Fault>"#,
        escape(&common::summary(errors))
    );
    xml_response(400, envelope(&body))
}

/// A JSON text with every non-ASCII character escaped (`\uXXXX`): safe as an HTTP header value.
pub fn ascii_json(value: &impl serde::Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_string());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str("\\u");
                for shift in [12, 8, 4, 0] {
                    out.push(char::from(HEX.get(usize::from((*u >> shift) & 0xf)).copied().unwrap_or(b'0')));
                }
            }
        }
    }
    out
}

/// The `GestPayS2S` fields of an answer mitgate writes itself, in GestPay's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GestPayS2S {
    /// `OK` or `KO`.
    pub transaction_result: String,
    /// The request's `shopTransactionId`.
    pub shop_transaction_id: String,
    /// The request's `uicCode`.
    pub currency: String,
    /// The request's `amount`.
    pub amount: String,
    /// GestPay's or mitgate's error code.
    pub error_code: String,
    /// A sentence for people.
    pub error_description: String,
    /// `Some` when the request asked for a token (`requestToken`).
    pub token: Option<String>,
}

/// `callPagamS2SResponse/callPagamS2SResult/GestPayS2S` in a SOAP envelope.
pub fn render_pagam(result: &GestPayS2S) -> String {
    let token = match &result.token {
        Some(t) => format!("<TOKEN>{}</TOKEN>", escape(t)),
        None => String::new(),
    };
    envelope(&format!(
        r#"<callPagamS2SResponse xmlns="{NS_S2S}"><callPagamS2SResult><GestPayS2S xmlns=""><TransactionType>PAGAM</TransactionType><TransactionResult>{}</TransactionResult><ShopTransactionID>{}</ShopTransactionID><BankTransactionID></BankTransactionID><AuthorizationCode></AuthorizationCode><Currency>{}</Currency><Amount>{}</Amount><ErrorCode>{}</ErrorCode><ErrorDescription>{}</ErrorDescription>{token}</GestPayS2S></callPagamS2SResult></callPagamS2SResponse>"#,
        escape(&result.transaction_result),
        escape(&result.shop_transaction_id),
        escape(&result.currency),
        escape(&result.amount),
        escape(&result.error_code),
        escape(&result.error_description),
    ))
}

/// A refused `callPagamS2S` as GestPay answers a business error: HTTP 200, `TransactionResult` `KO`,
/// `ErrorCode` and `ErrorDescription`; the decision in `X-Mitgate-Decision`; `Retry-After` when waiting
/// clears every violation. `None` when the decision is not a refusal.
pub fn render_refusal(call: &Call, decision: &Decision) -> Option<DialectResponse> {
    let lead = common::lead(decision)?;
    let (error_code, error_description) = super::error_for(lead);
    let result = GestPayS2S {
        transaction_result: "KO".to_string(),
        shop_transaction_id: call.text("shopTransactionId").unwrap_or_default().to_string(),
        currency: call.text("uicCode").unwrap_or_default().to_string(),
        amount: call.text("amount").unwrap_or_default().to_string(),
        error_code,
        error_description,
        token: call
            .text("requestToken")
            .filter(|t| !t.is_empty())
            .map(|_| call.text("tokenValue").unwrap_or_default().to_string()),
    };
    let mut response = xml_response(200, render_pagam(&result));
    response.headers.push((DECISION_HEADER.to_string(), ascii_json(decision)));
    if let Some(seconds) = decision.retry_after_seconds {
        response.headers.push(("retry-after".to_string(), seconds.max(1).to_string()));
    }
    Some(response)
}

/// GestPay's answer to a forwarded call, read.
#[derive(Debug, Clone, PartialEq)]
pub struct GestPayResult {
    /// The result fields in the JSON shape [`super::read_outcome`] and [`super::capture_cit`] read.
    pub fields: Map<String, Value>,
    /// `ShopTransactionID`, when given.
    pub shop_transaction_id: Option<String>,
}

impl GestPayResult {
    /// The fields as JSON text.
    pub fn json(&self) -> String {
        Value::Object(self.fields.clone()).to_string()
    }
}

/// Reads GestPay's answer to `operation` (`callPagamS2S`, `Encrypt`, `Decrypt`): the children of
/// `<operation>Response/<operation>Result/GestPayS2S|GestPayCryptDecrypt`.
pub fn read_result(xml: &str, operation: &str) -> Result<GestPayResult, Vec<FieldError>> {
    let tree = parse(xml).map_err(|e| vec![e])?;
    let response = body_element(&tree).map_err(|e| vec![e])?;
    let path = format!("{operation}Response");
    if response.name != path {
        return Err(vec![FieldError::new(
            format!("Envelope/Body/{}", response.name),
            format!("is not a {path}"),
        )]);
    }
    let result_name = format!("{operation}Result");
    let result = tree
        .children(response)
        .find(|c| c.name == result_name)
        .ok_or_else(|| vec![FieldError::new(format!("{path}/{result_name}"), "is required")])?;
    let inner = tree
        .children(result)
        .find(|c| matches!(c.name.as_str(), "GestPayS2S" | "GestPayCryptDecrypt"))
        .ok_or_else(|| vec![FieldError::new(format!("{path}/{result_name}/GestPayS2S"), "is required")])?;
    const NAMES: &[(&str, &str)] = &[
        ("TransactionResult", "transactionResult"),
        ("BankTransactionID", "bankTransactionID"),
        ("ErrorCode", "errorCode"),
        ("ErrorDescription", "errorDescription"),
        ("TOKEN", "token"),
        ("TokenExpiryMonth", "tokenExpiryMonth"),
        ("TokenExpiryYear", "tokenExpiryYear"),
    ];
    let mut fields = Map::new();
    let mut shop_transaction_id = None;
    for child in tree.children(inner) {
        let name = child.name.as_str();
        let text = child.text.trim();
        if text.is_empty() {
            continue;
        }
        if name == "ShopTransactionID" {
            shop_transaction_id = Some(text.to_string());
        } else if let Some((_, key)) = NAMES.iter().find(|(n, _)| *n == name) {
            if fields.insert((*key).to_string(), Value::String(text.to_string())).is_some() {
                return Err(vec![FieldError::new(
                    format!("{path}/{result_name}/{}/{name}", inner.name),
                    "is given more than once",
                )]);
            }
        }
    }
    Ok(GestPayResult { fields, shop_transaction_id })
}

/// Whether a body is XML rather than JSON (its first non-blank character is `<`).
pub fn looks_like_xml(body: &str) -> bool {
    body.trim_start_matches('\u{feff}').trim_start().starts_with('<')
}

/// Points every `soap:address` and `soap12:address` `location` of a WSDL at `proxy_base` (the proxy's
/// origin and dialect prefix, e.g. `https://mitgate.example/axerve`), keeping each location's path
/// (`/gestpay/gestpayws/WSs2s.asmx`) after `processor_prefix` (the path of the processor's base URL, if
/// any: `/axerve` for `http://sandbox/axerve`) and every other byte of the document.
pub fn rewrite_wsdl(wsdl: &str, proxy_base: &str, processor_prefix: &str) -> Result<String, FieldError> {
    let tree = parse(wsdl).map_err(|e| FieldError::new("wsdl", e.message))?;
    let mut edits = Vec::new();
    for node in tree.elements.iter().filter(|n| n.name == "address") {
        if !matches!(node.ns.as_deref(), Some(WSDL_SOAP | WSDL_SOAP12)) {
            continue;
        }
        let Some(attr) = node.attrs.iter().find(|a| a.name == "location" && a.ns.is_none()) else {
            continue;
        };
        let Some(location) = wsdl.get(attr.raw.clone()) else {
            return Err(FieldError::new("wsdl", "an address location could not be located"));
        };
        let path = location
            .split_once("://")
            .map_or(location, |(_, rest)| rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/"));
        let prefix = processor_prefix.trim_end_matches('/');
        let path = match path.get(..prefix.len()) {
            Some(head) if !prefix.is_empty() && head.eq_ignore_ascii_case(prefix) => {
                path.get(prefix.len()..).unwrap_or(path)
            }
            _ => path,
        };
        let new = format!("{}{}", proxy_base.trim_end_matches('/'), path);
        edits.push((attr.raw.clone(), escape(&new)));
    }
    // Elements and their attributes are in document order, so the edits are too.
    let mut out = String::with_capacity(wsdl.len() + 64 * edits.len());
    let mut from = 0;
    for (range, value) in edits {
        let Some(kept) = wsdl.get(from..range.start) else {
            return Err(FieldError::new("wsdl", "an address location could not be located"));
        };
        out.push_str(kept);
        out.push_str(&value);
        from = range.end;
    }
    out.push_str(wsdl.get(from..).unwrap_or_default());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Document 003's `Encrypt` 01F envelope, verbatim.
    pub(crate) const ENCRYPT_01F: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecom="https://ecomm.sella.it/">
   <soapenv:Header/>
   <soapenv:Body>
      <ecom:Encrypt>
         <ecom:shopLogin>GESPAY00001</ecom:shopLogin>
         <ecom:uicCode>242</ecom:uicCode>
         <ecom:amount>0</ecom:amount>
         <ecom:shopTransactionId>OrderID_01F_001</ecom:shopTransactionId>
         <ecom:requestToken>MASKEDPAN</ecom:requestToken>
        <ecom:transDetails>
        <ecom:type>01F</ecom:type>
        <ecom:authenticationAmount>10</ecom:authenticationAmount>
        <ecom:recurringTransaction>
            <ecom:expiry>20301225</ecom:expiry>
            <ecom:frequency>14</ecom:frequency>
        </ecom:recurringTransaction>
        </ecom:transDetails>       
         <ecom:apikey></ecom:apikey>
      </ecom:Encrypt>
   </soapenv:Body>
</soapenv:Envelope>"#;

    /// Document 003's `callPagamS2S` 01N envelope, verbatim (its comments stand where the ids go).
    pub(crate) const PAGAM_01N: &str = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ecom="https://ecomms2s.sella.it/">
   <soapenv:Header/>
   <soapenv:Body>
      <ecom:callPagamS2S>
         <ecom:shopLogin>GESPAY00001</ecom:shopLogin>
         <ecom:uicCode>242</ecom:uicCode>
         <ecom:amount>10</ecom:amount>
         <ecom:shopTransactionId>OrderID_01N_001</ecom:shopTransactionId>
         <ecom:tokenValue><!-- Token received in the 01F :--></ecom:tokenValue>  
        <ecom:transDetails>
        <ecom:type>01N</ecom:type>
        <ecom:previousTransDetails>
            <ecom:bankTransactionID><!-- bankTransactionID of the 01F :--></ecom:bankTransactionID>
        </ecom:previousTransDetails>
        </ecom:transDetails>
         <ecom:apikey></ecom:apikey>
      </ecom:callPagamS2S>
   </soapenv:Body>
</soapenv:Envelope>"#;

    const S2S_ACTION: &str = "\"https://ecomms2s.sella.it/callPagamS2S\"";

    #[test]
    fn paths_match_case_insensitively_like_iis() {
        assert_eq!(Service::at("/gestpay/gestpayws/WSs2s.asmx"), Some(Service::WsS2s));
        assert_eq!(Service::at("/gestpay/GestPayWS/WsCryptDecrypt.asmx"), Some(Service::WsCryptDecrypt));
        assert_eq!(Service::at("/gestpay/gestpayws/WSCryptDecrypt.asmx"), Some(Service::WsCryptDecrypt));
        assert_eq!(Service::at("/GESTPAY/GESTPAYWS/WSS2S.ASMX"), Some(Service::WsS2s));
        assert_eq!(Service::at("/gestpay/gestpayws/WSs2s.asmx/x"), None);
        assert_eq!(Service::at("/api/v1/payment/submit"), None);
    }

    #[test]
    fn document_003_encrypt_reads_into_the_json_shape() {
        let call =
            read_call(Service::WsCryptDecrypt, Some("https://ecomm.sella.it/Encrypt"), ENCRYPT_01F).unwrap();
        assert_eq!(call.operation, "Encrypt");
        assert_eq!(
            Value::Object(call.params.clone()),
            serde_json::json!({"shopLogin": "GESPAY00001", "uicCode": "242", "amount": "0",
                "shopTransactionId": "OrderID_01F_001", "requestToken": "MASKEDPAN",
                "transDetails": {"type": "01F", "authenticationAmount": "10",
                    "recurringTransaction": {"expiry": "20301225", "frequency": "14"}},
                "apikey": ""})
        );
        assert_eq!(call.trans_type(), Some("01F"));
    }

    #[test]
    fn document_003_pagam_with_ids_parses_as_an_mit() {
        let xml = PAGAM_01N
            .replace("<!-- Token received in the 01F :-->", "TOK-1")
            .replace("<!-- bankTransactionID of the 01F :-->", "BTX-1");
        let call = read_call(Service::WsS2s, Some(S2S_ACTION), &xml).unwrap();
        let headers: [(&str, &str); 0] = [];
        let ctx = crate::MitContext { merchant_id: "m1", headers: &headers, notice_sent_at: None };
        let parsed = super::super::parse_mit(&call.json(), &ctx).unwrap();
        assert_eq!(parsed.request.reference, "BTX-1");
        assert_eq!(parsed.request.credential_token.as_deref(), Some("TOK-1"));
        assert_eq!(parsed.request.amount.amount().to_string(), "10.00");
        assert_eq!(parsed.request.idempotency_key.as_deref(), Some("OrderID_01N_001"));
    }

    #[test]
    fn the_document_verbatim_names_its_empty_reference() {
        let call = read_call(Service::WsS2s, Some(S2S_ACTION), PAGAM_01N).unwrap();
        let headers: [(&str, &str); 0] = [];
        let ctx = crate::MitContext { merchant_id: "m1", headers: &headers, notice_sent_at: None };
        let errors = super::super::parse_mit(&call.json(), &ctx).unwrap_err();
        let paths: Vec<String> = errors.iter().map(|e| call.element_path(&e.path)).collect();
        assert!(
            paths.contains(&"callPagamS2S/transDetails/previousTransDetails/bankTransactionID".to_string()),
            "{paths:?}"
        );
    }

    #[test]
    fn envelope_faults_name_the_element() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("<soapenv:Envelope", Some(S2S_ACTION), "Envelope"),
            (
                r#"<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Body/></Envelope>"#,
                Some(S2S_ACTION),
                "Envelope",
            ),
            (
                r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"/>"#,
                Some(S2S_ACTION),
                "Envelope/Body",
            ),
            (
                r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>"#,
                Some(S2S_ACTION),
                "Envelope/Body",
            ),
            (
                r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><callPagamS2S xmlns="https://ecomm.sella.it/"/></e:Body></e:Envelope>"#,
                Some(S2S_ACTION),
                "callPagamS2S",
            ),
            (
                r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><callPagamS2S xmlns="https://ecomms2s.sella.it/"/></e:Body></e:Envelope>"#,
                None,
                "SOAPAction",
            ),
            (
                r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><callPagamS2S xmlns="https://ecomms2s.sella.it/"/></e:Body></e:Envelope>"#,
                Some("https://ecomms2s.sella.it/callRefundS2S"),
                "SOAPAction",
            ),
            (
                r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><callPagamS2S xmlns="https://ecomms2s.sella.it/"><amount>1<x/></amount></callPagamS2S></e:Body></e:Envelope>"#,
                Some(S2S_ACTION),
                "callPagamS2S/amount",
            ),
            (
                r#"<!DOCTYPE e [<!ENTITY a "aaaa">]><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>"#,
                Some(S2S_ACTION),
                "Envelope",
            ),
        ];
        for (xml, action, element) in cases {
            let errors = read_call(Service::WsS2s, *action, xml).unwrap_err();
            assert_eq!(errors[0].path, *element, "{xml}: {errors:?}");
            let fault = render_fault(&errors);
            assert_eq!(fault.status, 400);
            assert!(fault.body.contains("<faultcode>soap:Client</faultcode>"));
            assert!(fault.body.contains(&format!(r#"element="{element}""#)), "{}", fault.body);
            parse(&fault.body).unwrap();
        }
    }

    #[test]
    fn references_cdata_and_nil_read_as_a_schema_reader_reads_them() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <s:Body><p:callPagamS2S xmlns:p="https://ecomms2s.sella.it/" xmlns:o="urn:other">
    <p:shopLogin>GES&amp;PAY&#x30;&#49;</p:shopLogin><p:customInfo><![CDATA[a<b]]></p:customInfo>
    <p:buyerName xsi:nil="true"/><o:amount>9000</o:amount><p:amount>10</p:amount>
  </p:callPagamS2S></s:Body></s:Envelope>"#;
        let call = read_call(Service::WsS2s, Some(S2S_ACTION), xml).unwrap();
        assert_eq!(
            Value::Object(call.params),
            serde_json::json!({"shopLogin": "GES&PAY01", "customInfo": "a<b", "buyerName": null, "amount": "10"})
        );
    }

    #[test]
    fn documents_that_are_not_well_formed_are_refused() {
        let env = |inner: &str| {
            format!(
                r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>{inner}</e:Body></e:Envelope>"#
            )
        };
        for xml in [
            env(r#"<callPagamS2S xmlns="https://ecomms2s.sella.it/"><amount>10</amount>"#)
                .replace("</e:Body></e:Envelope>", ""),
            env(r#"<callPagamS2S xmlns="https://ecomms2s.sella.it/"><amount>10</shopLogin></callPagamS2S>"#),
            env(r#"<callPagamS2S xmlns="https://ecomms2s.sella.it/"><amount>&nbsp;</amount></callPagamS2S>"#),
            env(r#"<x:callPagamS2S><amount>1</amount></x:callPagamS2S>"#),
            env(r#"<callPagamS2S xmlns="https://ecomms2s.sella.it/" a="1" a="2"/>"#),
            format!("{}<second/>", env(r#"<callPagamS2S xmlns="https://ecomms2s.sella.it/"/>"#)),
            format!("{}text", env(r#"<callPagamS2S xmlns="https://ecomms2s.sella.it/"/>"#)),
            String::new(),
        ] {
            let errors = read_call(Service::WsS2s, Some(S2S_ACTION), &xml).unwrap_err();
            assert_eq!(errors[0].path, "Envelope", "{xml}");
            assert!(errors[0].message.starts_with("is not well-formed XML"), "{xml}: {}", errors[0].message);
        }
    }

    #[test]
    fn a_field_given_twice_is_a_type_error_naming_it() {
        let xml = PAGAM_01N
            .replace("<!-- Token received in the 01F :-->", "TOK-1")
            .replace("<!-- bankTransactionID of the 01F :-->", "BTX-1")
            .replace(
                "<ecom:amount>10</ecom:amount>",
                "<ecom:amount>10</ecom:amount><ecom:amount>9000</ecom:amount>",
            );
        let call = read_call(Service::WsS2s, Some(S2S_ACTION), &xml).unwrap();
        let headers: [(&str, &str); 0] = [];
        let ctx = crate::MitContext { merchant_id: "m1", headers: &headers, notice_sent_at: None };
        let errors = super::super::parse_mit(&call.json(), &ctx).unwrap_err();
        assert_eq!(call.element_path(&errors[0].path), "callPagamS2S/amount", "{errors:?}");
    }

    #[test]
    fn refusal_is_gestpays_ko_with_the_decision_beside_it() {
        let xml = PAGAM_01N
            .replace("<!-- Token received in the 01F :-->", "TOK-1")
            .replace("<!-- bankTransactionID of the 01F :-->", "BTX-1")
            .replace("<ecom:apikey>", "<ecom:requestToken>MASKEDPAN</ecom:requestToken><ecom:apikey>");
        let call = read_call(Service::WsS2s, Some(S2S_ACTION), &xml).unwrap();
        use mitgate_core::decision::{Code, Details, Verdict, Violation};
        let decision = Decision {
            outcome: Verdict::Refused,
            http_status: 410,
            violations: vec![Violation {
                code: Code::AmountAboveCeiling,
                rule: "amount_ceiling",
                http_status: 410,
                message: "Amount 10.01 EUR is above the chain's 10.00 EUR \u{2013} authenticationAmount."
                    .into(),
                retry_at: None,
                details: Details::None {},
            }],
            retry_at: None,
            retry_after_seconds: None,
            limits: None,
            rules_version: "2026-10-25",
        };
        let r = render_refusal(&call, &decision).unwrap();
        assert_eq!(r.status, 200);
        let tree = parse(&r.body).unwrap();
        let g = tree.elements.iter().find(|n| n.name == "GestPayS2S").unwrap();
        let field = |n: &str| tree.children(g).find(|c| c.name == n).map_or("", |c| c.text.as_str());
        assert_eq!(field("TransactionType"), "PAGAM");
        assert_eq!(field("TransactionResult"), "KO");
        assert_eq!(field("ShopTransactionID"), "OrderID_01N_001");
        assert_eq!(field("ErrorCode"), "410");
        assert!(field("ErrorDescription").starts_with("Amount 10.01 EUR"));
        assert_eq!(field("TOKEN"), "TOK-1");
        let header = r.headers.iter().find(|(k, _)| k == DECISION_HEADER).unwrap();
        assert!(header.1.is_ascii());
        let back: serde_json::Value = serde_json::from_str(&header.1).unwrap();
        assert_eq!(back["violations"][0]["code"], "amount_above_ceiling");
        assert!(back["violations"][0]["message"].as_str().unwrap().contains('–'));
        // The processor-side reader reads mitgate's own answer back.
        let read = read_result(&r.body, "callPagamS2S").unwrap();
        assert_eq!(read.fields["transactionResult"], "KO");
        assert_eq!(read.shop_transaction_id.as_deref(), Some("OrderID_01N_001"));
    }

    #[test]
    fn gestpay_answers_read_into_the_json_shape() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><DecryptResponse xmlns="https://ecomm.sella.it/"><DecryptResult><GestPayCryptDecrypt xmlns=""><TransactionType>DECRYPT</TransactionType><TransactionResult>OK</TransactionResult><ShopTransactionID>34az85ord19</ShopTransactionID><BankTransactionID>656</BankTransactionID><ErrorCode>0</ErrorCode><ErrorDescription>Transazione correttamente effettuata</ErrorDescription><TOKEN>40L76FDIEFMH1112</TOKEN><TokenExpiryMonth>12</TokenExpiryMonth><TokenExpiryYear>30</TokenExpiryYear><AlertCode/></GestPayCryptDecrypt></DecryptResult></DecryptResponse></soap:Body></soap:Envelope>"#;
        let r = read_result(xml, "Decrypt").unwrap();
        assert_eq!(r.shop_transaction_id.as_deref(), Some("34az85ord19"));
        assert_eq!(
            Value::Object(r.fields),
            serde_json::json!({"transactionResult": "OK", "bankTransactionID": "656", "errorCode": "0",
                "errorDescription": "Transazione correttamente effettuata", "token": "40L76FDIEFMH1112",
                "tokenExpiryMonth": "12", "tokenExpiryYear": "30"})
        );
        assert!(read_result(xml, "callPagamS2S").is_err());
    }

    #[test]
    fn wsdl_addresses_point_at_the_proxy_and_nothing_else_changes() {
        let wsdl = r#"<?xml version="1.0"?><wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"><wsdl:service name="WSs2s"><wsdl:port name="WSs2sSoap"><soap:address location="https://ecomms2s.sella.it/gestpay/gestpayws/WSs2s.asmx" /></wsdl:port><wsdl:port name="WSs2sSoap12"><soap12:address location='https://ecomms2s.sella.it/gestpay/gestpayws/WSs2s.asmx'/></wsdl:port><wsdl:documentation>https://ecomms2s.sella.it/gestpay/gestpayws/WSs2s.asmx</wsdl:documentation></wsdl:service></wsdl:definitions>"#;
        let out = rewrite_wsdl(wsdl, "http://127.0.0.1:8831/axerve", "").unwrap();
        let behind = wsdl.replace("https://ecomms2s.sella.it/", "http://sandbox.test/axerve/");
        assert_eq!(
            rewrite_wsdl(&behind, "http://127.0.0.1:8831/axerve", "/axerve").unwrap(),
            out.replace(
                "<wsdl:documentation>https://ecomms2s.sella.it/",
                "<wsdl:documentation>http://sandbox.test/axerve/"
            )
        );
        assert_eq!(
            out,
            wsdl.replacen(
                r#"location="https://ecomms2s.sella.it/gestpay/gestpayws/WSs2s.asmx""#,
                r#"location="http://127.0.0.1:8831/axerve/gestpay/gestpayws/WSs2s.asmx""#,
                1
            )
            .replacen(
                "location='https://ecomms2s.sella.it/gestpay/gestpayws/WSs2s.asmx'",
                "location='http://127.0.0.1:8831/axerve/gestpay/gestpayws/WSs2s.asmx'",
                1
            )
        );
        assert!(rewrite_wsdl("<not xml", "http://x", "").is_err());
    }
}
