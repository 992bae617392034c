"""The host worlds as fixtures (tests/hosts/worlds.py)."""

from tests.hosts.worlds import github_world, gitlab_world

__all__ = ["github_world", "gitlab_world"]
