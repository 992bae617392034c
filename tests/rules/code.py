# Test cases for bot/analyzers/rules/code.yml, in semgrep's test format (`semgrep test`):
# an annotation names the rule that must, or must not, flag the line below it.
import builtins
import importlib
import logging.config

import _testcapi

SOURCE = "1 + 1"


def evaluate(expression, plugin):
    # ruleid: eval-exec
    eval(expression)
    # ruleid: eval-exec
    exec("print(%s)" % expression)
    # ruleid: eval-exec
    builtins.eval(expression)
    # ruleid: eval-exec
    exec(f"x = {expression}")
    # ok: eval-exec
    eval("1 + 1")
    # ok: eval-exec
    eval(SOURCE)
    # ok: eval-exec
    exec(compile("x = 1", "<string>", "exec"))
    # ok: eval-exec
    model.eval()
    # ok: eval-exec
    cursor.exec(expression)
    # ruleid: compile-non-constant
    code = compile(expression, "<user>", "exec")
    # ok: compile-non-constant
    code = compile("x = 1", "<user>", "exec")
    # ruleid: subinterpreter-run-string
    _testcapi.run_in_subinterp(expression)
    # ok: subinterpreter-run-string
    _testcapi.run_in_subinterp("print(1)")
    # ruleid: non-literal-import
    importlib.import_module(plugin)
    # ok: non-literal-import
    importlib.import_module("json")


def listen(check):
    # ruleid: logging-config-listen
    thread = logging.config.listen(9999)
    # ok: logging-config-listen
    thread = logging.config.listen(9999, verify=check)


def eval(x):
    return x
