"""redline's semgrep rule pack: each rule fires on the dangerous form and not on the safe one,
and only results on changed lines are kept."""

from __future__ import annotations

import time

import pytest

from bot.analyzers.semgrep import SemgrepAnalyzer
from bot.core.diff import parse_diff
from bot.core.policy import Config
from bot.core.ports import AnalysisRequest

CASES = [
    (
        "py",
        "subprocess-shell-true",
        "subprocess.call(cmd, shell=True)",
        'subprocess.call(["ls", path])',
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
    (
        "py",
        "tls-verification-disabled",
        "requests.get(url, verify=False)",
        "requests.get(url, timeout=5)",
    ),
    ("py", "hardcoded-secret", 'api_key = "sk2934kfjsd93kdfj3k"', 'api_key = os.environ["KEY"]'),
    ("py", "hardcoded-token-format", 'TOKEN = "ghp_' + "a" * 36 + '"', "TOKEN = load_token()"),
    ("py", "tempfile-mktemp", "name = tempfile.mktemp()", "fd, name = tempfile.mkstemp()"),
    (
        "py",
        "weak-hash",
        "digest = hashlib.md5(password)",
        "digest = hashlib.md5(data, usedforsecurity=False)",
    ),
    (
        "py",
        "assert-for-authorization",
        'assert user.is_admin, "admins only"',
        'assert count > 0, "empty"',
    ),
    (
        "py",
        "cors-wildcard-credentials",
        'app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True)',
        'app.add_middleware(CORSMiddleware, allow_origins=["https://a.example"], '
        "allow_credentials=True)",
    ),
    ("js", "js-eval", "eval(userInput);", 'eval("2 + 2");'),
    ("js", "js-child-process-shell", 'cp.exec("rm -rf " + dir);', 'cp.exec("ls");'),
    (
        "js",
        "js-tls-verification-disabled",
        "const agent = new https.Agent({ rejectUnauthorized: false });",
        "const agent = new https.Agent({ keepAlive: true });",
    ),
    ("js", "js-inner-html", "el.innerHTML = comment;", 'el.innerHTML = "<b>hi</b>";'),
    (
        "js",
        "js-sql-template",
        "db.query(`SELECT * FROM t WHERE id = ${id}`);",
        'db.query("SELECT * FROM t WHERE id = ?", [id]);',
    ),
    (
        "js",
        "js-cors-wildcard-credentials",
        'app.use(cors({ origin: "*", credentials: true }));',
        'app.use(cors({ origin: "https://a.example", credentials: true }));',
    ),
]


def _scan(ext: str, line: str, context: str = "") -> list[str]:
    path = f"m.{ext}"
    body = context + line + "\n"
    added = body.count("\n")
    diff = parse_diff(
        f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{added} @@\n"
        + "".join("+" + x + "\n" for x in body.rstrip("\n").split("\n"))
    )
    request = AnalysisRequest(diff, {path: body}, Config())
    output = SemgrepAnalyzer().analyze(request, deadline=time.monotonic() + 60)
    return [f.rule for f in output.findings]


@pytest.mark.parametrize(("ext", "rule", "bad", "good"), CASES)
def test_rule_fires_on_the_dangerous_form_only(ext: str, rule: str, bad: str, good: str) -> None:
    assert rule in _scan(ext, bad)
    assert rule not in _scan(ext, good)


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


def test_semgrep_fix_becomes_a_suggestion() -> None:
    text = "import yaml\nconfig = yaml.load(stream)\n"
    diff = parse_diff(
        "--- /dev/null\n+++ b/m.py\n@@ -0,0 +1,2 @@\n+import yaml\n+config = yaml.load(stream)\n"
    )
    output = SemgrepAnalyzer().analyze(
        AnalysisRequest(diff, {"m.py": text}, Config()), time.monotonic() + 60
    )
    [finding] = [f for f in output.findings if f.rule == "yaml-unsafe-load"]
    assert finding.suggestion == "config = yaml.safe_load(stream)\n"
