"""The systemd units in deploy/systemd start commands that exist, with the hardening a server of sensitive data
needs, so they cannot drift from the command line."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import click
import pytest

from referral.cli import main

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(UNITS / name, encoding="utf-8")
    return parser


@pytest.mark.parametrize("name", sorted(p.name for p in UNITS.glob("*.service")))
def test_each_service_runs_a_real_referral_command_hardened(name):
    service = unit(name)["Service"]
    words = shlex.split(service["ExecStart"])
    assert words[0].endswith("/referral")
    context = click.Context(main)
    command = main
    for word in words[1:]:
        if word.startswith("-"):
            break
        command = command.get_command(context, word)
        assert command is not None, f"{name}: no command '{word}'"
    options = {opt for param in command.params for opt in getattr(param, "opts", ())}
    for word in words[1:]:
        if word.startswith("--"):
            assert word in options, f"{name}: '{word}' is not an option of {command.name}"
    assert service["User"] == "referral" and service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict" and service["UMask"] == "0077"
    assert service["EnvironmentFile"] == "/etc/referral/env"


@pytest.mark.parametrize("name", sorted(p.name for p in UNITS.glob("*.timer")))
def test_each_timer_has_its_service(name):
    assert (UNITS / name.replace(".timer", ".service")).exists()
    assert unit(name)["Install"]["WantedBy"] == "timers.target"
