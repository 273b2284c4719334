"""compose.yaml and deploy/Dockerfile.*: never built here (no Docker engine), so check what can be checked
without one: the stack's shape, and that every container command is a command today's ``vtryon`` accepts."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

from vtryon.app.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
DOCKERFILES = sorted((ROOT / "deploy").glob("Dockerfile.*"))


def instruction(dockerfile: Path, name: str) -> list[str]:
    """The last ``NAME`` instruction's arguments (exec form ``["a", "b"]`` or shell form)."""
    found = re.findall(rf"^{name}\s+(.+)$", dockerfile.read_text(), flags=re.MULTILINE)
    assert found, f"{dockerfile.name} has no {name}"
    value = found[-1].strip()
    return list(json.loads(value)) if value.startswith("[") else shlex.split(value)


def assert_vtryon_accepts(argv: list[str], where: str) -> None:
    """``vtryon ARGV`` parses: the subcommand and every flag exist (nothing runs)."""
    try:
        build_parser().parse_args(argv)
    except SystemExit as refused:
        pytest.fail(f"{where}: `vtryon {shlex.join(argv)}` is not a valid command (exit {refused.code})")


def compose_services() -> dict[str, Any]:
    import yaml

    document = yaml.safe_load(COMPOSE.read_text())
    services: dict[str, Any] = document["services"]
    return services


HAVE_YAML = importlib.util.find_spec("yaml") is not None


def test_there_is_an_api_and_a_worker_dockerfile() -> None:
    assert [d.name for d in DOCKERFILES] == ["Dockerfile.api", "Dockerfile.worker"]
    assert instruction(ROOT / "deploy" / "Dockerfile.api", "FROM") == ["python:3.11-slim"]
    (worker_base,) = instruction(ROOT / "deploy" / "Dockerfile.worker", "FROM")
    assert worker_base.startswith("nvidia/cuda:") and "runtime" in worker_base


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda d: d.name)
def test_each_dockerfile_runs_a_real_vtryon_command(dockerfile: Path) -> None:
    assert instruction(dockerfile, "ENTRYPOINT") == ["vtryon"]
    assert_vtryon_accepts(instruction(dockerfile, "CMD"), dockerfile.name)


def installed_extras(dockerfile: Path) -> set[str]:
    (extras,) = re.findall(r'pip install "\.\[([a-z,-]+)\]"', dockerfile.read_text())
    return set(extras.split(","))


def test_the_images_install_extras_that_exist_and_carry_the_queue_and_the_engine() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    packages = {
        name: {re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower() for requirement in requirements}
        for name, requirements in declared.items()
    }
    queue = {"redis", "saq"} & set().union(*packages.values())  # saq: once the Redis queue declares it
    for dockerfile in DOCKERFILES:
        extras = installed_extras(dockerfile)
        assert extras <= set(packages), f"{dockerfile.name} installs unknown extras {extras - set(packages)}"
        carried = set().union(*(packages[e] for e in extras))
        assert queue <= carried, f"{dockerfile.name} lacks {queue - carried}"
    assert "torch" in set().union(
        *(packages[e] for e in installed_extras(ROOT / "deploy" / "Dockerfile.worker"))
    )
    assert "torch" not in set().union(
        *(packages[e] for e in installed_extras(ROOT / "deploy" / "Dockerfile.api"))
    )


@pytest.mark.skipif(not HAVE_YAML, reason="PyYAML absent: the plain-text check below covers the commands")
def test_compose_runs_redis_with_aof_api_replicas_behind_a_balancer_and_a_gpu_worker() -> None:
    services = compose_services()
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--appendonly") + 1] == "yes"
    assert services["api"]["deploy"]["replicas"] >= 2
    assert "./deploy/nginx.conf" in services["lb"]["volumes"][0]
    assert (ROOT / "deploy" / "nginx.conf").is_file()
    workers = [name for name in services if name.startswith("worker")]
    assert workers
    for name in workers:
        (device,) = services[name]["deploy"]["resources"]["reservations"]["devices"]
        assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    for name, service in services.items():
        env = service.get("environment", {})
        if "build" in service:
            assert (ROOT / service["build"]["dockerfile"]).is_file(), name
            assert env["VTRYON_REDIS_URL"] == "redis://redis:6379/0", name


@pytest.mark.skipif(not HAVE_YAML, reason="PyYAML absent: the plain-text check below covers the commands")
def test_every_compose_command_of_our_images_is_a_real_vtryon_command() -> None:
    ours = {name: s for name, s in compose_services().items() if "build" in s}
    assert set(ours) >= {"api", "worker-gpu0"}
    for name, service in ours.items():
        assert_vtryon_accepts(list(service["command"]), f"compose service {name}")


def test_compose_commands_in_plain_text() -> None:
    """Without a YAML parser: every ``command: ["serve" | "worker", ...]`` line still parses as ``vtryon``."""
    commands = re.findall(r"^\s+command:\s+(\[.+\])\s*$", COMPOSE.read_text(), flags=re.MULTILINE)
    ours = [json.loads(c) for c in commands if not json.loads(c)[0].startswith("redis")]
    assert len(ours) >= 2
    for argv in ours:
        assert_vtryon_accepts(argv, "compose.yaml")


def test_the_quick_start_in_the_operations_doc_uses_real_commands_and_flags() -> None:
    doc = (ROOT / "docs" / "operations.md").read_text()
    start = doc.index("### Quick start as plain processes")
    block = doc[start:].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip().removesuffix("&").strip() for line in block.splitlines()]
    commands = [shlex.split(line)[1:] for line in lines if line.startswith("vtryon ")]
    assert {argv[0] for argv in commands} >= {"serve", "worker"}
    for argv in commands:
        assert_vtryon_accepts(argv, "docs/operations.md quick start")
