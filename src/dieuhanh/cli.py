"""The ``dieuhanh`` command: serve, demo, database and user administration, audit checks."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from dieuhanh.components import registry
from dieuhanh.components.feedback import demo as feedback_demo
from dieuhanh.components.socioeconomic import demo as socioeconomic_demo
from dieuhanh.core.db import Database, utcnow
from dieuhanh.core.errors import ProblemError
from dieuhanh.core.i18n import compile_catalogs
from dieuhanh.core.pages import build_templates
from dieuhanh.core.security import Role
from dieuhanh.core.settings import Settings
from dieuhanh.domains.auth import service as auth_service
from dieuhanh.domains.dashboards import service as dashboards_service
from dieuhanh.domains.indicators import service as indicators_service
from dieuhanh.domains.units import service as units_service
from dieuhanh.integrations import chromium
from dieuhanh.migrations import runner
from dieuhanh.web import briefing as briefing_doc
from dieuhanh.web.app import WEB_DIR, create_app

# Open live streams (the wall's) would hold a restart forever: close them after this long.
GRACEFUL_SECONDS = 3

app = typer.Typer(help="Điều Hành — Intelligent Operations Center", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
users_app = typer.Typer(help="User accounts", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log", no_args_is_help=True)
units_app = typer.Typer(help="Administrative units", no_args_is_help=True)
i18n_app = typer.Typer(help="Translations", no_args_is_help=True)
components_app = typer.Typer(help="Component packs (hợp phần)", no_args_is_help=True)
indicators_app = typer.Typer(help="Indicators engine", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(units_app, name="units")
app.add_typer(i18n_app, name="i18n")
app.add_typer(components_app, name="components")
app.add_typer(indicators_app, name="indicators")
console = Console()

ProgressFn = Callable[[str, int, int], None]


@contextmanager
def progress_bar() -> Iterator[ProgressFn]:
    """A Rich progress bar driven by ``(label, done, total)`` callbacks from services."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        tasks: dict[str, object] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            progress.update(tasks[label], completed=done, total=total)  # type: ignore[arg-type]

        yield update


def _upgrade(settings: Settings) -> None:
    runner.upgrade(settings.database_url)


def _print_problem(exc: ProblemError) -> None:
    console.print(f"[red]{exc.code}[/red] {exc.detail or ''}")
    for err in exc.errors[:50]:
        where = ", ".join(f"{k}={v}" for k, v in err.items() if k != "message")
        console.print(f"  {where}: {err.get('message', '')}")
    if len(exc.errors) > 50:
        console.print(f"  … {len(exc.errors) - 50} more")


def _load_units(database: Database, settings: Settings, data_dir: Path | None = None) -> None:
    try:
        with progress_bar() as progress, database.transaction() as db:
            report = units_service.load_reference_data(
                db=db, home_province=settings.home_province, progress=progress, data_dir=data_dir
            )
            if not report.skipped:
                # the units' closure changed: the roll-ups kept per ancestor follow it
                indicators_service.rebuild_rollups(db)
    except ProblemError as exc:
        _print_problem(exc)
        console.print("[red]Nothing was written.[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]Units:[/green] {report.summary()}")


def _sync_components(database: Database, settings: Settings) -> None:
    """Write every pack into the catalog; unchanged definitions cost one read (idempotent)."""
    try:
        with database.transaction() as db:
            actor = auth_service.system_actor("cli")
            report = registry.sync(
                db=db, actor=actor, home_province=settings.home_province, with_dashboards=False
            )
            boards = registry.sync_dashboards(db=db, actor=actor)
            categories = registry.sync_categories(db=db, actor=actor)
    except ProblemError as exc:
        _print_problem(exc)
        console.print("[red]Nothing was written.[/red]")
        raise typer.Exit(1) from exc
    console.print(
        f"[green]Components:[/green] {report.summary()}; {boards.summary()}; "
        f"report categories: {len(categories.created)} new, {len(categories.updated)} updated, "
        f"{len(categories.unchanged)} unchanged, {len(categories.kept_local)} kept local"
    )
    for warning in report.warnings:
        console.print(f"[yellow]{warning}[/yellow]")
    if report.kept_local:
        console.print(f"Kept local edits of: {', '.join(report.kept_local)}")


def _generate_demo_data(database: Database, settings: Settings) -> None:
    """Fill the socio-economic pack with reproducible demo values (2021 to this month).

    A second run with the same data replays its batches and writes nothing.
    """
    try:
        with progress_bar() as progress, database.transaction() as db:
            report = socioeconomic_demo.generate(
                db=db,
                actor=auth_service.system_actor("demo"),
                home_province=settings.home_province,
                progress=progress,
            )
    except ProblemError as exc:
        _print_problem(exc)
        console.print("[red]Nothing was written.[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]Demo data:[/green] {report.summary()}")
    with console.status("Citizen reports…"), database.transaction() as db:
        reports = feedback_demo.generate(
            db=db,
            actor=auth_service.system_actor("demo"),
            home_province=settings.home_province,
            calendar=settings.work_calendar(),
            now=utcnow(),
        )
    console.print(f"[green]Demo citizen feedback:[/green] {reports.summary()}")


@components_app.command("sync")
def components_sync() -> None:
    """Write the packs' dimensions, indicators and rules into the catalog; idempotent."""
    settings = Settings()
    database = Database(settings.database_url)
    auth_service.install_audit(database)
    try:
        _sync_components(database, settings)
    finally:
        database.dispose()


@components_app.command("list")
def components_list() -> None:
    """The packs found (built in, and installed through the dieuhanh.components entry point)."""
    try:
        packs = registry.discover()
    except ProblemError as exc:
        _print_problem(exc)
        raise typer.Exit(1) from exc
    for pack in packs:
        catalog = pack.catalog
        console.print(
            f"{pack.code}\t{pack.info.name_vi}\t{pack.origin}\t"
            f"{len(catalog.indicators)} indicators, {len(catalog.validation_rules)} rules, "
            f"{len(pack.dashboards)} dashboards, {len(pack.feedback_categories)} report categories"
        )


@indicators_app.command("rebuild-rollups")
def indicators_rebuild_rollups() -> None:
    """Recompute the roll-ups kept on write from the stored observations (they are kept up
    to date by every write; this is for checking them or after restoring a backup)."""
    settings = Settings()
    database = Database(settings.database_url)
    try:
        with console.status("Recomputing roll-ups…"), database.transaction() as db:
            rows = indicators_service.rebuild_rollups(db)
    finally:
        database.dispose()
    console.print(f"[green]Roll-ups:[/green] {rows:,} rows")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = Settings()
    _upgrade(settings)
    console.print("[green]Database is up to date.[/green]")


@units_app.command("load")
def units_load(
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder with admin_units/ and boundaries/ (default: shipped)"),
    ] = None,
) -> None:
    """Load (or refresh) administrative units, successions and boundaries; idempotent."""
    settings = Settings()
    database = Database(settings.database_url)
    try:
        _load_units(database, settings, data_dir)
    finally:
        database.dispose()


@i18n_app.command("compile")
def i18n_compile() -> None:
    """Compile the gettext catalogs (``.po`` → ``.mo``)."""
    written = compile_catalogs()
    console.print(f"Compiled {len(written)} catalogs.")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="Login name")],
    role: Annotated[Role, typer.Option(help="Role")] = Role.OPERATOR,
    unit: Annotated[str | None, typer.Option(help="Scope unit code (default: home)")] = None,
    agency: Annotated[str | None, typer.Option(help="Agency unit code")] = None,
    full_name: Annotated[str, typer.Option(help="Full name")] = "",
    password: Annotated[
        str | None, typer.Option(help="Password (prompted when omitted)", hidden=True)
    ] = None,
) -> None:
    """Create a user account (the password is asked for twice when not given)."""
    settings = Settings()
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Repeat: "):
            console.print("[red]Passwords differ.[/red]")
            raise typer.Exit(2)
    database = Database(settings.database_url)
    auth_service.install_audit(database)
    try:
        with database.transaction() as db:
            user = auth_service.create_user(
                db=db,
                actor=auth_service.system_actor("cli"),
                username=username,
                password=password,
                role=role,
                scope_unit_code=unit or (None if role == Role.ADMIN else settings.home_province),
                agency_unit_code=agency,
                full_name=full_name,
            )
        console.print(f"[green]Created[/green] {user.username} ({user.role})")
    except ProblemError as exc:
        _print_problem(exc)
        raise typer.Exit(1) from exc
    finally:
        database.dispose()


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute the audit hash chain; exits 1 if an entry was edited, removed or inserted."""
    settings = Settings()
    database = Database(settings.database_url)
    try:
        with database.reading() as db:
            result = auth_service.verify_audit_chain(db=db)
    finally:
        database.dispose()
    if result.ok:
        console.print(f"[green]Audit log intact:[/green] {result.checked} entries verified.")
        console.print(f"Head hash (keep a copy elsewhere to detect a rewritten log): {result.head}")
        return
    console.print(f"[red]Audit log broken at entry {result.broken_at}:[/red] {result.reason}")
    raise typer.Exit(1)


@app.command()
def briefing(
    unit: Annotated[str | None, typer.Option(help="Unit code (default: the home province)")] = None,
    period: Annotated[
        str | None, typer.Option(help="Month, e.g. 2026-10 (default: last month)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="PDF file to write")] = None,
    locale: Annotated[str, typer.Option(help="vi or en")] = "vi",
) -> None:
    """Write the monthly briefing for the People's Committee meeting as an A4 PDF."""
    settings = Settings()
    database = Database(settings.database_url)
    code = unit or settings.home_province
    month = period or str(briefing_doc.previous_month(utcnow(), settings.timezone))
    target = out or Path(f"bao-cao-{code}-{month}.pdf")
    try:
        with console.status("Đang lập báo cáo…"), database.reading() as db:
            found = dashboards_service.build_briefing(
                db=db,
                actor=auth_service.system_actor("cli"),
                unit=code,
                period=month,
                calendar=settings.work_calendar(),
                locale=locale,
            )
        templates = build_templates(WEB_DIR / "templates", tile_url=settings.tile_url)
        with console.status("Đang in PDF…"):
            pdf = briefing_doc.render_pdf(templates.env, found, settings)
    except ProblemError as exc:
        _print_problem(exc)
        raise typer.Exit(1) from exc
    except chromium.RenderError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        database.dispose()
    target.write_bytes(pdf)
    console.print(
        f"[green]Báo cáo:[/green] {target} ({len(pdf):,} bytes; "
        f"{len(found.headline)} chỉ tiêu, {len(found.late)} cơ quan chậm số liệu)"
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="uvicorn workers")] = 1,
) -> None:
    """Serve the IOC (migrations must be applied)."""
    if workers > 1:
        uvicorn.run(
            "dieuhanh.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            timeout_graceful_shutdown=GRACEFUL_SECONDS,
        )
        return
    uvicorn.run(
        create_app(Settings()), host=host, port=port, timeout_graceful_shutdown=GRACEFUL_SECONDS
    )


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Set up the embedded demo (SQLite, units, Đà Nẵng, demo users) and serve it."""
    settings = Settings()
    if settings.environment == "production":
        console.print("[red]Refusing to create demo users in production.[/red]")
        raise typer.Exit(2)
    compile_catalogs()
    _upgrade(settings)
    database = Database(settings.database_url)
    auth_service.install_audit(database)
    try:
        _load_units(database, settings)
        _sync_components(database, settings)
        _generate_demo_data(database, settings)
        with database.transaction() as db:
            accounts = auth_service.ensure_demo_users(db=db, province_code=settings.home_province)
    finally:
        database.dispose()
    credentials = Path("var/demo-users.txt")
    credentials.parent.mkdir(parents=True, exist_ok=True)
    if accounts:
        credentials.write_text(
            "".join(f"{a.username}\t{a.password}\t{a.role}\n" for a in accounts), encoding="utf-8"
        )
        credentials.chmod(0o600)
    console.print(f"Demo accounts (username, password, role) are in [bold]{credentials}[/bold]:")
    if credentials.exists():
        console.print(credentials.read_text(encoding="utf-8"))
    if serve_after:
        console.print(f"Serving on http://{host}:{port}")
        uvicorn.run(
            create_app(settings), host=host, port=port, timeout_graceful_shutdown=GRACEFUL_SECONDS
        )


def main() -> None:
    app()


if __name__ == "__main__":
    main()
