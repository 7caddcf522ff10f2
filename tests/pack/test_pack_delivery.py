"""Packs that arrive by themselves: sending a built pack through a real SMTP server on loopback (aiosmtpd),
the message parsed back; and the reports folder's list of every pack built."""

from __future__ import annotations

import email
import json
import shutil
import ssl
import subprocess
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from packtools import NOTEBOOKS, PACK_YAML, write_data

from quotabook.cli import main
from quotabook.errors import ConfigError, DeliveryError
from quotabook.pack.deliver import SmtpSettings, compose_message, parse_recipients, send_pack
from quotabook.pack.history import list_packs, previous_pack, render_history
from quotabook.pack.manifest import write_manifest

# The loopback server takes a login without TLS (the TLS path has its own test); aiosmtpd warns about that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

PASSWORD = "Sm7p-CanaryPW_93"
USER = "packbot"


class Inbox:
    """An aiosmtpd handler keeping every message it accepts, parsed."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() and \
        auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # not handled: the server itself replies 235 or 535


def _free_port() -> int:
    """A port free on loopback now (aiosmtpd's controller checks its server by connecting, so not port 0)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(tmp_path):
    """A real SMTP server on 127.0.0.1 requiring a login (plain loopback: TLS is tested separately)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), authenticator=_authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    env = {"QUOTABOOK_SMTP_HOST": "127.0.0.1", "QUOTABOOK_SMTP_PORT": str(controller.port),
           "QUOTABOOK_SMTP_USER": USER, "QUOTABOOK_SMTP_PASSWORD": PASSWORD, "QUOTABOOK_SMTP_STARTTLS": "false",
           "QUOTABOOK_SMTP_FROM": "reports@example.com"}
    yield inbox, env
    controller.stop()


def _pack(folder: Path, pdf_sizes=(3000, 5000)) -> Path:
    """A built pack as far as delivery reads it: a manifest (through the real writer) and region PDFs."""
    regions, runs = [], {}
    for (name, slug), size in zip([("East", "east"), ("District", "district")], pdf_sizes, strict=True):
        (folder / slug).mkdir(parents=True, exist_ok=True)
        pdf = folder / f"{slug}.pdf"
        pdf.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * (size // 256))
        regions.append({"name": name, "slug": slug, "pdf": pdf.name, "pdf_status": "ok"})
        runs[f"{slug}/00_target_achievement"] = {
            "region": name, "slug": slug, "notebook": "00_target_achievement", "title": "Target achievement",
            "status": "ok", "headlines": {"Attainment": f"{82 if slug == 'east' else 91}%", "Closed": 820000},
            "alerts": [{"message": f"Coverage below 2.5x in {name}", "level": "warning"}]}
    runs["east/05_forecast"] = {"region": "East", "slug": "east", "notebook": "05_forecast", "title": "Forecast",
                                "status": "failed", "failure": {"ename": "ValueError"}, "headlines": {}, "alerts": []}
    manifest = {"schema": 1, "title": "Quarterly pack", "period": "2026-Q3",
                "generated_at": "2026-10-03T06:00:00+00:00",
                "parameters": {"period": "2026-Q3", "as_of": "2026-09-30", "data": "demo"},
                "inputs": {"data_sha256": "ab" * 32}, "regions": regions, "runs": runs}
    write_manifest(folder, manifest)
    return folder


def test_a_pack_arrives_with_its_summary_and_pdfs_and_no_secret(smtp, tmp_path, capsys):
    inbox, env = smtp
    pack = _pack(tmp_path / "2026-Q3")
    sent = send_pack(pack, "dsm@example.com, revops@example.com,dsm@example.com", env=env)

    assert sent.recipients == ("dsm@example.com", "revops@example.com")
    assert sent.attached == ("east.pdf", "district.pdf") and sent.linked == ()
    [(rcpts, message)] = inbox.messages
    assert rcpts == ["dsm@example.com", "revops@example.com"]
    assert message["Subject"] == "Quarterly pack — 2026-Q3: 2 of 3 pages built, 1 failed"
    assert message["Message-ID"] == sent.message_id
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "data as of 2026-09-30" in text
    assert "East\n  Attainment: 82%\n  Closed: 820,000\n  ! warning: Coverage below 2.5x in East" in text
    assert "Failures:\n  - East · Forecast: ValueError" in text
    assert "<b>91%</b>" in message.get_body(("html",)).get_content()
    attachments = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    assert attachments == {"east.pdf": (pack / "east.pdf").read_bytes(),
                           "district.pdf": (pack / "district.pdf").read_bytes()}
    assert PASSWORD not in message.as_string() and PASSWORD not in repr(SmtpSettings.from_env(env))
    assert PASSWORD not in capsys.readouterr().out


def test_pdfs_over_the_size_limit_are_linked_instead(smtp, tmp_path):
    inbox, env = smtp
    pack = _pack(tmp_path / "2026-Q3", pdf_sizes=(3000, 900_000))
    env = {**env, "QUOTABOOK_EMAIL_MAX_MB": "0.5", "QUOTABOOK_REPORTS_URL": "https://intranet.example/reports/"}
    sent = send_pack(pack, ["dsm@example.com"], env=env)
    assert sent.attached == ("east.pdf",) and sent.linked == ("district.pdf",)
    [(_, message)] = inbox.messages
    assert [p.get_filename() for p in message.iter_attachments()] == ["east.pdf"]
    assert "https://intranet.example/reports/2026-Q3/district.pdf" in message.get_body(("plain",)).get_content()


def test_a_refused_login_names_the_server_and_user_never_the_password(smtp, tmp_path):
    inbox, env = smtp
    with pytest.raises(DeliveryError) as err:
        send_pack(_pack(tmp_path / "p"), "dsm@example.com", env={**env, "QUOTABOOK_SMTP_PASSWORD": "wrong-" + PASSWORD})
    assert f"127.0.0.1:{env['QUOTABOOK_SMTP_PORT']} refused the login of 'packbot'" in str(err.value)
    assert PASSWORD not in str(err.value) and inbox.messages == []


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    env = {"QUOTABOOK_SMTP_HOST": "127.0.0.1", "QUOTABOOK_SMTP_PORT": "9", "QUOTABOOK_SMTP_STARTTLS": "false"}
    with pytest.raises(DeliveryError, match=r"could not send through 127\.0\.0\.1:9: ConnectionRefusedError"):
        send_pack(_pack(tmp_path / "p"), "dsm@example.com", env=env)


def test_starttls_to_a_server_with_its_own_certificate(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make the test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), tls_context=context, require_starttls=True,
                            authenticator=_authenticator, auth_required=True)
    controller.start()
    try:
        port = str(controller.port)
        env = {"QUOTABOOK_SMTP_HOST": "127.0.0.1", "QUOTABOOK_SMTP_PORT": port, "QUOTABOOK_SMTP_USER": USER,
               "QUOTABOOK_SMTP_PASSWORD": PASSWORD}
        with pytest.raises(DeliveryError, match="could not send through"):  # not trusted: the system CAs
            send_pack(_pack(tmp_path / "p"), "dsm@example.com", env=env)
        assert inbox.messages == []
        send_pack(tmp_path / "p", "dsm@example.com", env={**env, "QUOTABOOK_SMTP_CAFILE": str(cert)})
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


@pytest.mark.parametrize(("env", "key"), [
    ({}, "QUOTABOOK_SMTP_HOST"),
    ({"QUOTABOOK_SMTP_HOST": "h", "QUOTABOOK_SMTP_PORT": "70000"}, "QUOTABOOK_SMTP_PORT"),
    ({"QUOTABOOK_SMTP_HOST": "h", "QUOTABOOK_SMTP_STARTTLS": "maybe"}, "QUOTABOOK_SMTP_STARTTLS"),
    ({"QUOTABOOK_SMTP_HOST": "h", "QUOTABOOK_SMTP_USER": "u"}, "QUOTABOOK_SMTP_PASSWORD"),
    ({"QUOTABOOK_SMTP_HOST": "h", "QUOTABOOK_SMTP_SSL": "true", "QUOTABOOK_SMTP_STARTTLS": "true"},
     "QUOTABOOK_SMTP_STARTTLS"),
])
def test_smtp_settings_are_checked_and_name_the_variable(env, key):
    with pytest.raises(ConfigError) as err:
        SmtpSettings.from_env(env)
    assert err.value.key == key


def test_smtp_defaults_follow_the_transport():
    assert SmtpSettings.from_env({"QUOTABOOK_SMTP_HOST": "mail"}).port == 587
    assert SmtpSettings.from_env({"QUOTABOOK_SMTP_HOST": "mail", "QUOTABOOK_SMTP_SSL": "1"}).port == 465
    plain = SmtpSettings.from_env({"QUOTABOOK_SMTP_HOST": "mail", "QUOTABOOK_SMTP_STARTTLS": "no"})
    assert (plain.port, plain.sender) == (25, "quotabook@mail")


@pytest.mark.parametrize("bad", ["", "dsm", "dsm@localhost", "a b@example.com", "dsm@example.com,oops"])
def test_recipients_are_addresses(bad):
    with pytest.raises(ConfigError, match=r"email address|no recipient"):
        parse_recipients(bad)


def test_no_pack_in_the_folder_is_a_delivery_error(tmp_path):
    with pytest.raises(DeliveryError, match="no pack to send"):
        compose_message(tmp_path, ["dsm@example.com"], "r@example.com")


def test_cli_checks_the_mail_settings_before_building(monkeypatch, capsys):
    import quotabook.pack

    monkeypatch.setattr(quotabook.pack, "build_pack", lambda *a, **k: pytest.fail("built before checking"))
    for var in [v for v in __import__("os").environ if v.startswith("QUOTABOOK_SMTP_")]:
        monkeypatch.delenv(var)
    assert main(["pack", "--period", "2026-Q3", "--email", "dsm@example.com"]) == 2
    assert "QUOTABOOK_SMTP_HOST" in capsys.readouterr().err
    monkeypatch.setenv("QUOTABOOK_SMTP_HOST", "127.0.0.1")
    assert main(["pack", "--period", "2026-Q3", "--email", "not-an-address"]) == 2


def _history_manifest(folder: Path, period: str, generated: str, attainment: str) -> None:
    folder.mkdir(parents=True)
    write_manifest(folder, {"schema": 1, "title": "Quarterly", "period": period, "generated_at": generated,
                            "parameters": {"period": period, "as_of": None, "data": "demo"},
                            "inputs": {"data_sha256": "cd" * 32}, "regions": [],
                            "runs": {"district/00": {"slug": "district", "region": "district", "notebook": "00",
                                                     "status": "ok", "headlines": {"Attainment": attainment}}}})


def test_the_reports_folder_lists_every_pack_newest_build_first(tmp_path):
    _history_manifest(tmp_path / "2026-Q2", "2026-Q2", "2026-07-03T06:00:00+00:00", "97%")
    _history_manifest(tmp_path / "2026-Q3", "2026-Q3", "2026-10-03T06:00:00+00:00", "91%")
    _history_manifest(tmp_path / "2026", "2026", "2026-10-04T06:00:00+00:00", "88%")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "manifest.json").write_text("{not json")
    packs = list_packs(tmp_path)
    assert [p["period"] for p in packs] == ["2026", "2026-Q3", "2026-Q2"]
    assert packs[1]["headlines"] == {"Attainment": "91%"} and packs[1]["fingerprint"] == "cd" * 6
    page = render_history(packs)
    assert page.index("2026-Q3/index.html") < page.index("2026-Q2/index.html")
    assert "Whole organisation · Attainment: <b>91%</b>" in page
    assert previous_pack(tmp_path, "2026-Q3") == "2026-Q2"
    assert previous_pack(tmp_path, "2026-Q2") is None and previous_pack(tmp_path, "2027") == "2026"


@pytest.mark.slow
def test_a_built_pack_is_listed_and_links_the_previous_period(tmp_path):
    data = write_data(tmp_path / "data")
    out = tmp_path / "reports"
    for period in ("2026-Q2", "2026-Q3"):
        assert main(["pack", "--period", period, "--data", str(data), "--out", str(out), "--pack", str(PACK_YAML),
                     "--notebooks-dir", str(NOTEBOOKS), "--notebooks", "00_ok", "--regions", "East",
                     "--workers", "1", "--quiet", "--formats", "html"]) == 0
    history = (out / "index.html").read_text(encoding="utf-8")
    assert history.index('href="2026-Q3/index.html"') < history.index('href="2026-Q2/index.html"')
    assert "East · Region: <b>East</b>; Attainment: <b>82%</b>" in history
    index = (out / "2026-Q3" / "index.html").read_text(encoding="utf-8")
    assert 'href="../2026-Q2/index.html"' in index and 'href="../index.html"' in index
    assert json.loads((out / "2026-Q3" / "manifest.json").read_text())["previous_pack"] == "2026-Q2"
