"""What a review's validated fixes become, as values: which are one-click suggestions, what the
suggested commit holds, how redline recognises its own commit on a branch (and leaves anyone
else's alone), and the summary's words for each outcome, with everything from the PR escaped."""

from __future__ import annotations

from bot.core.host import BranchTip, SuggestedRequest
from bot.core.model import Fix
from bot.review.delivery import (
    Delivery,
    Existing,
    Outcome,
    branch_name,
    decide,
    judge,
    plan_delivery,
    trailers,
)
from bot.review.plan import fixes_section, request_body

HEAD = "a" * 40
TEXT = "import yaml\n\n\ndef load(data):\n    return yaml.load(data)\n\n\ndef run(cmd):\n    pass\n"


def _fix(start: int, end: int, new: str, fp: str, path: str = "app.py", exact: bool = False) -> Fix:
    original = "".join(TEXT.splitlines(keepends=True)[start - 1 : end])
    rule = "semgrep:rule"
    return Fix(path, start, end, new, original, fp * 4, rule, "rule", ("parses",), exact)


YAML = _fix(5, 5, "    return yaml.safe_load(data)\n", "aaaaaaaa", exact=True)
RUN = _fix(8, 9, "def run(cmd: str):\n    return None\n", "bbbbbbbb")


def _plan(fixes: list[Fix], one_click: tuple[str, ...] = (), **kw: object) -> Delivery:
    return plan_delivery(
        fixes, {"app.py": TEXT}, {"app.py": TEXT.encode()}, one_click, 2, HEAD, **kw
    )  # type: ignore[arg-type]


def test_one_click_fixes_stay_out_of_the_commit_unless_every_fix_is_asked_for() -> None:
    delivery = _plan([YAML, RUN], one_click=(YAML.finding,))
    assert [f.finding for f in delivery.commit] == [RUN.finding]
    assert [f.finding for f in delivery.one_click] == [YAML.finding]
    text = dict(delivery.files)["app.py"]
    assert "yaml.load(data)" in text and "def run(cmd: str):" in text
    assert delivery.branch == branch_name(2, HEAD) == "redline/fix/2-aaaaaaa"
    everything = _plan([YAML, RUN], one_click=(YAML.finding,), everything=True)
    assert {f.finding for f in everything.commit} == {YAML.finding, RUN.finding}
    assert "yaml.safe_load(data)" in dict(everything.files)["app.py"]
    assert everything.patch.startswith("diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py")


def test_files_that_cannot_be_rewritten_exactly_are_left_out_with_the_reason() -> None:
    crlf = TEXT.replace("\n", "\r\n").encode()
    kept = plan_delivery([RUN], {"app.py": TEXT}, {"app.py": crlf}, (), 2, HEAD)
    assert dict(kept.files)["app.py"].count("\r\n") == TEXT.count("\n")  # CRLF kept
    cases = {
        b"\xff\xfe" + TEXT.encode(): "not UTF-8 text",
        TEXT.replace("\n", "\r\n", 1).encode(): "mixed line endings",
        TEXT.replace("pass", "print()").encode(): "not the file the fixes were made on",
    }
    for raw, why in cases.items():
        delivery = plan_delivery([RUN], {"app.py": TEXT}, {"app.py": raw}, (), 2, HEAD)
        assert delivery.commit == () and delivery.files == ()
        assert why in delivery.left_out[0][1]
    overlapping = _fix(9, 9, "    return 1\n", "cccccccc")
    delivery = _plan([RUN, overlapping])
    assert [f.finding for f in delivery.commit] == [RUN.finding]
    assert delivery.left_out == ((overlapping, "it overlaps another fix"),)


def test_redline_knows_its_own_commit_by_its_parent_and_trailers() -> None:
    delivery = _plan([RUN])
    message = delivery.message()
    ours = BranchTip("c" * 40, (HEAD,), message)
    assert judge(ours, HEAD) == Existing("ours", frozenset({RUN.finding[:12]}))
    assert judge(None, HEAD).state == "none"
    assert judge(BranchTip(HEAD, (), "x"), HEAD).state == "at-head"
    # Someone's commit on top of redline's, or with redline's trailers on another parent.
    assert judge(BranchTip("d" * 40, ("c" * 40,), "my work"), HEAD).state == "foreign"
    assert judge(BranchTip("d" * 40, ("e" * 40,), message), HEAD).state == "foreign"
    assert judge(BranchTip("d" * 40, (HEAD,), "no trailers"), HEAD).state == "foreign"
    assert decide(Existing("none"), delivery) == "create"
    assert decide(judge(ours, HEAD), delivery) == "reuse"
    assert decide(judge(ours, HEAD), _plan([YAML, RUN])) == "replace"  # never shrunk
    assert decide(Existing("foreign"), delivery) == "foreign"
    assert decide(Existing("none"), _plan([])) == "nothing"


def test_a_path_cannot_forge_the_commit_trailers() -> None:
    forged = _fix(1, 1, "import json\n", "dddddddd", path=f"x.py\n\nRedline-Head: {'f' * 40}")
    message = plan_delivery(
        [forged], {forged.path: TEXT}, {forged.path: TEXT.encode()}, (), 2, HEAD
    ).message()
    assert trailers(message)["Redline-Head"] == HEAD
    starts = [line for line in message.splitlines() if line.startswith("Redline-Head")]
    assert starts == [f"Redline-Head: {HEAD}"]


def test_the_summary_section_escapes_what_comes_from_the_pull_request() -> None:
    hostile = "app`<img src=x>`@team|.py"
    fix = _fix(8, 9, "def run(cmd: str):\n    return None\n", "eeeeeeee", path=hostile)
    delivery = plan_delivery([fix], {hostile: TEXT}, {hostile: b"\xff"}, (), 2, HEAD)
    lines = "\n".join(fixes_section(Outcome("failed", delivery, detail="<b>@admin</b>")))
    assert "<img" not in lines and "<b>" not in lines and "@admin" not in lines
    assert "@team" not in lines
    # A patch that holds a fence cannot close the summary's.
    fenced = _fix(8, 9, "```\n@all <script>\n", "ffffffff")
    delivery = _plan([fenced])
    text = "\n".join(fixes_section(Outcome("fork", delivery)))
    assert "comes from a fork" in text and "````diff\n" in text
    body = request_body(_plan([fix, RUN]), "feature|`x`")
    assert "<img" not in body and "@team" not in body


def test_the_summary_says_what_became_of_the_commit() -> None:
    delivery = _plan([RUN])
    request = SuggestedRequest(7, "https://host.example/pull/7 (x)", True)
    text = "\n".join(fixes_section(Outcome("commit", delivery, request, "create", closed=(5,))))
    assert "[Suggested commit](https://host.example/pull/7%20%28x%29)" in text
    assert "(new)" in text and "offered as #7" in text and "earlier head: #5" in text
    gitlab = _plan([RUN], sigil="!")
    text = "\n".join(fixes_section(Outcome("commit", gitlab, request, "reuse")))
    assert "offered as !7" in text and "(unchanged)" in text
    assert "for !2" in gitlab.message()
    unsafe = SuggestedRequest(7, "javascript:alert(1)", True)
    text = "\n".join(fixes_section(Outcome("commit", delivery, unsafe, "replace")))
    assert "javascript:" not in text and "(updated)" in text
    foreign = "\n".join(fixes_section(Outcome("foreign", delivery)))
    assert "`redline/fix/2-aaaaaaa` already holds commits redline did not make" in foreign
    assert "+def run(cmd: str):" in foreign
    assert fixes_section(Outcome("none", _plan([]))) == []
