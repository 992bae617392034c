"""The bug families and repair kinds: the labels training writes and inference reads. Shared by
both, so inference never imports the injector or the training-data code."""

from __future__ import annotations

FAMILY_WEIGHTS: dict[str, float] = {
    "wrong-identifier": 237,
    "wrong-operand": 174,
    "missing-argument": 150,
    "extra-argument": 50,
    "wrong-function": 134,
    "missing-wrapping-call": 117,
    "wrong-attribute": 104,
    "wrong-literal": 97,
    "condition-clause-dropped": 68,
    "condition-clause-added": 22,
    "missing-method-call": 60,
    "wrong-boolean": 37,
    "wrong-operator": 29,
    "wrong-caller": 25,
    "wrong-keyword": 20,
    "negation": 15,
    "swapped-arguments": 8,
    "wrong-comparison": 40,  # not in the TSSB list; weighted like its neighbours
}
FAMILIES = tuple(FAMILY_WEIGHTS)

# The repair is a single token (or operator) to put back for these families.
TOKEN_REPAIR = frozenset(
    {
        "wrong-identifier",
        "wrong-operand",
        "wrong-function",
        "wrong-attribute",
        "wrong-literal",
        "wrong-boolean",
        "wrong-operator",
        "wrong-caller",
        "wrong-keyword",
        "wrong-comparison",
    }
)
