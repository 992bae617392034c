"""Spec verification: contracts of Python functions translated to Z3 by symbolic execution."""
