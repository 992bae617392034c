"""The rule pack through the analyzer: each rule fires on the dangerous form and not on the safe
one, only results on changed lines are kept, a `fix:` becomes a one-click suggestion, and tests
are reviewed the way each rule says. One semgrep run per test: the cases share one diff."""

from __future__ import annotations

import time

from bot.analyzers.semgrep import SemgrepAnalyzer
from bot.core.diff import parse_diff
from bot.core.model import Finding
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest

CASES = [
    (
        "py",
        "subprocess-shell-true",
        "subprocess.call(cmd, shell=True)",
        'subprocess.call(["ls", p])',
    ),
    ("py", "os-system-non-constant", 'os.system("rm " + path)', 'os.system("ls")'),
    ("py", "eval-exec", "eval(expression)", 'eval("1 + 1")'),
    ("py", "unsafe-deserialization", "pickle.loads(blob)", "json.loads(blob)"),
    ("py", "yaml-unsafe-load", "yaml.load(text)", "yaml.safe_load(text)"),
    (
        "py",
        "sql-string-formatting",
        'cursor.execute(f"SELECT * FROM t WHERE id = {uid}")',
        'cursor.execute("SELECT * FROM t WHERE id = %s", (uid,))',
    ),
    ("py", "tls-verification-disabled", "requests.get(url, verify=False)", "requests.get(url)"),
    ("py", "hardcoded-secret", 'api_key = "sk2934kfjsd93kdfj3k"', 'api_key = os.environ["K"]'),
    ("py", "hardcoded-token-format", 'TOKEN = "ghp_' + "a" * 36 + '"', "TOKEN = load_token()"),
    ("py", "tempfile-mktemp", "name = tempfile.mktemp()", "fd, name = tempfile.mkstemp()"),
    (
        "py",
        "weak-hash",
        "digest = hashlib.md5(pw)",
        "digest = hashlib.md5(b, usedforsecurity=False)",
    ),
    ("py", "assert-for-authorization", 'assert user.is_admin, "no"', 'assert count > 0, "empty"'),
    (
        "py",
        "cors-wildcard-credentials",
        'app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)',
        'app.add_middleware(CORSMiddleware, allow_origins=["https://a.example"], '
        "allow_credentials=True)",
    ),
    (
        "py",
        "jwt-signature-not-verified",
        "jwt.decode(t, verify=False)",
        'jwt.decode(t, k, ["HS256"])',
    ),
    ("py", "world-writable-permissions", "os.chmod(p, 0o777)", "os.chmod(p, 0o600)"),
    (
        "py",
        "xml-unsafe-parser",
        "xml.dom.minidom.parseString(d)",
        "defusedxml.minidom.parseString(d)",
    ),
    ("js", "js-eval", "eval(userInput);", 'eval("2 + 2");'),
    ("js", "js-child-process-shell", 'cp.exec("rm -rf " + dir);', 'cp.exec("ls");'),
    ("js", "js-inner-html", "el.innerHTML = comment;", 'el.innerHTML = "<b>hi</b>";'),
    (
        "js",
        "js-sql-template",
        "db.query(`SELECT * FROM t WHERE id = ${id}`);",
        'db.query("SELECT * FROM t WHERE id = ?", [id]);',
    ),
]
IMPORTS = (
    "import hashlib, json, os, pickle, subprocess, tempfile, xml.dom.minidom\n"
    "import defusedxml.minidom, jwt, requests, yaml\n"
)


def _added(path: str, body: str) -> str:
    lines = body.rstrip("\n").split("\n")
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n" + "".join(
        f"+{line}\n" for line in lines
    )


def _review(files: dict[str, str], config: Config | None = None) -> list[Finding]:
    diff = parse_diff("".join(_added(path, body) for path, body in files.items()))
    request = AnalysisRequest(diff, files, config or Config())
    output = SemgrepAnalyzer().analyze(request, deadline=time.monotonic() + 120)
    return list(output.findings)


def test_each_rule_fires_on_the_dangerous_form_only() -> None:
    files = {}
    for number, (ext, _rule, bad, good) in enumerate(CASES):
        head = IMPORTS if ext == "py" else ""
        files[f"bad{number}.{ext}"] = head + bad + "\n"
        files[f"good{number}.{ext}"] = head + good + "\n"
    findings = _review(files)
    for number, (_ext, rule, _bad, _good) in enumerate(CASES):
        bad = {f.rule for f in findings if f.path.startswith(f"bad{number}.")}
        good = {f.rule for f in findings if f.path.startswith(f"good{number}.")}
        assert rule in bad, (rule, bad)
        assert rule not in good, (rule, good)


def test_only_results_on_changed_lines() -> None:
    text = "import subprocess\nsubprocess.call(cmd, shell=True)\nx = 1\n"
    diff = parse_diff(
        "--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n import subprocess\n"
        " subprocess.call(cmd, shell=True)\n-x = 0\n+x = 1\n"
    )
    output = SemgrepAnalyzer().analyze(
        AnalysisRequest(diff, {"m.py": text}, Config()), time.monotonic() + 60
    )
    assert output.findings == ()


def test_fixes_become_suggestions_of_the_safe_form() -> None:
    findings = _review(
        {
            "load.py": "import yaml\nconfig = yaml.load(stream)\n",
            "tls.py": "import requests\nr = requests.get(url, verify=False, timeout=5)\n",
            "tmp.py": "import tempfile\nname = tempfile.mktemp(suffix='.txt')\n",
            "md5.py": "import hashlib\nkey = hashlib.md5(data).hexdigest()\n",
        }
    )
    suggestion = {f.path: f.suggestion for f in findings}
    assert suggestion["load.py"] == "config = yaml.safe_load(stream)\n"
    assert suggestion["tls.py"] == "r = requests.get(url, timeout=5)\n"
    assert suggestion["tmp.py"] == "_fd, name = tempfile.mkstemp(suffix='.txt')\n"
    assert suggestion["md5.py"] == "key = hashlib.md5(data, usedforsecurity=False).hexdigest()\n"


def test_tests_are_reviewed_as_each_rule_says() -> None:
    body = (
        "import pickle\n"
        "copy = pickle.loads(pickle.dumps(error))\n"
        "state = pickle.loads(blob)\n"
        'password = "hunter22"\n'
        "eval(expression)\n"
    )
    findings = _review({"tests/test_state.py": body, "app/state.py": body})
    in_tests = {(f.rule, f.severity) for f in findings if f.path.startswith("tests/")}
    in_code = {(f.rule, f.severity) for f in findings if f.path.startswith("app/")}
    # Code that runs in production: everything at full severity; the round trip is never one.
    assert in_code == {
        ("unsafe-deserialization", "error"),
        ("hardcoded-secret", "error"),
        ("eval-exec", "error"),
    }
    assert [f.line for f in findings if f.rule == "unsafe-deserialization"] == [3]
    # Tests: the test's own data and fixtures are skipped, code execution is one step lower.
    assert in_tests == {("eval-exec", "warning")}


def test_templates_are_read_for_escaping_turned_off() -> None:
    """Template files have no language of their own: the generic template rules still read
    them, and only on the lines the change adds."""
    page = "<p>{{ comment|safe }}</p>\n{% autoescape false %}{{ body }}{% endautoescape %}\n"
    findings = _review(
        {
            "templates/page.html": page,
            "templates/mail.j2": "{{ body }}\n",
            "app/templates/report.jinja": "{{ report | safe }}\n",
        }
    )
    found = {(f.path, f.line, f.rule) for f in findings}
    assert found == {
        ("templates/page.html", 1, "template-safe-filter"),
        ("templates/page.html", 2, "template-autoescape-off"),
        ("app/templates/report.jinja", 1, "template-safe-filter"),
    }
