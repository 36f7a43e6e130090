"""Argument types shared by the command-line scripts (generated from dataclasses by tyro)."""

from __future__ import annotations

import json
import re
from typing import Annotated

from tyro.constructors import PrimitiveConstructorSpec


def json_object(text: str) -> dict:
    """A JSON object from the command line, or a clear error."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"{text!r} must be a JSON object, e.g. '{{\"horizon\": 500}}'")
    return value


JsonObject = Annotated[
    dict,
    PrimitiveConstructorSpec(
        nargs=1,
        metavar="JSON",
        instance_from_str=lambda args: json_object(args[0]),
        is_instance=lambda value: isinstance(value, dict),
        str_from_instance=lambda value: [json.dumps(value)],
    ),
]
"""A dict given as one JSON object on the command line."""


def plain(docstring: str) -> str:
    """A module docstring as plain text for ``--help``: Sphinx roles and double backquotes removed."""
    return re.sub(r":\w+:`~?([^`]+)`", r"\1", docstring).replace("``", "")
