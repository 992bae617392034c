"""The models' lexer and the vocabulary every language model predicts over: tokens sit where
the source has them, layout tokens mark logical lines, and out-of-vocabulary tokens get a
spelling cost."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from review_models.lexer import Token, lex, subwords
from review_models.lm.vocab import BOS, PAD, SPECIALS, UNK, Vocab, token_text

ROOT = Path(__file__).resolve().parents[2]


def kinds(source: str, layout: bool = True) -> list[tuple[str, str]]:
    return [(t.kind, t.text) for t in lex(source, layout=layout)]


@pytest.mark.parametrize(
    "path",
    ["review_models/lexer.py", "review_models/inject.py", "engine/prompt.py", "bot/bench/rules.py"],
)
def test_every_token_is_the_source_text_at_its_line_and_column(path: str) -> None:
    source = (ROOT / path).read_text(encoding="utf-8")
    lines = source.split("\n")
    tokens = [t for t in lex(source) if t.kind not in ("indent", "nl")]
    assert len(tokens) > 100
    for token in tokens:
        if "\n" in token.text:  # a multi-line string starts at its line and column
            assert source.split("\n", token.line - 1)[-1][token.col :].startswith(
                token.text.split("\n", 1)[0]
            )
            continue
        assert lines[token.line - 1][token.col : token.end_col] == token.text, token


def test_the_tokens_hold_every_character_but_whitespace_and_comments() -> None:
    source = "x = f(a,  b)  # note\nif y:\n    z += 0x1f\n"
    text = "".join(t.text for t in lex(source, layout=False))
    assert text == "x=f(a,b)ify:z+=0x1f"


def test_kinds_of_names_keywords_numbers_strings_and_operators() -> None:
    assert kinds("if x is not None: return 1.5e3j", layout=False) == [
        ("keyword", "if"),
        ("name", "x"),
        ("keyword", "is"),
        ("keyword", "not"),
        ("keyword", "None"),
        ("op", ":"),
        ("keyword", "return"),
        ("number", "1.5e3j"),
    ]
    assert kinds("a //= b ** -c -> d := e...", layout=False) == [
        ("name", "a"),
        ("op", "//="),
        ("name", "b"),
        ("op", "**"),
        ("op", "-"),
        ("name", "c"),
        ("op", "->"),
        ("name", "d"),
        ("op", ":="),
        ("name", "e"),
        ("op", "..."),
    ]
    assert kinds("rb'x' f\"{y}\" 0b101 0o17 1_000", layout=False) == [
        ("string", "rb'x'"),
        ("string", 'f"{y}"'),
        ("number", "0b101"),
        ("number", "0o17"),
        ("number", "1_000"),
    ]


def test_content_tokens_are_names_numbers_and_strings() -> None:
    content = [t.text for t in lex("def f(x): return x + 'a' * 2", layout=False) if t.is_content]
    assert content == ["f", "x", "x", "'a'", "2"]


def test_layout_marks_logical_lines_by_indentation_depth() -> None:
    source = "def f(x):\n    if x:\n        return (1,\n            2)\n"
    layout = [t.text for t in lex(source) if t.kind in ("indent", "nl")]
    # The bracket keeps the return statement one logical line over two physical ones.
    assert layout == ["<i0>", "<nl>", "<i1>", "<nl>", "<i2>", "<nl>"]
    assert [t for t in lex(source, layout=False) if t.kind in ("indent", "nl")] == []


def test_a_line_continuation_and_a_multiline_string_keep_the_line_numbers() -> None:
    tokens = lex('s = """a\nb"""\ny = a \\\n  + 1\n', first_line=10)
    names = {t.text: t.line for t in tokens if t.kind in ("name", "number")}
    assert names == {"s": 10, "y": 12, "a": 12, "1": 13}
    plus = next(t for t in tokens if t.text == "+")
    assert (plus.line, plus.col) == (13, 2)


def test_fragments_and_stray_characters_still_lex() -> None:
    # A hunk cut out of a file: an unclosed string, unbalanced brackets, a `$`.
    tokens = lex("    x = 'abc\n  ) $")
    assert [t.kind for t in tokens] == [
        "indent",
        "name",
        "op",
        "string",
        "nl",
        "indent",
        "op",
        "op",
        "nl",
    ]
    assert tokens[3].text == "'abc"
    assert tokens[0].text == "<i1>"


def test_deep_indentation_is_capped() -> None:
    assert lex(" " * 200 + "x")[0].text == "<i12>"


def test_subwords_split_camel_case_acronyms_digits_and_underscores() -> None:
    assert subwords("parseHTTPResponse_code") == ["parse", "http", "response", "code"]
    assert subwords("getX2Y") == ["get", "x", "2", "y"]
    assert subwords("__") == ["__"]


def test_long_strings_collapse_to_their_shape_for_the_model() -> None:
    short = Token("string", "'abc'", 1, 0, 5)
    long = Token("string", "'" + "a" * 40 + "'", 1, 0, 42)
    assert token_text(short) == "'abc'"
    assert token_text(long) == "'a…str"
    number = Token("number", "1" * 30, 1, 0, 30)
    assert token_text(number) == number.text  # only strings collapse


def test_the_vocabulary_keeps_the_most_common_tokens_after_the_specials() -> None:
    streams = [["a", "b", "a", "c"], ["a", "b", "d", "e"]]
    vocab = Vocab.build(streams, size=5)
    assert vocab.tokens[:3] == list(SPECIALS)
    assert vocab.tokens[3:] == ["a", "b"]
    assert len(vocab) == 5
    assert (vocab.id("a"), vocab.id("b"), vocab.id("zzz")) == (3, 4, UNK)
    assert (vocab.id("<pad>"), vocab.id("<bos>")) == (PAD, BOS)


def test_spelling_costs_more_for_longer_and_rarer_spellings() -> None:
    vocab = Vocab.build([["a", "a", "cd", "cd", "ce", "x"]], size=4)
    assert vocab.tokens[3:] == ["a"]
    # The character model was fitted on the dropped tokens: c is common, x rare, q unseen.
    assert 0 < vocab.spelling_bits("c") < vocab.spelling_bits("x") < vocab.spelling_bits("q")
    assert vocab.spelling_bits("cc") > vocab.spelling_bits("c")
    # Every spelling is an event of the character model: the probabilities of the one-letter
    # spellings of seen characters stay below one.
    assert sum(2 ** -vocab.spelling_bits(c) for c in "cdex") < 1


def test_the_vocabulary_round_trips_through_its_file(tmp_path: Path) -> None:
    vocab = Vocab.build([["x", "y", "yy", "zz", "x"]], size=5)
    vocab.save(tmp_path / "vocab.json")
    loaded = Vocab.load(tmp_path / "vocab.json")
    assert loaded.tokens == vocab.tokens and loaded.index == vocab.index
    for text in ("zz", "qq", "x"):
        assert math.isclose(loaded.spelling_bits(text), vocab.spelling_bits(text))
