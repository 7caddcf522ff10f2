"""Reading YAML safely: the one loader behind every YAML file quotabook reads (settings, packs, source
mappings, currency rates, the metric catalog).

``yaml.safe_load`` refuses to build objects, but not to expand aliases: a file of a few hundred bytes with
nested anchors (ten levels of nine aliases each) stands for billions of values and takes gigabytes and
minutes to load. Here the document is composed first (cheap: an alias is a pointer to a node already
read), its expanded size is counted over the node graph without expanding anything, and a file that
would expand to more than :data:`MAX_VALUES` values, or refers to itself, is refused with a
:class:`~quotabook.errors.ConfigError` naming the file, before anything is built.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from .errors import ConfigError

__all__ = ["MAX_VALUES", "check_expansion", "safe_load"]

#: The most values (scalars, lists, mappings, counted with every alias expanded) a YAML file may stand for.
#: The largest file the project ships (the metric catalog) holds about 3,000.
MAX_VALUES = 200_000

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_expansion(node: yaml.Node | None, file: str | os.PathLike | None = None,
                    limit: int = MAX_VALUES) -> int:
    """The number of values ``node`` stands for with every alias expanded (each shared node is counted once
    per use, but visited once); raise :class:`ConfigError` naming ``file`` beyond ``limit`` or when an alias
    refers to a node that contains it."""
    if node is None:
        return 0
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        key = id(current)
        if done:
            open_nodes.discard(key)
            sizes[key] = min(limit + 1, 1 + sum(sizes[id(c)] for c in _children(current)))
            if sizes[key] > limit:
                raise ConfigError(f"its aliases (*name) expand to more than {limit:,} values; a settings file "
                                  "this large is refused (an alias bomb?) — write the values out or use fewer "
                                  "nested aliases", file=str(file) if file else None)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            line = current.start_mark.line + 1
            raise ConfigError(f"an alias at line {line} refers to a value that contains it (recursive aliases "
                              "are not allowed)", file=str(file) if file else None)
        open_nodes.add(key)
        stack.append((current, True))
        stack.extend((child, False) for child in _children(current) if id(child) not in sizes)
    return sizes[id(node)]


def safe_load(text: str, *, file: str | os.PathLike | None = None) -> Any:
    """``yaml.safe_load(text)`` with aliases bounded (see the module docstring).

    Raises
    ------
    yaml.YAMLError
        The text is not valid YAML (callers add the file to the message).
    ConfigError
        The aliases would expand beyond :data:`MAX_VALUES` values, or recurse.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_expansion(node, file)
        return loader.construct_document(node)
    finally:
        loader.dispose()
