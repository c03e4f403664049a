"""The Dockerfile of each component, and the .dockerignore they share (the build context is the root)."""

import json
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Component

REPO = Path(__file__).resolve().parents[2]
SMTP_PORT = 8025

Instruction = tuple[str, str]


def instructions(dockerfile: Path) -> list[Instruction]:
    """(KEYWORD, arguments) per instruction, continuation lines joined and comments dropped."""
    assert dockerfile.exists(), f"{dockerfile.relative_to(REPO)} is missing"
    result: list[Instruction] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    return result


def final_stage(steps: list[Instruction]) -> list[Instruction]:
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def only(steps: list[Instruction], keyword: str) -> list[str]:
    return [arguments for kw, arguments in steps if kw == keyword]


def test_every_stage_is_python_311_slim(component: "Component") -> None:
    bases = [arguments.split()[0] for arguments in only(instructions(component.dockerfile), "FROM")]
    assert bases and all(base == "python:3.11-slim" for base in bases), bases


def test_runs_as_a_numeric_non_root_user(component: "Component") -> None:
    users = only(final_stage(instructions(component.dockerfile)), "USER")
    assert users, "the final stage never leaves root"
    uid = users[-1].split(":")[0]
    # Numeric, or Kubernetes cannot verify runAsNonRoot against the image.
    assert uid.isdigit() and int(uid) != 0, users[-1]


def test_exposes_its_port(component: "Component") -> None:
    exposed = " ".join(only(final_stage(instructions(component.dockerfile)), "EXPOSE")).split()
    expected = {str(component.port)} | ({str(SMTP_PORT)} if component.name == "sandbox" else set())
    assert expected <= set(exposed), exposed


def test_healthcheck_asks_python_for_readiness(component: "Component") -> None:
    checks = only(final_stage(instructions(component.dockerfile)), "HEALTHCHECK")
    assert len(checks) == 1, "one HEALTHCHECK in the final stage"
    assert "python" in checks[0] and "curl" not in checks[0]
    assert f"127.0.0.1:{component.port}/health/ready" in checks[0]


def test_cmd_serves_the_api_with_the_declared_console_script(component: "Component") -> None:
    cmds = only(final_stage(instructions(component.dockerfile)), "CMD")
    assert len(cmds) == 1
    command = json.loads(cmds[0])  # exec form, so signals reach the server, not a shell
    assert command[0] in component.console_scripts(), f"{command[0]!r} is not in [project.scripts]"
    assert command == [component.name, "serve", "--host", "0.0.0.0", "--port", str(component.port)]


def test_dependencies_are_pinned_and_installed_before_the_code(component: "Component") -> None:
    steps = instructions(component.dockerfile)
    folder = component.folder.relative_to(REPO).as_posix()
    copies = [(i, arguments) for i, (keyword, arguments) in enumerate(steps) if keyword == "COPY"]
    installs = [i for i, (keyword, arguments) in enumerate(steps) if keyword == "RUN" and "pip install" in arguments]
    assert any("constraints.txt" in arguments for _, arguments in copies)
    assert installs and all("-c constraints.txt" in steps[i][1] for i in installs)
    source_copies = [i for i, arguments in copies if arguments.split()[0] in (f"{folder}/", "shared/")]
    assert len(source_copies) == 2, f"copies shared/ and {folder}/"
    # The third-party layer comes first, so editing code does not reinstall every dependency.
    assert installs[0] < min(source_copies)


def dockerignored(path: str, patterns: list[str]) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns)


def test_dockerignore_keeps_local_state_out_and_the_sources_in(component: "Component") -> None:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert {".git", ".venv", "var", ".env"} <= set(patterns)
    folder = component.folder.relative_to(REPO).as_posix()
    needed = [
        "constraints.txt",
        "shared/pyproject.toml",
        "shared/src/quintet_shared/settings.py",
        f"{folder}/pyproject.toml",
        f"{folder}/src/{component.name}/main.py",
        f"{folder}/migrations/env.py",
    ]
    assert not [path for path in needed if dockerignored(path, patterns)]
