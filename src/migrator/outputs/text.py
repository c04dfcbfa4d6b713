"""The plan's words and numbers, one way everywhere (PLAN.md, the wave pages, and any other view that reuses
them): wave kinds, plurals, numbers with units, money with its currency.

Vocabulary: a wave is a **foundation** wave (shared services extended to Azure first), **dev/test** (every
non-production environment) or **production**; a server that most of the estate talks to is a **shared
service**.
"""

from __future__ import annotations

KIND_LABEL = {
    "foundation": "foundation",
    "nonprod": "dev/test",
    "prod": "production",
    "shared-services": "shared services",
}
"""A wave kind (plan.json ``waves[].kind``) as a reader sees it."""

_IRREGULAR = {
    "dependency": "dependencies",
    "month": "months",
    "day": "days",
    "wave": "waves",
    "server": "servers",
    "shared service": "shared services",
    "move group": "move groups",
    "condition": "conditions",
    "endpoint": "endpoints",
    "system": "systems",
    "week": "weeks",
    "finding": "findings",
    "more": "more",
    "vCPU": "vCPU",
}


def kind_label(kind: str) -> str:
    """``nonprod`` -> ``dev/test``; an unknown kind as it is."""
    return KIND_LABEL.get(kind, kind)


def plural_of(word: str) -> str:
    """The plural of a word the plan uses (``dependency`` -> ``dependencies``); others get an ``s``."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def plural(n: float, word: str, many: str | None = None) -> str:
    """``1 server``, ``2 servers``, ``1,234 servers``; ``many`` overrides the plural form."""
    count = f"{n:,.0f}" if float(n).is_integer() else f"{n:,}"
    return f"{count} {word if n == 1 else (many or plural_of(word))}"


def number(x: float | None, digits: int = 0, unit: str = "") -> str:
    """``12,345`` or ``12,345.6 GiB``; ``unknown`` when there is no value."""
    if x is None or x != x:
        return "unknown"
    text = f"{x:,.{digits}f}"
    if text.startswith("-") and text.strip("-0.,") == "":
        text = text[1:]  # -0 reads as 0
    return f"{text} {unit}" if unit else text


def money(x: float | None, currency: str = "USD") -> str:
    """``102,264.97 USD``; ``unknown`` when the price is not known (never a made-up zero)."""
    return number(x, 2, currency)


def compact(x: float) -> str:
    """A short number for a diagram label: ``950``, ``12.3k``, ``4.5M``."""
    a = abs(x)
    if a >= 999_950:
        return f"{x / 1_000_000:,.1f}M".replace(".0M", "M")
    if a >= 9_999.5:
        return f"{x / 1_000:.0f}k"
    if a >= 999.95:
        return f"{x / 1_000:.1f}k".replace(".0k", "k")
    return f"{x:.0f}" if float(x).is_integer() or a >= 10 else f"{x:.1f}"


def percent(share: float, digits: int = 0) -> str:
    """``0.716`` -> ``72%`` (``71.6%`` with one digit)."""
    return f"{share:.{digits}%}"


__all__ = ["KIND_LABEL", "compact", "kind_label", "money", "number", "percent", "plural", "plural_of"]
