"""The review document on recorded diffs is unchanged byte for byte (analyzer times zeroed)."""

from __future__ import annotations

import pytest

from tests import golden


@pytest.mark.parametrize("name", golden.cases())
def test_review_document_matches_the_golden_file(name: str) -> None:
    expected = (golden.GOLDEN / f"{name}.review.json").read_text(encoding="utf-8")
    assert golden.review(name) == expected
