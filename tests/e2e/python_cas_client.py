"""Drives PyPI python-cas against the Worker; one JSON line out per call.

usage: python_cas_client.py verify VERSION SERVER_URL SERVICE TICKET [PROXY_CALLBACK]
       python_cas_client.py proxy-ticket SERVER_URL SERVICE PGT
       python_cas_client.py slo LOGOUT_REQUEST_XML TICKET
       python_cas_client.py urls SERVER_URL SERVICE
VERSION is 1, 2, 3 or CAS_2_SAML_1_0 (python-cas' own names), or proxy (V2 on
/proxyValidate).
"""
import json
import sys

from cas import CASClient, CASClientV2, CASClientV3, CASError


class ProxyValidatingClient(CASClientV2):
    """python-cas' V2 client pointed at /proxyValidate (how its users validate PTs)."""

    url_suffix = "proxyValidate"


def out(obj):
    print(json.dumps(obj))


def main(argv):
    cmd = argv[1]
    if cmd == "verify":
        version, server, service, ticket = argv[2:6]
        kwargs = {}
        if len(argv) > 6:
            kwargs["proxy_callback"] = argv[6]
        if version == "proxy":
            client = ProxyValidatingClient(server_url=server, service_url=service, **kwargs)
        else:
            client = CASClient(version=version, server_url=server, service_url=service, **kwargs)
        user, attributes, pgtiou = client.verify_ticket(ticket)
        out({"user": user, "attributes": attributes, "pgtiou": pgtiou})
    elif cmd == "proxy-ticket":
        server, service, pgt = argv[2:5]
        client = CASClient(version=2, server_url=server, service_url=service)
        try:
            out({"pt": client.get_proxy_ticket(pgt)})
        except CASError as e:
            out({"error": [str(a) for a in e.args]})
    elif cmd == "slo":
        xml, ticket = argv[2:4]
        out({"valid": CASClientV3.verify_logout_request(xml, ticket)})
    elif cmd == "urls":
        server, service = argv[2:4]
        client = CASClient(version=3, server_url=server, service_url=service)
        out({"login": client.get_login_url(), "logout": client.get_logout_url(service)})
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
