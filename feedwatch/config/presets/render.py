"""A preset written out as the [[feeds]] table it stands for, to read, copy and edit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tomlkit
import tomlkit.items

from feedwatch.config.presets import PRESETS, Preset


def expanded_toml(preset: Preset, symbols: Sequence[str] | None = None) -> str:
    """The complete [[feeds]] table a preset fills in, so nothing it does is hidden."""
    chosen = list(symbols) if symbols else list(preset.example_symbols)
    table = tomlkit.table()
    table.add("name", preset.name)
    table.add("stale_after", "30s")
    table["stale_after"].comment("choose for your markets: the quietest one must trade within it")
    for key, value in preset.build(chosen).items():
        table.add(key, _rule_item(value))
    document = tomlkit.document()
    document.add(tomlkit.comment(f"preset {preset.name}: {preset.summary}"))
    document.add(tomlkit.comment(f"follows {preset.docs}"))
    document.add(tomlkit.comment(f"symbols = {tomlkit.item(chosen).as_string()}"))
    feeds = tomlkit.aot()
    feeds.append(table)
    document.add("feeds", feeds)
    return tomlkit.dumps(document)


def preset_list() -> str:
    """One line per preset: its name, exchange and what it watches."""
    width = max(len(name) for name in PRESETS)
    return "\n".join(
        f"{preset.name:<{width}}  {preset.exchange:<8}  {preset.summary}"
        for preset in PRESETS.values()
    )


def _rule_item(value: Any) -> Any:
    """A rule as its own table, a list of rules ([[feeds.reply]]) as tables, the rest as is."""
    if isinstance(value, dict):
        return _inline_rules(value)
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        rules = tomlkit.aot()
        for item in value:
            rules.append(_inline_rules(item))
        return rules
    return _readable(value)


def _inline_rules(rule: dict[str, Any]) -> tomlkit.items.Table:
    """A rule table whose own tables (a json matcher) stay on one line."""
    table = tomlkit.table()
    for key, value in rule.items():
        if isinstance(value, dict):
            inline = tomlkit.inline_table()
            inline.update(value)
            table.add(key, inline)
        else:
            table.add(key, _readable(value))
    return table


def _readable(value: Any) -> Any:
    """JSON text and regexes as 'literal' strings, so they read without backslashes."""
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(_readable(item) for item in value)
        return array
    if isinstance(value, str) and ('"' in value or "\\" in value) and "'" not in value:
        return tomlkit.string(value, literal=True)
    return value
