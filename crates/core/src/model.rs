//! The canonical model every processor dialect maps onto: agreement, history, charge request, outcome.

mod agreement;
mod history;
mod outcome;
mod request;

pub(crate) use agreement::{check_id, check_no_card};
pub use agreement::{
    Agreement, AgreementStatus, AmountQualifier, CardBrand, Consent, Credential, Establishment,
    EstablishmentMethod, Interval, MandateCategory, MitType, PaymentMethod, PaymentMethodKind, Schedule,
    Terms,
};
pub use history::{Attempt, AttemptStatus, Decline, DeclineReason, History, Payment, PaymentKind};
pub use outcome::{Outcome, OutcomeResult};
pub use request::{ChargeRequest, GRANDFATHERED_REFERENCE};
