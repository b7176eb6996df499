"""`--ray [ADDRESS]` on the command line (no cluster needed; the cluster runs are in
tests/integration/test_ray_cluster.py)."""

from __future__ import annotations

import pytest

from factcheck.cli.cluster import driver_overrides
from factcheck.cli.run import LOCAL_RAY, cluster_options, with_ray_default
from factcheck.config import Settings
from factcheck.errors import FactcheckError


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["run", "a.jsonl", "--ray"], ["run", "a.jsonl", "--ray", LOCAL_RAY]),
        (["run", "--ray", "a.jsonl"], ["run", "--ray", LOCAL_RAY, "a.jsonl"]),
        (["run", "--ray", "--resume", "r"], ["run", "--ray", LOCAL_RAY, "--resume", "r"]),
        (["run", "a", "--ray", "10.0.0.5:6379"], ["run", "a", "--ray", "10.0.0.5:6379"]),
        (["run", "--ray", "ray://head:10001", "a"], ["run", "--ray", "ray://head:10001", "a"]),
        (["run", "--ray", "auto", "a"], ["run", "--ray", "auto", "a"]),
        (["run", "a.jsonl"], ["run", "a.jsonl"]),
    ],
)
def test_ray_without_an_address_means_a_local_instance(argv, expected):
    assert with_ray_default(argv) == expected


def test_cluster_options_from_the_command_line():
    assert cluster_options(None, None, 1.0, False) is None
    local = cluster_options(LOCAL_RAY, 3, 0.5, False)
    assert local is not None and local.address is None and local.actors == 3
    assert cluster_options("10.0.0.5:6379", None, 1.0, False).address == "10.0.0.5:6379"
    with pytest.raises(FactcheckError, match="HOST:PORT"):
        cluster_options("not an address", None, 1.0, False)
    with pytest.raises(FactcheckError, match="--batch-api"):
        cluster_options(LOCAL_RAY, None, 1.0, True)


def test_workers_get_the_driver_settings_but_never_its_secrets():
    settings = Settings(
        _env_file=None, openai_api_key="sk-secret", model="gpt-4o-mini", concurrency=7
    )
    sent = driver_overrides(settings)
    assert sent["model"] == "gpt-4o-mini" and sent["concurrency"] == 7
    assert "openai_api_key" not in sent and "sk-secret" not in repr(sent)
