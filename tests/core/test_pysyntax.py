"""The one way redline parses Python stays correct when the analyzers parse in threads."""

from __future__ import annotations

import ast
import threading
from collections.abc import Callable

from bot.core import pysyntax

SOURCE = "\n".join(
    f"def f{i}(x):\n    return [y for y in range(x) if y % 2 == (x + {i}) * 3]" for i in range(300)
)


class _Cycle:
    """Garbage with a finalizer: collecting it runs Python code in the middle of a parse, which
    is where CPython lets another thread take over."""

    def __del__(self) -> None:
        sum(range(50))


def _errors_in_threads(parse: Callable[[str], ast.AST], rounds: int = 20) -> list[str]:
    errors: list[str] = []

    def work() -> None:
        for _ in range(rounds):
            junk = [_Cycle() for _ in range(200)]
            for item in junk:
                item.me = item  # type: ignore[attr-defined]
            del junk
            try:
                tree = parse(SOURCE)
            except SystemError as error:
                errors.append(str(error))
            else:
                assert isinstance(tree, ast.Module) and len(tree.body) == 300

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_parsing_in_four_threads_never_fails_spuriously() -> None:
    assert _errors_in_threads(pysyntax.parse) == []


def test_the_harness_provokes_the_race_in_the_bare_parser() -> None:
    # Without this the first test could pass for want of contention. Several rounds, since
    # the race depends on where a collection falls.
    assert any(_errors_in_threads(ast.parse) for _ in range(5))


def test_modes_and_errors_are_ast_parses() -> None:
    assert isinstance(pysyntax.parse("x + 1", mode="eval"), ast.Expression)
    try:
        pysyntax.parse("def (:", "bad.py")
    except SyntaxError as error:
        assert error.filename == "bad.py"
    else:
        raise AssertionError("a syntax error was not raised")


def test_a_child_forked_while_another_thread_parses_can_parse() -> None:
    # verify forks its checker from a review whose other analyzers parse in threads.
    import multiprocessing

    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with pysyntax._PARSING:
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    try:
        context = multiprocessing.get_context("fork")
        child = context.Process(target=pysyntax.parse, args=("x = 1",))
        child.start()
        child.join(20)
        alive = child.is_alive()
        if alive:
            child.kill()
    finally:
        release.set()
        holder.join()
    assert not alive and child.exitcode == 0
