"""The `referral` command: Flask's command group with the project's commands, grouped by area.

Commands that only read guideline files (`guidelines`, `screen`) sit on the group itself, so they work even
when the application cannot start, which is exactly when `guidelines check` is needed. Commands that need
the application (database, keys) are added to ``app.cli`` by ``register_commands``.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from .audit_commands import audit_group, keys_group
from .cases_commands import cases_group
from .demo_commands import demo_group
from .guidelines_commands import guidelines_group
from .guidelines_report import report_command
from .init_commands import init_command
from .scenarios_commands import scenarios_group
from .screen import screen_command
from .serve import serve_command
from .slips_commands import slips_group


def _create_app() -> Flask:
    from .. import create_app

    return create_app()


main = FlaskGroup(create_app=_create_app, load_dotenv=False, set_debug_flag=False,
                  help="Border Referral Toolkit: screening, referral and training at the borders of Central Asia.")
guidelines_group.add_command(report_command)
main.add_command(guidelines_group)
main.add_command(scenarios_group)
main.add_command(screen_command)
main.add_command(serve_command)
main.add_command(init_command)
main.add_command(cases_group)
main.add_command(audit_group)
main.add_command(keys_group)
main.add_command(slips_group)
main.add_command(demo_group)


def register_commands(app: Flask) -> None:
    """Make every command available as `flask --app referral ...` too."""
    app.cli.add_command(guidelines_group)
    app.cli.add_command(scenarios_group)
    app.cli.add_command(screen_command)
    for group in (cases_group, audit_group, keys_group, slips_group, demo_group):
        app.cli.add_command(group)
