"""How feeds print headlines, for the benchmarks that read claims and headlines rewritten."""

from __future__ import annotations

from collections.abc import Callable


def title_case(text: str) -> str:
    """Every word capitalised, as headline styles print them ("Musk's", not `str.title`'s
    "Musk'S")."""
    return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))


CASES: dict[str, Callable[[str], str]] = {"title": title_case, "upper": str.upper}
