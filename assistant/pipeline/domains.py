"""Trusted domains: where a link or an e-mail address in a reply may point without a flag.

A product rule, not a fact check: a reply sends employees to official sites only. The list is a
reviewed data file (``lexicon/trusted_domains_fr.yaml``, derived once from the shipped KB's links and
checked by hand), extended per deployment by ``HRA_DRAFTING__TRUSTED_DOMAINS``. It is never computed
from the KB at run time: a planted page would then vouch for its own link.

A host is trusted when it is a listed domain or a subdomain of one (« cesu.urssaf.fr » under
« urssaf.fr »); « ameli-indemnites.info » or « service-public.fr.example.com » is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.pipeline.reviewed import ReviewedList

DOMAINS_FILE = Path(__file__).parent / "lexicon" / "trusted_domains_fr.yaml"
# « https://… », « //… », « www. »: written as a link, not a word followed by a full stop
_SCHEME = re.compile(r"^[^\W\d_][\w+.-]*://|^//", re.IGNORECASE)
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$")


def normalise_domain(entry: str) -> str:
    """« *.Example.FR », « https://www.example.fr/ », « .example.fr » → « example.fr »-like form;
    ValueError when what is left is no domain with at least one dot (« fr » would trust a country)."""
    domain = _SCHEME.sub("", entry.strip().lower()).split("/", 1)[0].lstrip("*").strip(".")
    if not _DOMAIN.match(domain):
        raise ValueError(f"not a domain name with a dot: {entry!r}")
    return domain


@dataclass(frozen=True)
class TrustedDomains(ReviewedList):
    KEY = "domains"
    FILE = DOMAINS_FILE
    normalise = staticmethod(normalise_domain)

    def allows_host(self, host: str) -> bool:
        labels = host.lower().strip(".").split(".")
        return any(".".join(labels[i:]) in self.entries for i in range(len(labels) - 1))

    def allows(self, kind: str, value: str) -> bool:
        """Whether a link (``url``) or an address (``email``) as a draft writes it (refanged) may stay
        unflagged. What is no host (« écrit.De », a word glued to the next sentence) is not judged."""
        host = host_of(kind, value)
        return host is None or self.allows_host(host)


def host_of(kind: str, value: str) -> str | None:
    """The host a link or an e-mail address points to; None when the value is no address anybody
    would follow: no dot, or a bare « mot.Mot » (two sentences glued: « par écrit.De plus »)."""
    if kind == "email":
        host = value.rsplit("@", 1)[-1]
    else:
        written_as_link = bool(_SCHEME.match(value)) or value.lower().startswith("www.") or "/" in value
        host = re.split(r"[/?#]", _SCHEME.sub("", value), maxsplit=1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
        if not written_as_link and host.rsplit(".", 1)[-1][:1].isupper():
            return None
    host = host.strip(".").lower()
    return host if "." in host else None


@lru_cache(maxsize=8)
def trusted_domains(extra: tuple[str, ...] = ()) -> TrustedDomains:
    """The shipped list, plus a deployment's own domains (read once per distinct setting)."""
    return TrustedDomains.load().extended(extra)
