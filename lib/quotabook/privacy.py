"""Masking contact details (emails, phone numbers) in the text a report shows its readers.

A common governance rule: "anonymize PII in contacts/leads per GDPR/CCPA, masking fields like email
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
    from collections.abc import Collection

    import pandas as pd

__all__ = ["EMAIL", "HIDDEN", "MASK", "MIN_SECRET", "PHONE", "SECRET_KEY", "Privacy", "active", "configure",
           "connection_problem", "connection_secrets", "is_secret_key", "mask", "mask_connection", "mask_email",
           "mask_frame", "mask_phone", "mask_tree", "redact_secrets"]

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


def mask_frame(frame: pd.DataFrame, policy: Privacy | None = None, *, formatted: Collection = ()) -> pd.DataFrame:
    """``frame`` with contact details masked in its text columns and its (single-level) row labels, column
    by column; the frame itself when ``policy`` (default: :func:`active`) masks nothing. Columns named in
    ``formatted`` hold numbers quotabook wrote as text ("$1.2M", "15,013", "31%"), which hold no contact
    details: they are left as they are rather than searched."""
    policy = policy or _active
    if not policy.enabled:
        return frame
    masked = frame.apply(lambda column: column if column.name in formatted else mask(column, policy))
    masked.index = mask(frame.index, policy) if frame.index.nlevels == 1 else frame.index
    return masked


def mask_tree(value: Any, policy: Privacy | None = None) -> Any:
    """A copy of ``value`` (JSON-like: dicts, lists, tuples, strings, numbers) with every string, keys
    included, masked as :func:`mask` does: for a record written whole, such as a pack's manifest, whose
    names (regions, territories) come from the data."""
    if isinstance(value, str):
        return mask(value, policy)
    if isinstance(value, dict):
        return {mask_tree(k, policy): mask_tree(v, policy) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_tree(v, policy) for v in value)
    return value


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


# -- credentials ---------------------------------------------------------------------------------------
# Connection strings reach error messages (a refused connection, a bad URL in an environment variable). They are
# masked by *parsing* them, as the driver would, never by guessing: a URL with SQLAlchemy's ``make_url``, a libpq
# ``key=value`` string by libpq's conninfo rules. A string that parses ambiguously (an unencoded ``@`` or ``#``
# in a URL password: drivers disagree on where the password ends) or not at all is never echoed.

#: Keys whose value is a credential, in a URL query string, a libpq DSN or free text (case-insensitive).
SECRET_KEY = re.compile(r"pass(?:word|wd|phrase)?|pwd|[a-z_]*token|[a-z_]*secret[a-z_]*|api[_-]?key|apikey|"
                        r"sslpassword|sslkey|private[_-]?key|access[_-]?key(?:[_-]?id)?|credentials?|auth", re.I)
#: What replaces a secret.
HIDDEN = "***"
#: A secret shorter than this is never replaced on its own inside other text (every "p" of a message would go);
#: the connection string it belongs to is still replaced whole.
MIN_SECRET = 4

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
# In free text: ``scheme://user:password@`` (the password runs to the token's *last* "@", as an unencoded one may
# hold "@" itself) and ``key=value`` / ``key: value`` pairs of a secret key, quoted or not.
_URL_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:)[^\s]*@")
_SECRET_PAIR = re.compile(rf"(?<![\w-])([\"']?(?:{SECRET_KEY.pattern})[\"']?\s*[=:]\s*)"
                          r"""('(?:[^'\\]|\\.)*'|"[^"]*"|[^\s&;,)]+)""", re.I)


def is_secret_key(key: str) -> bool:
    """True when a connection parameter named ``key`` holds a credential (password, token, api_key, …)."""
    return SECRET_KEY.fullmatch(str(key).strip()) is not None


def mask_connection(text: str) -> str:
    """A connection string with every credential hidden: a URL's password and secret query values, or a libpq
    ``key=value`` string's secret values. ``duckdb:`` URLs keep their path and hide the whole query string (a
    MotherDuck token). A string that does not parse unambiguously is replaced by ``<scheme>://***`` and a hint.

    ``postgresql://qb:s3cret@db/crm`` → ``postgresql://qb:***@db/crm``;
    ``host=db password=x user=qb`` → ``host=db password=*** user=qb``.
    """
    text = str(text).strip()
    if text.startswith("duckdb:"):
        path, _, query = text.partition("?")
        return path + ("?***" if query else "")
    if scheme := _SCHEME.match(text):
        if (parsed := _parse_url(text)) is None:
            return f"{scheme.group(1)}://{HIDDEN} (URL not shown: it does not parse unambiguously)"
        # A secret key's value goes whole; another value may embed one (odbc_connect=...;PWD=x;...).
        query = {k: (HIDDEN if is_secret_key(k) else _redact_value(v)) for k, v in parsed.query.items()}
        return parsed.set(query=query).render_as_string(hide_password=True).replace("%2A%2A%2A", HIDDEN)
    if (pairs := _parse_conninfo(text)) is None:
        return f"{HIDDEN} (connection string not shown: it is neither a URL nor libpq key=value pairs)"
    return " ".join(f"{k}={HIDDEN if is_secret_key(k) else _quote_conninfo(v)}" for k, v in pairs.items())


def connection_problem(text: str) -> str | None:
    """Why ``text`` is not a connection URL every driver reads the same way (None when it is one): it does not
    parse, or an unencoded ``@`` / ``#`` makes drivers disagree on where the password ends (SQLAlchemy would
    connect to a host made of the password's tail). Such a URL is neither shown nor used."""
    text = str(text).strip()
    if text.startswith("duckdb:"):
        return None
    if not _SCHEME.match(text):
        return ("it is not a URL (a libpq key=value string is not accepted: write a URL such as "
                "postgresql+psycopg://host:port/dbname, with user:password@ before the host)")
    if _parse_url(text) is None:
        return ("it does not parse unambiguously: percent-encode '@', '/', '#' and ':' in the user name and "
                "password (e.g. '@' as %40, '/' as %2F, '#' as %23)")
    return None


def connection_secrets(text: str) -> list[str]:
    """Every credential in a connection string, under every reading a driver might make of it, longest first,
    leaving out any shorter than :data:`MIN_SECRET` (too short to replace inside other text without damage).

    For ``postgresql://u:p@ss/w0rd#S3cret@host/db`` that is the password up to the last ``@`` (what the user
    meant) and its percent-decoded form; SQLAlchemy's reading (``p``) is too short to list.
    """
    from urllib.parse import unquote

    text = str(text).strip()
    found: set[str] = set()
    if _SCHEME.match(text):
        rest = text.split("://", 1)[1]
        authority = rest.rsplit("@", 1)[0] if "@" in rest else ""
        if ":" in authority:
            found.add(authority.split(":", 1)[1])  # up to the last "@": the password with any unencoded "@"
        if (parsed := _parse_url(text, strict=False)) is not None:
            found.add(parsed.password or "")
            for key, value in parsed.query.items():
                values = value if isinstance(value, tuple) else (value,)
                found.update(str(v) for v in values if is_secret_key(key))
                found.update(p.group(2).strip("'\"") for v in values for p in _SECRET_PAIR.finditer(str(v)))
        for pair in _SECRET_PAIR.finditer(text.partition("?")[2].replace("&", " ")):
            found.add(pair.group(2))
    elif (pairs := _parse_conninfo(text)) is not None:
        found.update(v for k, v in pairs.items() if is_secret_key(k))
    else:
        found.update(pair.group(2).strip("'\"") for pair in _SECRET_PAIR.finditer(text))
    found |= {unquote(s) for s in found}
    return sorted((s for s in found if len(s) >= MIN_SECRET), key=len, reverse=True)


def redact_secrets(message: str, secrets: Any = ()) -> str:
    """``message`` with credentials hidden: URL passwords (``scheme://user:***@``), values of secret keys
    (``password=***``, ``token: ***``) and each string of ``secrets`` at least :data:`MIN_SECRET` long."""
    text = str(message)
    for secret in sorted((str(s) for s in secrets if s and len(str(s)) >= MIN_SECRET), key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{HIDDEN}@", text)
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{HIDDEN}", text)


def _redact_value(value):
    """A query value (or a tuple of them, for a repeated key) with embedded ``key=secret`` pairs hidden."""
    if isinstance(value, tuple):
        return tuple(_SECRET_PAIR.sub(lambda m: f"{m.group(1)}{HIDDEN}", str(v)) for v in value)
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{HIDDEN}", str(value))


def _parse_url(text: str, *, strict: bool = True):
    """SQLAlchemy's reading of a URL, or None. ``strict``: also None when drivers may read it differently (more
    than one ``@`` before the query string, or a ``#``, which SQLAlchemy keeps in the database name)."""
    try:
        from sqlalchemy.engine import make_url

        parsed = make_url(text)
    except Exception:
        return None
    if strict and (text.partition("?")[0].count("@") > 1 or "#" in text):
        return None
    return parsed


def _parse_conninfo(text: str) -> dict[str, str] | None:
    """libpq ``key=value`` pairs (quoting and escapes as libpq reads them), or None when ``text`` is not that."""
    if "=" not in text:
        return None
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ImportError:  # pragma: no cover - psycopg is a dependency; without it, the same rules by hand
        conninfo_to_dict = None
    if conninfo_to_dict is not None:
        try:
            return {str(k): str(v) for k, v in conninfo_to_dict(text).items() if v is not None}
        except Exception:
            return None
    pairs = re.findall(r"([A-Za-z_][\w]*)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)", text)  # pragma: no cover
    return {k: v.strip("'") for k, v in pairs} or None  # pragma: no cover


def _quote_conninfo(value: str) -> str:
    return value if value and not re.search(r"[\s'\\]", value) else "'" + value.replace("\\", "\\\\").replace(
        "'", "\\'") + "'"
