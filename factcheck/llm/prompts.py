"""Prompt files under `prompts/`: strict `$variable` rendering and content hashes for provenance.

Each step has a pair of files, `<step>.system.md` and `<step>.user.md`. Placeholders use
`string.Template` syntax (`$name` / `${name}`; `$$` for a literal dollar), so JSON braces in a
prompt need no escaping. Rendering fails on a missing *or* an unused variable.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from string import Template

from factcheck.errors import PromptError

ROLES = ("system", "user")


@dataclass(frozen=True)
class Prompt:
    """One step's system and user templates, with a hash of their content."""

    step: str
    system: str
    user: str

    @property
    def hash(self) -> str:
        """First 12 hex digits of sha256 over both files; changes whenever either changes."""
        digest = hashlib.sha256(f"{self.system}\x00{self.user}".encode()).hexdigest()
        return digest[:12]

    def uses(self, name: str) -> bool:
        """Whether either file has the placeholder `$name` (a variable added to the shipped
        prompts later, such as `output_language`, is passed only to prompts that use it, so
        older prompt files keep rendering)."""
        return any(name in Template(text).get_identifiers() for text in (self.system, self.user))

    def render(self, **variables: object) -> list[tuple[str, str]]:
        """Render to `[(role, content), ...]`; every placeholder filled, every variable used."""
        used: set[str] = set()
        messages = []
        for role, text in (("system", self.system), ("user", self.user)):
            template = Template(text)
            if not template.is_valid():
                raise PromptError(f"prompt {self.step}.{role}: invalid placeholder syntax")
            names = set(template.get_identifiers())
            missing = names - variables.keys()
            if missing:
                raise PromptError(f"prompt {self.step}.{role}: missing variables {sorted(missing)}")
            used |= names
            messages.append((role, template.substitute({k: str(variables[k]) for k in names})))
        unused = variables.keys() - used
        if unused:
            raise PromptError(f"prompt {self.step}: unused variables {sorted(unused)}")
        return messages


class PromptLibrary:
    """Loads prompts from a directory; single steps may be overridden from other directories."""

    def __init__(self, directory: Path, overrides: dict[str, Path] | None = None) -> None:
        self.directory = Path(directory)
        self.overrides = dict(overrides or {})
        self._cache: dict[str, Prompt] = {}

    def get(self, step: str) -> Prompt:
        """The prompt for `step`, read once from disk."""
        if step not in self._cache:
            base = self.overrides.get(step, self.directory)
            texts = {}
            for role in ROLES:
                path = base / f"{step}.{role}.md"
                if not path.is_file():
                    raise PromptError(
                        f"prompt file not found: {path} (set FACTCHECK_PROMPTS_DIR to a "
                        f"directory holding {step}.system.md and {step}.user.md)"
                    )
                texts[role] = path.read_text(encoding="utf-8")
            self._cache[step] = Prompt(step, texts["system"], texts["user"])
        return self._cache[step]

    def hashes(self, steps: list[str] | None = None) -> dict[str, str]:
        """Content hash of each step's prompt (all prompt pairs in the directory by default)."""
        if steps is None:
            steps = sorted(
                {p.name.split(".")[0] for p in self.directory.glob("*.system.md")}
                | set(self.overrides)
            )
        return {step: self.get(step).hash for step in steps}
