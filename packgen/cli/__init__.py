"""The command line: parse, call the library, turn its errors into messages and exit codes.

This is the only package that imports click or prints. ``main`` is the group every command hangs from,
and the one place packgen's errors become a message and an exit code; the commands live by family in
the modules beside this one. Exit codes (docs/operations.md): 0 done, 1 the user's input is wrong, 2 usage
error, 3 check --strict with critical findings, 4 a broken environment (LibreOffice missing, a full disk),
70 a bug, 130 stopped by Ctrl-C or TERM.
"""

from __future__ import annotations

import atexit
import gc
import os
import signal
import sys
import threading
import traceback

import click

from packgen import __version__

# The command modules import the library inside each command, when it runs: the whole library (pydantic,
# docxtpl, pypdf, reportlab) took most of a second to import, which --help and a build with nothing to do
# never need.
from packgen.cli import building, checking, documents, letters, mis, serving
from packgen.errors import PackgenError, storage_error, vanished

BUG_EXIT = 70
BROKEN_PIPE_EXIT = 141  # what a shell reports for a program stopped by SIGPIPE
STOPPED_EXIT = 130  # what a shell reports for a program stopped by Ctrl-C


class PackgenGroup(click.Group):
    """Turns packgen's own errors into a message and exit code; anything else is reported as a bug."""

    def invoke(self, ctx: click.Context):
        _collect_nothing_at_exit()
        # packgen validates its records with no pydantic plugin: it need not look through every
        # installed package's entry points for one (pydantic's own setting, left alone if set).
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
        previous = _stop_on_term()
        try:
            return super().invoke(ctx)
        except PackgenError as error:
            click.echo(f"Error: {error}", err=True)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:  # Ctrl-C, or TERM (see _stop_on_term): everything started is stopped by now
            click.echo(
                "\nStopped. Output being made was not put in place; what was there before is unchanged.", err=True
            )
            ctx.exit(STOPPED_EXIT)
        except BrokenPipeError:  # output piped into `head` and cut short: not an error worth a word
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(BROKEN_PIPE_EXIT)
        except OSError as exc:
            # A full or failing disk, or a file gone, met where the library does not say it itself.
            said: PackgenError | None = storage_error(exc)
            if said is None and isinstance(exc, (FileNotFoundError, NotADirectoryError)) and exc.filename:
                said = vanished(exc.filename)
            if said is None:
                _report_bug()
                ctx.exit(BUG_EXIT)
            click.echo(f"Error: {said}", err=True)
            ctx.exit(said.exit_code)
        except Exception:  # a bug: say so plainly, with the detail a developer needs
            _report_bug()
            ctx.exit(BUG_EXIT)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def _collect_nothing_at_exit() -> None:
    """Leave what a command made to the operating system when it ends: Python's last collection
    at exit looks through every object still alive (the imported libraries, a build's records) only
    to free memory that goes with the process anyway, and was most of the time exit took. Nothing
    packgen leaves for exit waits on the collector: temporary folders are removed by exit handlers,
    files are closed where they are written, and LibreOffice and the workers have ended by then."""
    global _EXIT_PREPARED
    if not _EXIT_PREPARED:
        atexit.register(gc.freeze)
        _EXIT_PREPARED = True


_EXIT_PREPARED = False


def _report_bug() -> None:
    click.echo(traceback.format_exc(), err=True)
    click.echo("packgen stopped because of a bug (above). Please report it with this message.", err=True)


def _stop_on_term():
    """TERM (``kill``, a service manager stopping us) stops packgen as Ctrl-C does: LibreOffice and the
    workers stopped, working folders removed, nothing half made put in place. Returns the handler it
    replaced (None where signals cannot be handled: outside the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum, frame):
        raise KeyboardInterrupt

    return signal.signal(signal.SIGTERM, stop)


@click.group(cls=PackgenGroup)
@click.version_option(__version__, prog_name="packgen")
def main() -> None:
    """Alternative provision evidence packs for English schools.

    Each school is a folder of YAML records (school.yaml, providers/, pupils/). packgen checks them,
    fills the Word templates, and merges everything into one indexed PDF for inspectors.

    \b
    Exit codes:
      0    done
      1    something in the records or the command to put right (the message names the file)
      2    the command itself is wrong (an unknown option, say)
      3    check --strict: critical readiness findings remain
      4    this computer cannot do it: LibreOffice missing or failing, a disk full or failing
      70   a bug in packgen (the message says how to report it)
      130  stopped by Ctrl-C or TERM: nothing half made is put in place

    \b
    Example:
      packgen check data/brookfield-academy
      packgen build data/brookfield-academy
    """


for command in (
    checking.check,
    checking.rules_command,
    checking.where_command,
    documents.provider_list,
    documents.notice,
    documents.la_letter,
    documents.agreement,
    documents.report,
    letters.letters,
    building.build,
    serving.serve,
    mis.import_command,
    mis.census,
):
    main.add_command(command)
