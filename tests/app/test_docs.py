"""The docs cannot silently drift: every `docs/…` path the README, the CLI's help and the code's messages
mention exists, every link between docs files resolves, every CLI subcommand and option is in docs/cli.md
(in its own section), and nothing points at a folder the repository does not have."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from micromentor.cli import _parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DOC_PATH = re.compile(r"docs/[A-Za-z0-9_\-/]+\.[a-z]+")
MD_LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
# Code whose strings reach users (help, errors, pages); tests and the vendored add-in library are not.
SOURCE_DIRS = (
    "micromentor",
    "services",
    "core",
    "policies",
    "functions",
    "graph",
    "store",
    "identity",
    "reporting",
    "learning",
)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def _help_texts() -> list[str]:
    parser = _parser()
    return [parser.format_help(), *(sub.format_help() for sub in _subparsers(parser).values())]


def _source_texts() -> list[tuple[str, str]]:
    found = [
        (str(path.relative_to(ROOT)), path.read_text(encoding="utf-8"))
        for d in SOURCE_DIRS
        for path in sorted((ROOT / d).rglob("*.py"))
    ]
    found.append(("function_app.py", (ROOT / "function_app.py").read_text(encoding="utf-8")))
    return found


def test_every_docs_path_mentioned_exists() -> None:
    texts = [("README.md", (ROOT / "README.md").read_text(encoding="utf-8"))]
    texts += [(f"help {i}", text) for i, text in enumerate(_help_texts())]
    texts += _source_texts()
    mentioned = {(where, match) for where, text in texts for match in DOC_PATH.findall(text)}
    assert mentioned, "the README and the help should point at docs/"
    missing = sorted((where, path) for where, path in mentioned if not (ROOT / path).is_file())
    assert missing == []


def test_the_five_reference_docs_exist_and_links_between_docs_resolve() -> None:
    for name in ("cli.md", "http-api.md", "policy.md", "metrics.md", "tenant-seed.md"):
        assert (DOCS / name).is_file(), name
    broken = []
    for doc in sorted(DOCS.glob("*.md")):
        for target in MD_LINK.findall(doc.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            if not (doc.parent / target).exists():
                broken.append((doc.name, target))
    assert broken == []


def _sections(text: str) -> dict[str, str]:
    """`## name` sections of a markdown file: heading -> body."""
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    return {part.split("\n", 1)[0].strip(): part for part in parts[1:]}


def test_every_subcommand_and_option_is_in_docs_cli() -> None:
    sections = _sections((DOCS / "cli.md").read_text(encoding="utf-8"))
    parser = _parser()
    undocumented = []
    for name, sub in _subparsers(parser).items():
        section = sections.get(name)
        if section is None:
            undocumented.append(name)
            continue
        for action in sub._actions:
            for option in action.option_strings:
                if option in ("-h", "--help"):
                    continue
                if not re.search(rf"`{re.escape(option)}[ `=]", section):
                    undocumented.append(f"{name} {option}")
    assert undocumented == []
    assert "--version" in (DOCS / "cli.md").read_text(encoding="utf-8")


def test_every_subcommand_help_has_an_example_and_every_option_a_help_text() -> None:
    for name, sub in _subparsers(_parser()).items():
        assert "example:\n  micromentor " in sub.format_help(), name
        for action in sub._actions:
            assert action.help, f"{name} {action.option_strings} has no help text"


@pytest.mark.parametrize("needle", ["shared/spec", "/work/shared"])
def test_nothing_points_outside_the_repository(needle: str) -> None:
    texts = [("README.md", (ROOT / "README.md").read_text(encoding="utf-8"))]
    texts += [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in sorted(DOCS.glob("*"))]
    texts += [("emulator/README.md", (ROOT / "emulator" / "README.md").read_text(encoding="utf-8"))]
    texts += [(f"help {i}", text) for i, text in enumerate(_help_texts())]
    texts += _source_texts()
    texts += [
        (str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
        for p in sorted((ROOT / "tests").rglob("*.py"))
        if p.name != "test_docs.py"
    ]
    assert [where for where, text in texts if needle in text] == []


def first_hour_commands() -> list[list[str]]:
    """The `micromentor …` commands of the README's "The first hour", in order, as argv lists (a
    backslash-continued line is one command; `# …` comments dropped)."""
    import shlex

    section = _sections((ROOT / "README.md").read_text(encoding="utf-8"))["The first hour"]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == "micromentor":
                commands.append(words)
    return commands


def test_every_first_hour_command_of_the_readme_parses() -> None:
    commands = first_hour_commands()
    assert [c[1] for c in commands] == ["demo", "emulator", "slots", "book", "play", "sync", "send-due", "report"]
    for argv in commands:
        try:
            _parser().parse_args(argv[1:])
        except Exception as exc:  # the CLI's own parser says what no longer parses
            raise AssertionError(f"README: {' '.join(argv)}: {exc}") from exc
