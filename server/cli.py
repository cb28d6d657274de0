"""Flask commands: catalog load, users add, apikeys add, demo accounts, calendar days, notify, backup, restore."""
import secrets
import time
from datetime import date

import click
from flask import Blueprint
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from .errors import ApiError
from .extensions import db
from .models import User
from .services import auth, backup, catalog_loader, deadlines, notify

cli = Blueprint("cli", __name__, cli_group=None)

DEMO_ACCOUNTS = [  # username, role, unit, display name
    ("inspector", "inspector", None, "巡查员（演示）"),
    ("liaison-zfj", "liaison", "市执法局北部分局", "执法局联络员（演示）"),
    ("liaison-jdb", "liaison", "阳和街道办事处", "街道办联络员（演示）"),
    ("office", "office", None, "创卫办（演示）"),
    ("admin", "admin", None, "管理员（演示）"),
]


def _fail(err: ApiError):
    raise click.ClickException(f"{err.message} ({err.code})")


@cli.cli.group("catalog")
def catalog_group():
    """The plan's catalog."""


@catalog_group.command("load")
@click.option("--file", "path", default=str(catalog_loader.PLAN_PATH), show_default=True)
@click.option("--force", is_flag=True, help="apply the file even if unchanged (overwrites office edits)")
def catalog_load(path, force):
    """Load or refresh the catalog from the plan file (safe to re-run)."""
    try:
        summary = catalog_loader.load_plan(path, force)
    except catalog_loader.CatalogError as err:
        raise click.ClickException(str(err))
    state = "updated" if summary["changed"] else "unchanged"
    click.echo(f"catalog {state}: version {summary['version']}, {summary['units']} units, "
               f"{summary['actions']} actions, {summary['categories']} categories, "
               f"{summary['zones']} zones")


@cli.cli.group("users")
def users_group():
    """People who sign in."""


@users_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["inspector", "liaison", "office", "admin"]))
@click.option("--unit", default=None, help="unit name or code (liaisons)")
@click.option("--password", required=True)
@click.option("--display-name", default=None)
def users_add(username, role, unit, password, display_name):
    """Add a user."""
    try:
        user = auth.create_user(username, role, password, unit, display_name)
    except ApiError as err:
        _fail(err)
    click.echo(f"user {user.username} ({user.role}{', ' + user.unit.name if user.unit else ''}) added")


@cli.cli.group("apikeys")
def apikeys_group():
    """Open311 API keys."""


@apikeys_group.command("add")
@click.argument("name")
def apikeys_add(name):
    """Create an Open311 API key; it is shown once."""
    try:
        raw = auth.create_api_key(name)
    except ApiError as err:
        _fail(err)
    click.echo(raw)


@cli.cli.group("demo")
def demo_group():
    """Demo data for a local run."""


@demo_group.command("accounts")
def demo_accounts():
    """Create (or reset) one account per role with fresh random passwords and print them."""
    click.echo("Demo accounts 演示账号 (passwords are new on every setup):")
    for username, role, unit, name in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(9)
        user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            auth.create_user(username, role, password, unit, name)
        else:
            user.password_hash = generate_password_hash(password)
            user.active = True
            db.session.commit()
        click.echo(f"  {role:<10} {username:<12} {password:<14} {unit or ''}")


@cli.cli.group("calendar")
def calendar_group():
    """The office's list of holidays and adjusted working days."""


@calendar_group.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--workday/--holiday", required=True)
@click.option("--note", default=None)
def calendar_set(day, workday, note):
    """Mark a date as a working day or a holiday (overrides the holiday library)."""
    deadlines.set_office_day(date.fromordinal(day.toordinal()), workday, note)
    db.session.commit()
    click.echo(f"{day:%Y-%m-%d} {'workday' if workday else 'holiday'}")


@cli.cli.group("notify")
def notify_group():
    """Webhook notifications."""


@notify_group.command("run")
@click.option("--once", is_flag=True, help="one pass, then exit (for cron or tests)")
@click.option("--interval", default=30, show_default=True, help="seconds between passes")
def notify_run(once, interval):
    """Queue overdue notices and deliver pending webhooks (run as a service in production)."""
    while True:
        overdue = notify.scan_overdue()
        counts = notify.deliver_due()
        click.echo(f"overdue queued {overdue}; delivered {counts['delivered']}, "
                   f"retry {counts['retry']}, failed {counts['failed']}")
        if once:
            return
        time.sleep(interval)


@cli.cli.command("backup")
@click.argument("path", type=click.Path(file_okay=False, writable=True))
def backup_command(path):
    """Write a consistent backup (database rows, photo manifest, blobs) to the new directory PATH, online."""
    try:
        summary = backup.backup(path)
    except backup.BackupError as err:
        raise click.ClickException(str(err))
    rows = sum(summary["tables"].values())
    blobs = summary["blobs"]
    click.echo(f"backup {path}: revision {summary['revision']}, snapshot {summary['taken_at']}, "
               f"{len(summary['tables'])} tables, {rows} rows, {blobs['count']} blobs "
               f"({blobs['bytes'] / 1e6:.1f} MB), {summary['seconds']} s")


@cli.cli.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="replace a non-empty instance (drops its tables and photos)")
def restore_command(path, force):
    """Rebuild this empty instance (DATABASE_URL, PHOTO_STORE) from the backup at PATH, verifying every photo."""
    try:
        summary = backup.restore(path, force)
    except backup.BackupError as err:
        raise click.ClickException(str(err))
    for table, rows in summary["tables"].items():
        click.echo(f"  {table:<28}{rows:>10}")
    blobs = summary["blobs"]
    click.echo(f"restored {path} (snapshot {summary['taken_at']}): revision {summary['revision']}, "
               f"{sum(summary['tables'].values())} rows, {blobs['count']} photos verified "
               f"({blobs['bytes'] / 1e6:.1f} MB)")
