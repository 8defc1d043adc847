#!/usr/bin/env python3
"""Fails on an import cycle between the modules of a Rust crate (`make test`, scripts/test-rust.sh).

    check-module-cycles.py [CRATE_DIR ...]        (default: every crates/*/ with a src/lib.rs or src/main.rs)

Rule: inside every module, its child modules import each other without a cycle (siblings form a DAG). A use
of `crate::a::x` in module `b::c` is an edge `b -> a` between the children of their nearest common ancestor
(the root here). A module using its own ancestor or descendant (`super::*` in a child, `pub use child::X` in
a parent) is containment, not an import between peers, and is not an edge.

What counts as a use: every path in code or in `use` trees that starts with `crate::`, `super::` or
`self::`, resolved through the crate's module files (src/a.rs, src/a/mod.rs, src/a/b.rs), inline `mod x {}`
blocks and the re-exports (`pub use`) of the modules on the way (`crate::App` re-exported from `app` is a use
of `app`). Relative paths (`child::x`) only reach descendants. Comments and string literals are skipped;
macro bodies with `$crate::` are not crate-internal edges. Paths built by macros from pieces are not seen.

Why not `cargo modules` (crates.io): it builds rust-analyzer's crates, which takes far longer than the check
itself on the 2-core machines `make test` runs on; this reads paths, which is all the rule needs.
Tests: tests/tools/test_check_module_cycles.py.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

Mod = tuple  # a module path, e.g. ("store", "kv"); () is the crate root

TOKEN = re.compile(r"\$?[A-Za-z_][A-Za-z0-9_]*|::|[{};,*()\[\]#!=<>]|\S")


def strip_comments_and_strings(text: str) -> str:
    """Blanks out comments, string, byte-string, raw-string and char literals, keeping line breaks."""
    out = []
    i, n = 0, len(text)

    def blank(s: str) -> str:
        return "".join(c if c == "\n" else " " for c in s)

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(blank(text[i:j]))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(blank(text[i:j]))
            i = j
        elif re.match(r'b?r#*"', text[i:i + 260]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'(b?r)(#*)"', text[i:])
            end = text.find('"' + m.group(2), i + m.end())
            j = n if end < 0 else end + 1 + len(m.group(2))
            out.append(blank(text[i:j]))
            i = j
        elif c == '"' or (c == "b" and text.startswith('b"', i) and (i == 0 or not text[i - 1].isalnum())):
            j = i + (2 if c == "b" else 1)
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(blank(text[i:j + 1]))
            i = j + 1
        elif c == "'":
            m = re.match(r"'(\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'])'", text[i:])
            if m:  # a char literal; otherwise a lifetime or a label
                out.append(blank(m.group(0)))
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def tokens(text: str):
    """(token, line) pairs of code without comments and literals."""
    line = 1
    pos = 0
    for m in TOKEN.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        yield m.group(0), line


class Use:
    """One path found in a module: where it is, and its segments (a `use` tree is flattened into paths)."""

    def __init__(self, module: Mod, segments: list[str], line: int, file: Path, export: bool, alias: str | None):
        self.module, self.segments, self.line, self.file = module, segments, line, file
        self.export, self.alias = export, alias


def parse_use_tree(toks: list[str], i: int, prefix: list[str], out: list[tuple[list[str], str | None]]) -> int:
    """Parses a use tree at toks[i]; appends (path, alias) for each leaf. Returns the index after the tree."""
    path = list(prefix)
    while i < len(toks):
        t = toks[i]
        if t == "{":
            i += 1
            while i < len(toks) and toks[i] != "}":
                i = parse_use_tree(toks, i, path, out)
                if i < len(toks) and toks[i] == ",":
                    i += 1
            return i + 1
        if t == "*":
            out.append((path + ["*"], None))
            return i + 1
        if t == "::":
            i += 1
            continue
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", t):
            path.append(t)
            i += 1
            if i < len(toks) and toks[i] == "as":
                out.append((path, toks[i + 1] if i + 1 < len(toks) else None))
                return i + 2
            if i < len(toks) and toks[i] == "::":
                continue
            out.append((path, None))
            return i
        return i
    return i


def module_of(src: Path, file: Path) -> Mod | None:
    rel = file.relative_to(src).with_suffix("")
    parts = list(rel.parts)
    if parts and parts[0] == "bin":
        return None
    if parts in (["lib"], ["main"]):
        return ()
    if parts and parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def scan_crate(src: Path):
    """Module set and uses of one crate's src/ directory."""
    modules: set[Mod] = set()
    uses: list[Use] = []
    excluded: set[Mod] = set()  # test-only file modules
    for file in sorted(src.rglob("*.rs")):
        base = module_of(src, file)
        if base is None:
            continue
        modules.add(base)
        toks = list(tokens(strip_comments_and_strings(file.read_text(encoding="utf-8"))))
        words = [t for t, _ in toks]
        stack: list[str | None] = []  # per open brace: an inline module's name, or None
        pending_mod: str | None = None
        i = 0
        while i < len(toks):
            t, line = toks[i]
            here = base + tuple(s for s in stack if s is not None)
            if t == "#" and words[i + 1:i + 6] == ["[", "cfg", "(", "test", ")"] and "mod" in words[i + 7:i + 11]:
                # A `#[cfg(test)] mod x { ... }`: tests may use any module; they are not part of the graph.
                j = i + 7
                while j < len(toks) and words[j] not in ("{", ";"):
                    j += 1
                if j < len(toks) and words[j] == ";":  # `#[cfg(test)] mod x;`: the file x.rs
                    excluded.add(here + (words[j - 1],))
                    i = j + 1
                    continue
                depth, j = 1, j + 1
                while j < len(toks) and depth:
                    depth += {"{": 1, "}": -1}.get(words[j], 0)
                    j += 1
                i = j
                continue
            if t == "mod" and i + 2 < len(toks) and toks[i + 2][0] == "{":
                pending_mod = toks[i + 1][0]
                modules.add(here + (pending_mod,))
                i += 2
                continue
            if t == "{":
                stack.append(pending_mod)
                pending_mod = None
            elif t == "}":
                if stack:
                    stack.pop()
            elif t == "(" and i >= 1 and words[i - 1] == "pub" and i + 1 < len(toks) and words[i + 1] == "in":
                # `pub(in crate::x)` names where an item is visible, not something it uses.
                j = i
                while j < len(toks) and words[j] != ")":
                    j += 1
                i = j + 1
                continue
            elif t == "use" and (i == 0 or words[i - 1] not in ("::",)):
                export = False
                k = i - 1
                if k >= 0 and words[k] == ")":
                    while k >= 0 and words[k] != "(":
                        k -= 1
                    k -= 1
                if k >= 0 and words[k] == "pub":
                    export = True
                leaves: list[tuple[list[str], str | None]] = []
                j = parse_use_tree(words, i + 1, [], leaves)
                for path, alias in leaves:
                    uses.append(Use(here, path, line, file, export, alias))
                while j < len(toks) and words[j] != ";":
                    j += 1
                i = j + 1
                continue
            elif t in ("crate", "super", "self") and i + 1 < len(toks) and words[i + 1] == "::":
                prev = words[i - 1] if i else ""
                if prev != "::":
                    path = [t]
                    j = i + 1
                    while j + 1 < len(toks) and words[j] == "::" and re.fullmatch(r"[A-Za-z_]\w*", words[j + 1]):
                        path.append(words[j + 1])
                        j += 2
                    uses.append(Use(here, path, line, file, False, None))
                    i = j
                    continue
            i += 1
    uses = [u for u in uses if not any(u.module[:len(x)] == x for x in excluded)]
    return modules, uses


class Crate:
    def __init__(self, src: Path):
        self.src = src
        self.modules, self.uses = scan_crate(src)
        # module -> exported name -> the path it re-exports (resolved lazily)
        self.exports: dict[Mod, dict[str, tuple[Mod, list[str]]]] = defaultdict(dict)
        for u in self.uses:
            if u.export and u.segments and u.segments[-1] not in ("*",):
                name = u.alias or (u.segments[-2] if u.segments[-1] == "self" and len(u.segments) > 1 else u.segments[-1])
                self.exports[u.module][name] = (u.module, u.segments)

    def resolve(self, here: Mod, segments: list[str], seen=None) -> Mod | None:
        """The deepest module of this crate a path reaches, or None if it leaves the crate."""
        seen = seen or set()
        segs = [s for s in segments if s != "self"] if segments[:1] != ["self"] else segments[1:]
        if segments[:1] == ["crate"]:
            cur, rest = (), segments[1:]
        elif segments[:1] == ["super"]:
            cur, rest = here, list(segments)
            while rest[:1] == ["super"]:
                cur, rest = cur[:-1], rest[1:]
        elif segments[:1] == ["self"]:
            cur, rest = here, segs
        else:
            # A relative path: a child module of `here`, or an external crate.
            if not segments or here + (segments[0],) not in self.modules:
                return None
            cur, rest = here, list(segments)
        for seg in rest:
            if seg in ("self", "*"):
                continue
            if cur + (seg,) in self.modules:
                cur = cur + (seg,)
                continue
            exp = self.exports.get(cur, {}).get(seg)
            if exp and (cur, seg) not in seen:
                target = self.resolve(exp[0], exp[1], seen | {(cur, seg)})
                if target is not None:
                    cur = target
                    continue
            break
        return cur

    def file_module(self, m: Mod) -> Mod:
        """The module of the file that holds `m` (an inline module belongs to its file's module)."""
        while m and not self.is_file_module(m):
            m = m[:-1]
        return m

    def is_file_module(self, m: Mod) -> bool:
        p = self.src.joinpath(*m)
        return p.with_suffix(".rs").is_file() or (p / "mod.rs").is_file() or m == ()

    def edges(self):
        """(parent, from child, to child) -> [(file, line, path)] for every use between peers."""
        found: dict[tuple[Mod, str, str], list[tuple[Path, int, str]]] = defaultdict(list)
        for u in self.uses:
            target = self.resolve(u.module, u.segments)
            if target is None:
                continue
            a, b = self.file_module(u.module), self.file_module(target)
            common = 0
            while common < min(len(a), len(b)) and a[common] == b[common]:
                common += 1
            if common == len(a) or common == len(b):
                continue  # ancestor or descendant: containment
            parent = a[:common]
            found[(parent, a[common], b[common])].append((u.file, u.line, "::".join(u.segments)))
        return found


def cycles(edges) -> list[tuple[Mod, list[str]]]:
    """Strongly connected components of more than one child, per parent module (Tarjan)."""
    graphs: dict[Mod, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for parent, a, b in edges:
        graphs[parent][a].add(b)
    result = []
    for parent, g in sorted(graphs.items()):
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on: set[str] = set()
        counter = [0]

        def visit(v: str) -> None:
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in sorted(g.get(v, ())):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    result.append((parent, sorted(comp)))

        nodes = sorted(set(g) | {w for ws in g.values() for w in ws})
        for v in nodes:
            if v not in index:
                visit(v)
    return result


def check(crate_dir: Path, root: Path) -> list[str]:
    """Problems of one crate, as lines of text (empty: no cycle)."""
    crate = Crate(crate_dir / "src")
    edges = crate.edges()
    problems = []
    for parent, comp in cycles(edges):
        where = "crate" + "".join("::" + p for p in parent)
        problems.append(f"{crate_dir.name}: import cycle among the modules of {where}: {' <-> '.join(comp)}")
        members = set(comp)
        for (p, a, b), evidence in sorted(edges.items()):
            if p == parent and a in members and b in members:
                f, line, path = evidence[0]
                more = f" (+{len(evidence) - 1} more)" if len(evidence) > 1 else ""
                shown = f.relative_to(root) if f.is_relative_to(root) else f.relative_to(crate_dir.parent)
                problems.append(f"  {a} -> {b}: {shown}:{line} uses {path}{more}")
    return problems


def main(argv: list[str]) -> int:
    root = Path.cwd()
    dirs = [Path(a) for a in argv] or sorted(
        d for d in (root / "crates").iterdir() if (d / "src" / "lib.rs").is_file() or (d / "src" / "main.rs").is_file()
    )
    problems = []
    for d in dirs:
        problems += check(d.resolve(), root)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print("module cycles: each cycle above must be broken (move the shared part down into a module both use)",
              file=sys.stderr)
        return 1
    print(f"module cycles: none in {len(dirs)} crate(s) ({', '.join(d.name for d in dirs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
