"""The fix model's BPE merges, the prompt's parts, and the drafts speculative decoding
proposes: where the output stands in the original region, prompt lookup, where an answer
stops, and the region vLLM's proposer reads back out of a prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import EngineError
from engine.backends.base import Cost, Request
from engine.backends.local import _Aligner, _lookup, _State
from engine.backends.vllm_draft import draft_text
from engine.model.tokenizer import END_OF_TEXT, Tokenizer, pre_tokens, train
from engine.prompt import END_MARK, FixPrompt, _file_block, _widest, answer_for, suffix_for


def test_the_most_frequent_pair_is_merged_first_and_merges_build_on_merges() -> None:
    tokenizer = train(["aaab aaab aaab"], 300)
    pieces = [tokenizer.piece(256 + i) for i in range(len(tokenizer.merges))]
    assert pieces == [b"aa", b"ab", b"aaab", b" aaab"]
    assert tokenizer.encode(" aaab") == [256 + 3]
    assert tokenizer.encode("aaab") == [256 + 2]
    assert tokenizer.vocab_size == 256 + len(tokenizer.merges) + 1


def test_training_stops_at_the_vocabulary_size_and_at_rare_pairs() -> None:
    assert len(train(["abcabcabc xyz"], 258).merges) == 1
    # Every pair of "xyz" occurs once: below min_count, never merged.
    merged = train(["abab xyz"], 400)
    assert all(b"x" not in merged.piece(256 + i) for i in range(len(merged.merges)))
    assert len(train(["abab xyz"], 400, min_count=1).merges) > len(merged.merges)


def test_pre_tokens_keep_leading_spaces_and_indentation_with_their_newline() -> None:
    assert pre_tokens("def f(x):\n    return x+1  # é\n") == [
        "def", " f", "(", "x", "):", "\n    ", "return", " x", "+", "1", "  ", "#", " é", "\n",
    ]  # fmt: skip
    assert pre_tokens("12345") == ["123", "45"]  # numbers in runs of at most three digits


def test_end_of_text_decodes_to_nothing_and_broken_bytes_to_a_replacement() -> None:
    tokenizer = train(["hello"], 260)
    assert tokenizer.piece(tokenizer.eot) == b""
    assert tokenizer.decode([*tokenizer.encode("hi"), tokenizer.eot]) == "hi"
    assert tokenizer.decode([0xC3]) == "\ufffd"
    assert tokenizer.decode_bytes([0xC3, 0xA9]) == "é".encode()
    assert END_OF_TEXT not in tokenizer.decode(tokenizer.encode(END_OF_TEXT)).replace(
        END_OF_TEXT, ""
    )


def test_a_tokenizer_of_another_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"format": "redline-bpe-0", "pattern": "x", "merges": []}')
    with pytest.raises(ValueError, match="not a tokenizer of this version"):
        Tokenizer.load(path)


LINES = [f"line {i}\n" for i in range(1, 11)]


def test_the_file_block_marks_every_cut_stretch() -> None:
    assert _file_block("m.py", LINES, 1, 10) == "### File m.py\n" + "".join(LINES)
    block = _file_block("m.py", LINES, 4, 6)
    assert block == (
        "### File m.py\n# ... lines 1-3 cut ...\nline 4\nline 5\nline 6\n# ... lines 7-10 cut ...\n"
    )
    assert _file_block("m.py", ["a\n", "b"], 1, 2).endswith("b\n")
    assert _file_block("m.py", LINES, 2, 10).startswith("### File m.py\n# ... lines 1-1 cut ...\n")


def test_the_suffix_states_the_finding_and_the_region_before_the_answer_cue() -> None:
    task = FixPrompt("m.py", "".join(LINES), 3, 4, "  off by one \n", "detector:cmp")
    suffix = suffix_for(task)
    assert suffix == (
        "### Finding at lines 3-4 [detector:cmp]\noff by one\n"
        f"### Region\nline 3\nline 4\n{END_MARK}\n### Rewritten region\n"
    )
    one = suffix_for(FixPrompt("m.py", "x = 1", 1, 1, "why"))
    assert one.startswith("### Finding at line 1\nwhy\n") and "x = 1\n" in one
    assert answer_for("x = 2") == f"x = 2\n{END_MARK}"


def test_the_widest_window_that_fits_the_room() -> None:
    task = FixPrompt("m.py", "".join(LINES), 5, 5, "m")
    costs = [1] * 10
    assert _widest(costs, task, 1) == 0
    assert _widest(costs, task, 3) == 1
    assert _widest(costs, task, 7) == 3
    assert _widest(costs, task, 100) >= 5  # the whole file


def test_the_aligner_proposes_the_draft_after_where_the_output_rejoined() -> None:
    draft = list(range(10, 30))
    aligner = _Aligner(draft, 8)
    assert aligner.propose([10]) == draft[1:9]
    aligner.update(8, 8)  # all accepted, and the model's own token was the next one
    assert (aligner.position, aligner.width) == (10, 8)
    assert aligner.propose(draft[:10]) == draft[10:18]


def test_after_a_divergence_the_aligner_shrinks_and_realigns_where_the_output_rejoins() -> None:
    draft = list(range(10, 30))
    aligner = _Aligner(draft, 8)
    aligner.propose([10])
    aligner.update(8, 0)  # rejected at once: propose less next time
    assert aligner.width == 4
    # The model wrote 99 instead of 11, then went on with 12 13: the draft continues at 14.
    assert aligner.propose([10, 99, 12, 13]) == [14, 15, 16, 17]
    # Output nowhere in the draft: nothing to propose.
    assert aligner.propose([10, 99, 98, 97, 96]) == []


def test_a_repeated_tail_realigns_near_the_old_position_not_far_behind_it() -> None:
    # The tail [1, 2, 3] is at 0 and at 12; the output stood at 14: the far-behind occurrence
    # (more than 8 tokens back) is skipped.
    draft = [1, 2, 3, 9, 9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 8, 5]
    aligner = _Aligner(draft, 4)
    aligner.position = 14
    assert aligner.propose([7, 1, 2, 3]) == [8, 5]
    assert aligner.position == 15
    # With no occurrence near, the last one is taken.
    aligner.position = 40
    assert aligner.propose([7, 1, 2, 3]) == [8, 5]


def test_prompt_lookup_copies_what_followed_the_last_tokens_before() -> None:
    assert _lookup([1, 2, 3, 4, 1, 2], 3, 0) == [3, 4, 1]
    assert _lookup([1, 2, 1], 4, 0) == [2, 1]
    assert _lookup([5, 6, 7], 2, 0) == []


def test_an_answer_stops_before_its_stop_sequence_or_at_its_budget() -> None:
    tokenizer = train(["hello world END"], 300)
    state = _State(tokenizer, (b"END",), 50)
    for token in tokenizer.encode("hello END more"):
        if state.push(token):
            break
    assert (state.finish, state.cut) == ("stop", 6)
    short = _State(tokenizer, (b"END",), 2)
    assert not short.push(ord("a")) and short.push(ord("b"))
    assert short.finish == "length" and short.cut is None
    ended = _State(tokenizer, (), 10)
    assert ended.push(tokenizer.eot) and (ended.finish, ended.cut) == ("stop", 0)


def _context(answer: str) -> str:
    return (
        f"### Region\n    x = 1\n    y = 2\n    x = 1\n{END_MARK}\n### Rewritten region\n{answer}"
    )


def test_vllms_draft_is_the_region_after_where_the_answer_stands() -> None:
    assert draft_text(_context("")) == "    x = 1\n    y = 2\n    x = 1\n"
    assert draft_text(_context("    x = 1\n    y = 2\n")) == "    x = 1\n"
    assert draft_text(_context("    x = 1\n")) == "    y = 2\n    x = 1\n"
    assert draft_text(_context("    x = 1\n"), length=4) == "    "
    assert draft_text(_context("zzzz qqqq")) == ""
    assert draft_text("no markers at all") == ""


def test_costs_add_up_and_a_mix_of_modes_is_the_server() -> None:
    a = Cost(10, 6, 4, 5, 100, 50, 0.5, "draft")
    b = Cost(2, 0, 0, 2, 10, 0, 0.5, "draft")
    total = a + b
    assert (total.generated_tokens, total.forward_passes, total.speculation) == (12, 7, "draft")
    assert total.tokens_per_s == 12.0 and total.passes_per_token == 7 / 12
    assert (a + Cost(speculation="plain")).speculation == "server"
    assert Cost().tokens_per_s == 0.0 and Cost().passes_per_token == 0.0


def test_a_request_refuses_a_budget_or_temperature_out_of_range() -> None:
    assert Request("p", "s").prompt == "ps"
    with pytest.raises(EngineError, match="max_tokens"):
        Request("p", max_tokens=0)
    with pytest.raises(EngineError, match="temperature"):
        Request("p", temperature=-1.0)
