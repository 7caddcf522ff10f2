"""The executive summary that opens every scope of a pack: will we hit the number, and what next.

One page a district sales manager reads in two minutes: per group one step down (regions of the district,
territories of a region) and for the whole scope last, the figures that answer "will we hit it" (Target,
Closed, Commit, Best Case, the Monte Carlo forecast and chance of target, gap, attainment, coverage); the
top next moves with their deals and owners; and the three biggest risks, each linked to the section of
the themed pages that explains it.

Every figure here is computed by the functions the sections themselves call, with the same arguments
(:func:`quotabook.themes.target_achievement.data.number_stack` and ``coverage_status`` for the target
achievement page, :func:`quotabook.forecast.study` — the same Monte Carlo seed and simulations — for the
forecast page, :mod:`quotabook.themes.target_achievement.moves` for the next moves) and formatted as those sections
format it, so a figure here reads exactly as it does where it links to. The wording lives here so it is tested; the
notebook (``notebooks/summary.ipynb``) only calls :func:`build` and :meth:`ExecutiveSummary.show`.

Once the report's period is over its figures are final (nothing more can close in it: no Commit or Best Case,
coverage is the pipeline coverage going in) and the next moves look ahead to
:attr:`quotabook.notebook.Report.moves_period`, the quarter holding the as-of date, labelled with it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import privacy
from .forecast import study
from .metrics import format as fmt
from .metrics.forecasting.monte_carlo import range_statement
from .text import heading_anchor, is_number, mid, names, noun, plural, verb
from .themes.target_achievement import data as views
from .themes.target_achievement import moves

__all__ = ["COLUMNS", "PAGE_TITLES", "SHOWN_METRICS", "ExecutiveSummary", "Figure", "Risk", "Section", "TopMove",
           "build"]

TARGET_PAGE = "00_target_achievement"
FORECAST_PAGE = "05_forecast"
#: How many deals of each deal move (reclassify, promote, pull in) the summary lists, and how many risks.
TOP_DEALS = 2
TOP_RISKS = 3


@dataclass(frozen=True)
class Section:
    """A section of a themed page: the notebook stem and the heading it opens with."""

    page: str
    heading: str

    @property
    def href(self) -> str:
        """Relative link from the summary page (the pages of a scope share one folder)."""
        return f"{self.page}.html#{heading_anchor(self.heading)}"


#: How the summary names the themed pages it links to.
PAGE_TITLES = {TARGET_PAGE: "Target achievement", FORECAST_PAGE: "Forecast"}
STACK = Section(TARGET_PAGE, "Where we stand against target")
COVERAGE = Section(TARGET_PAGE, "Attainment and coverage")
CONCENTRATION = Section(TARGET_PAGE, "Forecast confidence and concentration")
METHODS = Section(FORECAST_PAGE, "The five methods side by side")
OUTLOOK = Section(FORECAST_PAGE, "What matters this period")
MOVE_SECTIONS = {
    "reclassify": Section(TARGET_PAGE, "1. Reclassify weak Commits"),
    "promote": Section(TARGET_PAGE, "2. Promote high-confidence Best Case"),
    "pull_in": Section(TARGET_PAGE, "3. Pull-in and expansion plays"),
    "push": Section(TARGET_PAGE, "4. Pipeline push"),
}
_MOVE_WORDS = {"reclassify": "Reclassify to Best Case", "promote": "Promote to Commit",
               "pull_in": "Pull into the quarter", "push": "Pipeline push"}


@dataclass(frozen=True)
class Column:
    """One scoreboard column: its label, catalog metric and unit, and the section that shows the figure."""

    key: str
    label: str
    metric: str
    unit: str
    section: Section


#: The scoreboard's columns, in order. ``running`` columns show while the period runs, ``ended`` once over.
COLUMNS = {
    "target": Column("target", "Target", "target_amount", "currency", STACK),
    "closed": Column("closed", "Closed", "closed_amount", "currency", STACK),
    "commit": Column("commit", "Commit", "commit_amount", "currency", STACK),
    "best_case": Column("best_case", "Best Case", "best_case_amount", "currency", STACK),
    "forecast": Column("forecast", "Forecast (P50)", "monte_carlo_p50", "currency", METHODS),
    "chance": Column("chance", "Chance of target", "target_probability", "percent", METHODS),
    "gap": Column("gap", "Gap", "gap", "currency", COVERAGE),
    "attainment": Column("attainment", "Attainment", "attainment", "percent", COVERAGE),
    "coverage": Column("coverage", "Coverage", "coverage", "ratio", COVERAGE),
    "coverage_going_in": Column("coverage_going_in", "Pipeline coverage going in", "pipeline_coverage", "ratio",
                                COVERAGE),
}
#: The catalog metrics the summary shows (its glossary).
SHOWN_METRICS = ["target_amount", "closed_amount", "commit_amount", "best_case_amount", "monte_carlo_p10",
                 "monte_carlo_p50", "monte_carlo_p90", "target_probability", "gap", "attainment", "coverage",
                 "pipeline_coverage", "weak_commit_amount", "promotable_best_case_amount", "pull_in_amount",
                 "pipeline_push_amount"]
_RUNNING = ["target", "closed", "commit", "best_case", "forecast", "chance", "gap", "attainment", "coverage"]
_ENDED = ["target", "closed", "forecast", "chance", "gap", "attainment", "coverage_going_in"]


@dataclass(frozen=True)
class Figure:
    """One figure as the summary shows it (``text``) and the value and unit behind it, linked to its section."""

    group: str
    column: str
    label: str
    value: float
    unit: str
    text: str
    section: Section
    scope: bool = False


@dataclass(frozen=True)
class TopMove:
    """One line of the top moves: the move, the deal (or territory) and its owner, the amount as the move's
    own table shows it (and as a number), and why."""

    move: str
    deal: str
    owner: str
    group: str
    amount: str
    why: str
    section: Section
    value: float = float("nan")  # the amount as a number (reporting currency), for the pack's table exports


@dataclass(frozen=True)
class Risk:
    """One of the biggest risks: a sentence, its catalog alert's severity and the section explaining it."""

    text: str
    level: str
    size: float
    section: Section
    group: str = ""


@dataclass
class ExecutiveSummary:
    """The summary of one report: scoreboard figures (groups, then the scope), sentences, moves and risks."""

    report: object
    columns: list[str]
    table: pd.DataFrame  # one row per group then the scope; values by column key; "group", "is_scope"
    sentences: list[str]
    moves: list[TopMove]
    moves_note: str
    risks: list[Risk]
    outlook: str = ""
    figures: list[Figure] = field(default_factory=list)

    # -- the page ------------------------------------------------------------------------------------------
    def show(self, title: str = "In brief"):
        """Record the scoreboard figures for the pack index and display the summary: the sentences, then the
        scoreboard, the risks and the top moves (:meth:`blocks`). The risks are not recorded as alerts: they
        are a selection of the alerts the themed pages record, which the index lists already. The two tables
        go through :meth:`quotabook.notebook.Report.table`, so the pack exports them (``--formats csv,xlsx``)
        with the numbers behind the figures shown."""
        from IPython.display import HTML, display

        from .headlines import record

        report = self.report
        record(figures=[_record_of(f, report.currency) for f in self.figures])
        display(report.findings(self.sentences, title=title))
        # separate outputs, not one: a printed page keeps each whole, so smaller blocks flow without half-empty pages
        *first, last = self._parts()
        for block in first:
            display(block if not isinstance(block, str) else HTML(block))
        return last if not isinstance(last, str) else HTML(last)

    def _parts(self) -> list:
        """The scoreboard (a Styler), the risks (HTML), the top moves' heading and note (HTML) and their table
        (a Styler); a part with nothing to say is left out."""
        parts = [scoreboard_table(self), _risks_html(self), _moves_heading_html(self), moves_table(self)]
        return [p for p in parts if p is not None and not (isinstance(p, str) and not p)]

    def blocks(self) -> list[str]:
        """The scoreboard, the risks and the top moves, each as an HTML block (every value escaped, contact
        details masked)."""
        return [p if isinstance(p, str) else p.to_html() for p in self._parts()]

    def html(self) -> str:
        """The whole summary below its sentences as one HTML string."""
        return "".join(self.blocks())


# -- building it ------------------------------------------------------------------------------------------
def build(report) -> ExecutiveSummary:
    """The executive summary of ``report`` (a :class:`quotabook.notebook.Report`): its figures computed as the
    target achievement and forecast pages compute them."""
    ended = report.state.finished
    keys = _ENDED if ended else _RUNNING
    frame = _figures_frame(report)
    has_forecast = frame[["forecast", "chance"]].notna().any().any()
    keys = [k for k in keys if has_forecast or k not in ("forecast", "chance")]
    if not report.ds.has("opportunities", "forecast_category"):  # no Commit or Best Case to show, nor coverage
        keys = [k for k in keys if k not in ("commit", "best_case", "coverage")]
    figures = _figures(report, frame, keys)
    fx = study(report)
    outlook = _outlook(report, fx)
    summary = ExecutiveSummary(report=report, columns=keys, table=frame, sentences=[], moves=_top_moves(report),
                               moves_note=_moves_note(report), risks=_risks(report, frame), outlook=outlook,
                               figures=figures)
    summary.sentences = _sentences(report, frame, outlook, ended)
    return summary


def _figures_frame(report) -> pd.DataFrame:
    """Per group then for the scope: every column's value, from the very calls the sections make."""
    level, scope = report.level, report.scope_level
    fx = study(report)
    rows = []
    for by, table, forecast in ((level, fx.by_level, None), (scope, None, fx.totals)):
        stack = views.number_stack(report.ds, report.period, by=by).set_index(by)
        cov = views.coverage_status(report.ds, report.period, by=by).set_index(by)
        part = pd.DataFrame(index=stack.index.astype("str"))
        part["target"] = stack["Target"].to_numpy()
        part["closed"] = stack["Closed"].to_numpy()
        part["commit"] = stack["Commit"].to_numpy()
        part["best_case"] = stack["Best Case"].to_numpy()
        cov.index = cov.index.astype("str")
        for key, column in (("gap", "gap"), ("attainment", "attainment"), ("coverage", "coverage"),
                            ("coverage_going_in", "start_pipeline_coverage"),
                            ("pipeline_coverage", "pipeline_coverage")):
            part[key] = cov[column].reindex(part.index).to_numpy(dtype="float64")
        part["alert"] = cov["alert"].reindex(part.index).fillna(False).astype(bool).to_numpy()  # pipeline coverage
        if table is not None:
            t = table.copy()
            t.index = t.index.astype("str")
            part["forecast"] = t.get("monte_carlo_p50", pd.Series(dtype="float64")).reindex(part.index).to_numpy()
            part["chance"] = t.get("target_probability", pd.Series(dtype="float64")).reindex(part.index).to_numpy()
            part["is_scope"] = False
        else:
            part["forecast"] = forecast.get("monte_carlo_p50", np.nan)
            part["chance"] = forecast.get("target_probability", np.nan)
            part.index = [report.label]
            part["is_scope"] = True
        rows.append(part)
    out = pd.concat(rows).rename_axis("group").reset_index()
    return out.astype({k: "float64" for k in COLUMNS if k in out})


def column_label(report, key: str) -> str:
    """A column's heading: once the period is over the forecast columns are those of the forecast as it stood
    mid-period (the forecast page shows them so), and say it."""
    label = COLUMNS[key].label
    if report.state.finished and key in ("forecast", "chance"):
        when = f"Mid-{report.period.noun}"
        return {"forecast": f"{when} forecast (P50)", "chance": f"{when} chance of target"}[key]
    return label


def _figures(report, frame: pd.DataFrame, keys: Sequence[str]) -> list[Figure]:
    """Every shown value as a :class:`Figure`, formatted as its section formats it."""
    out = []
    for row in frame.itertuples(index=False):  # a handful of groups: one figure per cell shown
        for key in keys:
            col = COLUMNS[key]
            value = float(getattr(row, key))
            out.append(Figure(group=str(row.group), column=key, label=column_label(report, key), value=value,
                              unit=col.unit, text=report.figure(value, col.unit), section=col.section,
                              scope=bool(row.is_scope)))
    return out


def _record_of(f: Figure, currency: str) -> dict:
    """A figure as :func:`quotabook.pack.record` carries it: the number and its catalog unit (the index formats
    it with :func:`quotabook.metrics.format.figure`, as here), and the section it links to."""
    return {"group": f.group, "scope": f.scope, "key": f.column, "label": f.label, "metric": COLUMNS[f.column].metric,
            "value": None if not np.isfinite(f.value) else f.value, "unit": f.unit, "currency": currency,
            "href": f.section.href}


# -- sentences ----------------------------------------------------------------------------------------------
def _outlook(report, fx) -> str:
    """The scope's Monte Carlo P10-P90 range as the forecast page states it ("" without one)."""
    t = fx.totals
    if not (is_number(t.get("monte_carlo_p10")) and is_number(t.get("monte_carlo_p90"))):
        return ""
    return range_statement(t["monte_carlo_p10"], t["monte_carlo_p90"], report.money,
                           open_deals=len(fx.scored_deals))[0]


def _sentences(report, frame: pd.DataFrame, outlook: str, ended: bool) -> list[str]:
    """Three to four sentences, each true of the scoreboard beside them: where the scope stands, the
    forecast, which groups fall short, and what the moves are for."""
    scope = frame[frame["is_scope"]].iloc[0]
    groups = frame[~frame["is_scope"]]
    label, period = report.label, report.period.label
    s = []
    if not scope["target"] > 0:
        s.append(f"{label} has no target for {period}: it {'closed' if ended else 'has closed'} "
                 f"{report.money(scope['closed'])}, and attainment, gap and chance of target cannot be read.")
    elif ended:
        over = "above" if scope["gap"] <= 0 else "short of"
        s.append(f"{period} is over: {mid(label)} closed {report.money(scope['closed'])} against its "
                 f"{report.money(scope['target'])} target ({report.pct(scope['attainment'])}), "
                 f"{report.money(abs(scope['gap']))} {over} it.")
    else:
        text = (f"{label} has closed {report.money(scope['closed'])} of its {report.money(scope['target'])} {period} "
                f"target ({report.pct(scope['attainment'])})")
        if is_number(scope["coverage"]):
            text += f"; Closed + Commit + Best Case covers {report.times(scope['coverage'])} of it"
        s.append(text + ".")
    if outlook and is_number(scope["chance"]) and not ended:
        s.append(f"The Monte Carlo forecast puts {period} at {outlook}, a {report.pct(scope['chance'])} chance "
                 "of reaching target.")
    elif outlook and not ended:
        s.append(f"The Monte Carlo forecast puts {period} at {outlook}.")
    s.append(_groups_sentence(report, groups, ended))
    return [x for x in s if x]


def _groups_sentence(report, groups: pd.DataFrame, ended: bool) -> str:
    """How many groups with a target reach it: by the Monte Carlo median while the period runs, by Closed once
    it is over; "" when no group has a target."""
    targeted = groups[groups["target"] > 0]
    if targeted.empty:
        return ""
    n, level = len(targeted), report.level
    if ended:
        hit = targeted.loc[targeted["gap"] <= 0, "group"].tolist()
        return (f"{len(hit)} of {plural(n, level)} with a target reached it" + (f": {names(hit)}." if hit else "."))
    if targeted["forecast"].isna().all():
        return ""
    short = targeted.loc[targeted["forecast"] < targeted["target"], "group"].tolist()
    whom = {1: f"its one {level}", 2: f"both {noun(level)}"}.get(n, f"all {plural(n, level)}")
    whom += " with a target" if n < len(groups) else ""
    if not short:
        return f"On the Monte Carlo median {whom} {verb('reaches', n)} target."
    if len(short) == n:
        return f"On the Monte Carlo median {whom} {verb('falls', n)} short of target."
    return (f"On the Monte Carlo median {len(short)} of {plural(n, level)} with a target "
            f"{verb('falls', len(short))} short of it: {names(short)}.")


# -- top moves ----------------------------------------------------------------------------------------------
def _moves_note(report) -> str:
    """Which period the moves are for and as of when (a finished period's review looks ahead)."""
    day = report.as_of
    when = f"{day.day} {day:%b %Y}"
    target = report.moves_period.label
    if report.moves_period.label != report.period.label:
        return (f"{report.period.label} is over, so these moves are for {target}, the quarter in progress on "
                f"{when}.")
    return f"Moves for {target} as of {when}, largest first; each links to its full list."


def _top_moves(report) -> list[TopMove]:
    """The first deals of moves 1-3 and the groups of move 4, for :attr:`Report.moves_period`, ranked as the
    moves' own tables rank them (their first rows)."""
    ds, period = report.ds, report.moves_period
    code = report.currency
    out = []
    for move, frame in (("reclassify", moves.reclassify(ds, period)),
                        ("promote", moves.promote(ds, period, near=True)),
                        ("pull_in", moves.pull_in(ds, period))):
        if move == "promote":
            frame = frame[frame["status"] == "promote"]
        for row in frame.head(TOP_DEALS).itertuples(index=False):
            out.append(TopMove(move=move, deal=str(row.deal), owner=_text(row.owner), group=_text(row.territory),
                               amount=str(fmt.by_unit(row.amount, "currency", code)), why=str(row.why),
                               section=MOVE_SECTIONS[move], value=float(row.amount)))
    push = moves.push(ds, period, report.level)
    for row in push.head(TOP_DEALS).to_dict("records"):
        out.append(
            TopMove(
                move="push",
                deal="",
                owner=_owner_of(report, row[report.level]),
                group=str(row[report.level]),
                amount=report.money(row["pipeline_push_amount"]),
                why=f"add {report.money(row['pipeline_push_amount'])} of pipeline: coverage "
                f"{report.times(row['coverage'])}, under the "
                f"{report.settings.threshold('pipeline_push_below'):g}× bar",
                section=MOVE_SECTIONS["push"],
                value=float(row["pipeline_push_amount"]),
            )
        )
    return out


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _owner_of(report, group: str) -> str:
    """The owner of a territory (a region's push names no single owner)."""
    if report.level != "territory":
        return ""
    owners = report.ds.territories.drop_duplicates("territory").set_index("territory")["owner"]
    return _text(owners.get(group))


# -- risks ---------------------------------------------------------------------------------------------------
def _severity(report, metric: str) -> str:
    return report.catalog.get(metric).alert.severity


def _risks(report, frame: pd.DataFrame) -> list[Risk]:
    """The three biggest risks to the number, from the catalog alerts that fire on the scoreboard's groups:
    coverage under the pipeline-push line (``coverage``; under 1× critical, as the target achievement page
    ranks it), a low chance of target (``target_probability``) and the pipeline coverage alert
    (``pipeline_coverage``), most severe first (the catalog's severity), then largest gap, one per group.
    Each sentence states figures the scoreboard and its section show. None once the period is over (its
    number is in) or before it starts."""
    if report.state.finished or report.state.future:
        return []
    t = report.settings.threshold
    # The groups, not the scope: the opening sentences state the scope's coverage and chance; risks say where.
    live = frame[(frame["target"] > 0) & (frame["gap"] > 0) & ~frame["is_scope"]]
    risks = []
    push = t("pipeline_push_below")
    for row in live[live["coverage"] < push].itertuples(index=False):
        where = "cannot reach target even if every Commit and Best Case deal closes" if row.coverage < 1 else (
            f"is under the {push:g}× line that calls for a pipeline push")
        risks.append(Risk(f"{row.group}: Closed + Commit + Best Case covers {report.times(row.coverage)} of target "
                          f"and {where}; {report.money(row.gap)} is left to win.",
                          # under 1× the quarter is short whatever closes: as the target achievement page ranks it
                          "critical" if row.coverage < 1 else _severity(report, "coverage"), float(row.gap), COVERAGE,
                          str(row.group)))
    limit = t("target_probability_alert_below")
    for row in live[live["chance"] < limit].itertuples(index=False):
        risks.append(Risk(f"{row.group}: only a {report.pct(row.chance)} chance of reaching target on the Monte "
                          f"Carlo forecast (median {report.money(row.forecast)} against {report.money(row.target)}).",
                          _severity(report, "target_probability"), float(row.gap), METHODS, str(row.group)))
    for name, pipeline, gap in live.loc[live["alert"], ["group", "pipeline_coverage", "gap"]].itertuples(index=False):
        risks.append(Risk(f"{name}: open pipeline covers {report.times(pipeline)} of the target still to win and has "
                          f"stayed under {t('coverage_alert_below'):g}× for {int(t('coverage_alert_weeks'))} weeks.",
                          _severity(report, "pipeline_coverage"), float(gap), COVERAGE, str(name)))
    order = {"critical": 0, "warning": 1, "info": 2}
    risks.sort(key=lambda r: (order.get(r.level, 3), -r.size))
    # One risk per group (its most severe): three risks about one region would hide the others.
    seen: set[str] = set()
    kept = [r for r in risks if not (r.group in seen or seen.add(r.group))]
    return kept[:TOP_RISKS]


# -- HTML ------------------------------------------------------------------------------------------------------
def _link(href: str, text: str, *, figure: bool = False) -> str:
    """``text`` (already escaped) linked to ``href``; ``figure`` marks a value that reads the same on that page."""
    kind = ' class="fig"' if figure else ""
    return f'<a{kind} href="{html.escape(href)}">{text}</a>'


def _see(section: Section) -> str:
    return _link(section.href, html.escape(f"{PAGE_TITLES.get(section.page, section.page)}: {section.heading}"))


def _esc(report, text: str) -> str:
    return html.escape(privacy.mask(str(text), report.privacy))


#: The scope's own row of the scoreboard, under its groups: a rule above it, and bold.
_SCOPE_CSS = [{"selector": "td.scope", "props": "border-top: 2px solid #4a5568; font-weight: 600;"}]


def scoreboard_frame(summary: ExecutiveSummary) -> pd.DataFrame:
    """The scoreboard as numbers: the group (then the scope) and one column per shown figure, headed as the
    page heads it, in the reporting currency, shares 0-1 and multiples."""
    report, table = summary.report, summary.table
    out = pd.DataFrame({report.level.title(): table["group"].astype(str).to_numpy()})
    for key in summary.columns:
        out[column_label(report, key)] = table[key].to_numpy(dtype="float64")
    return out


def scoreboard_table(summary: ExecutiveSummary):
    """The scoreboard through :meth:`quotabook.notebook.Report.table`: every figure linked to the section that
    shows it, the scope's row last and marked; the numbers go to the pack's table exports."""
    report = summary.report
    frame = scoreboard_frame(summary)
    headers = {column_label(report, k): COLUMNS[k] for k in summary.columns}
    caption = f"{report.period.label} scoreboard, {noun(report.level)} then {mid(report.label)}"
    if report.state.finished:
        caption += " (final)"
    styler = report.table(frame, metrics={h: c.metric for h, c in headers.items()},
                       units={h: c.unit for h, c in headers.items()}, caption=caption,
                       links={h: [c.section.href] * len(frame) for h, c in headers.items()},
                       row_class=np.where(summary.table["is_scope"].to_numpy(dtype=bool), "scope", ""))
    return styler.set_table_styles(_SCOPE_CSS, overwrite=False)


def moves_frame(summary: ExecutiveSummary) -> pd.DataFrame:
    """The top moves as a table: the move, the deal (or group), its owner, the amount (a number, reporting
    currency) and why."""
    report = summary.report
    return pd.DataFrame({"Move": [_MOVE_WORDS[m.move] for m in summary.moves],
                         f"Deal or {report.level}": [m.deal or m.group for m in summary.moves],
                         "Owner": [m.owner for m in summary.moves],
                         "Amount": pd.Series([m.value for m in summary.moves], dtype="float64"),
                         "Why": [m.why for m in summary.moves]})


def moves_table(summary: ExecutiveSummary):
    """The top moves through :meth:`quotabook.notebook.Report.table`, the move, deal and amount linked to the
    move's full list, the deal and amount as figures that read the same there (None without a move: the
    heading's note says why)."""
    if not summary.moves:
        return None
    report = summary.report
    frame = moves_frame(summary)
    hrefs = [m.section.href for m in summary.moves]
    return report.table(frame, units={"Amount": "currency"}, caption=f"Top moves for {report.moves_period.label}",
                     links={f"Deal or {report.level}": hrefs, "Amount": hrefs}, nav_links={"Move": hrefs})


def _risks_html(summary: ExecutiveSummary) -> str:
    report = summary.report
    if report.state.finished:
        return ""
    if not summary.risks:
        return ("<h3>Biggest risks</h3><p>No catalog alert on the number fires: coverage is above the push line, "
                "the chance of target above its alert and no pipeline coverage alert has held.</p>")
    items = "".join(f"<li><strong>{html.escape(r.level)}</strong>: {_esc(report, r.text)} See {_see(r.section)}.</li>"
                    for r in summary.risks)
    return f"<h3>Biggest risks</h3><ol>{items}</ol>"


def _moves_heading_html(summary: ExecutiveSummary) -> str:
    """The top moves' heading and which period they are for (with why the list is empty, when it is)."""
    report = summary.report
    text = f"<h3>Top moves for {_esc(report, report.moves_period.label)}</h3><p>{_esc(report, summary.moves_note)}</p>"
    if not summary.moves:
        text += (f"<p>No deal or {html.escape(report.level)} is on a move list: see the next moves section for "
                 "why.</p>")
    return text
