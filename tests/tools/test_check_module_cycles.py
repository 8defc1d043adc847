"""Tests of scripts/check-module-cycles.py on small crates written to a temporary directory.

Run: python3 -m unittest discover -s tests/tools (scripts/test-rust.sh does).
"""

import importlib.util
import io
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check-module-cycles.py"
spec = importlib.util.spec_from_file_location("check_module_cycles", SCRIPT)
cmc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cmc)


class CrateTest(unittest.TestCase):
    def run_on(self, files: dict[str, str]) -> tuple[int, str]:
        """Writes the crate `demo` (paths under src/) and runs the check on it: (exit status, messages)."""
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for rel, text in files.items():
                p = root / "demo" / "src" / rel
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(text)
            out, err = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                status = cmc.main([str(root / "demo")])
            return status, out.getvalue() + err.getvalue()

    def assertCycle(self, files, members, parent="crate"):
        status, text = self.run_on(files)
        self.assertEqual(status, 1, text)
        self.assertIn(f"import cycle among the modules of {parent}: {' <-> '.join(members)}", text)
        return text

    def assertClean(self, files):
        status, text = self.run_on(files)
        self.assertEqual(status, 0, text)
        self.assertIn("module cycles: none", text)

    def test_layers_without_a_cycle_pass(self):
        self.assertClean({
            "lib.rs": "mod a; mod b; mod c;\n",
            "a.rs": "use crate::b::B;\npub struct A;\n",
            "b.rs": "use crate::c::C;\npub struct B;\n",
            "c.rs": "pub struct C;\n",
        })

    def test_two_modules_using_each_other_fail_naming_both_uses(self):
        text = self.assertCycle({
            "lib.rs": "mod a; mod b;\n",
            "a.rs": "use crate::b::B;\npub struct A;\n",
            "b.rs": "pub struct B;\nfn f() -> crate::a::A { crate::a::A }\n",
        }, ["a", "b"])
        self.assertIn("a -> b: demo/src/a.rs:1 uses crate::b::B", text)
        self.assertIn("b -> a: demo/src/b.rs:2 uses crate::a::A (+1 more)", text)

    def test_a_three_module_cycle_is_found(self):
        self.assertCycle({
            "lib.rs": "mod a; mod b; mod c;\n",
            "a.rs": "use crate::b::B;\n",
            "b.rs": "use crate::c::C;\n",
            "c.rs": "use crate::a::A;\n",
        }, ["a", "b", "c"])

    def test_parent_and_child_using_each_other_is_containment(self):
        self.assertClean({
            "lib.rs": "mod store;\n",
            "store/mod.rs": "mod kv;\npub use kv::Kv;\npub struct Record;\n",
            "store/kv.rs": "use super::Record;\nuse crate::store::Record as R;\npub struct Kv;\n",
        })

    def test_a_use_from_a_nested_module_is_an_edge_between_the_top_modules(self):
        self.assertCycle({
            "lib.rs": "mod dialect; mod store;\n",
            "store/mod.rs": "mod kv; mod records;\n",
            "store/kv.rs": "use crate::dialect::Dialect;\n",
            "store/records.rs": "pub struct Record;\n",
            "dialect.rs": "use crate::store::records::Record;\npub enum Dialect {}\n",
        }, ["dialect", "store"])

    def test_siblings_inside_a_module_are_checked_too(self):
        self.assertCycle({
            "lib.rs": "mod store;\n",
            "store.rs": "mod kv; mod records;\n",
            "store/kv.rs": "use super::records::Record;\npub struct Kv;\n",
            "store/records.rs": "use super::kv::Kv;\npub struct Record;\n",
        }, ["kv", "records"], parent="crate::store")

    def test_test_modules_are_not_part_of_the_graph(self):
        self.assertClean({
            "lib.rs": "mod api; mod validate;\n#[cfg(test)]\nmod testkit;\n",
            "api.rs": "use crate::validate::check;\n",
            "validate.rs": "pub fn check() {}\n#[cfg(test)]\nmod tests {\n    use crate::api;\n    fn f() { crate::api::x(); }\n}\n",
            "testkit.rs": "use crate::api;\nuse crate::validate;\n",
        })

    def test_comments_strings_and_macro_paths_are_not_uses(self):
        self.assertClean({
            "lib.rs": "mod a; mod b;\n",
            "a.rs": "use crate::b::B;\n",
            "b.rs": ("// use crate::a::A;\n/* crate::a::A /* nested */ crate::a::A */\n"
                     "const S: &str = \"crate::a::A\";\nconst R: &str = r#\"crate::a::\"A\"#;\n"
                     "const C: char = '\"';\nfn f<'a>(x: &'a str) {}\n"
                     "macro_rules! m { () => { $crate::a::A } }\npub(in crate::a) struct B;\n"),
        })

    def test_a_use_through_a_re_export_is_a_use_of_its_module(self):
        self.assertCycle({
            "lib.rs": "mod app; mod handlers;\npub use app::App;\n",
            "app.rs": "use crate::handlers::handle;\npub struct App;\n",
            "handlers.rs": "use crate::App;\npub fn handle() {}\n",
        }, ["app", "handlers"])

    def test_use_groups_self_and_aliases(self):
        self.assertCycle({
            "lib.rs": "mod a; mod b; mod c;\n",
            "a.rs": "use crate::{c::C, b::{self, B as Bee}};\n",
            "b.rs": "pub struct B;\n",
            "c.rs": "use crate::a;\n",
        }, ["a", "c"])

    def test_super_inside_an_inline_module_starts_from_that_module(self):
        self.assertCycle({
            "lib.rs": "mod a; mod b;\n",
            "a.rs": "mod inner {\n    use super::super::b::B;\n}\n",
            "b.rs": "use crate::a::X;\n",
        }, ["a", "b"])
        self.assertClean({
            "lib.rs": "mod a; mod b;\n",
            "a.rs": "pub struct X;\nmod inner {\n    use super::X;\n}\n",
            "b.rs": "use crate::a::X;\n",
        })

    def test_external_crates_and_relative_paths_to_children_are_not_edges(self):
        self.assertClean({
            "lib.rs": "mod a; mod b;\nuse a::A;\nuse serde::Serialize;\n",
            "a.rs": "use crate::b::B;\nuse std::fmt;\npub struct A;\n",
            "b.rs": "use serde_json::Value;\npub struct B;\n",
        })


if __name__ == "__main__":
    unittest.main()
