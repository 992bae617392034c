"""The differential test: random small programs with contracts in the modelled subset, and
the verifier's verdicts compared with Python running them on many inputs. A "proved" that
an input refutes, a refutation that does not replay, or a counterexample outside the
precondition fails (tests/verify/differential.py). A few programs run by default; the
slow marker runs hundreds."""

from __future__ import annotations

import pytest

from tests.verify import differential


def _report(failures: list[differential.Failure]) -> str:
    return "\n\n".join(f"{f.source}\n{f.verdict}\n{f.why}" for f in failures[:3])


def test_verdicts_agree_with_python_on_random_programs() -> None:
    failures, counts = differential.run(programs=8, seed=11, samples=120, timeout=1.0)
    assert not failures, _report(failures)
    assert counts["proved"] and counts["refuted"]  # the programs exercise both verdicts


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_verdicts_agree_with_python_on_many_random_programs(seed: int) -> None:
    failures, counts = differential.run(programs=150, seed=seed, samples=200, timeout=2.0)
    assert not failures, _report(failures)
    assert counts["proved"] > 10 and counts["refuted"] > 10
