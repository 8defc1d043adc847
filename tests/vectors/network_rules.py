#!/usr/bin/env python3
"""Writes tests/vectors/network_rules.json: the dated network rules (issue 12) on both sides of every
boundary and of every effective date (one second before, at, after).

Every expectation below is written by hand from the rule modules' docs and the dated tables in
crates/core/src/network_rules.rs (never read back from the engine). Run it after changing a case:
    python3 tests/vectors/network_rules.py
"""

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

OUT = Path(__file__).with_name("network_rules.json")
VERSIONS = [
    "2021-04-17", "2022-03-22", "2022-06-16", "2022-10-01", "2023-11-07", "2023-12-12",
    "2025-01-01", "2025-04-11", "2025-05-25", "2025-10-17", "2026-10-23", "2026-10-25",
]


def ts(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def fmt(d):
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def shift(text, **kw):
    return fmt(ts(text) + timedelta(**kw))


def usd(a):
    return {"amount": a, "currency": "USD"}


def base(now, brand="visa", currency="USD", amount="25.00", policy=None, established="2020-01-01T00:00:00Z"):
    money = {"amount": amount, "currency": currency}
    return {
        "now": now,
        "policy": policy or {"enabled": True, "maxMultiple": 3, "maxZeroAuthAmount": {"cents": 2000}},
        "agreement": {
            "id": "pay_cit_nr",
            "merchantId": "merch_1",
            "customerId": "cust_1",
            "type": "unscheduled",
            "established": {"method": "cvv_purchase", "at": established},
            "currency": currency,
            "paymentMethod": {"type": "card", "brand": brand},
            "credential": {"token": "tok_nr_1", "cardExpiry": "2030-12"},
            "consent": {"storeCredential": True, "merchantInitiated": True},
        },
        "history": {"payments": [], "attempts": []},
        "request": {"merchantId": "merch_1", "customerId": "cust_1", "reference": "pay_cit_nr", "amount": money},
    }


def declined(id_, at, code=None, advice=None, token=None):
    a = {"id": id_, "at": at, "amount": usd("25.00"), "status": "declined", "decline": {}}
    if code:
        a["decline"]["code"] = code
    if advice:
        a["decline"]["adviceCode"] = advice
    if token:
        a["credentialToken"] = token
    return a


def approved(id_, at):
    return {"id": id_, "at": at, "amount": usd("25.00"), "status": "approved"}


cases = []


def case(name, description, input_, outcome, status, codes, decision=None):
    expect = {"type": "success", "outcome": outcome, "httpStatus": status, "codes": codes}
    if decision is not None:
        expect["decision"] = decision
    cases.append({"name": name, "description": description, "input": copy.deepcopy(input_), "expect": expect})


def failure(name, description, input_, paths):
    cases.append({"name": name, "description": description, "input": input_,
                  "expect": {"type": "failure", "errorPaths": paths}})


def tag(at):
    return {-1: "before", 0: "at", 1: "after"}[at]


# --- rulesVersion: the version in force at `now`, one second before, at and after every effective date.
# An instant before the first version is judged by the first one.
for i, v in enumerate(VERSIONS):
    first = f"{v}T00:00:00Z"
    for off in (-1, 0, 1):
        now = shift(first, seconds=off)
        expected = v if off >= 0 else (VERSIONS[i - 1] if i > 0 else VERSIONS[0])
        case(
            f"rules_version_{v.replace('-', '_')}_{tag(off)}",
            f"network_rules: the decision names the rule-set version in force at now ({now}): {expected}"
            " (a version takes effect at 00:00:00 UTC of its date).",
            base(now), "allowed", 200, [], {"rulesVersion": expected},
        )

# --- Visa reattempt budget: 15 before 2025-05-25, 20 from it (Cielo, 2025). 16 attempts one day apart,
# all declined 51 (category 2): 15 reattempts in the trailing 30 days.
visa16 = [declined(f"att_{i}", fmt(ts("2025-05-08T12:00:00Z") + timedelta(days=i)), "51") for i in range(16)]
for off in (-1, 0, 1):
    now = shift("2025-05-25T00:00:00Z", seconds=off)
    inp = base(now)
    inp["history"]["attempts"] = copy.deepcopy(visa16)
    if off < 0:
        # The first reattempt (att_1, 2025-05-09T12:00) leaves the window 30 days later.
        case(f"visa_budget_15_before_2025_05_25", "network_retry, Visa 2025-04-11 rules: 15 reattempts"
             " in 30 days are spent one second before 2025-05-25; refused until the first reattempt leaves"
             " the window (2025-06-08T12:00:00Z).", inp, "refused", 429, ["retry_limit_reached"],
             {"rulesVersion": "2025-04-11", "retryAt": "2025-06-08T12:00:00Z",
              "violations": [{"details": {"category": 2, "reattemptsUsed": 15, "reattemptsAllowed": 15,
                                          "budget": "visa_reattempts",
                                          "rulesVersion": "2025-04-11"}}]})
    else:
        case(f"visa_budget_20_{tag(off)}_2025_05_25", "network_retry, Visa 2025-05-25 rules: 20"
             f" reattempts in 30 days; 15 used leave 5 ({tag(off)} the effective date).", inp, "allowed",
             200, [], {"rulesVersion": "2025-05-25"})

# 20 reattempts (21 attempts) spend the new budget; 19 leave one.
for n, outcome in ((21, "refused"), (20, "allowed")):
    inp = base("2026-01-21T00:00:00Z")
    inp["history"]["attempts"] = [declined(f"att_{i}", fmt(ts("2026-01-01T00:00:00Z") + timedelta(days=i)), "51")
                                  for i in range(n)]
    if outcome == "refused":
        case("visa_budget_20_spent_refused", "network_retry, Visa 20 reattempts in 30 days (2025-05-25):"
             " the 21st is charged; frees when the first reattempt (2026-01-02) leaves the window.", inp,
             "refused", 429, ["retry_limit_reached"],
             {"retryAt": "2026-02-01T00:00:00Z",
              "violations": [{"details": {"reattemptsUsed": 20, "reattemptsAllowed": 20, "windowDays": 30}}]})
    else:
        case("visa_budget_19_used_allow_the_20th", "network_retry, Visa 20 reattempts in 30 days: 19 used,"
             " the 20th is allowed.", inp, "allowed", 200, [])

# Pinning and overriding the Visa budget (policy networkRules).
inp = base("2026-01-21T00:00:00Z")
inp["policy"]["networkRules"] = {"version": "2025-04-11"}
inp["history"]["attempts"] = [declined(f"att_{i}", fmt(ts("2026-01-01T00:00:00Z") + timedelta(days=i)), "51")
                              for i in range(16)]
case("visa_budget_pinned_version_keeps_15", "policy networkRules.version pins 2025-04-11 (an acquirer"
     " applying the 20-reattempt rule later): 15 reattempts are spent at a now when 20 apply.", inp,
     "refused", 429, ["retry_limit_reached"],
     {"rulesVersion": "2025-04-11", "violations": [{"details": {"reattemptsAllowed": 15}}]})
inp = base("2026-01-21T00:00:00Z")
inp["policy"]["networkRules"] = {"visaMaxReattempts": 10}
inp["history"]["attempts"] = [declined(f"att_{i}", fmt(ts("2026-01-01T00:00:00Z") + timedelta(days=i)), "51")
                              for i in range(11)]
case("visa_budget_override_10_spent", "policy networkRules.visaMaxReattempts 10 overrides Visa's 20:"
     " 10 reattempts are spent.", inp, "refused", 429, ["retry_limit_reached"],
     {"rulesVersion": "2025-10-17",
      "violations": [{"details": {"reattemptsUsed": 10, "reattemptsAllowed": 10}}]})
inp["history"]["attempts"].pop()
case("visa_budget_override_9_used_allows", "policy networkRules.visaMaxReattempts 10: 9 used, the 10th"
     " is allowed.", inp, "allowed", 200, [])


# --- Re-categorised Visa codes, by the version in force when the decline happened. 15 declines of 51,
# then the code under test as the latest decline: the budget (15 under 2025-04-11) is spent, and the
# refusal names the latest decline's category.
def categorised(code, declined_at, now):
    inp = base(now)
    start = ts(declined_at) - timedelta(days=15)
    inp["history"]["attempts"] = [declined(f"att_{i:02}", fmt(start + timedelta(days=i)), "51") for i in range(15)]
    inp["history"]["attempts"].append(declined("att_99", declined_at, code))
    return inp


for code in ("5C", "9G"):
    for off in (-1, 0, 1):
        at = shift("2025-04-11T00:00:00Z", seconds=off)
        cat = 4 if off < 0 else 2
        case(f"visa_{code.lower()}_declined_{tag(off)}_2025_04_11", f"network_retry, Visa {code}: declined"
             f" at {at}, categorised by the table in force then: category {cat} (5C/9G join category 2 on"
             " 2025-04-11; unlisted before, a generic category 4).",
             categorised(code, at, "2025-04-20T00:00:00Z"), "refused", 429, ["retry_limit_reached"],
             {"violations": [{"details": {"declineCode": code, "category": cat, "reattemptsUsed": 15}}]})

# 83 joins category 2 on 2026-10-25 (TabaPay). Judged at a now of 20 reattempts' budget: 20 declines.
for off in (-1, 0, 1):
    at = shift("2026-10-25T00:00:00Z", seconds=off)
    cat = 4 if off < 0 else 2
    inp = base("2026-11-01T00:00:00Z")
    start = ts(at) - timedelta(days=20)
    inp["history"]["attempts"] = [declined(f"att_{i:02}", fmt(start + timedelta(days=i)), "51") for i in range(20)]
    inp["history"]["attempts"].append(declined("att_99", at, "83"))
    case(f"visa_83_declined_{tag(off)}_2026_10_25", f"network_retry, Visa 83 declined at {at}: category"
         f" {cat} (category 2 from 2026-10-25, unlisted before).", inp, "refused", 429,
         ["retry_limit_reached"], {"violations": [{"details": {"declineCode": "83", "category": cat}}]})


# 57: category 1 until 2025-10-17, then issuers return it as 05 (generic, category 4), category 1 again
# from 2026-10-25. A single 57 decline, judged a day later (and once long after).
def single(code, at, now, brand="visa"):
    inp = base(now, brand=brand)
    inp["history"]["attempts"] = [declined("att_1", at, code)]
    return inp


for boundary, before, after in (("2025-10-17", 1, 4), ("2026-10-25", 4, 1)):
    for off in (-1, 0, 1):
        at = shift(f"{boundary}T00:00:00Z", seconds=off)
        cat = before if off < 0 else after
        now = shift(at, days=1)
        name = f"visa_57_declined_{tag(off)}_{boundary.replace('-', '_')}"
        desc = (f"network_retry, Visa 57 declined at {at}: category {cat} by the table in force then"
                " (category 1 until 2025-10-17, reclassified as 05 until 2026-10-25, category 1 after).")
        if cat == 1:
            case(name, desc, single("57", at, now), "refused", 403, ["retry_forbidden"],
                 {"retryAt": None, "violations": [{"details": {"declineCode": "57", "category": 1}}],
                  "limits": {"nextEligibleAt": None}})
        else:
            case(name, desc, single("57", at, now), "allowed", 200, [])
case("visa_57_declined_before_2026_10_25_judged_after", "network_retry: a 57 declined on 2026-10-24"
     " stays category 4 when judged on 2026-12-01 (rules 2026-10-25): a decline is categorised by the"
     " table in force when it happened.", single("57", "2026-10-24T12:00:00Z", "2026-12-01T00:00:00Z"),
     "allowed", 200, [], {"rulesVersion": "2026-10-25"})
inp = single("57", "2026-04-01T12:00:00Z", "2026-04-02T12:00:00Z")
inp["policy"]["networkRules"] = {"version": "2026-10-25"}
case("visa_57_pinned_version_categorises_past_declines", "policy networkRules.version pins 2026-10-25:"
     " the pin also categorises past declines, so a 57 of 2026-04-01 is category 1.", inp, "refused", 403,
     ["retry_forbidden"], {"rulesVersion": "2026-10-25", "violations": [{"details": {"category": 1,
                                                                                      "rulesVersion": "2026-10-25"}}]})
case("visa_46_deactivated_token_category_1", "network_retry, Visa 46 (closed account / deactivated"
     " token, TabaPay 2026) is category 1: no retry.", single("46", "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"),
     "refused", 403, ["retry_forbidden"], {"violations": [{"details": {"declineCode": "46", "category": 1}}]})


# --- Mastercard: more than 10 declines per card in 24 hours (from 2022-10-01). Declines one hour apart.
def mc_declines(n, first, prefix="att", token=None):
    return [declined(f"{prefix}_{i:02}", fmt(ts(first) + timedelta(hours=i)), "05", token=token) for i in range(n)]


first = "2026-11-10T00:00:00Z"
for n, outcome in ((9, "allowed"), (10, "refused")):
    inp = base("2026-11-10T10:00:00Z", brand="mastercard")
    inp["history"]["attempts"] = mc_declines(n, first)
    if outcome == "allowed":
        case("mastercard_9_declines_in_24h_allowed", "network_retry, Mastercard excessive attempts: 9"
             " declines of the card in 24 hours; one more attempt is free.", inp, "allowed", 200, [])
    else:
        case("mastercard_10_declines_in_24h_refused", "network_retry, Mastercard excessive attempts: 10"
             " declines in 24 hours; refused until the oldest (2026-11-10T00:00:00Z) leaves the window.",
             inp, "refused", 429, ["card_decline_limit_reached"],
             {"retryAt": "2026-11-11T00:00:00Z", "retryAfterSeconds": 50400,
              "violations": [{"code": "card_decline_limit_reached", "rule": "network_retry", "details": {
                  "network": "mastercard", "budget": "mastercard_declines_per_day", "declinesUsed": 10,
                  "declinesAllowed": 10,
                  "rulesVersion": "2026-10-25"}}],
              "limits": {"nextEligibleAt": "2026-11-11T00:00:00Z"}})
for off in (-1, 0, 1):
    now = shift("2026-11-11T00:00:00Z", seconds=off)
    inp = base(now, brand="mastercard")
    inp["history"]["attempts"] = mc_declines(10, first)
    if off < 0:
        case("mastercard_10_declines_one_second_before_oldest_leaves", "network_retry, Mastercard: one"
             " second before the oldest decline is 24 hours old it still counts (window (now-24h, now]).",
             inp, "refused", 429, ["card_decline_limit_reached"],
             {"retryAt": "2026-11-11T00:00:00Z", "retryAfterSeconds": 1})
    else:
        case(f"mastercard_10_declines_{tag(off)}_oldest_leaves", "network_retry, Mastercard: once the"
             " oldest decline is 24 hours old, 9 remain in the window.", inp, "allowed", 200, [])
for off in (-1, 0, 1):
    now = shift("2022-10-01T00:00:00Z", seconds=off)
    inp = base(now, brand="mastercard")
    inp["history"]["attempts"] = mc_declines(10, "2022-09-30T12:00:00Z")
    if off < 0:
        case("mastercard_daily_declines_before_2022_10_01", "network_rules 2022-06-16: Mastercard's"
             " per-card 24-hour decline limit is not yet in force; 10 declines are allowed another attempt.",
             inp, "allowed", 200, [], {"rulesVersion": "2022-06-16"})
    else:
        case(f"mastercard_daily_declines_{tag(off)}_2022_10_01", "network_rules 2022-10-01: Mastercard"
             " charges attempts after 10 declines of the card in 24 hours.", inp, "refused", 429,
             ["card_decline_limit_reached"], {"rulesVersion": "2022-10-01", "retryAt": "2022-10-01T12:00:00Z"})
inp = base("2026-11-10T10:00:00Z", brand="mastercard")
inp["history"]["attempts"] = mc_declines(6, first)
inp["history"]["credentialAttempts"] = mc_declines(4, "2026-11-10T06:30:00Z", prefix="other", token="tok_nr_1")
case("mastercard_daily_declines_counted_across_agreements", "network_retry, Mastercard counts per card:"
     " 6 declines here and 4 on another agreement with the same token (history.credentialAttempts) make 10.",
     inp, "refused", 429, ["card_decline_limit_reached"],
     {"retryAt": "2026-11-11T00:00:00Z", "violations": [{"details": {"declinesUsed": 10}}]})
inp["history"]["credentialAttempts"] = mc_declines(4, "2026-11-10T06:30:00Z", prefix="other", token="tok_other")
case("mastercard_daily_declines_other_token_not_counted", "network_retry: credential attempts on another"
     " token are another card; 6 declines remain.", inp, "allowed", 200, [])
inp = base("2026-11-10T12:00:00Z", brand="mastercard")
inp["policy"]["networkRules"] = {"mastercardMaxDeclinesPerDay": 12}
inp["history"]["attempts"] = mc_declines(11, first)
case("mastercard_daily_declines_override_12_allows_11", "policy networkRules.mastercardMaxDeclinesPerDay"
     " 12: 11 declines leave one.", inp, "allowed", 200, [])
inp["history"]["attempts"] = mc_declines(12, first)
case("mastercard_daily_declines_override_12_spent", "policy networkRules.mastercardMaxDeclinesPerDay 12:"
     " 12 declines spend it.", inp, "refused", 429, ["card_decline_limit_reached"],
     {"violations": [{"details": {"declinesUsed": 12, "declinesAllowed": 12}}]})


# --- MAC 40/41 on the storing CIT's approval (from 2023-11-07).
def stored(mac, established, brand="mastercard", now="2026-11-01T00:00:00Z"):
    inp = base(now, brand=brand, established=established)
    inp["agreement"]["established"]["adviceCode"] = mac
    return inp


for mac, meaning in (("40", "consumer_non_reloadable_prepaid"), ("41", "consumer_single_use_virtual_card")):
    case(f"mastercard_mac_{mac}_on_storing_approval_refused", f"network_credential, Mastercard MAC {mac}"
         f" ({meaning}) on the storing CIT's approval: the card must not be stored for MITs (403, never).",
         stored(mac, "2026-01-01T00:00:00Z"), "refused", 403, ["credential_not_storable"],
         {"retryAt": None, "limits": {"nextEligibleAt": None}, "violations": [{"code": "credential_not_storable",
          "rule": "network_credential", "details": {"adviceCode": mac,
                                                    "rulesVersion": "2025-10-17"}}]})
for mac in ("42", "43"):
    case(f"mastercard_mac_{mac}_on_storing_approval_informational", f"network_credential, MAC {mac}"
         " (sanctions score / multi-use virtual card) is informational: MITs allowed.",
         stored(mac, "2026-01-01T00:00:00Z"), "allowed", 200, [])
for off in (-1, 0, 1):
    at = shift("2023-11-07T00:00:00Z", seconds=off)
    if off < 0:
        case("mastercard_mac_40_established_before_2023_11_07", "network_credential: an agreement"
             " established before MAC 40/41 took effect (2023-11-07) is judged by the table then: usable.",
             stored("40", at), "allowed", 200, [])
    else:
        case(f"mastercard_mac_40_established_{tag(off)}_2023_11_07", "network_credential: established"
             " from 2023-11-07 with MAC 40: not storable.", stored("40", at), "refused", 403,
             ["credential_not_storable"], {"violations": [{"details": {"rulesVersion": "2023-11-07"}}]})
case("visa_agreement_ignores_advice_code", "network_credential: a Merchant Advice Code is Mastercard's;"
     " on a Visa agreement it is ignored.", stored("40", "2026-01-01T00:00:00Z", brand="visa"), "allowed", 200, [])


# --- Network references (policy requireNetworkReferences, off by default).
def refs(brand, now, ntid=None, tlid=None, on=True):
    inp = base(now, brand=brand)
    if on:
        inp["policy"]["requireNetworkReferences"] = True
    if ntid:
        inp["agreement"]["established"]["networkTransactionId"] = ntid
    if tlid:
        inp["agreement"]["established"]["transactionLinkId"] = tlid
    return inp


case("visa_mit_without_network_transaction_id_refused", "network_credential, policy"
     " requireNetworkReferences: a Visa MIT needs the storing CIT's network transaction id.",
     refs("visa", "2026-11-01T00:00:00Z"), "refused", 422, ["network_reference_missing"],
     {"retryAt": None, "rulesVersion": "2026-10-25",
      "violations": [{"details": {"missing": ["established.networkTransactionId"]}}]})
case("visa_mit_with_network_transaction_id_allowed", "network_credential: with the network transaction"
     " id the Visa MIT goes ahead.", refs("visa", "2026-11-01T00:00:00Z", ntid="483299310332879"), "allowed", 200, [])
case("network_references_not_required_by_default", "network_credential: requireNetworkReferences is off"
     " by default (the processors keep the references).", refs("visa", "2026-11-01T00:00:00Z", on=False),
     "allowed", 200, [])
for off in (-1, 0, 1):
    now = shift("2026-10-23T00:00:00Z", seconds=off)
    inp = refs("mastercard", now, ntid="MCC1234560101")
    if off < 0:
        case("mastercard_tlid_not_required_before_2026_10_23", "network_credential: before 2026-10-23 a"
             " Mastercard MIT needs only the network transaction id.", inp, "allowed", 200, [],
             {"rulesVersion": "2025-10-17"})
    else:
        case(f"mastercard_tlid_required_{tag(off)}_2026_10_23", "network_credential: from 2026-10-23 a"
             " Mastercard MIT must carry the Transaction Link ID retained from the storing CIT.", inp,
             "refused", 422, ["network_reference_missing"],
             {"rulesVersion": "2026-10-23",
              "violations": [{"details": {"missing": ["established.transactionLinkId"]}}]})
case("mastercard_mit_with_both_references_allowed", "network_credential: network transaction id and"
     " Transaction Link ID present.", refs("mastercard", "2026-11-01T00:00:00Z", ntid="MCC1234560101",
                                           tlid="e7R9d3L2-Q9vS6pP1_WzEh"), "allowed", 200, [])
case("mastercard_mit_without_any_reference_lists_both", "network_credential: both missing, both named.",
     refs("mastercard", "2026-11-01T00:00:00Z"), "refused", 422, ["network_reference_missing"],
     {"violations": [{"details": {"missing": ["established.networkTransactionId", "established.transactionLinkId"]}}]})
case("amex_mit_not_checked_for_references", "network_credential: only Visa and Mastercard references are"
     " known.", refs("amex", "2026-11-01T00:00:00Z"), "allowed", 200, [])


# --- Trial reminders (policy trialReminders).
def trial(brand, now, sent=None, established="2026-10-01T00:00:00Z", ends="2026-11-01T00:00:00Z", on=True):
    inp = base(now, brand=brand, established=established)
    inp["agreement"]["type"] = "recurring"
    inp["agreement"]["terms"] = {"trialEndsAt": ends}
    if on:
        inp["policy"]["trialReminders"] = True
    if sent:
        inp["request"]["reminderSentAt"] = sent
    return inp


now = "2026-11-01T12:00:00Z"
case("visa_trial_reminder_missing", "trial_reminder, Visa: the first charge after a trial needs a reminder"
     " at least 7 days before it.", trial("visa", now), "refused", 422, ["trial_reminder_missing"],
     {"retryAt": None, "violations": [{"details": {"trialEndsAt": "2026-11-01T00:00:00Z",
                                                   "windowEnd": "2026-10-25T12:00:00Z"}}]})
for off in (-1, 0, 1):
    sent = shift("2026-10-25T12:00:00Z", seconds=off)
    if off > 0:
        case("visa_trial_reminder_one_second_too_recent", "trial_reminder, Visa: sent 7 days minus one"
             " second before the charge; the charge may follow 7 days after it.", trial("visa", now, sent),
             "refused", 429, ["trial_reminder_too_recent"],
             {"retryAt": "2026-11-01T12:00:01Z", "retryAfterSeconds": 1})
    else:
        case(f"visa_trial_reminder_{'exactly' if off == 0 else 'more_than'}_7_days_before", "trial_reminder,"
             " Visa: a reminder 7 days or more before the charge.", trial("visa", now, sent), "allowed", 200, [])
case("visa_trial_reminder_not_enforced_by_default", "trial_reminder is off by default.",
     trial("visa", now, on=False), "allowed", 200, [])
case("visa_trial_reminder_not_needed_during_trial", "trial_reminder: before trialEndsAt the charge is not"
     " the first after the trial.", trial("visa", "2026-10-20T00:00:00Z"), "allowed", 200, [])
inp = trial("visa", now)
inp["history"]["attempts"] = [approved("att_1", "2026-11-01T06:00:00Z")]
case("visa_trial_reminder_only_for_first_charge_after_trial", "trial_reminder: a charge already followed"
     " the trial's end; later charges need no trial reminder.", inp, "allowed", 200, [])
for sent, ok in (("2026-10-24T23:59:59Z", False), ("2026-10-25T00:00:00Z", True), ("2026-10-25T00:00:01Z", True),
                 ("2026-10-28T23:59:59Z", True), ("2026-10-29T00:00:00Z", True), ("2026-10-29T00:00:01Z", False)):
    name = f"mastercard_trial_reminder_{sent[5:10].replace('-', '_')}_{sent[11:19].replace(':', '')}"
    desc = (f"trial_reminder, Mastercard: a trial of more than 7 days ending 2026-11-01T00:00:00Z needs its"
            f" reminder from 7 to 3 days before the end, inclusive; sent {sent}.")
    if ok:
        case(name, desc, trial("mastercard", now, sent), "allowed", 200, [])
    else:
        case(name, desc, trial("mastercard", now, sent), "refused", 422, ["trial_reminder_outside_window"],
             {"retryAt": None, "violations": [{"details": {"windowStart": "2026-10-25T00:00:00Z",
                                                           "windowEnd": "2026-10-29T00:00:00Z"}}]})
case("mastercard_trial_reminder_missing", "trial_reminder, Mastercard: no reminder for a 31-day trial.",
     trial("mastercard", now), "refused", 422, ["trial_reminder_missing"])
case("mastercard_trial_of_exactly_7_days_needs_no_reminder", "trial_reminder, Mastercard: only trials"
     " longer than 7 days need the reminder.", trial("mastercard", now, established="2026-10-25T00:00:00Z"),
     "allowed", 200, [])
case("mastercard_trial_of_7_days_and_a_second_needs_reminder", "trial_reminder, Mastercard: 7 days and one"
     " second is longer than 7 days.", trial("mastercard", now, established="2026-10-24T23:59:59Z"),
     "refused", 422, ["trial_reminder_missing"])
for off in (-1, 0, 1):
    n = shift("2022-03-22T00:00:00Z", seconds=off)
    inp = trial("mastercard", n, established="2022-02-01T00:00:00Z", ends="2022-03-15T00:00:00Z")
    if off < 0:
        case("mastercard_trial_reminder_before_2022_03_22", "network_rules 2021-04-17: no Mastercard"
             " negative-option reminder yet.", inp, "allowed", 200, [], {"rulesVersion": "2021-04-17"})
    else:
        case(f"mastercard_trial_reminder_{tag(off)}_2022_03_22", "network_rules 2022-03-22: Mastercard's"
             " negative-option reminder is required.", inp, "refused", 422, ["trial_reminder_missing"],
             {"rulesVersion": "2022-03-22"})


def yearly(now, sent=None, interval="yearly"):
    inp = base(now, brand="mastercard", established="2025-11-01T00:00:00Z")
    inp["agreement"]["type"] = "recurring"
    inp["agreement"]["terms"] = {"schedule": {"initialDate": "2025-11-01T00:00:00Z", "interval": interval}}
    inp["policy"]["trialReminders"] = True
    if sent:
        inp["request"]["reminderSentAt"] = sent
    return inp


now = "2026-11-01T00:00:00Z"
case("mastercard_yearly_charge_reminder_missing", "trial_reminder, Mastercard: a subscription billed 6"
     " months apart or more needs a reminder before each charge.", yearly(now), "refused", 422,
     ["trial_reminder_missing"], {"violations": [{"details": {"trialEndsAt": None}}]})
for sent, code, retry in (("2026-10-29T00:00:01Z", "trial_reminder_too_recent", "2026-11-01T00:00:01Z"),
                          ("2026-10-29T00:00:00Z", None, None), ("2026-10-25T00:00:00Z", None, None),
                          ("2026-10-24T23:59:59Z", "trial_reminder_outside_window", None)):
    name = f"mastercard_yearly_reminder_{sent[5:10].replace('-', '_')}_{sent[11:19].replace(':', '')}"
    desc = f"trial_reminder, Mastercard yearly billing: reminder 3 to 7 days before the charge; sent {sent}."
    if code is None:
        case(name, desc, yearly(now, sent), "allowed", 200, [])
    else:
        case(name, desc, yearly(now, sent), "refused", 429 if retry else 422, [code], {"retryAt": retry})
case("mastercard_monthly_charge_needs_no_reminder", "trial_reminder: monthly billing is not a long interval.",
     yearly(now, interval="monthly"), "allowed", 200, [])


# --- India AFA limit (policy indiaProfile).
def india(amount, category=None, now="2026-11-01T00:00:00Z", on=True):
    inp = base(now, currency="INR", amount=amount,
               policy={"enabled": True, "maxMultiple": 1, "maxZeroAuthAmount": {"cents": 50000000}})
    if on:
        inp["policy"]["indiaProfile"] = True
    if category:
        inp["agreement"]["terms"] = {"mandateCategory": category}
    return inp


case("india_general_at_limit_allowed", "india_afa: ₹15,000.00 is the general limit, inclusive.",
     india("15000.00", "general"), "allowed", 200, [])
case("india_general_above_limit_refused", "india_afa: ₹15,000.01 needs additional authentication.",
     india("15000.01", "general"), "refused", 403, ["additional_authentication_required"],
     {"retryAt": None, "violations": [{"code": "additional_authentication_required", "rule": "india_afa",
      "details": {"requested": {"amount": "15000.01", "currency": "INR"},
                  "limit": {"amount": "15000.00", "currency": "INR"}, "mandateCategory": "general"}}],
      "rulesVersion": "2026-10-25"})
case("india_no_category_is_general", "india_afa: without mandateCategory the general limit applies.",
     india("15000.01"), "refused", 403, ["additional_authentication_required"],
     {"violations": [{"details": {"mandateCategory": "general"}}]})
for cat in ("mutual_fund", "insurance_premium", "credit_card_bill"):
    case(f"india_{cat}_at_limit_allowed", f"india_afa: ₹1,00,000.00 is the {cat} limit, inclusive.",
         india("100000.00", cat), "allowed", 200, [])
    case(f"india_{cat}_above_limit_refused", f"india_afa: ₹1,00,000.01 ({cat}) needs additional"
         " authentication.", india("100000.01", cat), "refused", 403, ["additional_authentication_required"],
         {"violations": [{"details": {"limit": {"amount": "100000.00", "currency": "INR"}, "mandateCategory": cat}}]})
case("india_profile_off_by_default", "india_afa: without indiaProfile no limit applies.",
     india("100000.01", on=False), "allowed", 200, [])
for off in (-1, 0, 1):
    n = shift("2023-12-12T00:00:00Z", seconds=off)
    if off < 0:
        case("india_mutual_fund_before_2023_12_12", "network_rules 2023-11-07: every category's limit is"
             " ₹15,000.", india("15000.01", "mutual_fund", n), "refused", 403,
             ["additional_authentication_required"], {"rulesVersion": "2023-11-07"})
    else:
        case(f"india_mutual_fund_{tag(off)}_2023_12_12", "network_rules 2023-12-12: ₹1,00,000 for mutual"
             " funds.", india("15000.01", "mutual_fund", n), "allowed", 200, [], {"rulesVersion": "2023-12-12"})
for off in (-1, 0, 1):
    n = shift("2022-06-16T00:00:00Z", seconds=off)
    if off < 0:
        case("india_general_before_2022_06_16", "network_rules 2022-03-22: the limit was ₹5,000.",
             india("5000.01", "general", n), "refused", 403, ["additional_authentication_required"],
             {"violations": [{"details": {"limit": {"amount": "5000.00", "currency": "INR"}}}]})
    else:
        case(f"india_general_{tag(off)}_2022_06_16", "network_rules 2022-06-16: the limit is ₹15,000.",
             india("5000.01", "general", n), "allowed", 200, [])

# --- Policy validation.
inp = base("2026-11-01T00:00:00Z")
inp["policy"]["networkRules"] = {"version": "2024-01-01"}
failure("network_rules_unknown_version_rejected", "policy.networkRules.version must name a rule-set"
        " version.", inp, ["policy.networkRules.version"])
inp = base("2026-11-01T00:00:00Z")
inp["policy"]["networkRules"] = {"visaMaxReattempts": 0, "mastercardMaxDeclinesPerDay": 1001}
failure("network_rules_budget_overrides_out_of_range_rejected", "policy.networkRules budgets must be 1 to"
        " 1000.", inp, ["policy.networkRules.visaMaxReattempts", "policy.networkRules.mastercardMaxDeclinesPerDay"])
inp = base("2026-11-01T00:00:00Z")
inp["history"]["credentialAttempts"] = [declined("other_1", "2026-10-01T00:00:00Z", "05")]
failure("credential_attempt_without_token_rejected", "history.credentialAttempts entries must name their"
        " credential token.", inp, ["history.credentialAttempts[0].credentialToken"])
inp = base("2026-11-01T00:00:00Z")
inp["agreement"]["terms"] = {"mandateCategory": "groceries"}
failure("unknown_mandate_category_rejected", "agreement.terms.mandateCategory is one of four purposes.",
        inp, ["agreement.terms.mandateCategory"])

names = [c["name"] for c in cases]
assert len(names) == len(set(names)), "duplicate names"
OUT.write_text(json.dumps({
    "description": "Dated network rules (issue 12): the rule-set version in force at now, Visa 15 to 20 reattempts,"
                   " re-categorised Visa codes by decline date, Mastercard 10 declines per card in 24 hours across"
                   " agreements, MAC 40/41 on the storing approval, network references, trial reminders, India's AFA"
                   " limit, version pins and budget overrides; one second before, at and after every effective date."
                   " Generated by network_rules.py (expectations written by hand there).",
    "cases": cases,
}, indent=2, ensure_ascii=False) + "\n")
print(f"{len(cases)} cases -> {OUT}")
