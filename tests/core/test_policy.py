"""`.redline.toml`: every key parsed into the typed policy, every bad value refused with the key
and the file named, overrides per path (later wins), and what fails closed."""

from __future__ import annotations

import pytest

from bot.core.errors import ConfigError
from bot.core.policy import FAIL_CLOSED, Config, Markers, Override, parse_config

FULL = """
paranoia = "high"
fail-on = "warning"
ignore = ["docs/**", "*.md"]
disable = ["entropy"]
max-file-bytes = 2048
max-inline-comments = 3
fail-closed = "all"
max-scan-bytes = 4096

[markers]
words = ["DANGER", "UNSAFE"]
radius = 5
severity = "error"

[semgrep]
rules = ["ci/rules.yml"]
allow = ["sql-injection:legacy/**"]
author-suppressions = ["*"]

[budgets]
semgrep = 30
review = 120.5

[verify]
timeout = 1.5
total = 9

[static]
type-checker = "none"

[llm]
band = [0.2, 0.7]
max-hunks = 7

[[overrides]]
paths = ["tests/**"]
paranoia = "low"
fail-on = "never"
disable = ["markers", "sql-injection"]
"""


def test_defaults() -> None:
    config = parse_config("")
    assert config == Config()
    assert (config.paranoia, config.fail_on, config.fail_closed) == ("default", "error", "rules")
    assert config.max_file_bytes == 1024 * 1024
    assert config.max_scan_bytes == 16 * 1024 * 1024
    assert config.markers == Markers(("DANGEROUS",), 3, "warning")
    assert config.static_type_checker == "mypy" and config.llm_band is None


def test_every_key() -> None:
    config = parse_config(FULL)
    assert config.paranoia == "high"
    assert config.fail_on == "warning"
    assert config.ignore == ("docs/**", "*.md")
    assert config.disable == ("entropy",)
    assert config.max_file_bytes == 2048
    assert config.max_inline_comments == 3
    assert config.fail_closed == "all"
    assert config.max_scan_bytes == 4096
    assert config.markers == Markers(("DANGER", "UNSAFE"), 5, "error")
    assert config.semgrep_rules == ("ci/rules.yml",)
    assert config.semgrep_allow == ("sql-injection:legacy/**",)
    assert config.semgrep_author_suppressions == ("*",)
    assert config.budget("semgrep", 1.0) == 30.0
    assert config.budget("review", 600.0) == 120.5
    assert config.budget("detector", 4.0) == 4.0  # not set: the analyzer's own default
    assert (config.verify_timeout, config.verify_total) == (1.5, 9.0)
    assert config.static_type_checker == "none"
    assert config.llm_band == (0.2, 0.7) and config.llm_max_hunks == 7
    assert config.overrides == (
        Override(("tests/**",), "low", "never", ("markers", "sql-injection")),
    )


def test_a_single_string_is_a_list_of_one() -> None:
    assert parse_config('ignore = "docs/**"').ignore == ("docs/**",)


def test_markers_keys_default_one_by_one() -> None:
    assert parse_config("[markers]\nradius = 0").markers == Markers(("DANGEROUS",), 0, "warning")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('paranoia = "extreme"', "paranoia"),
        ("paranoia = 3", "paranoia"),
        ('fail-on = "note"', "fail-on"),
        ("ignore = [1, 2]", "ignore"),
        ("disable = 5", "disable"),
        ("max-file-bytes = 0", "max-file-bytes"),
        ('max-file-bytes = "1M"', "max-file-bytes"),
        ("max-file-bytes = true", "max-file-bytes"),  # a bool is not a number here
        ("max-inline-comments = 1001", "max-inline-comments"),
        ("max-inline-comments = -1", "max-inline-comments"),
        ('fail-closed = "sometimes"', "fail-closed"),
        ("fail-closed = 1", "fail-closed"),
        ("max-scan-bytes = 0", "max-scan-bytes"),
        ("max-scan-bytes = 3000000000", "max-scan-bytes"),
        ('markers = "DANGEROUS"', "[markers]"),
        ("[markers]\nradius = 201", "markers.radius"),
        ('[markers]\nseverity = "fatal"', "markers.severity"),
        ("[markers]\nwords = [1]", "markers.words"),
        ("[markers]\ncolour = 1", "'colour' in [markers]"),
        ("[semgrep]\nrules = 3", "semgrep.rules"),
        ('[semgrep]\nallow = ["no-glob"]', "semgrep.allow"),
        ('[semgrep]\nallow = [":*.py"]', "semgrep.allow"),
        ("[semgrep]\nauthor-suppressions = [true]", "semgrep.author-suppressions"),
        ("[semgrep]\nconfig = 1", "'config' in [semgrep]"),
        ("[budgets]\nsemgrep = 0", "budgets.semgrep"),
        ("[budgets]\nreview = 4000", "budgets.review"),
        ("[budgets]\nnobody = 3", "'nobody' in [budgets]"),
        ("[verify]\ntimeout = 0", "verify.timeout"),
        ("[verify]\ntotal = 5000", "verify.total"),
        ("[verify]\nsolver = 1", "'solver' in [verify]"),
        ('[static]\ntype-checker = "pyright"', "static.type-checker"),
        ("[static]\nruff = true", "'ruff' in [static]"),
        ("[llm]\nband = [0.5]", "llm.band"),
        ("[llm]\nband = [0.8, 0.2]", "llm.band"),
        ("[llm]\nband = [0.1, 2]", "llm.band"),
        ("[llm]\nmax-hunks = 0", "llm.max-hunks"),
        ("[llm]\nmodel = 1", "'model' in [llm]"),
        ("overrides = 1", "overrides"),
        ("overrides = [1]", "overrides #1"),
        ('[[overrides]]\nparanoia = "low"', "#1 needs `paths`"),
        ('[[overrides]]\npaths = ["a"]\n[[overrides]]\npaths = 1', "overrides.paths"),
        ('[[overrides]]\npaths = ["a"]\nparanoia = "x"', "overrides.paranoia"),
        ('[[overrides]]\npaths = ["a"]\nfail-on = "x"', "overrides.fail-on"),
        ('[[overrides]]\npaths = ["a"]\ndisable = 1', "overrides.disable"),
        ('[[overrides]]\npaths = ["a"]\nignore = 1', "'ignore' in [[overrides]] #1"),
        ("paranioa = 'high'", "'paranioa' in the top level"),
        ("x = 1\nparanoia = = 2", "line 2"),  # TOML syntax: tomllib's message and place
    ],
)
def test_bad_values_name_the_key_and_the_file(text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "repo/.redline.toml")
    message = str(caught.value)
    assert message.startswith("repo/.redline.toml: ")
    assert key in message


def test_the_default_source_name() -> None:
    with pytest.raises(ConfigError, match=r"^\.redline\.toml: "):
        parse_config('paranoia = "extreme"')


def test_unknown_key_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"known: .*fail-closed.*paranoia"):
        parse_config("paranioa = 'high'")


@pytest.mark.parametrize(
    ("value", "mode", "fails_closed"),
    [
        ("true", "all", True),
        ("false", "off", False),
        ('"rules"', "rules", True),
        ('"all"', "all", True),
        ('"off"', "off", False),
    ],
)
def test_fail_closed(value: str, mode: str, fails_closed: bool) -> None:
    config = parse_config(f"fail-closed = {value}")
    assert config.fail_closed == mode
    assert config.fails_closed is fails_closed
    assert mode in FAIL_CLOSED


def test_fail_on_never_does_not_fail_closed() -> None:
    # Nothing fails the gate at `never`, not even a review that could not finish.
    assert parse_config('fail-on = "never"\nfail-closed = "all"').fails_closed is False


OVERRIDES = """
paranoia = "default"
fail-on = "error"
disable = ["entropy"]

[[overrides]]
paths = ["src/**"]
paranoia = "high"
disable = ["markers"]

[[overrides]]
paths = ["src/legacy/**"]
paranoia = "low"
fail-on = "warning"
disable = ["sql-injection"]
"""


def test_overrides_later_ones_win() -> None:
    config = parse_config(OVERRIDES)
    assert config.paranoia_for("app.py") == "default"
    assert config.paranoia_for("src/app.py") == "high"
    assert config.paranoia_for("src/legacy/old.py") == "low"
    assert config.fail_on_for("src/app.py") == "error"  # the first override does not set it
    assert config.fail_on_for("src/legacy/old.py") == "warning"


def test_disables_add_up_across_matching_overrides() -> None:
    config = parse_config(OVERRIDES)
    assert config.disabled_for("app.py") == frozenset({"entropy"})
    assert config.disabled_for("src/app.py") == frozenset({"entropy", "markers"})
    assert config.disabled_for("src/legacy/x.py") == frozenset(
        {"entropy", "markers", "sql-injection"}
    )


def test_cli_flags_override_the_file_and_are_checked() -> None:
    config = parse_config('paranoia = "low"\nfail-on = "warning"')
    assert config.with_cli(None, None) == config
    changed = config.with_cli("max", "never")
    assert (changed.paranoia, changed.fail_on) == ("max", "never")
    assert changed.ignore == config.ignore
    with pytest.raises(ConfigError, match="--paranoia"):
        config.with_cli("paranoid", None)
    with pytest.raises(ConfigError, match="--fail-on"):
        config.with_cli(None, "always")


def test_max_scan_bytes_bounds() -> None:
    assert parse_config("max-scan-bytes = 1").max_scan_bytes == 1
    assert parse_config(f"max-scan-bytes = {2**31}").max_scan_bytes == 2**31
    assert parse_config("max-scan-bytes = 1024.9").max_scan_bytes == 1024  # whole bytes
