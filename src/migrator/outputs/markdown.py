"""PLAN.md: the plan an architect reviews in a pull request.

One function per section (:data:`SECTIONS`), each reading the :class:`~migrator.plan_model.PlanDocument`.
Every diagram has a table twin with the same data (clients without JavaScript show Mermaid's source), every
piece of inventory text is escaped, and long lists are capped with "and N more" (the full data is in plan.json
and waves.csv).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from migrator.azure.confidence import star_text, whole_percent
from migrator.conditions import RULES
from migrator.outputs import footprint_md, md_table, mermaid
from migrator.outputs.escape import md_text
from migrator.outputs.text import kind_label, plural
from migrator.outputs.wave_pages import WAVE_DIR, rating_text, wave_path
from migrator.plan_model import (
    ConfidenceRating,
    FootprintTarget,
    PlanDocument,
    Summary,
)

if TYPE_CHECKING:
    from migrator.document import PlanResult

MAX_SERVER_ROWS = 200
MAX_CROSS_ROWS = 100
MAX_WAVE_ROWS = 1_000  # the wave table's rows (about 110 bytes each): PLAN.md stays under 500 KB
OPEN_ROWS = 15  # longer lists are collapsed in <details>
NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
NOT_READY = {
    "Not ready": 0,
    "Unknown": 1,
    "Ready with conditions": 2,
}  # readiness PLAN.md lists, in its order


def _num(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "unknown"
    return f"{x:,.{digits}f}"


def _money(x: float | None, currency: str = "USD") -> str:
    return "unknown" if x is None else f"{x:,.2f} {currency}"


def _table(headers: list[str], rows: Sequence[Sequence[Any]]) -> str:
    return mermaid.table(headers, rows)


def _more(total: int, shown: int, where: str) -> str:
    return f"\n_and {total - shown:,} more — see {where}._\n" if total > shown else ""


def _verdict(t: FootprintTarget) -> str:
    """'**met**, reached in 2028-05' or '**not met**'."""
    verdict = "**met**" if t.met else "**not met**"
    return verdict + (f", reached in {t.reached_on}" if t.reached_on else "")


def _what_it_takes(t: FootprintTarget) -> str:
    """One sentence: the room a met target leaves, or the changes (one knob at a time) that meet a missed one
    (plan.json ``footprint.target.to_meet``)."""
    if t.met:
        if t.slack_months is None or t.latest_start is None:
            return ""
        months = f"{t.slack_months} month{'s' if t.slack_months != 1 else ''}"
        return f" It is met {months} early: the waves could start as late as {t.latest_start}."
    found = [_change(c.setting, c.value) for c in t.to_meet if c.value is not None]
    if not found:
        return " No change of wave size, cadence or start alone meets it." if t.to_meet else ""
    listed = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " or " + found[-1]
    return f" Any one of these meets it: {listed}."


def _change(setting: str, value: int | str | None) -> str:
    if setting == "capacity.max_servers" and isinstance(value, int):
        return f"{value:,} servers a wave (vCPU and storage limits in proportion)"
    if setting == "calendar.cadence_weeks":
        return "a wave every week" if value == 1 else f"a wave every {value} weeks"
    if setting == "calendar.start":
        return f"a start on {value}"
    return f"{setting} = {value}"


def _currency(doc: PlanDocument) -> str:
    return doc.sizing.catalog.currency if doc.sizing is not None else "USD"


Section = Callable[[PlanDocument], list[str]]


def _crossing_share(s: Summary) -> str:
    """The share of dependency weight between planned servers crossing waves, and the greedy schedule's."""
    if s.cross_wave_weight_share is None:
        return "-"
    o = s.optimisation
    if o is None or not o.enabled:
        return f"{s.cross_wave_weight_share:.1%} (optimisation off)"
    return (
        f"{s.cross_wave_weight_share:.1%} (greedy schedule {o.share_before:.1%}; at least "
        f"{o.share_lower_bound:.1%} in any plan keeping capacity, pins and production apart from dev/test; "
        f"optimisation moved "
        f"{o.moves + 2 * o.swaps:,} move-group units)"
    )


def render_markdown(doc: PlanDocument) -> str:
    return _joined([block for section in SECTIONS for block in section(doc)])


def _joined(out: list[str]) -> str:
    """The sections' blocks as one text: never more than one blank line in a row, one newline at the end."""
    text = "\n".join(out)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip("\n") + "\n"


def _title(doc: PlanDocument) -> list[str]:
    """The headline: target and verdict, cost, conditions, then the plan in one line."""
    s, fp = doc.summary, doc.footprint
    t = fp.target
    projected = 1 - t.remaining_at_target_date / fp.baseline if fp.baseline else 0
    out = [
        "# Migration plan\n",
        f"<!-- generated by migrator {doc.generator.version} (plan.json schema {doc.schema_version}); "
        "edit the inputs, not this file -->\n",
        f"> **Target**: reduce the footprint ({fp.unit}) by {t.reduction:.0%} by {t.by} — {_verdict(t)}. "
        f"Projected reduction on {t.by}: {projected:.1%}; "
        f"the best any schedule can reach with what is retained: {t.max_achievable:.1%}."
        f"{_what_it_takes(t)}\n>",
    ]
    if doc.sizing is not None:
        out.append(
            f"> **Cost**: {_money(s.monthly_cost, _currency(doc))} a month on Azure (pay-as-you-go) once "
            "every wave has landed; see [Azure cost](#azure-cost).\n>"
        )
    conditions = (
        f"{plural(s.violations, 'place')} where a planning condition could not be met "
        f"({s.critical_violations:,} critical); see [Conditions not met](#conditions-not-met)."
        if s.violations
        else "every planning condition is met."
    )
    out.append(f"> **Conditions**: {conditions}\n>")
    out.append(
        f"> **Plan**: {plural(s.migrating, 'server')} migrating in {plural(s.waves, 'wave')}, "
        f"{s.first_wave_start or '-'} to {s.last_wave_end or '-'}; each wave has its page under "
        f"`{WAVE_DIR}/`.\n"
    )
    return out


def _summary(doc: PlanDocument) -> list[str]:
    s, fp = doc.summary, doc.footprint
    t = fp.target
    rows = [
        ["Servers in the inventory", f"{s.servers:,}"],
        ["Migrating (rehost, replatform, refactor, repurchase)", f"{s.migrating:,}"],
        ["Retiring (decommissioned, not migrated)", f"{s.retiring:,}"],
        ["Retained on premises", f"{s.retained:,}"],
        ["Shared services planned apart", f"{s.shared_services:,}"],
        ["Move groups", f"{s.move_groups:,}"],
        ["Waves", f"{s.waves:,}"],
        ["Schedule", f"{s.first_wave_start or '-'} to {s.last_wave_end or '-'}"],
        ["vCPU / storage moved", f"{_num(s.vcpus)} vCPU / {_num(s.storage_gb)} GiB"],
        [
            "Dependencies crossing waves (server pairs)",
            f"{s.cross_wave_dependencies:,} temporary, {s.permanent_hybrid_dependencies:,} permanent "
            "(to servers that stay)",
        ],
        ["Dependency weight crossing waves", _crossing_share(s)],
        ["Conditions not met", f"{s.violations:,} ({s.critical_violations:,} critical)"],
        [
            f"Footprint ({fp.unit})",
            f"{_num(fp.baseline, 1)} today, {_num(t.remaining_at_target_date, 1)} on {t.by}, "
            f"at best {_num(t.minimum_remaining, 1)}",
        ],
    ]
    if doc.sizing is not None:
        rows.append(
            ["Azure run-rate after the last wave (pay-as-you-go)", _money(s.monthly_cost, _currency(doc))]
        )
    if s.confidence_rating is not None:
        rows.append(["Confidence rating (sizing data, Azure Migrate's)", _rating_text(s.confidence_rating)])
    return ["## Summary\n", _table(["", ""], rows)]


def _rating_cell(r: ConfidenceRating | None) -> str:
    """Azure Migrate's confidence rating (sizing data) in a cell: stars, share of data points available."""
    if r is None:
        return "-"
    return "n/a (as on premises)" if r.stars is None else f"{star_text(r.stars)} {_pct(r.data_available)}"


def _pct(share: float) -> str:
    return f"{int(whole_percent(share))}%"


def _rating_text(r: ConfidenceRating) -> str:
    return rating_text(r)  # the wave pages' words


def _conditions(doc: PlanDocument) -> list[str]:
    """The planning conditions (the registry's, in priority order) and where the plan breaks them."""
    out = ["## Conditions not met\n"]
    viol = doc.violations
    if not viol:
        count = NUMBER_WORDS[len(RULES)] if len(RULES) < len(NUMBER_WORDS) else f"{len(RULES)}"
        return [*out, f"All {count} planning conditions are met.\n"]
    out.append(
        "The conditions are Azure Migrate's wave-planning conditions, in priority order. A condition is "
        "broken only where a higher one, a pin or a capacity limit forced it.\n"
    )
    counts: dict[int, int] = defaultdict(int)
    for v in viol:
        counts[v.condition] += 1
    out.append(_table(["#", "Condition", "Broken"], [[c, RULES[c], counts.get(c, 0)] for c in sorted(RULES)]))
    shown = viol[:MAX_CROSS_ROWS]
    listed = _table(
        ["#", "Waves", "What"], [[v.condition, ", ".join(map(str, v.waves)), v.message] for v in shown]
    ) + _more(len(viol), len(shown), "plan.json `violations`")
    out.append(listed if len(viol) <= OPEN_ROWS else md_table.details(plural(len(viol), "place"), listed))
    return out


# Schedule and waves


def _gantt(doc: PlanDocument) -> list[str]:
    """The waves on the calendar, with the freeze windows and the target date."""
    freezes = doc.settings.get("calendar", {}).get("freeze", [])
    t = doc.footprint.target
    target = [(f"Target: {t.reduction:.0%} less {doc.footprint.unit}", t.by)]
    return ["## Schedule\n", mermaid.gantt(doc.waves, freezes, milestones=target)]


def _wave_table(doc: PlanDocument) -> list[str]:
    """One row per wave (the gantt chart's table twin), each linking to the wave's page."""
    shown = doc.waves[:MAX_WAVE_ROWS]
    cur = _currency(doc)
    sized = doc.sizing is not None
    headers = ["Wave", "Kind", "Start", "End", "Servers", "vCPU", "Storage (GiB)", "Risk"]
    headers += [
        "Confidence (planning)",
        *(["Rating (sizing data)", f"Adds a month ({cur})"] if sized else []),
    ]
    rows = [
        [
            f"[{w.number}]({wave_path(w.number)})",
            kind_label(w.kind),
            w.start,
            w.end,
            f"{w.servers:,}",
            _num(w.vcpus),
            _num(w.storage_gb),
            w.risk.level,
            w.confidence.level,
            *(
                [_rating_cell(w.confidence_rating), _num(w.cost.monthly_payg if w.cost else None, 2)]
                if sized
                else []
            ),
        ]
        for w in shown
    ]
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else []
    escaped = [columns[0], *(md_table.md_column(c) for c in columns[1:])] if columns else []
    out = [
        "## Waves\n",
        f"{plural(len(doc.waves), 'wave')}; each number opens the wave's page (its move groups, "
        "dependencies, servers, and the reasons for its risk and confidence). Risk and confidence "
        "(planning) are migrator's scores; the rating (sizing data) is Azure Migrate's confidence rating, "
        "1 to 5 stars by the share of the data points performance-based sizing needs that the inventory has "
        "(0-20% 1 star, 21-40% 2, 41-60% 3, 61-80% 4, 81-100% 5); the cost is the pay-as-you-go run-rate "
        "the wave adds once it has landed.\n",
        md_table.table_of_columns(headers, escaped),
    ]
    if len(doc.waves) > len(shown):
        out.append(
            f"_and {len(doc.waves) - len(shown):,} more waves, each with its page in `{WAVE_DIR}/` and its "
            "servers in waves.csv._\n"
        )
    return out


# Azure cost and readiness


def _cost(doc: PlanDocument) -> list[str]:
    if doc.cost is None:
        return []
    tot = doc.cost.totals
    cat = doc.sizing.catalog if doc.sizing is not None else None
    cur = tot.currency
    snap = cat.snapshot if cat is not None else {}
    no_reservation = " (not every size has a known reservation price)"
    rows = [
        ["Pay-as-you-go", _money(tot.monthly_payg, cur)],
        ["With Azure Hybrid Benefit (as configured)", _money(tot.monthly_ahb, cur)],
        [
            "1-year reservations",
            _money(tot.monthly_1y, cur) + ("" if tot.monthly_1y is not None else no_reservation),
        ],
        [
            "3-year reservations",
            _money(tot.monthly_3y, cur) + ("" if tot.monthly_3y is not None else no_reservation),
        ],
        ["Managed disks", _money(tot.monthly_storage, cur)],
        ["Servers priced / not priced", f"{tot.priced_servers} / {tot.unpriced_servers}"],
    ]
    section = [
        "## Azure cost\n",
        f"Catalog: {md_text(cat.origin if cat else '')}, region **{md_text(cat.region if cat else '')}**, "
        f"VM prices of {snap.get('prices', 'unknown date')}, sizes of {snap.get('skus', 'unknown date')}. "
        f"Compute only, {cur} a month (730 hours); "
        f"disk prices: {md_text((cat.disk_prices if cat else None) or 'from the catalog')}.\n",
        _table(["Monthly run-rate once every wave has landed", ""], rows),
        "What each wave adds is in the wave table below and on the wave's page.\n",
    ]
    return ["\n".join(section)]


def _readiness(doc: PlanDocument) -> list[str]:
    if doc.cost is None:
        return []
    f = _frame(doc.servers, ["name", "wave", "readiness", "readiness_reason", "azure_size"])
    rank = f["readiness"].map(NOT_READY)
    issues = f[rank.notna()].assign(_rank=rank[rank.notna()], _wave=pd.to_numeric(f["wave"]).fillna(0))
    lines = ["## Servers that cannot move as planned\n"]
    if issues.empty:
        return ["\n".join([*lines, "Every migrating server is Ready for Azure.\n"])]
    counts = issues["readiness"].value_counts()
    lines.append(", ".join(f"{counts[k]:,} {k.lower()}" for k in NOT_READY if k in counts) + ".\n")
    shown = issues.sort_values(["_rank", "_wave", "name"], kind="mergesort").head(MAX_SERVER_ROWS)
    listed = _table(
        ["Server", "Wave", "Readiness", "Why", "Azure size"],
        [
            [name, wave, ready, why or "", size or "none"]
            for name, wave, ready, why, size in zip(
                *(shown[c].tolist() for c in ("name", "wave", "readiness", "readiness_reason", "azure_size")),
                strict=True,
            )
        ],
    ) + _more(len(issues), len(shown), "waves.csv")
    lines.append(md_table.details(plural(len(issues), "server"), listed))
    return ["\n".join(lines)]


def _frame(table: Any, names: Sequence[str]) -> pd.DataFrame:
    """Columns of a plan table (:class:`~migrator.plan_model.Table`), each holding its values as they are:
    a section reads columns, never 100,000s of records."""
    return pd.DataFrame({n: pd.Series(table.column(n), dtype=object) for n in names})


# Dependencies


def _cross_wave(doc: PlanDocument) -> list[str]:
    out = ["## Dependencies that cross waves\n"]
    t: Any = doc.cross_wave_dependencies
    kind = np.asarray(t.column("kind"), dtype=object)
    temp, perm = np.flatnonzero(kind == "temporary"), np.flatnonzero(kind == "permanent")
    if not len(temp):
        out.append("No dependency between migrating servers crosses a wave boundary.\n")
    else:
        out.extend(_temporary(t, temp))
    if len(perm):
        out.extend(_permanent(t, perm))
    return out


def _systems(doc: PlanDocument) -> list[str]:
    """Coupled systems (applications exchanging heavy traffic) and the waves each spans; none, no section."""
    if not doc.systems:
        return []
    out = [
        "## Coupled systems\n",
        f"{len(doc.systems):,} groups of applications exchange most of their cross-application traffic "
        "with each other; the scheduler keeps each system's move groups in the same or adjacent waves when "
        "capacity allows (dev/test and production instances move in their own waves).\n",
    ]
    shown = doc.systems[:MAX_CROSS_ROWS]
    rows = [
        [
            s.name,
            ", ".join(s.applications),
            _wave_span(s.waves),
            _num(s.crossing_weight),
            _num(s.internal_weight),
        ]
        for s in shown
    ]
    headers = [
        "System",
        "Applications",
        "Waves",
        "Weight crossing waves inside it",
        "Weight between its apps",
    ]
    return [*out, _table(headers, rows), _more(len(doc.systems), len(shown), "plan.json")]


def _wave_span(waves: list[int]) -> str:
    """Waves as runs: 3-5, 8."""
    runs: list[list[int]] = []
    for w in waves:
        if runs and w == runs[-1][-1] + 1:
            runs[-1].append(w)
        else:
            runs.append([w])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs) or "none"


def _column(table: Any, name: str, rows: np.ndarray) -> np.ndarray:
    """Some rows of a plan table's column, as an object array (lists stay cells)."""
    return pd.Series(table.column(name), dtype=object).to_numpy()[rows]


def _pair_rows(t: Any, rows: np.ndarray, names: Sequence[str]) -> list[list[Any]]:
    """The given rows of a table (positions; a few), the named columns each."""
    return [list(r) for r in zip(*(_column(t, n, rows).tolist() for n in names), strict=True)]


@dataclass(frozen=True)
class _WavePairs:
    """Temporary cross-wave server pairs added up by (source wave, target wave), in the order each pair of
    waves first appears; connections summed in row order, as a running total would."""

    waves: tuple[np.ndarray, np.ndarray]  # each pair of waves' values as the table holds them (None too)
    pairs: np.ndarray
    connections: np.ndarray
    days: np.ndarray  # the longest hybrid time of any of its server pairs
    ports: tuple[np.ndarray, np.ndarray]  # (pair, port), each once, sorted

    @classmethod
    def of(cls, t: Any, temp: np.ndarray) -> _WavePairs:
        source, target = _column(t, "source_wave", temp), _column(t, "target_wave", temp)
        a = pd.to_numeric(pd.Series(source)).fillna(-1).to_numpy(dtype=np.int64) + 1
        b = pd.to_numeric(pd.Series(target)).fillna(-1).to_numpy(dtype=np.int64) + 1
        codes, _ = pd.factorize(a * (int(b.max()) + 1) + b, sort=False)
        n = int(codes.max()) + 1
        first = np.zeros(n, dtype=np.int64)
        first[codes[::-1]] = np.arange(len(codes))[::-1]
        weights = np.asarray(t.column("connections"), dtype=float)[temp]
        hybrid = pd.to_numeric(pd.Series(_column(t, "hybrid_days", temp))).fillna(0).to_numpy(dtype=np.int64)
        days = np.zeros(n, dtype=np.int64)
        np.maximum.at(days, codes, hybrid)
        listed = pd.Series(_column(t, "ports", temp), dtype=object).explode()
        known = listed.notna().to_numpy()
        key = np.unique(
            codes[listed.index.to_numpy()[known]] * 65536 + listed[known].to_numpy(dtype=np.int64)
        )
        return cls(
            waves=(source[first], target[first]),
            pairs=np.bincount(codes, minlength=n),
            connections=np.bincount(codes, weights=weights, minlength=n),
            days=days,
            ports=(key // 65536, key % 65536),
        )

    def ports_of(self, i: int) -> list[int]:
        pair, port = self.ports
        a, b = np.searchsorted(pair, [i, i + 1])
        return port[a:b].tolist()

    def busiest(self, limit: int) -> list[int]:
        """The ``limit`` pairs of waves with the most connections (then by wave), in wave order."""
        a, b = (pd.to_numeric(pd.Series(w)).fillna(0).to_numpy() for w in self.waves)  # no wave: 0
        top = np.lexsort((b, a, -self.connections))[:limit]
        return top[np.lexsort((b[top], a[top]))].tolist()


def _temporary(t: Any, temp: np.ndarray) -> list[str]:
    agg = _WavePairs.of(t, temp)
    headers = ["From wave (source)", "To wave (target)", "Server pairs", "Connections", "Ports"]
    by_waves = [
        [
            agg.waves[0][i],
            agg.waves[1][i],
            f"{int(agg.pairs[i]):,}",
            _num(float(agg.connections[i])),
            _ports(agg.ports_of(i), 12, " ..."),
            int(agg.days[i]),
        ]
        for i in agg.busiest(MAX_CROSS_ROWS)
    ]
    columns = ["source", "source_wave", "target", "target_wave", "ports", "connections", "hybrid_days"]
    server_pairs = [
        [s, sw, d, dw, _ports(ports), _num(c), days]
        for s, sw, d, dw, ports, c, days in _pair_rows(t, temp[:MAX_CROSS_ROWS], columns)
    ]
    return [
        "While the first side has moved and the other has not, this traffic runs between Azure and the data "
        "center (plan network capacity, latency and firewall rules for it). Shared services are listed "
        "separately.\n",
        md_table.details(
            f"Pairs of waves ({len(agg.pairs):,})",
            _table([*headers, "Hybrid for up to (days)"], by_waves)
            + _more(len(agg.pairs), len(by_waves), "plan.json `cross_wave_dependencies`"),
        ),
        f"<details><summary>Server pairs, busiest first ({len(temp):,})</summary>\n",
        _table(["Source", "Wave", "Target", "Wave", "Ports", "Connections", "Hybrid days"], server_pairs),
        _more(len(temp), min(len(temp), MAX_CROSS_ROWS), "plan.json `cross_wave_dependencies`"),
        "</details>\n",
    ]


def _ports(ports: Sequence[int], limit: int = 8, more: str = "") -> str:
    return ", ".join(str(p) for p in ports[:limit]) + (more if len(ports) > limit else "")


def _permanent(t: Any, perm: np.ndarray) -> list[str]:
    def wave(w: int | None) -> int | str:
        return w if w is not None else "stays"

    columns = ["source", "source_wave", "target", "target_wave", "ports", "connections"]
    rows = [
        [s, wave(sw), d, wave(dw), _ports(ports), _num(c)]
        for s, sw, d, dw, ports, c in _pair_rows(t, perm[:MAX_CROSS_ROWS], columns)
    ]
    return [
        f"**Permanent hybrid traffic**: {len(perm):,} server pairs connect a migrating server with one that "
        "stays on premises (retained, or a shared service kept on premises).\n",
        "<details><summary>Server pairs</summary>\n",
        _table(["Source", "Wave", "Target", "Wave", "Ports", "Connections"], rows),
        _more(len(perm), min(len(perm), MAX_CROSS_ROWS), "plan.json `cross_wave_dependencies`"),
        "</details>\n",
    ]


def _shared_services(doc: PlanDocument) -> list[str]:
    out = ["## Shared services\n"]
    hubs = doc.shared_services
    if not hubs:
        return [*out, "No shared-service hub was declared (role column) or detected.\n"]
    share = doc.settings["shared_services"]["application_share"]
    out.append(
        "Servers that talk to a large part of the estate (domain controllers, DNS, monitoring, backup, "
        "patching) would glue every application into one move group. They are planned apart: a role column "
        "declares them, the dependency graph finds the rest "
        f"(peers spanning at least {share:.0%} of the applications).\n"
    )
    headers = ["Server", "Role", "Found by", "Peers", "Applications", "Ports", "Handling"]
    rows = [
        [
            h.server,
            h.role,
            h.detected_by,
            h.dependants,
            h.applications,
            ", ".join(map(str, h.top_ports)),
            h.handling,
            h.decommission_date or "never (still needed on premises)",
        ]
        for h in hubs[:MAX_CROSS_ROWS]
    ]
    listed = _table([*headers, "On-premises copy decommissioned"], rows)
    listed += _more(len(hubs), len(rows), "plan.json `shared_services`")
    many = len(rows) > OPEN_ROWS
    out.append(md_table.details(plural(len(hubs), "shared service"), listed) if many else listed)
    return out


def _external_endpoints(doc: PlanDocument) -> list[str]:
    ext = doc.external_endpoints
    if not ext:
        return []
    kinds: dict[str, int] = defaultdict(int)
    for e in ext:
        kinds[e.kind] += 1
    shown = ext[:MAX_CROSS_ROWS]
    rows = [[e.server, e.address, e.kind, e.direction, _ports(e.ports), _num(e.connections)] for e in shown]
    return [
        "## Endpoints outside the inventory\n",
        "Dependencies on addresses the inventory does not hold: "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        + ". Internet endpoints need egress from Azure; private ones are on-premises systems not inventoried "
        "(check the inventory).\n",
        _table(["Server", "Address", "Kind", "Direction", "Ports", "Connections"], rows),
        _more(len(ext), len(shown), "plan.json `external_endpoints`"),
    ]


# Servers that do not move, footprint, assumptions, findings


def _retired_and_retained(doc: PlanDocument) -> list[str]:
    f = _frame(
        doc.servers, ["name", "application", "environment", "disposition", "decommission_date", "host"]
    )
    retire, retain = f[f["disposition"] == "retire"], f[f["disposition"] == "retain"]
    out = [
        "## Retired and retained servers\n",
        f"{plural(len(retire), 'server')} retired (decommissioned without migration, once nothing that moves "
        f"still uses them) and {len(retain):,} retained on premises (they never free their capacity).\n",
    ]
    if len(retire):
        by_date = retire.assign(_day=retire["decommission_date"].fillna(""))
        shown = by_date.sort_values(["_day", "name"], kind="mergesort").head(MAX_SERVER_ROWS)
        rows = _rows(shown, ["name", "application", "environment", "_day"])
        out += _details(
            "Retired", ["Server", "Application", "Environment", "Decommissioned"], rows, len(retire)
        )
    if len(retain):
        shown = retain.sort_values("name", kind="mergesort").head(MAX_SERVER_ROWS)
        rows = _rows(shown, ["name", "application", "environment", "host"])
        out += _details("Retained", ["Server", "Application", "Environment", "Host"], rows, len(retain))
    return out


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[list[Any]]:
    return [list(r) for r in zip(*(frame[c].tolist() for c in columns), strict=True)]


def _details(summary: str, headers: list[str], rows: list[list[Any]], total: int) -> list[str]:
    return [
        f"<details><summary>{summary}</summary>\n",
        _table(headers, rows),
        _more(total, len(rows), "waves.csv"),
        "</details>\n",
    ]


def _footprint(doc: PlanDocument) -> list[str]:
    fp = doc.footprint
    t, unit = fp.target, fp.unit
    out = [
        "## Footprint\n",
        f"Metric: **{unit}** ({fp.metric}); baseline {_num(fp.baseline, 2)} {unit} "
        f"({plural(fp.units.hosts, 'host')}, {plural(fp.units.physical_servers, 'physical server')}). "
        f"Target: {t.reduction:.0%} by {t.by} — {_verdict(t)}. "
        f"Best achievable given what is retained: {t.max_achievable:.1%} "
        f"({_num(t.minimum_remaining, 2)} {unit} left).\n",
    ]
    if not fp.timeline:
        return out
    run_rate = {r.month: r.monthly_payg for r in doc.cost.run_rate} if doc.cost is not None else {}
    cur = doc.cost.totals.currency if doc.cost is not None else "USD"
    headers = ["Month", f"Remaining ({unit})", "Reduction", "Target met"]
    rows = [
        [
            p.month,
            _num(p.remaining, 2),
            f"{p.reduction:.1%}",
            "yes" if p.reduction >= t.reduction - 1e-9 else "",
            *([_num(run_rate.get(p.month), 2)] if run_rate else []),
        ]
        for p in fp.timeline
    ]
    return [
        *out,
        "![Footprint burn-down: remaining footprint by month against the target line](footprint.png)\n",
        md_table.details(
            f"Remaining footprint by month ({plural(len(rows), 'month')})",
            _table([*headers, *([f"Azure run-rate ({cur} a month, PAYG)"] if run_rate else [])], rows),
        ),
    ]


def _assumptions(doc: PlanDocument) -> list[str]:
    out = ["## Assumptions\n", *(f"- {md_text(a)}" for a in doc.assumptions), ""]
    if doc.sizing is not None:
        out += [*(f"- {md_text(a)}" for a in doc.sizing.assumptions), ""]
    settings = json.dumps(doc.settings, indent=2, sort_keys=True).replace("`", "'")
    inputs = ", ".join(f"`{md_text(i.path)}` ({i.format} {i.table}, {i.rows:,} rows)" for i in doc.inputs)
    return [
        *out,
        "<details><summary>Settings in force</summary>\n",
        "```json\n" + settings + "\n```\n",
        "</details>\n",
        "Inputs: " + inputs + ".\n",
    ]


def _findings(doc: PlanDocument) -> list[str]:
    out = ["## Findings\n"]
    if not doc.findings:
        return [*out, "No problems found in the inputs.\n"]
    for f in doc.findings[:MAX_CROSS_ROWS]:
        row = f"row {f.row}" if f.row is not None else ""
        where = ", ".join(x for x in (f.file, row, f"column {f.column}" if f.column else "") if x)
        out.append(
            f"- **{f.severity}** `{f.code}`: " + (f"{md_text(where)}: " if where else "") + md_text(f.message)
        )
    out.append(_more(len(doc.findings), min(len(doc.findings), MAX_CROSS_ROWS), "plan.json `findings`"))
    return out


SECTIONS: tuple[Section, ...] = (
    _title,  # the headline: target, cost, conditions
    _summary,
    _conditions,
    _gantt,
    _footprint,  # footprint and data-center exits: their sections follow it
    footprint_md.datacenters,
    footprint_md.consolidation_moves,
    _cost,
    _wave_table,
    _readiness,
    _cross_wave,
    _systems,
    _shared_services,
    _external_endpoints,
    _retired_and_retained,
    _findings,
    _assumptions,
)
"""PLAN.md's sections, in order."""

REACH_SECTIONS = frozenset({_title})
"""The sections that show what the reach stage found (the headline's sentence on what it takes)."""


class PlanMarkdown:
    filename = "PLAN.md"

    def render(self, result: PlanResult) -> bytes:
        return self.render_later(result)()

    def render_later(self, result: PlanResult) -> Callable[[], bytes]:
        """PLAN.md in two steps: the sections that show nothing of the reach stage rendered now from the plan
        without it (the stage may still be running beside); the returned function adds the headline from the
        whole plan once the stage is done."""
        early = {s: s(result.draft) for s in SECTIONS if s not in REACH_SECTIONS}

        def finish() -> bytes:
            blocks = [block for s in SECTIONS for block in (early[s] if s in early else s(result.document))]
            return _joined(blocks).encode("utf-8")

        return finish


__all__ = ["SECTIONS", "PlanMarkdown", "render_markdown"]
