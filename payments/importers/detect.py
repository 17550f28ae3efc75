"""Which parser reads a file, judged by its content (never by its name), and dispatch.

- XML: a camt.053/054 document (payments.importers.camt.is_camt decides), or Fio's XML
  error body (<response><result><errorCode>), reported as "fio-json" so that the Fio
  parser rejects it with the bank's error ("fio_error").
- JSON with "accountStatement": "fio-json".
- First line starting with "074": "gpc".
- A SWIFT envelope "{1:", a ":20:" line near the start, or a first line that is an MT
  tag (":61:", ":60F:"...; MT942 included, its parser rejects it): "mt940".
- Anything else, CSV included (a CSV needs its account's column mapping), is rejected
  ("unknown_format").
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from billing_portal.errors import StatementRejected

from .base import ParsedFile
from .csv import CsvMapping, parse_csv
from .fio import parse_fio_json
from .gpc import parse_gpc
from .mt940 import parse_mt940

FORMATS = ("camt053", "camt054", "gpc", "mt940", "fio-json", "csv")
SNIFF_BYTES = 4096
MT_TAG_RE = re.compile(r"^:(\d{2}[A-Z]?|\d{3}):")
FIO_ERROR_RE = re.compile(r"<response\b.*<errorCode>", re.DOTALL)


def detect_format(content: bytes) -> str:
    """ "camt053" | "camt054" | "gpc" | "mt940" | "fio-json", or StatementRejected."""
    head = _head(content)
    stripped = head.lstrip()
    if not stripped:
        raise StatementRejected(_("The file is empty."), reason="empty_file")
    if stripped.startswith("<"):
        if FIO_ERROR_RE.search(head):
            return "fio-json"
        from .camt import is_camt  # written alongside; imported when an XML arrives

        kind = is_camt(content)
        if kind:
            return kind
        raise _unknown()
    if stripped.startswith("{1:"):
        return "mt940"
    if stripped.startswith("{") and _is_fio_json(content):
        return "fio-json"
    lines = [line.strip() for line in stripped.splitlines()]
    lines = [line for line in lines if line]
    if lines and lines[0].startswith("074"):
        return "gpc"
    if lines and MT_TAG_RE.match(lines[0]):
        return "mt940"
    if any(line.startswith(":20:") for line in lines[:20]):
        return "mt940"
    raise _unknown()


def parse_statement(
    content: bytes,
    *,
    format: str = "auto",
    csv_mapping: CsvMapping | dict[str, Any] | None = None,
) -> ParsedFile:
    """Parse a file in the given format ("auto": detected; a file that cannot be
    detected is read as CSV when a mapping is given)."""
    if format == "auto":
        try:
            format = detect_format(content)
        except StatementRejected as exc:
            if csv_mapping is None or exc.details.get("reason") != "unknown_format":
                raise
            format = "csv"
    if format in ("camt053", "camt054"):
        from .camt import parse_camt

        return parse_camt(content)
    if format == "gpc":
        return parse_gpc(content)
    if format == "mt940":
        return parse_mt940(content)
    if format == "fio-json":
        return parse_fio_json(content)
    if format == "csv":
        if csv_mapping is None:
            raise StatementRejected(
                _("A CSV file needs the column mapping of its account."),
                reason="csv_mapping_required",
            )
        if not isinstance(csv_mapping, CsvMapping):
            try:
                csv_mapping = CsvMapping.from_dict(csv_mapping)
            except (TypeError, ValueError, LookupError) as exc:
                raise StatementRejected(
                    _("The account's CSV column mapping is not valid."),
                    reason="csv_bad_mapping",
                    error=str(exc),
                ) from exc
        return parse_csv(content, mapping=csv_mapping)
    raise StatementRejected(
        _("Unknown statement format."), reason="unknown_format", format=str(format)
    )


def _head(content: bytes) -> str:
    """The start of the file as text, for sniffing only (never fails)."""
    head = content[:SNIFF_BYTES]
    for bom in (b"\xef\xbb\xbf",):
        if head.startswith(bom):
            head = head[len(bom) :]
    text = head.decode("latin-1")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)


def _is_fio_json(content: bytes) -> bool:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(data, dict) and "accountStatement" in data


def _unknown() -> StatementRejected:
    return StatementRejected(
        _(
            "The file's format was not recognised (camt.053/054, GPC, MT940 or Fio JSON); "
            "a CSV export needs its account's column mapping."
        ),
        reason="unknown_format",
    )
