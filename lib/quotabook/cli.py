"""The ``quotabook`` command: argument parsing only; each subcommand calls one library function.

Exit codes: 0 ok; 1 data was rejected or a report failed (output still written); 2 usage, configuration,
source or catalog error.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from pathlib import Path

from .errors import ConfigError, DataValidationError, QuotabookError
from .grammar import count_of
from .grammar import day as say_day
from .version import package_version

__all__ = ["main"]

_PERIOD_HELP = ("fiscal quarter 2026-Q3, half 2026-H2, fiscal year 2026 or FY2026 (by the workbook's fiscal start "
                "month), or a date range 2026-01-01..2026-06-30")
_DESCRIPTION = """Quarterly sales report packs for district managers: will the team hit its number, and what
should it do about it? Generate the demo district, check your CRM data, list the metrics and build
the HTML/PDF pack for a quarter."""
_EPILOG = """examples:
  quotabook demo                                 generate the demo district into data/demo
  quotabook validate params/sources/salesforce.yaml
                                                 check a CRM export; exit 1 if rows were rejected
  quotabook metrics --theme funnel               what each funnel metric means
  quotabook pack --period 2026-Q3 --regions East --formats html
                                                 one region's pages for a quarter, into reports/

exit codes: 0 ok; 1 data was rejected or a report failed (what could be written is written);
2 a usage, configuration, source or catalog error. 'quotabook COMMAND --help' describes a command."""
_SOURCE_HELP = ("folder of canonical tables, a mapping such as params/sources/salesforce.yaml, duckdb:///file.db, "
                "env:VARNAME (a database URL held in that environment variable), or 'demo'")


def _demo(args: argparse.Namespace) -> int:
    from . import demo
    from .loading import demo_folder

    if args.scale is not None or args.deals is not None:
        from .demo.scale import territories_for_deals, write_scaled

        flag = "--scale" if args.scale is not None else "--deals"
        if args.scale is not None and args.deals is not None:
            raise ConfigError("give --scale (territories) or --deals (opportunities), not both")
        if not args.out:
            raise ConfigError(f"{flag} needs --out: a large organisation is not written over data/demo")
        if args.csv:
            raise ConfigError(f"{flag} writes Parquet only (CSV is not streamed); drop --csv")
        try:
            territories = args.scale if args.scale is not None else territories_for_deals(args.deals)
            print(write_scaled(territories, args.out, seed=args.seed, workers=args.workers).summary())
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return 0
    # CSV goes to its own folder: a folder holding a table as CSV and Parquet is refused when loaded.
    default = demo_folder().with_name(f"{demo_folder().name}-csv") if args.csv else demo_folder()
    out = Path(args.out) if args.out else default
    start = time.perf_counter()
    formats = ("csv",) if args.csv else ("parquet",)
    paths = demo.write(demo.generate(seed=args.seed), out, formats=formats)
    print(f"wrote {count_of(len(paths), 'file')} to {out} in {time.perf_counter() - start:.1f}s (seed {args.seed})")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from .loading import validate_source

    source = args.source or args.path
    report, tables = validate_source(source, keep_raw=bool(args.rejects))
    print(f"source: {source}")
    print(report.summary(limit=args.limit))
    _warn_keyword_regions(tables.get("territories"))
    if args.rejects:
        path = Path(args.rejects)
        rows = report.rejected_rows()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            rows.to_csv(path, index=False, lineterminator="\n")
        except OSError as exc:
            raise ConfigError(f"cannot write the rejects file: {exc}", key="--rejects") from None
        print(f"wrote {count_of(len(rows), 'rejected row')} with their reasons to {path}")
    return 0 if report.ok else 1


def _warn_keyword_regions(territories) -> None:
    """A warning (not a rejection) per region named like a scope keyword (``district``, ``ALL``)."""
    from .scope import collision_notes

    if territories is not None and "region" in territories:
        for note in collision_notes(sorted(territories["region"].dropna().unique())):
            print(f"warning: {note}")


def _metrics(args: argparse.Namespace) -> int:
    from .metrics import load_catalog

    catalog = load_catalog()
    if args.markdown:
        print(catalog.to_markdown())
        return 0
    frame = catalog.to_frame()
    if args.theme:
        frame = frame[frame["theme"] == args.theme]
    print(f"{'name':<34}{'theme':<20}{'unit':<18}formula")
    for row in frame.itertuples(index=False):
        print(f"{row.name:<34}{row.theme:<20}{row.unit:<18}{row.formula}")
    print(f"\n{count_of(len(frame), 'metric')}; `quotabook metrics --markdown` prints the full glossary")
    return 0


def _positive(kind: type, *, zero: bool = False):
    """An argparse type: a number of ``kind`` above zero (or at least zero), refused with a usage error."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(f"must be {'zero or more' if zero else 'above zero'}, got {text}")
        return value

    return parse


def _csv(text: str | None) -> list[str] | None:
    return [item.strip() for item in text.split(",") if item.strip()] if text else None


def _overview(args: argparse.Namespace) -> int:
    from .loading import load
    from .report import build_overview

    ds = load(args.data, as_of=args.as_of)
    period = args.period or ds.calendar.period_of(ds.reference_date).label
    if args.period is None:
        print(_default_period_line(period, ds.reference_date))
    print(f"wrote {build_overview(ds, period, args.out)}")
    return 0


def _default_period_line(period: str, as_of) -> str:
    """What a pack built without ``--period`` is for, said once: the quarter holding the data's as-of date."""
    from .fiscal import iso_date

    day = iso_date(as_of)
    return (f"period {period}: the quarter holding the data's as-of date, {say_day(day)} "
            "(pass --period for another, e.g. the quarter just finished)")


def _pack(args: argparse.Namespace) -> int:
    from .pack import build_pack
    from .pack.executors import PackTerminated
    from .privacy import mask

    if args.overview:
        return _overview(args)
    formats = tuple(_csv(args.formats) or ()) if args.formats is not None else None
    if args.email is not None:  # checked before a long build, so a typo or a missing server fails at once
        from .pack.deliver import SmtpSettings, parse_recipients

        parse_recipients(args.email)
        SmtpSettings.from_env()
    try:
        result = build_pack(args.period, regions=_csv(args.regions), notebooks=_csv(args.notebooks), data=args.data,
                            formats=formats, workers=args.workers, resume=args.resume,
                            out=args.out, pack=args.pack, timeout=args.timeout, progress=not args.quiet,
                            as_of=args.as_of, notebooks_dir=args.notebooks_dir,
                            notebook_timeout=args.notebook_timeout,
                            **({"scheduler": args.scheduler} if args.scheduler else {}),
                            **({"data_snapshot": args.data_snapshot} if args.data_snapshot else {}))
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (PackTerminated): the workers are stopped
        how, code = ("terminated", 143) if isinstance(exc, PackTerminated) else ("interrupted", 130)
        print(f"quotabook: {how}; finished notebooks are kept, run again with --resume", file=sys.stderr)
        return code
    _say_why_rerun(result)
    if args.period is None:
        print(_default_period_line(result.period, result.as_of))
    kept = f", {len(result.reused)} kept" if result.reused else ""
    print(f"wrote {result.index} ({count_of(len(result.executed), 'notebook')} run{kept}, "
          f"{count_of(len(result.pdfs), 'PDF')}, "
          f"{result.seconds:.1f}s)")
    for failure in result.failures:
        print(f"quotabook: failed: {mask(str(failure))}", file=sys.stderr)
    for slug, error in result.pdf_errors.items():
        print(f"quotabook: PDF for {slug} failed: {error}", file=sys.stderr)
    if args.email is not None:
        return max(result.exit_code, _send(result.out_dir, args.email))
    return result.exit_code


def _send(pack_dir: Path, recipients: str) -> int:
    """Email a built pack; 0 when sent, 1 when it could not be (the pack itself is written either way)."""
    from .errors import DeliveryError
    from .pack.deliver import send_pack

    try:
        print(send_pack(pack_dir, recipients).summary())
    except DeliveryError as exc:
        print(f"quotabook: the pack was written but not sent: {exc}", file=sys.stderr)
        return 1
    return 0


def _period(args: argparse.Namespace) -> int:
    from .fiscal import FiscalCalendar, iso_date
    from .settings import load_settings

    calendar = FiscalCalendar.from_settings(load_settings())
    day = args.date or time.strftime("%Y-%m-%d")
    print(calendar.shift(calendar.period_of(iso_date(day, "date")), args.offset).label)
    return 0


def _say_why_rerun(result) -> None:
    """With --resume: which data was resumed, and why each run executed again, one line per reason."""
    if result.resumed_data:
        print(f"resumed the pack built on {result.resumed_data} (from its manifest)")
    by_reason: dict[str, list[str]] = {}
    for key, reason in result.rerun_reasons.items():
        by_reason.setdefault(reason, []).append(key)
    for reason, keys in by_reason.items():
        shown = ", ".join(keys[:6]) + (f" and {len(keys) - 6} more" if len(keys) > 6 else "")
        print(f"rerun {len(keys)}: {reason}: {shown}")


def _app(args: argparse.Namespace) -> int:
    from .app import serve
    from .fiscal import iso_date

    # Checked here, where the error can be printed (the period and region are checked against the data by serve).
    if args.as_of is not None:
        args.as_of = iso_date(args.as_of).date().isoformat()
    return serve(region=args.region, period=args.period, data=args.data, as_of=args.as_of, port=args.port,
                 open_browser=args.open, cull_after=args.cull_after)


def _command(sub, name: str, summary: str) -> argparse.ArgumentParser:
    """A subcommand whose one-line summary in ``quotabook --help`` also opens its own ``--help``."""
    return sub.add_parser(name, help=summary, description=summary[:1].upper() + summary[1:] + ".")


def build_parser() -> argparse.ArgumentParser:
    """The command line parser: every option's help is written for the person running the command."""
    parser = argparse.ArgumentParser(prog="quotabook", description=_DESCRIPTION, epilog=_EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _command(sub, "demo", "generate the demo district (deterministic for a seed)")
    p.add_argument("--out", help="output folder (default: data/demo in the project, data/demo-csv with --csv)")
    p.add_argument("--seed", type=int, default=7,
                   help="random seed: one seed always gives the same tables (default: 7)")
    p.add_argument("--csv", action="store_true",
                   help="write CSV instead of Parquet, by default into data/demo-csv (one format per folder: a "
                        "table in two files is refused when loaded)")
    p.add_argument("--scale", type=int, metavar="N",
                   help="instead of the 16-territory district, an organisation of N territories built from "
                        "ceil(N/16) demo districts (each its own derived seed, relabelled to unique regions, "
                        "territories, reps and ids), streamed to Parquet district by district; needs --out. "
                        "1,000 territories: ~190k opportunities, ~1.1M history rows, ~12M activities, 170 MB")
    p.add_argument("--deals", type=int, metavar="N",
                   help="like --scale, sized for about N opportunities (~189 per territory over eight quarters: "
                        "--deals 1000000 writes 5,279 territories, ~66M activities, in minutes, one district "
                        "at a time in bounded memory)")
    p.add_argument("--workers", type=_positive(int), default=None,
                   help="with --scale or --deals: processes generating districts (default 2); output is the same")
    p.set_defaults(func=_demo)

    p = _command(sub, "validate", "validate a source (folder, mapping YAML, database); exit 1 if rows "
                                        "were rejected")
    p.add_argument("path", nargs="?", default="demo", help="folder of CSV/Parquet files, or 'demo'")
    p.add_argument("--source", help=_SOURCE_HELP)
    p.add_argument("--limit", type=_positive(int, zero=True), default=50,
                   help="problems to print (all are counted; 0: only the counts)")
    p.add_argument("--rejects", metavar="FILE.csv",
                   help="write every rejected row to this CSV: table, file, row, column, reason and message (a "
                        "row's problems joined by '; '), then the row's own columns as read")
    p.set_defaults(func=_validate)

    p = _command(sub, "metrics", "list the metric catalog")
    p.add_argument("--markdown", action="store_true", help="print the glossary as Markdown")
    p.add_argument("--theme", help="only this theme (e.g. funnel)")
    p.set_defaults(func=_metrics)

    p = _command(sub, "pack", "build the report pack for a period into reports/<period>/ "
                                    "(exit 1 if a notebook failed; the pack is still written)")
    p.add_argument("--period", help=_PERIOD_HELP + " (default: the quarter holding the as-of date, the quarter in "
                                                   "progress; a finished quarter's pack is its review, with the "
                                                   "next moves of the quarter in progress)")
    p.add_argument("--regions", help="comma-separated: region names exactly as in the data, 'district' (the whole "
                                     "district), 'all' (every region and the district), region:NAME (a region "
                                     "named like a keyword) (default: the pack's, all)")
    p.add_argument("--notebooks", help="comma-separated notebook stems (default: the pack's list)")
    p.add_argument("--data", help=_SOURCE_HELP + " (default: demo; with --resume, the data of the pack resumed)")
    p.add_argument("--data-snapshot", dest="data_snapshot",
                   help="an id of the data's state (e.g. a database's replication batch), recorded in the manifest; "
                        "--resume reruns everything when it differs (for a database it replaces counting its tables)")
    p.add_argument("--as-of", dest="as_of", help="build as the data stood on this date (YYYY-MM-DD; default: the "
                                                 "latest dated event of the whole source, one date for every page)")
    p.add_argument("--formats", help="comma-separated: html, pdf, csv, xlsx (csv and xlsx: every table of the "
                                     "pages as data; default: the pack's, html,pdf)")
    p.add_argument("--workers", type=_positive(int), help="notebooks run at once (default: one per core)")
    p.add_argument("--scheduler", help="run the notebooks on a Dask cluster: tcp://host:8786, a scheduler JSON "
                                       "file, or 'local' for a LocalCluster of --workers processes (default: a "
                                       "process pool on this machine)")
    p.add_argument("--resume", action="store_true",
                   help="keep the notebooks of the previous build whose inputs (data, workbook, rates, notebook, "
                        "quotabook) are unchanged; run the rest and say why")
    p.add_argument("--timeout", type=_positive(float), default=600, help="seconds one cell may run (default: 600)")
    p.add_argument("--notebook-timeout", dest="notebook_timeout", type=_positive(float),
                   help="seconds one whole notebook may run before it is stopped and reported (default: no limit)")
    p.add_argument("--out", default="reports", help="output folder (default: reports)")
    p.add_argument("--pack", default="quarterly", help="pack definition in params/packs/ (default: quarterly)")
    p.add_argument("--notebooks-dir", dest="notebooks_dir", help="where <stem>.ipynb live (default: notebooks/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--overview", action="store_true",
                   help="only the one-page period overview, <out>/<period>/overview.html (every pack holds it too)")
    p.add_argument("--email", metavar="ADDRESSES",
                   help="when built, email the index summary with the region PDFs attached (linked above "
                        "QUOTABOOK_EMAIL_MAX_MB) to these comma-separated addresses; the SMTP server comes from "
                        "QUOTABOOK_SMTP_HOST, _PORT, _USER, _PASSWORD, _STARTTLS (environment only)")
    p.set_defaults(func=_pack)

    p = _command(sub, "period", "print the fiscal quarter of a date (default today), for schedules, e.g. "
                                      "quotabook pack --period \"$(quotabook period --offset -1)\"")
    p.add_argument("--date", help="a day, YYYY-MM-DD (default: today)")
    p.add_argument("--offset", type=int, default=0, help="quarters after (negative: before) that one")
    p.set_defaults(func=_period)

    p = _command(sub, "app", "serve the what-if sliders as a web app on localhost (Voilà; Ctrl-C or SIGTERM stops "
                             "it and its kernels)")
    p.add_argument("--region", help="region to open on, as --regions spells it (default: district, the whole "
                                    "district; switchable in the app)")
    p.add_argument("--period", help=_PERIOD_HELP + " (default: the pack's, the quarter holding the data's as-of "
                                   "date; switchable in the app)")
    p.add_argument("--data", default="demo", help=_SOURCE_HELP)
    p.add_argument("--as-of", dest="as_of", help="the data as it stood on this date (YYYY-MM-DD)")
    p.add_argument("--port", type=_positive(int), default=8866,
                   help="port on 127.0.0.1 (default: 8866; if it is taken, a free one: the address is printed)")
    p.add_argument("--cull-after", dest="cull_after", type=_positive(float, zero=True), default=300,
                   help="seconds a kernel whose page was closed may sit idle before it is shut down (default: 300; "
                        "0: never; a kernel with its page open is kept)")
    p.add_argument("--open", action="store_true", help="open it in the default browser")
    p.set_defaults(func=_app)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None and hasattr(signal, "SIGPIPE"):  # `quotabook metrics | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"quotabook: configuration error: {exc}", file=sys.stderr)
        return 2
    except DataValidationError as exc:
        print(f"quotabook: {exc}", file=sys.stderr)
        return 1
    except QuotabookError as exc:  # usage, source or catalog problems
        print(f"quotabook: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
