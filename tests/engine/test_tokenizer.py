"""The fix model's tokenizer is exact: any text encodes and decodes back to itself."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.model.tokenizer import Tokenizer, pre_tokens
from tests.engine.helpers import tiny


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_round_trips(text: str) -> None:
    tokenizer = tiny().tokenizer
    assert "".join(pre_tokens(text)) == text
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_code_round_trips_and_merges_are_used() -> None:
    tokenizer = tiny().tokenizer
    code = "def f(x):\n    if x <= 10:\n        return x + 1\r\n\treturn 'é😀'\n"
    ids = tokenizer.encode(code)
    assert tokenizer.decode(ids) == code
    assert len(ids) < len(code.encode("utf-8"))  # merges shorten the sequence


def test_save_and_load_keep_the_encoding(tmp_path) -> None:
    tokenizer = tiny().tokenizer
    tokenizer.save(tmp_path / "t.json")
    again = Tokenizer.load(tmp_path / "t.json")
    text = "    return self.render(task, budget)\n"
    assert again.encode(text) == tokenizer.encode(text)
