"""Masking contact details (emails, phone numbers) in the text a report shows its readers.

Seed 001's governance section: "anonymize PII in contacts/leads per GDPR/CCPA, masking fields like email
in dashboards". CRM names carry contacts more often than one would like ("Acme — j.doe@acme.com",
"Call Jo +1 (555) 123-4567"), and the packs are emailed to executives, so every piece of text that reaches
the reader (table cells and headers, Markdown, findings, chart labels, index headlines) passes through
:func:`mask` first. What is masked is set in the workbook settings::

    privacy:
      mask_emails: true    # j.doe@example.com      -> j***@example.com
      mask_phones: true    # +1 (555) 123-4567      -> +1 (555) ***-**67

An email keeps its first character and its domain; a phone number keeps its country code, its first
group (the area code) and its last two digits, so a reader can still tell two contacts apart. The
patterns are deliberately narrow: amounts ("$1,234,567"), dates ("2026-09-30"), percentages and ids are
never read as phone numbers.

This module is imported inside kernels: only ``re`` at import time, pandas only for Series.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["EMAIL", "MASK", "PHONE", "Privacy", "active", "configure", "mask", "mask_email", "mask_frame",
           "mask_phone"]

#: The character that replaces a hidden character.
MASK = "*"

#: An email address: local part, ``@``, a domain with at least one dot.
EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,})(?![\w-])")

# A phone number, one of three shapes (each needs a separator or a "+" / parentheses, so plain numbers,
# amounts with thousands separators and ISO dates never match):
#   international  +1 555 123 4567, +44 20 7946 0958, +1 (555) 123-4567, +33.1.23.45.67.89
#   parenthesised  (555) 123-4567
#   separated      555-123-4567, 555.123.4567
_SEP = r"[ .\-]"
PHONE = re.compile(
    r"(?<![\w+])(?:"
    rf"\+\d{{1,3}}{_SEP}?(?:\(\d{{1,4}}\)|\d{{1,4}})(?:{_SEP}?\d{{2,4}}){{2,4}}"
    rf"|\(\d{{3}}\){_SEP}?\d{{3}}{_SEP}\d{{4}}"
    rf"|\d{{3}}[.\-]\d{{3}}[.\-]\d{{4}}"
    r")(?![\w])"
)
_GROUP = re.compile(r"\d+")


@dataclass(frozen=True)
class Privacy:
    """What to mask in reader-facing text (the ``privacy`` section of the workbook settings)."""

    mask_emails: bool = True
    mask_phones: bool = True

    @property
    def enabled(self) -> bool:
        return self.mask_emails or self.mask_phones


_active = Privacy()


def configure(policy: Privacy | None) -> Privacy:
    """Set the policy used where no settings are at hand (charts, pack index records); returns the old one.

    :func:`quotabook.notebook.start` calls it with the workbook's policy, so a kernel masks as its
    workbook says. ``None`` restores the default (mask everything)."""
    global _active
    old, _active = _active, policy or Privacy()
    return old


def active() -> Privacy:
    """The policy set by :func:`configure` (default: mask emails and phone numbers)."""
    return _active


def mask_email(match: re.Match, char: str = MASK) -> str:
    """``j.doe@example.com`` -> ``j***@example.com``: first character and domain kept."""
    return f"{match.group(1)}{char * 3}@{match.group(2)}"


def mask_phone(match: re.Match, char: str = MASK) -> str:
    """``+1 (555) 123-4567`` -> ``+1 (555) ***-**67``: country code, first group and last two digits kept,
    separators kept, every other digit masked."""
    text = match.group(0)
    groups = list(_GROUP.finditer(text))
    keep_groups = 2 if text.startswith("+") else 1  # "+CC" and the area code, or just the area code
    kept_until = groups[keep_groups - 1].end() if len(groups) > keep_groups else 0
    last_two = len(text) - 2
    return "".join(c if (not c.isdigit() or i < kept_until or i >= last_two) else char
                   for i, c in enumerate(text))


def mask(values: Any, policy: Privacy | None = None, *, char: str = MASK) -> Any:
    """``values`` with emails and phone numbers masked as ``policy`` says (default: :func:`active`).

    Parameters
    ----------
    values : a string, or a pandas Series / Index of any dtype (only its strings are changed).
    policy : what to mask; ``None`` uses the configured policy.
    char : the masking character (Markdown output uses a private placeholder, escaped afterwards).

    Returns
    -------
    The same kind of object; non-string values (numbers, dates, missing) are returned unchanged.
    """
    policy = policy or _active
    if not policy.enabled:
        return values
    rules = ([(EMAIL, lambda m: mask_email(m, char))] if policy.mask_emails else []) + (
        [(PHONE, lambda m: mask_phone(m, char))] if policy.mask_phones else [])
    if isinstance(values, str):
        for pattern, repl in rules:
            values = pattern.sub(repl, values)
        return values
    if hasattr(values, "str") or _is_index(values):
        return _mask_pandas(values, rules)
    return values


def mask_frame(frame: pd.DataFrame, policy: Privacy | None = None) -> pd.DataFrame:
    """``frame`` with contact details masked in its text columns and its (single-level) row labels, column
    by column; the frame itself when ``policy`` (default: :func:`active`) masks nothing."""
    policy = policy or _active
    if not policy.enabled:
        return frame
    masked = frame.apply(lambda column: mask(column, policy))
    masked.index = mask(frame.index, policy) if frame.index.nlevels == 1 else frame.index
    return masked


def _is_index(values: Any) -> bool:
    import pandas as pd

    return isinstance(values, pd.Index)


def _mask_pandas(values: pd.Series | pd.Index, rules) -> pd.Series | pd.Index:
    """Mask the string cells of a Series or Index (vectorised ``.str.replace``; other cells untouched)."""
    import pandas as pd

    is_index = isinstance(values, pd.Index)
    series = values.to_series(index=range(len(values))) if is_index else values
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = _mask_pandas(pd.Series(series.cat.categories, dtype="object"), rules)
        if categories.is_unique:
            masked = series.cat.rename_categories(list(categories))
            return pd.Index(masked, name=values.name) if is_index else masked
        series = series.astype("object")
    try:
        text = series.str  # only Series that hold strings have it
    except AttributeError:
        return values
    text = series
    for pattern, repl in rules:
        text = text.str.replace(pattern, repl, regex=True)  # non-strings become missing ...
    masked = text.where(text.notna(), series)              # ... and are put back as they were
    return pd.Index(masked, name=values.name) if is_index else masked.rename(values.name)
