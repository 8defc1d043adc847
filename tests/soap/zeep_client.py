"""Drives mitgate's Axerve proxy with zeep (PyPI, unmodified), pointed only at the proxy's base URL.

As a merchant's integration does: fetch each service's WSDL from the proxy (`…/WSCryptDecrypt.asmx?WSDL`,
`…/WSs2s.asmx?WSDL`), then call the operations the generated client offers; zeep posts them to the WSDL's
`soap:address`, which mitgate has rewritten to itself. The only mitgate-specific setting is the
`X-Mitgate-Key` header on the HTTP session.

Flow: Encrypt 01F (document 003's values) -> the payment page (the customer's browser, straight to the
processor: the sandbox URL is the second argument) -> Decrypt -> callPagamS2S 01N allowed -> the same
01N again, refused (too early for `frequency`) -> an 01N above `authenticationAmount`, refused.

Usage: zeep_client.py <proxy base URL> <payment page base URL>. Prints one JSON line per step; exits
non-zero when a step does not answer as document 003 says.
"""

import json
import sys
import uuid

import requests
from lxml import etree
from zeep import Client
from zeep.plugins import HistoryPlugin
from zeep.transports import Transport


def result_fields(result, element):
    """The children of the GestPayS2S / GestPayCryptDecrypt element inside a mixed `any` result."""
    if isinstance(result, etree._Element):
        result = [result]
    values = result if isinstance(result, list) else getattr(result, "_value_1", None)
    if values is None and isinstance(result, dict):
        values = result.get("_value_1")
    if not isinstance(values, list):
        values = [values]
    for v in values:
        if isinstance(v, etree._Element):
            node = v if etree.QName(v).localname == element else v.find(f".//{element}")
            if node is not None:
                return {etree.QName(c).localname: (c.text or "") for c in node}
    raise AssertionError(f"no {element} in {result!r}")


def main():
    base, page_base = sys.argv[1].rstrip("/"), sys.argv[2].rstrip("/")
    session = requests.Session()
    session.headers["X-Mitgate-Key"] = "sk_test_demo"
    history = HistoryPlugin()
    transport = Transport(session=session)
    crypt = Client(f"{base}/axerve/gestpay/gestpayws/WSCryptDecrypt.asmx?WSDL", transport=transport, plugins=[history])
    s2s = Client(f"{base}/axerve/gestpay/gestpayws/WSs2s.asmx?WSDL", transport=transport, plugins=[history])
    for client in (crypt, s2s):
        address = client.service._binding_options["address"]
        assert address.startswith(f"{base}/axerve/"), address

    stid = f"OrderID_01F_{uuid.uuid4().hex[:12]}"
    encrypted = result_fields(
        crypt.service.Encrypt(
            shopLogin="GESPAY00001", uicCode="242", amount="0", shopTransactionId=stid, requestToken="MASKEDPAN",
            transDetails={"type": "01F", "authenticationAmount": "10",
                          "recurringTransaction": {"expiry": "20301225", "frequency": "14"}},
            apikey="",
        ),
        "GestPayCryptDecrypt",
    )
    assert encrypted["TransactionResult"] == "OK", encrypted
    print(json.dumps({"step": "Encrypt 01F", **encrypted}))

    page = requests.get(f"{page_base}/axerve/pagam/pagam.aspx",
                        params={"a": "GESPAY00001", "b": encrypted["CryptDecryptString"]}, timeout=10).json()
    decrypted = result_fields(crypt.service.Decrypt(shopLogin="GESPAY00001", CryptedString=page["b"], apikey=""),
                              "GestPayCryptDecrypt")
    agreement = history.last_received["http_headers"].get("x-mitgate-agreement-id")
    assert decrypted["TransactionResult"] == "OK" and decrypted["ShopTransactionID"] == stid, decrypted
    assert agreement == decrypted["BankTransactionID"], (agreement, decrypted)
    print(json.dumps({"step": "Decrypt", "agreement": agreement, **decrypted}))

    def pagam(amount, order):
        fields = result_fields(
            s2s.service.callPagamS2S(
                shopLogin="GESPAY00001", uicCode="242", amount=amount, shopTransactionId=order,
                tokenValue=decrypted["TOKEN"], apikey="",
                transDetails={"type": "01N", "previousTransDetails": {"bankTransactionID": decrypted["BankTransactionID"]}},
            ),
            "GestPayS2S",
        )
        header = history.last_received["http_headers"].get("x-mitgate-decision")
        return fields, json.loads(header) if header else None

    allowed, decision = pagam("10", f"OrderID_01N_{uuid.uuid4().hex[:12]}")
    assert allowed["TransactionResult"] == "OK" and decision["outcome"] == "allowed", (allowed, decision)
    print(json.dumps({"step": "callPagamS2S 01N allowed", **allowed}))

    early, decision = pagam("10", f"OrderID_01N_{uuid.uuid4().hex[:12]}")
    assert early["TransactionResult"] == "KO" and early["ErrorCode"] == "429", early
    assert [v["code"] for v in decision["violations"]] == ["interval_too_short"], decision
    print(json.dumps({"step": "callPagamS2S 01N refused (frequency)", **early}))

    above, decision = pagam("10.01", f"OrderID_01N_{uuid.uuid4().hex[:12]}")
    assert above["TransactionResult"] == "KO", above
    assert "amount_above_ceiling" in [v["code"] for v in decision["violations"]], decision
    print(json.dumps({"step": "callPagamS2S 01N refused (authenticationAmount)", **above}))


if __name__ == "__main__":
    main()
