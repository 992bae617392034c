"""The reading order for a change: a relation graph over the changed files, grouped and
ordered so that what comes logically first is read first, with a reason for every step."""

from ordering.facts import OrderInput
from ordering.order import OrderedFile, OrderGroup, Plan, plan_order

__all__ = ["OrderGroup", "OrderInput", "OrderedFile", "Plan", "plan_order"]
