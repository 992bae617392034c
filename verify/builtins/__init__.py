"""The builtins model, one module per family (like CrossHair's libimpl/): numbers, folds
over iterables, containers, objects, and the methods of lists, strings, dicts and random
sources. Each function gets the executor, the call node, the path and the line."""

from __future__ import annotations

from verify.builtins.common import Builtin
from verify.builtins.containers import CONTAINERS
from verify.builtins.folds import FOLDS
from verify.builtins.numbers import NUMBERS
from verify.builtins.objects import OBJECTS

BUILTINS: dict[str, Builtin] = {**CONTAINERS, **FOLDS, **NUMBERS, **OBJECTS}
