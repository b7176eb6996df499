import re
from pathlib import Path

import pytest

from factcheck.config import Settings, load_settings
from factcheck.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_setting():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^FACTCHECK_([A-Z_0-9]+)=", text, flags=re.M))
    assert listed == {name.upper() for name in Settings.model_fields}


def test_backend_resolution(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert Settings(_env_file=None).resolved_backend() == "local"
    assert Settings(_env_file=None, base_url="http://127.0.0.1:1/v1").resolved_backend() == "openai"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-123")
    assert Settings(_env_file=None).resolved_backend() == "openai"
    assert Settings(_env_file=None, llm_backend="fake").resolved_backend() == "fake"


def test_secret_is_never_printed(monkeypatch):
    monkeypatch.setenv("FACTCHECK_OPENAI_API_KEY", "sk-very-secret-value")
    settings = Settings(_env_file=None)
    assert "sk-very-secret-value" not in repr(settings)
    assert "sk-very-secret-value" not in str(settings.public_dict())
    assert settings.public_dict()["openai_api_key"] == "set"


def test_bad_values_name_the_variable_and_the_fix(monkeypatch):
    monkeypatch.setenv("FACTCHECK_TOP_K", "many")
    with pytest.raises(ConfigError, match="FACTCHECK_TOP_K") as info:
        load_settings(_env_file=None)
    assert ".env.example" in str(info.value)
    monkeypatch.delenv("FACTCHECK_TOP_K")
    with pytest.raises(ConfigError, match="CHUNK_OVERLAP"):
        load_settings(_env_file=None, chunk_size=200, chunk_overlap=300)


def test_empty_values_in_env_mean_default(monkeypatch):
    monkeypatch.setenv("FACTCHECK_LOCAL_N_THREADS", "")
    monkeypatch.setenv("FACTCHECK_PROMPTS_DIR", "")
    settings = Settings(_env_file=None)
    assert settings.local_n_threads is None
    assert (settings.prompts_dir / "verify.system.md").is_file()


def test_small_model_profile_applies_only_to_local_and_unset_values():
    local = Settings(_env_file=None, llm_backend="local", top_k=9).for_backend()
    assert local.max_claims_per_window == 4 and local.top_k == 9
    remote = Settings(_env_file=None, llm_backend="fake").for_backend()
    assert remote.max_claims_per_window == 8 and remote.top_k == 6
