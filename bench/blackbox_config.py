#!/usr/bin/env python3
"""Turns a hairpin-check --format json result into the same probes for Prometheus'
blackbox_exporter: a config of modules (one per name and kind of check, since blackbox takes the
DNS query name, the HTTP Host, the SNI and the certificate name from the module, not from the
target) and a curl config of /probe requests, one per hairpin-check check, in the order of the
checks.
  blackbox_config.py RESULT.json CA.pem OUT_DIR LISTEN   (writes OUT_DIR/blackbox.yml, OUT_DIR/probes.curl)
Every check of the result has a request; a check of a service blackbox cannot make is an error."""
import json
import os
import sys
import urllib.parse

result, ca, out, listen = sys.argv[1:5]
with open(result) as f:
    checks = json.load(f)["checks"]


def q(s):
    return json.dumps(s)  # a JSON string is a YAML flow scalar


names = sorted({c["name"] for c in checks})
index = {n: i for i, n in enumerate(names)}
lines = ["modules:"]
for n in names:
    i = index[n]
    tls = "      tls_config: {ca_file: %s, server_name: %s}" % (q(ca), q(n))
    for scheme in ("http", "https"):
        lines += [f"  {scheme}_{i}:", "    prober: http", "    timeout: 5s", "    http:",
                  "      preferred_ip_protocol: ip4", "      follow_redirects: false",
                  f"      valid_status_codes: [{', '.join(str(c) for c in range(200, 400))}]",  # hairpin-check: 200-399
                  f"      headers: {{Host: {q(n)}}}"]
        if scheme == "https":
            lines += ["      fail_if_not_ssl: true", tls]
    # SMTP: greeting, EHLO, STARTTLS, the handshake with the name as SNI, EHLO again, QUIT.
    lines += [f"  smtp_{i}:", "    prober: tcp", "    timeout: 5s", "    tcp:", "      preferred_ip_protocol: ip4",
              "      query_response:",
              "        - expect: '^220 '", "        - send: \"EHLO prober\\r\"", "        - expect: '^250[ -]STARTTLS'",
              "        - expect: '^250 '", "        - send: \"STARTTLS\\r\"", "        - expect: '^220'",
              "        - starttls: true", "        - send: \"EHLO prober\\r\"", "        - expect: '^250 '",
              "        - send: \"QUIT\\r\"", tls]
    lines += [f"  imaps_{i}:", "    prober: tcp", "    timeout: 5s", "    tcp:", "      preferred_ip_protocol: ip4",
              "      tls: true", "      query_response:", "        - expect: '^\\* OK'",
              "        - send: \"a LOGOUT\\r\"", tls]

# DNS: the answer hairpin-check found right for the name on that path (its detail starts "RCODE, N
# answers"): the same rcode, and an A record in the answer or none. Most names: NOERROR with an A.
# Where one name has several DNS checks on one server and transport, they are hairpin-check's
# questions about the zone (the name is the apex): its SOA (the answer with a serial), a name that
# does not exist (NXDOMAIN; blackbox asks one of its own under the apex) and the apex's A (none).
dns_modules = {}
dns_group = {}
for c in checks:
    if c["service"].startswith("dns/"):
        key = (c["name"], c["address"], c["service"])
        dns_group[key] = dns_group.get(key, 0) + 1


def dns_module(c):
    name, proto, detail = c["name"], c["service"][4:], c.get("detail", "")
    rcode, _, rest = detail.partition(", ")
    has_rr = not rest.startswith("0 answers")
    qname, qtype = name, "A"
    if dns_group[(name, c["address"], c["service"])] > 1:
        if rcode == "NXDOMAIN":
            qname = "no-such-name-blackbox." + name
        elif has_rr and "serial" in rest:
            qtype = "SOA"
    key = (qname, qtype, proto, rcode, has_rr)
    if key not in dns_modules:
        m = f"dns_{proto}_{index[name]}"
        if (qname, qtype, rcode, has_rr) != (name, "A", "NOERROR", True):
            m += f"_{qtype}_{rcode}_{int(has_rr)}" + ("_nx" if qname != name else "")
        dns_modules[key] = m
        rr = "['.*\\tIN\\t%s\\t.*']" % qtype
        lines.extend([f"  {m}:", "    prober: dns", "    timeout: 5s", "    dns:",
                      f"      transport_protocol: {proto}", "      preferred_ip_protocol: ip4",
                      f"      query_name: {q(qname)}", f"      query_type: {qtype}", f"      valid_rcodes: [{rcode}]",
                      "      validate_answer_rrs:",
                      f"        {'fail_if_none_matches_regexp' if has_rr else 'fail_if_matches_regexp'}: {rr}"])
    return dns_modules[key]


requests = []
for k, c in enumerate(checks):
    i, a, port, svc = index[c["name"]], c["address"], c["port"], c["service"]
    host = f"[{a}]" if ":" in a else a
    if svc in ("dns/udp", "dns/tcp"):
        module, target = dns_module(c), f"{host}:{port}"
    elif svc in ("http", "https"):
        module, target = f"{svc}_{i}", f"{svc}://{host}:{port}/"
    elif svc in ("smtp", "imaps"):
        module, target = f"{svc}_{i}", f"{host}:{port}"
    else:
        sys.exit(f"blackbox_config.py: no blackbox module for service {svc!r}")
    query = urllib.parse.urlencode({"module": module, "target": target})
    requests.append(f'url = "http://{listen}/probe?{query}"\noutput = "{out}/probe/{k}"\n')
with open(os.path.join(out, "blackbox.yml"), "w") as f:
    f.write("\n".join(lines) + "\n")
os.makedirs(os.path.join(out, "probe"), exist_ok=True)
with open(os.path.join(out, "probes.curl"), "w") as f:
    f.write("".join(requests))
print(len(requests))
