"""Our tests for the QuixBugs programs (the data folder's quixbugs.jsonl): inputs per program,
with the reference (fixed) version as the oracle. A candidate passes when it returns what the
reference returns on every input, within a time limit, in a separate process. The programs
are QuixBugs' own code (benchmark data), never a pull request's: running them is allowed.
"""

from __future__ import annotations

import json
import subprocess
import sys

# name -> argument tuples as Python source; `graph(...)`, `chain(...)`, `dag(...)` and
# `weighted(...)` build QuixBugs' Node structures inside the test process.
CASES: dict[str, list[str]] = {
    "bitcount": ["(127,)", "(128,)", "(3005,)", "(13,)", "(0,)"],
    "breadth_first_search": [
        "graph({'A': ['B', 'C'], 'B': ['D'], 'C': [], 'D': []}, 'A', 'D')",
        "graph({'A': ['B'], 'B': [], 'C': []}, 'A', 'C')",
        "graph({'A': ['B'], 'B': ['A']}, 'A', 'A')",
    ],
    "bucketsort": ["([3, 1, 2, 5, 4, 0], 6)", "([], 5)", "([4, 4, 1, 0], 5)"],
    "depth_first_search": [
        "graph({'A': ['B', 'C'], 'B': ['D'], 'C': ['A'], 'D': []}, 'A', 'D')",
        "graph({'A': ['B'], 'B': ['A'], 'C': []}, 'A', 'C')",
    ],
    "detect_cycle": ["chain(5, None)", "chain(4, None)", "chain(5, 2)", "chain(2, None)"],
    "find_first_in_sorted": [
        "([3, 4, 5, 5, 5, 5, 6], 5)",
        "([3, 4, 5, 5, 5, 5, 6], 7)",
        "([1, 2, 3], 1)",
        "([], 1)",
    ],
    "find_in_sorted": ["([1, 2, 3, 4, 5, 6], 3)", "([1, 2, 3, 4, 5, 6], 7)", "([1, 2, 3, 4], 1)"],
    "flatten": ["([[1, [], [2, 3]], [[4]], 5],)", "([[], [[]]],)", "([1, [2, [3, [4]]]],)"],
    "gcd": ["(35, 21)", "(13, 13)", "(100, 10)", "(17, 5)"],
    "get_factors": ["(1,)", "(100,)", "(101,)", "(64,)", "(999,)"],
    "hanoi": ["(2,)", "(3, 1, 2)", "(1,)"],
    "is_valid_parenthesization": ["('((()()))()',)", "('()()(',)", "(')(',)"],
    "kheapsort": ["([3, 2, 1, 5, 4], 2)", "([1, 2, 3], 0)", "([5, 4, 3, 2, 1], 4)"],
    "knapsack": [
        "(100, [(60, 10), (50, 8), (20, 4), (20, 1)])",
        "(6, [(2, 3), (3, 4), (4, 5)])",
        "(10, [(10, 7), (5, 3)])",
    ],
    "kth": ["([1, 2, 3, 4, 5, 6, 7], 4)", "([3, 6, 7, 1, 6, 3, 8, 9], 5)", "([2], 0)"],
    "lcs_length": ["('witch', 'sandwich')", "('meow', 'homeowner')", "('fun', '')"],
    "levenshtein": ["('electron', 'neutron')", "('kitten', 'sitting')", "('', 'abc')"],
    "lis": ["([4, 1, 5, 3, 7, 6, 2],)", "([10, 22, 9, 33, 21, 50, 41, 60, 80],)", "([],)"],
    "longest_common_subsequence": [
        "('headache', 'pentadactyl')",
        "('daenarys', 'targaryen')",
        "('aa', 'a')",
    ],
    "max_sublist_sum": ["([4, -5, 2, 1, -1, 3],)", "([-1, -2],)", "([1, 2, 3],)"],
    "mergesort": ["([5, 2, 8, 1, 9, 3],)", "([],)", "([1],)", "([2, 1],)"],
    "minimum_spanning_tree": [
        "({(1, 2): 10, (2, 3): 15, (3, 4): 10, (1, 4): 10},)",
        "({(1, 2): 6, (1, 3): 1, (1, 4): 5, (2, 3): 5, (2, 5): 3, (3, 4): 5, (3, 5): 6,"
        " (3, 6): 4, (4, 6): 2, (5, 6): 6},)",
    ],
    "next_palindrome": ["([1, 4, 9, 4, 1],)", "([9, 9, 9],)", "([1, 2, 3, 2, 1],)"],
    "next_permutation": ["([3, 2, 4, 1],)", "([1, 2, 3],)", "([1, 3, 2],)"],
    "pascal": ["(1,)", "(5,)"],
    "possible_change": ["([1, 5, 10, 25], 11)", "([1, 2], 4)", "([5], 3)"],
    "powerset": ["(['a', 'b', 'c'],)", "([],)"],
    "quicksort": ["([5, 2, 8, 1, 9, 3, 3],)", "([],)", "([1, 1, 1],)"],
    "reverse_linked_list": ["chain(5, None)", "chain(1, None)"],
    "rpn_eval": [
        "([3.0, 5.0, '+', 2.0, '/'],)",
        "([2.0, 2.0, '+'],)",
        "([7.0, 4.0, '+', 3.0, '-'],)",
    ],
    "shortest_path_length": [
        "weighted({('A', 'B'): 3, ('A', 'C'): 3, ('A', 'F'): 5, ('C', 'B'): 2,"
        " ('C', 'D'): 7, ('C', 'E'): 4, ('D', 'E'): 5, ('E', 'F'): 1}, 'A', 'E')",
        "weighted({('A', 'B'): 1, ('B', 'C'): 2, ('A', 'C'): 5}, 'A', 'C')",
        "weighted({('A', 'B'): 1, ('C', 'D'): 2}, 'A', 'D')",
    ],
    "shortest_path_lengths": [
        "(6, {(0, 2): 3, (0, 5): 5, (2, 1): -2, (2, 3): 7, (2, 4): 4, (3, 4): -5, (4, 5): -1})",
        "(3, {(0, 1): 1, (1, 2): 1})",
    ],
    "shortest_paths": [
        "('A', {('A', 'B'): 3, ('A', 'C'): 3, ('A', 'F'): 5, ('C', 'B'): -2, ('C', 'D'): 7,"
        " ('C', 'E'): 4, ('D', 'E'): -5, ('E', 'F'): -1})",
        "('A', {('A', 'B'): 1, ('B', 'C'): 1, ('A', 'C'): 3})",
    ],
    "shunting_yard": [
        "([10, '-', 5, '-', 2],)",
        "([34, '-', 12, '/', 5],)",
        "([4, '+', 9, '*', 9, '-', 10, '+', 13],)",
    ],
    "sieve": ["(1,)", "(2,)", "(50,)"],
    "sqrt": ["(2, 0.01)", "(9, 0.001)", "(1, 0.01)"],
    "subsequences": ["(1, 5, 3)", "(1, 3, 1)", "(4, 10, 2)"],
    "to_base": ["(31, 16)", "(41, 2)", "(8227, 18)"],
    "topological_ordering": [
        "dag({'A': ['B', 'C'], 'B': ['D'], 'C': ['D'], 'D': []})",
        "dag({'5': ['11'], '7': ['11', '8'], '3': ['8', '10'], '11': ['2', '9', '10'],"
        " '8': ['9'], '2': [], '9': [], '10': []})",
    ],
    "wrap": [
        "('The leaves did not stir on the trees, grasshoppers chirruped, and the monotonous"
        " hollow sound of the sea rising up from below', 50)",
        "('The leaves did not stir on the trees, grasshoppers chirruped', 30)",
        "('abc', 10)",
    ],
}

_RUNNER = r'''
import copy, json, sys

class Node:
    def __init__(self, value=None, successor=None, successors=None, predecessors=None,
                 incoming_nodes=None, outgoing_nodes=None, edges=None):
        self.value = value
        self.successor = successor
        self.successors = successors if successors is not None else []
        self.predecessors = predecessors if predecessors is not None else []
        self.incoming_nodes = incoming_nodes if incoming_nodes is not None else []
        self.outgoing_nodes = outgoing_nodes if outgoing_nodes is not None else []
        self.edges = edges if edges is not None else []
    def __repr__(self):
        return f"Node({self.value!r})"
    def __lt__(self, other):  # heaps of (distance, node) compare nodes on ties
        return str(self.value) < str(other.value)

def graph(adjacency, start, goal):
    nodes = {name: Node(name) for name in adjacency}
    for name, succ in adjacency.items():
        nodes[name].successors = [nodes[s] for s in succ]
    return nodes[start], nodes[goal]

def chain(n, loop_to):
    nodes = [Node(i) for i in range(n)]
    for a, b in zip(nodes, nodes[1:]):
        a.successor = b
    if loop_to is not None:
        nodes[-1].successor = nodes[loop_to]
    return (nodes[0],)

def dag(adjacency):
    nodes = {name: Node(name) for name in adjacency}
    for name, succ in adjacency.items():
        for s in succ:
            nodes[name].outgoing_nodes.append(nodes[s])
            nodes[s].incoming_nodes.append(nodes[name])
    return (list(nodes.values()),)

def weighted(lengths, start, goal):
    names = sorted({a for a, _ in lengths} | {b for _, b in lengths})
    nodes = {name: Node(name) for name in names}
    for a, b in lengths:
        nodes[a].successors.append(nodes[b])
    return {(nodes[a], nodes[b]): w for (a, b), w in lengths.items()}, nodes[start], nodes[goal]

def plain(value, depth=0):
    """Results made comparable: generators listed, nodes by value, linked lists walked."""
    if depth > 50:
        return "..."
    if isinstance(value, Node):
        out, seen = [], set()
        while isinstance(value, Node) and id(value) not in seen and len(out) < 100:
            seen.add(id(value)); out.append(value.value); value = value.successor
        return ("chain", out)
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dict):
        pairs = ((repr(plain(k, depth + 1)), repr(plain(v, depth + 1))) for k, v in value.items())
        return {"dict": sorted(pairs)}
    if isinstance(value, (set, frozenset)):
        return {"set": sorted(repr(plain(v, depth + 1)) for v in value)}
    if isinstance(value, (list, tuple)):
        return [plain(v, depth + 1) for v in value]
    if hasattr(value, "__next__"):
        return [plain(v, depth + 1) for v in list(value)[:10000]]
    return value

job = json.loads(sys.stdin.read())
sys.setrecursionlimit(3000)
def load(source):
    space = {"__name__": "quixbugs", "Node": Node}
    exec(compile(source, job["name"] + ".py", "exec"), space)
    return space[job["name"]]
reference, candidate = load(job["fixed"]), load(job["candidate"])
helpers = {"graph": graph, "chain": chain, "dag": dag, "weighted": weighted}
for case in job["cases"]:
    args = eval(case, dict(helpers))
    expected = plain(reference(*args))
    try:
        got = plain(candidate(*eval(case, dict(helpers))))
    except BaseException as exc:
        print(json.dumps({"ok": False, "case": case, "error": type(exc).__name__})); sys.exit(0)
    if got != expected:
        print(json.dumps({"ok": False, "case": case})); sys.exit(0)
print(json.dumps({"ok": True}))
'''


def passes(name: str, fixed: str, candidate: str, timeout: float = 10.0) -> bool:
    """Whether `candidate` behaves like `fixed` on our inputs for `name`."""
    cases = CASES.get(name)
    if not cases:
        return False
    job = json.dumps({"name": name, "fixed": fixed, "candidate": candidate, "cases": cases})
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", _RUNNER],
            input=job,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    lines = proc.stdout.strip().splitlines()
    try:
        return bool(lines and json.loads(lines[-1]).get("ok"))
    except json.JSONDecodeError:
        return False
