//! Axerve's SOAP reader (`mitgate_dialects::axerve::soap`): any body posted to either GestPay service, with
//! or without a `SOAPAction`, reads or gives errors that render as a 400 Fault; whatever reads parses as an
//! MIT or gives errors; GestPay-answer reading and WSDL rewriting never panic, and a rewritten WSDL still
//! reads.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mitgate_dialects::axerve::{self, soap};
use mitgate_dialects::MitContext;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let headers: [(&str, &str); 0] = [];
    let ctx = MitContext { merchant_id: "m_fuzz", headers: &headers, notice_sent_at: None };
    for (service, action) in [
        (soap::Service::WsS2s, Some("https://ecomms2s.sella.it/callPagamS2S")),
        (soap::Service::WsCryptDecrypt, Some("\"https://ecomm.sella.it/Encrypt\"")),
        (soap::Service::WsS2s, None),
    ] {
        match soap::read_call(service, action, text) {
            Err(errors) => {
                assert!(!errors.is_empty());
                assert_eq!(soap::render_fault(&errors).status, 400);
            }
            Ok(call) => {
                let _ = service.operation(&call.operation);
                let _ = call.trans_type();
                let _ = axerve::parse_mit(&call.json(), &ctx);
            }
        }
    }
    for op in ["callPagamS2S", "Encrypt", "Decrypt"] {
        let _ = soap::read_result(text, op);
    }
    if let Ok(rewritten) = soap::rewrite_wsdl(text, "https://mitgate.example/axerve", "/axerve") {
        assert!(soap::rewrite_wsdl(&rewritten, "https://mitgate.example/axerve", "").is_ok());
    }
});
