"""Every command documents itself, and the public names of the library can be imported."""

from __future__ import annotations

import importlib

import click
import pytest

import storydiff
from storydiff.cli import main

COMMANDS = sorted(main.commands)


def test_there_are_commands():
    assert {"ingest", "articles", "search", "problems", "report"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help(cli, name):
    command = main.commands[name]
    assert command.help and command.help.strip(), f"{name} has no docstring"
    result = cli(name, "--help", raw=True)
    assert result.exit_code == 0
    assert f"Usage: main {name}" in result.stdout or f"{name} [OPTIONS]" in result.stdout
    first_line = command.help.strip().splitlines()[0]
    assert " ".join(first_line.split()[:5]) in " ".join(result.stdout.split())
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden and param.name != "help":
            assert param.opts[0] in result.stdout


def test_main_help_lists_every_command(cli):
    result = cli("--help", raw=True)
    assert result.exit_code == 0
    assert main.help.strip().splitlines()[0] in result.stdout
    for name in COMMANDS:
        assert name in result.stdout
    assert "--db" in result.stdout


def test_version(cli):
    result = cli("--version", raw=True)
    assert result.exit_code == 0 and storydiff.__version__ in result.stdout


@pytest.mark.parametrize("script", [False, True], ids=["python -m storydiff.cli", "storydiff script"])
def test_help_as_a_real_process(run_storydiff, script):
    result = run_storydiff("--help", script=script)
    assert result.returncode == 0, result.stderr
    assert "ingest" in result.stdout and "report" in result.stdout
    result = run_storydiff("ingest", "--help", script=script)
    assert result.returncode == 0 and "PATHS" in result.stdout
    result = run_storydiff("ingest", script=script)
    assert result.returncode == 2 and "Missing argument" in result.stderr


@pytest.mark.parametrize("name", storydiff.__all__)
def test_public_names_importable(name):
    assert hasattr(storydiff, name), name
    module = importlib.import_module("storydiff")
    namespace: dict = {}
    exec(f"from storydiff import {name}", namespace)
    assert namespace[name] is getattr(module, name)


def test_public_callables_are_documented():
    for name in storydiff.__all__:
        obj = getattr(storydiff, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"
