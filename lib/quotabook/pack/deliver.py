"""Send a built pack by email: the index summary as the body, the region PDFs attached (or linked).

A scheduled pack (cron, Airflow) is only useful when it reaches its readers. ``send_pack`` reads the pack's
``manifest.json`` (never the notebooks), writes a plain-text body with an HTML alternative — per region the
headline figures and the alerts, failures first — and attaches each region's PDF while their total stays
under a size limit; above it the PDFs are listed as links (``QUOTABOOK_REPORTS_URL`` + the path in the
pack, or the local path when no URL is set), so a mail server's size cap never drops the message.

The SMTP connection is configured from the environment only, so no secret is ever written to a pack,
a pack YAML, a manifest or a command line:

========================== ===============================================================================
``QUOTABOOK_SMTP_HOST``    server name or address (required)
``QUOTABOOK_SMTP_PORT``    port (default 587 with STARTTLS, 465 with SSL, else 25)
``QUOTABOOK_SMTP_USER``    login user (optional; with a password)
``QUOTABOOK_SMTP_PASSWORD`` login password (optional)
``QUOTABOOK_SMTP_STARTTLS`` ``true`` (default) or ``false``: upgrade the connection with STARTTLS
``QUOTABOOK_SMTP_SSL``     ``true`` for implicit TLS (SMTPS, port 465); default ``false``
``QUOTABOOK_SMTP_CAFILE``  a CA bundle to verify the server with (default: the system's)
``QUOTABOOK_SMTP_FROM``    sender address (default: the user, else ``quotabook@<host>``)
``QUOTABOOK_EMAIL_MAX_MB`` attachments above this total are linked instead (default 10)
``QUOTABOOK_REPORTS_URL``  where the reports folder is published, for links (optional)
========================== ===============================================================================

Errors name the server and the SMTP reply, never the password.
"""

from __future__ import annotations

import html
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import quote

from ..errors import ConfigError, DeliveryError
from ..text import part_of, plural
from .index import format_headline
from .manifest import read_manifest

__all__ = ["Delivery", "SmtpSettings", "compose_message", "parse_recipients", "send_pack"]

_PREFIX = "QUOTABOOK_SMTP_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"expected true or false, got {raw!r}", key=name)


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send: read with :meth:`from_env`. The password never appears in ``repr``."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    use_ssl: bool = False
    cafile: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        """The settings in ``env`` (default ``os.environ``).

        Raises
        ------
        ConfigError
            No host, a port that is not a number in 1–65535, a flag that is not true/false, STARTTLS and
            SSL both on, a user without a password (or the reverse), or a sender that is not an address.
        """
        env = os.environ if env is None else env
        host = (env.get(_PREFIX + "HOST") or "").strip()
        if not host:
            raise ConfigError("sending a pack needs an SMTP server: set QUOTABOOK_SMTP_HOST (and, as needed, "
                              "QUOTABOOK_SMTP_PORT, _USER, _PASSWORD, _STARTTLS)", key=_PREFIX + "HOST")
        use_ssl = _flag(env, _PREFIX + "SSL", False)
        starttls = _flag(env, _PREFIX + "STARTTLS", not use_ssl)
        if use_ssl and starttls:
            raise ConfigError("choose one of SSL (implicit TLS) and STARTTLS", key=_PREFIX + "STARTTLS")
        raw_port = (env.get(_PREFIX + "PORT") or "").strip()
        port = int(raw_port) if raw_port.isdigit() else (465 if use_ssl else 587 if starttls else 25)
        if raw_port and not (raw_port.isdigit() and 1 <= port <= 65535):
            raise ConfigError(f"expected a port number 1-65535, got {raw_port!r}", key=_PREFIX + "PORT")
        user = (env.get(_PREFIX + "USER") or "").strip() or None
        password = env.get(_PREFIX + "PASSWORD") or None
        if bool(user) != bool(password):
            missing = "QUOTABOOK_SMTP_PASSWORD" if user else "QUOTABOOK_SMTP_USER"
            raise ConfigError("a login needs both a user and a password", key=missing)
        sender = (env.get(_PREFIX + "FROM") or "").strip() or (user if user and "@" in user else f"quotabook@{host}")
        if "@" not in parseaddr(sender)[1]:
            raise ConfigError(f"not an email address: {sender!r}", key=_PREFIX + "FROM")
        cafile = (env.get(_PREFIX + "CAFILE") or "").strip() or None
        if cafile and not Path(cafile).is_file():
            raise ConfigError(f"no such CA file: {cafile}", key=_PREFIX + "CAFILE")
        return cls(host=host, port=port, sender=sender, user=user, password=password, starttls=starttls,
                   use_ssl=use_ssl, cafile=cafile)


@dataclass(frozen=True)
class Delivery:
    """What was sent: the message id, recipients, attached PDFs and PDFs linked instead (too large)."""

    message_id: str
    recipients: tuple[str, ...]
    attached: tuple[str, ...]
    linked: tuple[str, ...]
    server: str

    def summary(self) -> str:
        parts = [f"{plural(len(self.attached), 'PDF')} attached"] + (
            [f"{len(self.linked)} linked (over the size limit)"] if self.linked else [])
        return f"sent the pack to {', '.join(self.recipients)} via {self.server}: {', '.join(parts)}"


def parse_recipients(text: str | Sequence[str]) -> tuple[str, ...]:
    """Comma-separated (or listed) addresses, each checked; duplicates kept once, in order.

    Raises
    ------
    ConfigError
        No address, or one that is not of the form ``name@domain``.
    """
    items = [p.strip() for p in (text.split(",") if isinstance(text, str) else text) if p and p.strip()]
    bad = [item for item in items if not _is_address(item)]
    if bad:
        raise ConfigError(f"not an email address: {', '.join(repr(b) for b in bad)}", key="email")
    if not items:
        raise ConfigError("no recipient given (e.g. --email dsm@example.com,revops@example.com)", key="email")
    return tuple(dict.fromkeys(items))


def _is_address(text: str) -> bool:
    _name, address = parseaddr(text)
    local, _, domain = address.rpartition("@")
    return bool(local) and "." in domain and not any(c.isspace() for c in address) and address in text


def _regions_text(manifest: dict) -> list[tuple[str, list[tuple[str, str]], list[dict]]]:
    """Per region: its label, its headline figures (all themes, first value of a label wins), its alerts."""
    out = []
    for region in manifest.get("regions", []):
        label = "District (all regions)" if region.get("slug") == "district" else str(region.get("name"))
        runs = [e for e in manifest.get("runs", {}).values() if e.get("slug") == region.get("slug")]
        headlines: dict[str, str] = {}
        alerts: list[dict] = []
        for entry in runs:
            for key, value in (entry.get("headlines") or {}).items():
                headlines.setdefault(str(key), format_headline(value))
            alerts.extend({**a, "theme": entry.get("title", "")} for a in entry.get("alerts") or ())
        out.append((label, list(headlines.items()), alerts))
    return out


def _failures(manifest: dict) -> list[str]:
    lines = [f"{e.get('region')} · {e.get('title')}: {(e.get('failure') or {}).get('ename', 'failed')}"
             for e in manifest.get("runs", {}).values() if e.get("status") != "ok"]
    lines += [f"{r.get('name')} · PDF: {r.get('error')}" for r in manifest.get("regions", [])
              if r.get("pdf_status") == "failed"]
    return lines


def _link(base: str | None, pack_dir: Path, relative: str) -> str:
    if base:
        return f"{base.rstrip('/')}/{quote(pack_dir.name)}/{quote(relative)}"
    return str((pack_dir / relative).resolve())


def compose_message(pack_dir: str | os.PathLike, recipients: Sequence[str], sender: str, *,
                    max_attach_bytes: int = 10 << 20, reports_url: str | None = None) -> tuple[EmailMessage,
                                                                                                 list[str], list[str]]:
    """The message for the pack in ``pack_dir``, with the PDFs attached while they fit in
    ``max_attach_bytes`` together (largest last), else linked. Returns ``(message, attached, linked)``.

    Raises
    ------
    DeliveryError
        The folder holds no readable ``manifest.json`` (the pack was never built there).
    """
    folder = Path(pack_dir)
    manifest = read_manifest(folder)
    if manifest is None:
        raise DeliveryError(f"no pack to send in {folder}: manifest.json is missing or unreadable")
    params = manifest.get("parameters", {})
    summary = manifest.get("summary", {})
    as_of = params.get("as_of") or manifest.get("as_of")
    when = f" (data as of {as_of})" if as_of else ""
    title = f"{manifest.get('title', 'Report pack')} — {manifest.get('period', '')}"
    status = f"{part_of(summary.get('ok', 0), summary.get('runs', 0), 'page')} built" + (
        f", {summary['failed']} failed" if summary.get("failed") else "")

    pdfs = sorted(((r.get("name"), r["pdf"]) for r in manifest.get("regions", [])
                   if r.get("pdf_status") == "ok" and r.get("pdf") and (folder / r["pdf"]).is_file()),
                  key=lambda item: (folder / item[1]).stat().st_size)
    attached, linked, used = [], [], 0
    for _, relative in pdfs:
        size = (folder / relative).stat().st_size
        if used + size <= max_attach_bytes:
            attached.append(relative)
            used += size
        else:
            linked.append(relative)

    regions = _regions_text(manifest)
    failures = _failures(manifest)
    text = [f"{title}{when}", status, ""]
    if failures:
        text += ["Failures:", *[f"  - {line}" for line in failures], ""]
    for label, headlines, alerts in regions:
        text.append(label)
        text += [f"  {key}: {value}" for key, value in headlines] or ["  (no headline figures recorded)"]
        text += [f"  ! {a.get('level', 'warning')}: {a.get('message', '')} ({a.get('theme', '')})" for a in alerts]
        text.append("")
    if attached:
        text.append("Attached: " + ", ".join(Path(p).name for p in attached))
    if linked:
        text += ["Too large to attach:", *[f"  {_link(reports_url, folder, p)}" for p in linked]]
    text.append(f"Index: {_link(reports_url, folder, 'index.html')}")

    esc = html.escape
    parts = [f"<h2>{esc(title)}{esc(when)}</h2><p>{esc(status)}</p>"]
    if failures:
        parts.append("<p><b>Failures</b></p><ul>" + "".join(f"<li>{esc(f)}</li>" for f in failures) + "</ul>")
    for label, headlines, alerts in regions:
        rows = "".join(f"<tr><td>{esc(k)}</td><td><b>{esc(v)}</b></td></tr>" for k, v in headlines)
        notes = "".join(f"<li>{esc(str(a.get('level', 'warning')))}: {esc(str(a.get('message', '')))}</li>"
                        for a in alerts)
        parts.append(f"<h3>{esc(label)}</h3><table>{rows}</table>" + (f"<ul>{notes}</ul>" if notes else ""))
    if linked:
        parts.append("<p>Too large to attach:</p><ul>" + "".join(
            f'<li><a href="{esc(_link(reports_url, folder, p))}">{esc(Path(p).name)}</a></li>' for p in linked)
            + "</ul>")

    message = EmailMessage()
    message["Subject"] = f"{title}: {status}"
    message["From"] = formataddr(("quotabook", sender))
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content("\n".join(text))
    message.add_alternative("<html><body>" + "".join(parts) + "</body></html>", subtype="html")
    for relative in attached:
        message.add_attachment((folder / relative).read_bytes(), maintype="application", subtype="pdf",
                               filename=Path(relative).name)
    return message, attached, linked


def send_pack(pack_dir: str | os.PathLike, recipients: str | Sequence[str], *,
              env: Mapping[str, str] | None = None) -> Delivery:
    """Email the pack in ``pack_dir`` (e.g. ``reports/2026-Q3``) to ``recipients``.

    Raises
    ------
    ConfigError
        Bad recipients or SMTP settings (see :class:`SmtpSettings`).
    DeliveryError
        No pack in the folder, or the server could not be reached, refused the login or the message.
    """
    env = os.environ if env is None else env
    to = parse_recipients(recipients)
    settings = SmtpSettings.from_env(env)
    raw_limit = (env.get("QUOTABOOK_EMAIL_MAX_MB") or "").strip()
    try:
        limit_mb = float(raw_limit) if raw_limit else 10.0
    except ValueError:
        raise ConfigError(f"expected a number of megabytes, got {raw_limit!r}", key="QUOTABOOK_EMAIL_MAX_MB") from None
    message, attached, linked = compose_message(pack_dir, to, settings.sender, max_attach_bytes=int(limit_mb * 2**20),
                                                reports_url=(env.get("QUOTABOOK_REPORTS_URL") or "").strip() or None)
    server = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context(cafile=settings.cafile)
    try:
        if settings.use_ssl:
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.starttls:
                client.starttls(context=context)
                client.ehlo()
            if settings.user:
                client.login(settings.user, settings.password or "")
            refused = client.send_message(message, from_addr=settings.sender, to_addrs=list(to))
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{server} refused the login of {settings.user!r}: {_reply(exc)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"{server} does not support {_reply(exc) or 'that command'} "
                            "(check QUOTABOOK_SMTP_STARTTLS / QUOTABOOK_SMTP_SSL)") from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"{server} refused the message: {_reply(exc)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"{server} refused every recipient: {', '.join(exc.recipients)}") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:  # OSError: refused, unreachable, timed out
        raise DeliveryError(f"could not send through {server}: {type(exc).__name__}: {exc}") from None
    if refused:
        raise DeliveryError(f"{server} refused {', '.join(refused)} (the others were sent)")
    return Delivery(message_id=str(message["Message-ID"]), recipients=to, attached=tuple(attached),
                    linked=tuple(linked), server=server)


def _reply(exc: smtplib.SMTPResponseException | smtplib.SMTPException) -> str:
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"")
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text or exc)
    return f"{code} {text}".strip() if code else text
