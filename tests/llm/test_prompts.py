from pathlib import Path

import pytest

from factcheck.config import default_prompts_dir
from factcheck.errors import PromptError
from factcheck.llm.prompts import PromptLibrary


def write_pair(directory: Path, step: str, system: str, user: str) -> None:
    (directory / f"{step}.system.md").write_text(system, encoding="utf-8")
    (directory / f"{step}.user.md").write_text(user, encoding="utf-8")


def test_render_strict_and_json_braces_need_no_escaping(tmp_path):
    write_pair(tmp_path, "s", 'Reply {"a": 1} about $topic.', "Text: ${body}$$")
    prompt = PromptLibrary(tmp_path).get("s")
    assert prompt.render(topic="x", body="y") == [
        ("system", 'Reply {"a": 1} about x.'),
        ("user", "Text: y$"),
    ]
    with pytest.raises(PromptError, match="missing variables"):
        prompt.render(topic="x")
    with pytest.raises(PromptError, match="unused variables"):
        prompt.render(topic="x", body="y", extra=1)


def test_hash_changes_with_content_and_override(tmp_path):
    write_pair(tmp_path, "s", "A $x", "B")
    other = tmp_path / "other"
    other.mkdir()
    write_pair(other, "s", "A $x", "B changed")
    base = PromptLibrary(tmp_path)
    overridden = PromptLibrary(tmp_path, overrides={"s": other})
    assert base.hashes() == {"s": base.get("s").hash}
    assert len(base.get("s").hash) == 12
    assert base.get("s").hash != overridden.get("s").hash


def test_missing_prompt_file_names_the_fix(tmp_path):
    with pytest.raises(PromptError, match="FACTCHECK_PROMPTS_DIR"):
        PromptLibrary(tmp_path).get("nope")


def test_shipped_prompts_render():
    library = PromptLibrary(default_prompts_dir())
    assert set(library.hashes()) == {"extract", "rewrite", "verify"}
    library.get("extract").render(
        title="t",
        publisher="p",
        published="d",
        context_before="",
        passage="x",
        context_after="",
        max_claims=3,
        article_language="Spanish (es)",
    )
    library.get("verify").render(
        claim="c", speaker="s", claim_date="d", evidence="e", output_language="Spanish"
    )


def test_optional_variables_are_passed_only_to_prompts_that_use_them():
    """Prompt files written before `output_language` existed keep rendering: the verifier
    asks `uses()` first."""
    shipped = PromptLibrary(default_prompts_dir())
    assert shipped.get("verify").uses("output_language")
    assert shipped.get("extract").uses("article_language")
    assert not shipped.get("verify").uses("article_language")
