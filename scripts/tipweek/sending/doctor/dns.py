"""The checks of the sending domain in the DNS: SPF (RFC 7208), the DKIM key at a selector
(RFC 6376), DMARC and its alignment (RFC 7489; the organisational domain by the tree walk
of RFC 9989), MX or A/AAAA for bounces, and first whether the domains exist at all (the
look-ups themselves are ``resolver``'s)."""

from __future__ import annotations

import base64
import re


from .findings import MISSING, OK, WRONG, Finding
from .resolver import Dns

SPF_LOOKUP_LIMIT = 10  # RFC 7208 4.6.4: DNS-querying terms, includes followed
SPF_LOOKUP_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")
DMARC_WALK_LIMIT = 8  # RFC 9989's tree walk asks for at most 8 _dmarc records
# A 1024-bit RSA key is 162 bytes as DER SubjectPublicKeyInfo; RFC 8301 refuses shorter ones.
RSA_1024_DER = 160
# Tried in turn when no --dkim-selector is given: the names relays and mail hosts use most.
COMMON_SELECTORS = ("default", "selector1", "selector2", "google", "k1", "s1", "s2", "dkim", "mail")


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(".").lower()


def tags(record: str) -> dict[str, str]:
    """The tag=value list of a DKIM or DMARC record (RFC 6376 3.2), names lower-cased."""
    found = {}
    for part in record.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            found.setdefault(name.strip().lower(), "".join(value.split()))
    return found


def check_domains_exist(dns: Dns, domains: dict[str, str]) -> list[Finding]:
    """One finding for each domain (name -> where it comes from) that the resolver says does not
    exist; none when all do (then the record checks follow)."""
    return [Finding("domain", WRONG, f"{domain} does not exist at the resolver {dns.where} (NXDOMAIN), so it can "
                    "have no SPF, DKIM, DMARC or MX record",
                    f"check {source} for a typo; if the domain is only in an internal DNS view, ask a resolver "
                    "that the world's mail servers see with --dns HOST:PORT")
            for domain, source in domains.items() if not dns.exists(domain)]


# SPF ------------------------------------------------------------------------------------------------

def spf_records(dns: Dns, domain: str) -> list[str]:
    return [r for r in dns.txt(domain) if r.lower() == "v=spf1" or r.lower().startswith("v=spf1 ")]


def spf_lookups(dns: Dns, record: str, seen: set[str], depth: int = 0) -> int:
    """The DNS-querying terms of ``record`` and of every include and redirect
    it reaches (RFC 7208 4.6.4), counted as a receiver counts them."""
    count = 0
    for term in record.split()[1:]:
        bare = term.lstrip("+-~?").lower()
        name, _, target = _term(bare)
        if name not in SPF_LOOKUP_TERMS:
            continue
        count += 1
        if name in ("include", "redirect") and target and depth < 10:
            if target in seen:
                continue
            seen.add(target)
            for inner in spf_records(dns, target)[:1]:
                count += spf_lookups(dns, inner, seen, depth + 1)
    return count


def _term(bare: str) -> tuple[str, str, str]:
    """(name, separator, argument) of an SPF term: include:x, redirect=x, a/24, mx."""
    found = re.match(r"([a-z0-9-]+)([:=/]?)(.*)", bare)
    return found.groups() if found else ("", "", "")


def check_spf(dns: Dns, domain: str) -> Finding:
    add = f'add  {domain} TXT "v=spf1 include:RELAY -all" (RELAY: the SPF domain your mail relay names)'
    records = spf_records(dns, domain)
    if not records:
        return Finding("SPF", MISSING, f"{domain} has no SPF record (a TXT record starting v=spf1)", add)
    if len(records) > 1:
        return Finding("SPF", WRONG, f"{domain} has {len(records)} SPF records, and receivers treat that as an "
                       "error (RFC 7208 4.5)", "merge them into one TXT record")
    record = records[0]
    terms = [t.lower() for t in record.split()[1:]]
    if "+all" in terms or "all" in terms:
        return Finding("SPF", WRONG, f'{domain} has "{record}", and its {"+all" if "+all" in terms else "all"} '
                       "lets any server in the world send as you",
                       "end the record with -all (or ~all while you test) instead")
    lookups = spf_lookups(dns, record, {domain})
    if lookups > SPF_LOOKUP_LIMIT:
        return Finding("SPF", WRONG, f'{domain} has "{record}", which needs {lookups} DNS look-ups with its '
                       f"includes; receivers stop at {SPF_LOOKUP_LIMIT} and fail it (RFC 7208 4.6.4)",
                       "drop the includes of services that do not send for you, or replace them with ip4:/ip6:")
    ending = next((t for t in terms if t.lstrip("+-~?") == "all"), None)
    if ending is None and not any(t.startswith("redirect=") for t in terms):
        return Finding("SPF", OK, f'{domain} has "{record}" ({lookups} look-ups; without an all at the end, '
                       "mail from elsewhere is neither passed nor failed: add -all when you are sure)")
    return Finding("SPF", OK, f'{domain} has "{record}" ({lookups} of {SPF_LOOKUP_LIMIT} look-ups)')


# DKIM -----------------------------------------------------------------------------------------------

def dkim_key(record: str) -> tuple[str, str]:
    """(status, what) of a DKIM key record (RFC 6376 3.6.1)."""
    found = tags(record)
    if "v" in found and (found["v"] != "DKIM1" or not record.lstrip().lower().startswith("v")):
        return WRONG, f'v={found["v"]} (it must be v=DKIM1, first)'
    if "p" not in found:
        return WRONG, "no p= (the public key)"
    if not found["p"]:
        return WRONG, "an empty p=, which means the key was revoked"
    try:
        key = base64.b64decode(found["p"], validate=True)
    except ValueError:
        return WRONG, "a p= that is not base64"
    kind = found.get("k", "rsa").lower()
    if kind == "rsa" and len(key) < RSA_1024_DER:
        return WRONG, "an RSA key shorter than 1024 bits, which receivers ignore (RFC 8301); use 2048 bits"
    if kind not in ("rsa", "ed25519"):
        return WRONG, f"k={kind}, a key type receivers do not know (rsa or ed25519)"
    return OK, f"an {'RSA' if kind == 'rsa' else 'Ed25519'} key"


def check_dkim(dns: Dns, domain: str, selector: str | None) -> Finding:
    if selector:
        name = f"{selector}._domainkey.{domain}"
        records = [r for r in dns.txt(name) if "p=" in r.replace(" ", "")]
        if not records:
            return Finding("DKIM", MISSING, f"{name} has no DKIM key",
                           f'add  {name} TXT "v=DKIM1; k=rsa; p=PUBLIC-KEY" (your relay gives you the key, '
                           "or the whole record, for this selector)")
        status, what = dkim_key(records[0])
        return Finding("DKIM", status, f"{name} has {what}",
                       "" if status == OK else "publish the record your relay gives for this selector")
    for name in (f"{s}._domainkey.{domain}" for s in COMMON_SELECTORS):
        records = [r for r in dns.txt(name) if "p=" in r.replace(" ", "")]
        if records and dkim_key(records[0])[0] == OK:
            return Finding("DKIM", OK, f"{name} has a key (give --dkim-selector with the s= of your relay's "
                                       "DKIM-Signature to check the key it really signs with)")
    return Finding("DKIM", MISSING, f"no DKIM key at {domain} under a common selector "
                   f"({', '.join(COMMON_SELECTORS)})",
                   "give --dkim-selector NAME (the s= of the DKIM-Signature your relay adds) to check yours, or "
                   f'add  NAME._domainkey.{domain} TXT "v=DKIM1; k=rsa; p=PUBLIC-KEY" as your relay says')


# DMARC ----------------------------------------------------------------------------------------------

def walk_names(domain: str) -> list[str]:
    """The names RFC 9989's tree walk asks about: the domain, then (past 8 labels,
    the last 7) each shorter ancestor, at most 8 in all."""
    labels = domain.split(".")
    names = [domain]
    start = len(labels) - 7 if len(labels) > 8 else 1
    names += [".".join(labels[i:]) for i in range(start, len(labels))]
    return names[:DMARC_WALK_LIMIT]


def dmarc_records(dns: Dns, domain: str) -> list[tuple[str, dict[str, str], str]]:
    """(name, tags, record) of every DMARC record on the walk from ``domain`` up."""
    found = []
    for name in walk_names(domain):
        for record in dns.txt(f"_dmarc.{name}"):
            if tags(record).get("v") == "DMARC1" and record.lstrip().lower().startswith("v"):
                found.append((name, tags(record), record))
                break
    return found


def organisational_domain(dns: Dns, domain: str, walked=None) -> str:
    """RFC 9989 4.10: psd=n marks the organisational domain, psd=y the public
    suffix above it; otherwise the shortest name on the walk with a record; the
    domain itself when none has one."""
    walked = dmarc_records(dns, domain) if walked is None else walked
    for name, found, _ in walked:
        if found.get("psd") == "n":
            return name
        if found.get("psd") == "y":
            return domain if name == domain else ".".join(domain.split(".")[-len(name.split(".")) - 1:])
    return walked[-1][0] if walked else domain


def aligned(one: str, other: str, mode: str, org) -> bool:
    """DMARC identifier alignment: strict is the same name, relaxed the same organisational domain."""
    if one == other:
        return True
    return mode != "s" and org(one) == org(other)


def check_dmarc(dns: Dns, from_domain: str, spf_domain: str, dkim_domain: str) -> Finding:
    add = (f'add  _dmarc.{from_domain} TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@{from_domain}" '
           "(reports of who sends as you come to that address)")
    walked = dmarc_records(dns, from_domain)
    if not walked:
        return Finding("DMARC", MISSING, f"_dmarc.{from_domain} has no DMARC record, nor has any parent domain",
                       add)
    name, found, record = walked[0]
    where = f"_dmarc.{name}" + ("" if name == from_domain else f" (for {from_domain}, a subdomain)")
    policy = found.get("p", "").lower()
    if name != from_domain and found.get("sp"):
        policy = found["sp"].lower()
    if policy not in ("none", "quarantine", "reject"):
        return Finding("DMARC", WRONG, f'{where} has "{record}" without a valid p= policy',
                       f'make it "v=DMARC1; p=quarantine; rua=mailto:dmarc@{name}"')
    cache: dict[str, str] = {}

    def org(domain: str) -> str:
        if domain not in cache:
            cache[domain] = organisational_domain(dns, domain, walked if domain == from_domain else None)
        return cache[domain]

    aspf, adkim = found.get("aspf", "r").lower(), found.get("adkim", "r").lower()
    spf_ok = aligned(spf_domain, from_domain, aspf, org)
    dkim_ok = aligned(dkim_domain, from_domain, adkim, org)
    modes = f"aspf={aspf}, adkim={adkim}" + {"rr": ": relaxed alignment", "ss": ": strict alignment"}.get(
        aspf + adkim, "")
    if not spf_ok and not dkim_ok:
        return Finding("DMARC", WRONG, f"neither the return path's domain {spf_domain} (SPF) nor the DKIM domain "
                       f"{dkim_domain} is aligned with the From domain {from_domain} ({modes}), so DMARC fails "
                       "for every message",
                       f"have your relay sign with d={from_domain} and use a return path under {from_domain}")
    if policy == "none":
        return Finding("DMARC", WRONG, f'{where} has "{record}"; p=none only asks for reports, and receivers '
                       "do nothing with mail that fails (Gmail and Outlook accept it for bulk mail, but anyone can "
                       "still send as you)",
                       "once the reports show your own mail passes, change it to p=quarantine, then p=reject")
    half = "" if spf_ok and dkim_ok else (
        f"; only {'SPF' if spf_ok else 'DKIM'} is aligned ({spf_domain if not spf_ok else dkim_domain} is not)")
    return Finding("DMARC", OK, f'{where} has "{record}" (p={policy}; {modes}{half})')


# The return path ---------------------------------------------------------------------------------------

def check_return_path(dns: Dns, domain: str) -> Finding:
    mx = dns.mx(domain)
    if any(host == "." for _, host in mx):
        return Finding("return-path", WRONG, f"{domain} has a null MX (RFC 7505): it takes no mail, so bounces "
                       "cannot come back", f"replace it with an MX for the host that receives {domain}'s mail")
    if mx:
        hosts = ", ".join(h for _, h in sorted(mx))
        return Finding("return-path", OK, f"{domain} takes bounces: MX {hosts}")
    found = dns.addresses(domain)
    if found:
        return Finding("return-path", OK, f"{domain} takes bounces at its address {found[0]} (no MX; an MX "
                       "record is clearer)")
    return Finding("return-path", MISSING, f"{domain} (the envelope sender's domain) has no MX, A or AAAA "
                   "record, and receivers refuse mail whose bounces cannot be returned",
                   f"add  {domain} MX 10 MAILHOST (the host that receives {domain}'s mail)")


# The list service ------------------------------------------------------------------------------------
