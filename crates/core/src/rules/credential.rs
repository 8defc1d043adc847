//! The credential named by the request must be the agreement's, and usable for MIT
//! (000: 403 "Not authorized to use this credential", 422 "Credential cannot be used for MIT transactions").

use super::{violation, Context};
use crate::decision::{Code, Details, MismatchDetails, Violation};

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let credential = &ctx.agreement.credential;
    if let Some(token) = ctx.request.and_then(|r| r.credential_token.as_ref()) {
        if *token != credential.token {
            out.push(violation(
                Code::CredentialMismatch,
                "Not authorized to use this credential with this reference.".to_string(),
                None,
                Details::Mismatch(MismatchDetails {
                    field: "credentialToken",
                    requested: crate::money::truncate_for_message(token),
                    expected: None,
                }),
            ));
        }
    }
    if !ctx.agreement.payment_method.mit_compatible {
        out.push(violation(
            Code::CredentialNotMitCompatible,
            "Credential cannot be used for MIT transactions.".to_string(),
            None,
            Details::None {},
        ));
    }
}
