//! India's e-mandate limit (policy `indiaProfile`, off by default): an INR recurring charge above the
//! RBI limit for the mandate's purpose needs an additional factor of authentication, which an MIT
//! cannot carry: refused with `additional_authentication_required`. The limits are dated data
//! (`network_rules::IndiaRules`): ₹15,000, and ₹1,00,000 for mutual funds, insurance premiums and
//! credit-card bills (`agreement.terms.mandateCategory`; `general` when absent). A charge of exactly the
//! limit is allowed.

use rust_decimal::Decimal;

use super::{violation, Context};
use crate::decision::{AuthenticationDetails, Code, Details, Violation};
use crate::model::MandateCategory;
use crate::money::Money;

pub(crate) fn check(ctx: &Context<'_>, out: &mut Vec<Violation>) {
    let Some(req) = ctx.request.filter(|_| ctx.policy.india_profile) else { return };
    let currency = req.amount.currency();
    if currency.code() != "INR" {
        return;
    }
    let rules = ctx.rules();
    let category = ctx.agreement.terms.mandate_category.unwrap_or(MandateCategory::General);
    let rupees = match category {
        MandateCategory::General => rules.india.afa_limit_general_inr,
        MandateCategory::MutualFund | MandateCategory::InsurancePremium | MandateCategory::CreditCardBill => {
            rules.india.afa_limit_special_inr
        }
    };
    let Ok(limit) = Money::from_major(Decimal::from(rupees), currency) else { return };
    if req.amount.amount() <= limit.amount() {
        return;
    }
    out.push(violation(
        Code::AdditionalAuthenticationRequired,
        "RBI e-mandates: a recurring charge above the limit in details needs the customer's additional authentication."
            .to_string(),
        None,
        Details::Authentication(AuthenticationDetails {
            requested: req.amount,
            limit,
            mandate_category: category,
        }),
    ));
}
