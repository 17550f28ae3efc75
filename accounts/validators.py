"""Identity numbers of customers, validated with python-stdnum per country."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.cz import dic as cz_dic
from stdnum.eu import vat as eu_vat
from stdnum.fi import alv as fi_alv
from stdnum.fi import ytunnus as fi_ytunnus
from stdnum.sk import dph as sk_dph

CONTRACT_NUMBER_RE = re.compile(r"^F\d{10}$")


def contract_number(value: str) -> None:
    if not CONTRACT_NUMBER_RE.match(value or ""):
        raise ValidationError(_("A contract number is F followed by ten digits."))


def _ico_module(country: str):
    # CZ and SK company IDs share the 8-digit mod-11 check of the former federation;
    # stdnum.cz.dic validates exactly that for an 8-digit legal-entity number.
    if country in ("CZ", "SK"):
        return cz_dic
    if country == "FI":
        return fi_ytunnus
    return None


def _dic_module(country: str):
    return {"CZ": cz_dic, "SK": sk_dph, "FI": fi_alv}.get(country)


def compact_ico(country: str, value: str) -> str:
    module = _ico_module(country)
    if not value or module is None:
        return (value or "").strip()
    return module.compact(value)


def compact_dic(country: str, value: str) -> str:
    if not value:
        return ""
    compact = eu_vat.compact(value) if country in ("CZ", "SK", "FI") else value.strip()
    if country and not compact.startswith(country) and country in ("CZ", "SK", "FI"):
        compact = country + compact
    return compact


def customer_identity_errors(
    *, country: str, kind: str, ico: str, dic: str, vat_payer: bool
) -> dict[str, object]:
    """Field errors of a customer's IČO/DIČ (an empty dict when they are valid)."""
    errors: dict[str, object] = {}
    ico_module = _ico_module(country)
    if ico and ico_module is not None:
        try:
            compact = ico_module.compact(ico)
            if country in ("CZ", "SK") and len(compact) != 8:
                raise stdnum_exceptions.InvalidLength()
            ico_module.validate(compact)
        except stdnum_exceptions.ValidationError:
            errors["ico"] = _("This company ID (IČO) is not valid for the country.")
    if kind == "company" and country in ("CZ", "SK", "FI") and not ico:
        errors["ico"] = _("A company needs its company ID (IČO).")
    dic_module = _dic_module(country)
    if dic and dic_module is not None:
        try:
            dic_module.validate(compact_dic(country, dic))
        except stdnum_exceptions.ValidationError:
            errors["dic"] = _("This VAT ID (DIČ) is not valid for the country.")
    if vat_payer and not dic:
        errors["dic"] = _("A VAT payer needs a VAT ID (DIČ).")
    return errors
