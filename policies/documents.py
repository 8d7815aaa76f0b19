"""The policy documents — tiers, purposes, masking profiles, trusted issuers — checked at load."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError

from catalog import I18n
from catalog.issues import CatalogIssue, json_path
from policies.callers import Caller
from policies.masking import method_problem

#: The documents of a policies directory, each checked against ``schema/<name>.schema.json``.
DOCUMENTS = ("tiers", "purposes", "masking", "trust")

# Combinators and enumerations give unreadable messages; their schema says what was meant.
_EXPLAINED = frozenset({"oneOf", "anyOf", "not", "enum"})


#: One problem in one policy document, located by JSON path (the catalogue's issue type).
PolicyIssue = CatalogIssue


class PolicyError(Exception):
    """The policies cannot be loaded; ``issues`` lists every problem found, not just the first."""

    def __init__(self, issues: Iterable[PolicyIssue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


@dataclass(frozen=True, slots=True)
class Tier:
    """A tier of use: the highest level it reads, its masking profile, quotas and page size."""

    id: str
    label: I18n
    max_level: int
    masking_profile: str
    requests_per_minute: int
    records_per_day: int
    max_page_size: int


@dataclass(frozen=True, slots=True)
class Purpose:
    """One entry of the purpose vocabulary."""

    id: str
    zh: str
    en: str
    description_zh: str
    description_en: str


# What a trusted issuer's claims may hold: they reach audit records, logs and decisions, so each
# is bounded in length and characters however the issuer filled it.
CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,127}")
#: A GB/T 2260 code (whether it is a known one is the catalogue's region registry's to say).
REGION_CODE = re.compile(r"[0-9]{6}")
#: An organisation's name: letters of any script, digits, spaces and common punctuation.
ORGANISATION = re.compile(r"[^\x00-\x1f\x7f\u2028\u2029]{1,200}")
MAX_SCOPE_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """Another region's authorisation server whose tokens are accepted, and its claim mapping."""

    issuer: str
    audience: str
    scopes: frozenset[str]
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    client_id_claim: str = "client_id"
    organisation_claim: str | None = None
    region_claim: str | None = None
    default_region: str | None = None
    tier_claim: str | None = None
    #: value of ``tier_claim`` → tier id
    tier_map: Mapping[str, str] = field(default_factory=dict)
    default_tier: str | None = None
    #: Longest ``exp - iat`` accepted, in seconds (None: the gateway's own token lifetime).
    max_token_lifetime: int | None = None

    def tier_for(self, claims: Mapping[str, Any]) -> str | None:
        """The tier of a token: its mapped tier claim, else the default (None: no tier)."""
        if self.tier_claim is not None:
            value = claims.get(self.tier_claim)
            if isinstance(value, str) and value in self.tier_map:
                return self.tier_map[value]
        return self.default_tier

    def region_for(self, claims: Mapping[str, Any]) -> str | None:
        """The home region of a token's client: its region claim, else the default."""
        if self.region_claim is not None:
            value = claims.get(self.region_claim)
            if value is not None and value != "":
                if not isinstance(value, str) or not REGION_CODE.fullmatch(value):
                    raise ValueError(
                        f"the token's {self.region_claim!r} claim is not a region code"
                    )
                return value
        return self.default_region

    def organisation_for(self, claims: Mapping[str, Any]) -> str | None:
        """The organisation named by a token, when the issuer says which claim holds it."""
        if self.organisation_claim is None:
            return None
        value = claims.get(self.organisation_claim)
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not ORGANISATION.fullmatch(value):
            raise ValueError(f"the token's {self.organisation_claim!r} claim is not a name")
        return value

    def caller_for(self, claims: Mapping[str, Any]) -> Caller:
        """The caller a verified token stands for; ValueError when the claims do not map to one.

        Scopes are those the token carries that the issuer may grant; the client id is qualified
        by the issuer so it can never be taken for a client registered here.
        """
        client = claims.get(self.client_id_claim)
        if not isinstance(client, str) or not client:
            raise ValueError(f"the token has no {self.client_id_claim!r} claim")
        if not CLIENT_ID.fullmatch(client):
            raise ValueError(f"the token's {self.client_id_claim!r} claim is not a client id")
        tier = self.tier_for(claims)
        if tier is None:
            raise ValueError(f"the token's {self.tier_claim!r} claim maps to no tier")
        scope = claims.get("scope", "")
        if not isinstance(scope, str) or len(scope) > MAX_SCOPE_LENGTH:
            raise ValueError("the token's scope claim is not a list of scopes")
        self.organisation_for(claims)  # a malformed organisation refuses the token, too
        carried = set(scope.split())
        return Caller(
            client_id=f"{self.issuer}#{client}",
            tier=tier,
            scopes=frozenset(carried & self.scopes),
            region=self.region_for(claims),
        )


@dataclass(frozen=True, slots=True)
class Policies:
    """Everything the decision engine reads besides the catalogue and the grants."""

    tiers: Mapping[str, Tier]
    purposes: Mapping[str, Purpose]
    #: profile → sensitivity → masking method
    masking: Mapping[str, Mapping[str, str]]
    #: issuer identifier → trusted issuer
    trusted_issuers: Mapping[str, TrustedIssuer]

    def tier(self, tier_id: str) -> Tier | None:
        return self.tiers.get(tier_id)

    def purpose(self, purpose_id: str) -> Purpose | None:
        return self.purposes.get(purpose_id)

    def profile(self, tier: Tier) -> Mapping[str, str]:
        """The masking profile of a tier (sensitivity → method)."""
        return self.masking[tier.masking_profile]

    def trusted_issuer(self, issuer: str) -> TrustedIssuer | None:
        return self.trusted_issuers.get(issuer)


def default_directory() -> Path:
    """The policy documents shipped with the package."""
    return Path(str(resources.files("policies")))


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one policy document."""
    text = (resources.files("policies") / "schema" / f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


def _schema_issues(error: ValidationError, file: str) -> Iterator[PolicyIssue]:
    """Readable issues for one schema error, pointing at the offending member where possible."""
    parts = list(error.absolute_path)
    schema_part = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = list(schema_part.get("properties", {}))
        for name in error.instance:
            if name not in known:
                hint = difflib.get_close_matches(str(name), known, n=1)
                suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                yield PolicyIssue(file, json_path([*parts, name]), f"unknown member{suggestion}")
        return
    if error.validator == "required" and isinstance(error.instance, Mapping):
        for name in error.validator_value:
            if name not in error.instance:
                yield PolicyIssue(file, json_path([*parts, name]), "is required")
        return
    message = schema_part.get("x-message") if error.validator in _EXPLAINED else None
    yield PolicyIssue(file, json_path(parts), message or error.message)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """'not valid YAML (line N, column M): problem' without the parser's excerpt."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "syntax error"
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"not valid YAML{where}: {problem}"


def _read(directory: Path, name: str, issues: list[PolicyIssue]) -> Any | None:
    """One document, parsed and schema-checked; None (with issues) if it cannot be used."""
    file = f"{name}.yaml"
    path = directory / file
    try:
        document = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        issues.append(PolicyIssue(file, "$", f"file not found in {directory}"))
        return None
    except yaml.YAMLError as exc:
        issues.append(PolicyIssue(file, "$", _yaml_problem(exc)))
        return None
    if document is None:
        issues.append(PolicyIssue(file, "$", "the document is empty"))
        return None
    validator = jsonschema.Draft202012Validator(schema(name))
    errors = sorted(validator.iter_errors(document), key=lambda e: json_path(e.absolute_path))
    found = [issue for error in errors for issue in _schema_issues(error, file)]
    issues.extend(found)
    return None if found else document


def _tiers(document: Mapping[str, Any]) -> dict[str, Tier]:
    return {
        tier_id: Tier(
            id=tier_id,
            label=I18n(zh=spec["label"]["zh"], en=spec["label"]["en"]),
            max_level=spec["maxLevel"],
            masking_profile=spec["maskingProfile"],
            requests_per_minute=spec["requestsPerMinute"],
            records_per_day=spec["recordsPerDay"],
            max_page_size=spec["maxPageSize"],
        )
        for tier_id, spec in document["tiers"].items()
    }


def _purposes(document: Mapping[str, Any]) -> dict[str, Purpose]:
    return {
        purpose_id: Purpose(
            id=purpose_id,
            zh=spec["label"]["zh"],
            en=spec["label"]["en"],
            description_zh=spec["description"]["zh"],
            description_en=spec["description"]["en"],
        )
        for purpose_id, spec in document["purposes"].items()
    }


def _masking(
    document: Mapping[str, Any], issues: list[PolicyIssue]
) -> dict[str, Mapping[str, str]]:
    profiles: dict[str, Mapping[str, str]] = {}
    for profile, methods in document["profiles"].items():
        for sensitivity, method in methods.items():
            problem = method_problem(method, sensitivity)
            if problem is not None:
                path = json_path(["profiles", profile, sensitivity])
                issues.append(PolicyIssue("masking.yaml", path, problem))
        profiles[profile] = MappingProxyType(dict(methods))
    return profiles


def _trusted_issuer(spec: Mapping[str, Any]) -> TrustedIssuer:
    return TrustedIssuer(
        issuer=spec["issuer"],
        audience=spec["audience"],
        scopes=frozenset(spec["scopes"]),
        jwks=spec.get("jwks"),
        jwks_uri=spec.get("jwksUri"),
        client_id_claim=spec.get("clientIdClaim", "client_id"),
        organisation_claim=spec.get("organisationClaim"),
        region_claim=spec.get("regionClaim"),
        default_region=spec.get("defaultRegion"),
        tier_claim=spec.get("tierClaim"),
        tier_map=MappingProxyType(dict(spec.get("tierMap", {}))),
        default_tier=spec.get("defaultTier"),
        max_token_lifetime=spec.get("maxTokenLifetime"),
    )


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    return f"unknown {kind} {name!r} (defined: {', '.join(sorted(known))})"


def _cross_check(
    tiers: Mapping[str, Tier] | None,
    masking: Mapping[str, Mapping[str, str]] | None,
    trust: Mapping[str, Any] | None,
    issues: list[PolicyIssue],
) -> None:
    """References between documents: tiers → masking profiles, trusted issuers → tiers."""
    if tiers is not None and masking is not None:
        for tier in tiers.values():
            if tier.masking_profile not in masking:
                path = json_path(["tiers", tier.id, "maskingProfile"])
                message = _unknown("masking profile", tier.masking_profile, masking)
                issues.append(PolicyIssue("tiers.yaml", path, message))
    if trust is None:
        return
    seen: set[str] = set()
    for index, spec in enumerate(trust["issuers"]):
        if spec["issuer"] in seen:
            path = json_path(["issuers", index, "issuer"])
            issues.append(PolicyIssue("trust.yaml", path, f"duplicate issuer {spec['issuer']!r}"))
        seen.add(spec["issuer"])
        if tiers is None:
            continue
        named = [(["tierMap", key], value) for key, value in spec.get("tierMap", {}).items()]
        if "defaultTier" in spec:
            named.append((["defaultTier"], spec["defaultTier"]))
        for parts, tier_id in named:
            if tier_id not in tiers:
                path = json_path(["issuers", index, *parts])
                issues.append(PolicyIssue("trust.yaml", path, _unknown("tier", tier_id, tiers)))


def load_policies(directory: Path | None = None) -> Policies:
    """Read and check the four policy documents; all problems are reported together."""
    directory = directory or default_directory()
    issues: list[PolicyIssue] = []
    documents = {name: _read(directory, name, issues) for name in DOCUMENTS}
    tiers = _tiers(documents["tiers"]) if documents["tiers"] is not None else None
    purposes = _purposes(documents["purposes"]) if documents["purposes"] is not None else None
    masking = _masking(documents["masking"], issues) if documents["masking"] is not None else None
    _cross_check(tiers, masking, documents["trust"], issues)
    if issues or tiers is None or purposes is None or masking is None or documents["trust"] is None:
        raise PolicyError(issues)
    trusted = {spec["issuer"]: _trusted_issuer(spec) for spec in documents["trust"]["issuers"]}
    return Policies(
        tiers=MappingProxyType(tiers),
        purposes=MappingProxyType(purposes),
        masking=MappingProxyType(masking),
        trusted_issuers=MappingProxyType(trusted),
    )
