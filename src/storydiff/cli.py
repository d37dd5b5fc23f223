"""The ``storydiff`` command: a thin client of the library. Each command parses options, calls one public function
and formats the result.

Exit status (for scripts):
    0  everything was read / done
    1  a fatal error (the store could not be opened, a bad argument value); nothing or only part was done
    2  usage error (unknown option, missing argument)
    3  done, but some inputs were skipped: each is named with its reason (see ``storydiff problems``)
"""

from __future__ import annotations

import json
import os
import re
import sys
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import click

from . import __version__
from .errors import StorydiffError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SKIPPED = 0, 1, 2, 3


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


@contextmanager
def _using_store(db: str):
    """The store for one command: closed afterwards, its errors turned into a clean CLI error."""
    store = _open(db)
    try:
        yield store
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None
    finally:
        store.close()


def _missing_file(db: str) -> str | None:
    """The SQLite file ``db`` names when there is none there yet (``None`` for an existing file, a server URL or
    ``:memory:``)."""
    db = str(db)
    path = db[len("sqlite:///"):] if db.startswith("sqlite:///") else db
    return None if "://" in path or path == ":memory:" or os.path.exists(path) else path


def _open(db: str, *, create: bool = False):
    """The store at ``db``. Only the commands that add to a store (``create``) make a new one: any other command
    given a SQLite path where there is no file says so, rather than answering from an empty store it just made (a
    mistyped --db would otherwise look like a store with nothing in it)."""
    from .store import open_store

    missing = None if create else _missing_file(db)
    if missing:
        raise click.ClickException(f"no store at {missing}: add articles first (storydiff --db {missing} ingest "
                                   f"PATH...), or give the --db of an existing store")
    try:
        return open_store(db)
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="storydiff")
@click.option("--db", default=None, envvar="STORYDIFF_DB", show_default="storydiff.db",
              help="Store: a SQLite file path (or $STORYDIFF_DB).")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """storydiff: line up many outlets' articles about one story, with evidence."""
    ctx.obj = {"db": db or "storydiff.db"}


_linked_option = click.option(
    "--linked", is_flag=True, help="With --group-first: also parse articles alone in their event that have a pair at "
                                   "the event threshold (events closer to the full path's, more parsing).")


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--map", "field_map", multiple=True, metavar="FIELD=NAME",
              help="JSON field holding FIELD (text, title, url, outlet, published, author), e.g. --map text=body_html.")
@click.option("--workers", type=int, default=None, help="Processes for per-article work (default: CPU count).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary table.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.option("--analyze", "then_analyze", is_flag=True,
              help="Then run the analysis stage and group articles into events (`storydiff analyze`, "
                   "`storydiff stories update`).")
@click.option("--group-first", is_flag=True,
              help="With --analyze: group first and parse only the articles of events of two or more sources "
                   "(`storydiff analyze --group-first`).")
@_linked_option
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], field_map: tuple[str, ...], workers: int | None,
           quiet: bool, as_json: bool, then_analyze: bool, group_first: bool, linked: bool) -> None:
    """Read articles from PATHS (files, directories, or - for stdin) into the store.

    Reads plain text (with a key: value header or a sidecar .json), HTML pages, JSON Lines / JSON, WARC archives and
    RSS/Atom feeds, gzipped or not. Running it again on the same input changes nothing; an interrupted run is
    resumed by running the same command again. Exits 3 when some inputs were skipped.
    """
    from .ingest import ingest as run_ingest
    from .ingest.sources import parse_field_map

    if group_first and not then_analyze:  # refused before anything is read
        raise click.UsageError("--group-first goes with --analyze")
    if linked and not group_first:
        raise click.UsageError("--linked goes with --group-first")
    try:
        mapping = parse_field_map(list(field_map))
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--map") from None
    store = _open(ctx.obj["db"], create=True)
    err_console = _console(stderr=True)
    show_progress = not quiet and not as_json and err_console.is_terminal
    try:
        if show_progress:
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(TextColumn("[bold]ingest"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                          TextColumn("{task.fields[status]}"), console=err_console, transient=True) as bar:
                task = bar.add_task("ingest", total=None, status="")

                def on_progress(p):
                    bar.update(task, completed=p.bytes_done, total=p.bytes_total,
                               status=f"{p.read} read · {p.stored} stored · {p.duplicates} copies · {p.skipped} skipped")

                summary = run_ingest(list(paths), store, field_map=mapping, workers=workers, on_progress=on_progress)
        else:
            summary = run_ingest(list(paths), store, field_map=mapping, workers=workers)
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({
            "read": summary.read, "stored": summary.stored, "updated": summary.updated,
            "unchanged": summary.unchanged, "duplicates": summary.duplicates, "skipped": summary.skipped,
            "seconds": round(summary.seconds, 3),
            "problems": [{"input": p.locator, "reason": p.reason, "detail": p.detail} for p in summary.problems],
        }, ensure_ascii=False))
    elif not quiet:
        _print_summary(summary, ctx.obj["db"])
    if then_analyze and group_first:
        from .stories import DEFAULT_EMBEDDER

        _run_group_first(ctx.obj["db"], workers, DEFAULT_EMBEDDER, quiet or as_json, linked)
    elif then_analyze:
        _run_analysis(ctx.obj["db"], workers, quiet or as_json)
        from .stories import DEFAULT_EMBEDDER

        store = _open(ctx.obj["db"])
        try:
            _stories_update(store, DEFAULT_EMBEDDER, quiet or as_json, workers=workers)
        except StorydiffError as err:
            raise click.ClickException(str(err)) from None
        finally:
            store.close()
    ctx.exit(EXIT_SKIPPED if summary.problems else EXIT_OK)


def _run_analysis(db: str, workers: int | None, quiet: bool, grouped_only: bool = False):
    from .analysis import analyze as run_analyze

    store = _open(db)
    err_console = _console(stderr=True)
    try:
        if grouped_only:
            from .stories import articles_to_analyze

            only = articles_to_analyze(store)
            run_analyze = partial(run_analyze, only=only)
        if not quiet and err_console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(TextColumn("[bold]analyze"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=err_console, transient=True) as bar:
                task = bar.add_task("analyze", total=None)
                summary = run_analyze(store, workers=workers,
                                      on_progress=lambda done, total: bar.update(task, completed=done, total=total))
        else:
            summary = run_analyze(store, workers=workers)
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None
    finally:
        store.close()
    if not quiet:
        err_console.print(f"analyzed {summary.analyzed} articles in {summary.seconds:.1f} s "
                          f"({summary.already_done} already up to date)")
    return summary


def _run_group_first(db: str, workers: int | None, embedder: str, quiet: bool, linked: bool = False):
    from .stories import group_first

    store = _open(db)
    err_console = _console(stderr=True)
    try:
        if not quiet and err_console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeRemainingColumn(), console=err_console, transient=True) as bar:
                task = bar.add_task("group", total=None)

                def on_progress(step, done, total):
                    bar.update(task, description=step, completed=done, total=total)

                summary = group_first(store, workers=workers, embedder=embedder, linked=linked,
                                      on_progress=on_progress)
        else:
            summary = group_first(store, workers=workers, embedder=embedder, linked=linked)
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None
    finally:
        store.close()
    if not quiet:
        last = summary.last
        err_console.print(
            f"group first: {summary.analysed} articles analysed in {summary.rounds} rounds, {summary.alone} alone in "
            f"their event left unanalysed (`storydiff analyze` parses them too); {last.events} events re-clustered "
            f"last, {last.storylines} storylines, {summary.seconds:.1f} s")
    return summary


@main.command()
@click.option("--workers", type=int, default=None, help="Processes (default: CPU count).")
@click.option("--group-first", is_flag=True,
              help="Group the articles on their names before parsing, and analyse only the articles of events of two "
                   "or more sources (outlets; an article and the copies others republished count once: what the "
                   "comparisons need), regrouping after each round until none is left. Also updates the stories. "
                   "Much less parsing on a large corpus; articles alone in their event, or in an event of one "
                   "source, stay unanalysed.")
@click.option("--grouped-only", is_flag=True,
              help="One round of the above by hand: only articles in events of two or more sources (after "
                   "`stories --group-first update`).")
@_linked_option
@click.option("--embedder", type=click.Choice(["wordllama", "wordllama-plain", "minilm", "minilm-static"]),
              default="wordllama",
              show_default=True, help="With --group-first: the article embedding model (see DEVELOPERS.md).")
@click.option("--quiet", "-q", is_flag=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.pass_context
def analyze(ctx: click.Context, workers: int | None, group_first: bool, grouped_only: bool, linked: bool,
            embedder: str, quiet: bool, as_json: bool) -> None:
    """Find entities, quotes with their speakers, and facts in every stored article that is new or changed."""
    if group_first and grouped_only:
        raise click.UsageError("--group-first already does what --grouped-only does, round after round")
    if linked and not group_first:
        raise click.UsageError("--linked goes with --group-first")
    if group_first:
        summary = _run_group_first(ctx.obj["db"], workers, embedder, quiet or as_json, linked)
        if as_json:
            from dataclasses import asdict

            click.echo(json.dumps(asdict(summary)))
        return
    summary = _run_analysis(ctx.obj["db"], workers, quiet or as_json, grouped_only=grouped_only)
    if as_json:
        click.echo(json.dumps({"analyzed": summary.analyzed, "already_done": summary.already_done,
                               "seconds": round(summary.seconds, 3)}))


def _print_summary(summary, db: str) -> None:
    from rich.table import Table

    console = _console(stderr=True)
    shown = re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", db)  # never print a password from a store URL
    table = Table(title=f"ingest into {shown} ({summary.seconds:.1f} s)", show_header=True)
    table.add_column("read", justify="right")
    table.add_column("stored", justify="right")
    table.add_column("updated", justify="right")
    table.add_column("unchanged", justify="right")
    table.add_column("copies found", justify="right")
    table.add_column("skipped", justify="right")
    table.add_row(*(str(v) for v in (summary.read, summary.stored, summary.updated, summary.unchanged,
                                     summary.duplicates, summary.skipped)))
    console.print(table)
    if summary.problems:
        # One line per input, never wrapped or folded: a user copies these paths into the next command.
        from rich.markup import escape

        console.print(f"[bold]skipped inputs ({len(summary.problems)})[/bold]")
        for p in summary.problems:
            detail = f" ({escape(p.detail)})" if p.detail else ""
            console.print(f"  {escape(p.locator)}: [yellow]{escape(p.reason)}[/yellow]{detail}", soft_wrap=True,
                          highlight=False)
        console.print("Fix or remove these inputs and run the same command again; stored articles are kept.")


@main.command()
@click.option("--outlet", default=None, help="Only this outlet.")
@click.option("--limit", type=int, default=None, help="At most this many rows.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines on stdout.")
@click.pass_context
def articles(ctx: click.Context, outlet: str | None, limit: int | None, as_json: bool) -> None:
    """List the stored articles (id, date, outlet, title)."""
    from rich.table import Table

    store = _open(ctx.obj["db"])
    try:
        rows = store.list_articles(limit=limit, outlet=outlet)
    finally:
        store.close()
    if as_json:
        for r in rows:
            click.echo(json.dumps({"id": r.id, "title": r.title, "outlet": r.outlet, "published": r.published,
                                   "url": r.url, "author": r.author, "language": r.language, "words": r.words,
                                   "locator": r.locator}, ensure_ascii=False))
        return
    table = Table(show_header=True, title=f"{len(rows)} articles")
    for col in ("id", "published", "outlet", "title", "words"):
        table.add_column(col, overflow="fold", justify="right" if col == "words" else "left")
    for r in rows:
        table.add_row(r.id, r.published or "-", r.outlet or "-", r.title or "-", str(r.words))
    _console().print(table)


@main.command()
@click.argument("query")
@click.option("--limit", type=int, default=20)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def search(ctx: click.Context, query: str, limit: int, as_json: bool) -> None:
    """Full-text search over stored articles (SQLite FTS5 query syntax: "a phrase", a AND b, a OR b, NOT c,
    NEAR(a b, 5), prefix*; on PostgreSQL, web-search syntax)."""
    store = _open(ctx.obj["db"])
    try:
        problem = store.query_problem(query)
        hits = store.search(query, limit=limit)
    finally:
        store.close()
    if problem:
        click.echo(f"note: not a search expression ({problem}); searched for its words instead. Syntax: "
                   f"\"a phrase\", a AND b, a OR b, NOT c, NEAR(a b, 5), prefix*", err=True)
    for hit in hits:
        snippet = hit.snippet.replace("\x02", "[").replace("\x03", "]")
        if as_json:
            click.echo(json.dumps({"id": hit.row.id, "title": hit.row.title, "outlet": hit.row.outlet,
                                   "snippet": snippet, "score": hit.score}, ensure_ascii=False))
        else:
            click.echo(f"{hit.row.id}  {hit.row.outlet or '-'}  {hit.row.title or '-'}\n    {snippet}")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def problems(ctx: click.Context, as_json: bool) -> None:
    """Inputs that could not be read, with the reason."""
    store = _open(ctx.obj["db"])
    try:
        items = store.problems()
    finally:
        store.close()
    for p in items:
        if as_json:
            click.echo(json.dumps({"input": p.locator, "reason": p.reason, "detail": p.detail}, ensure_ascii=False))
        else:
            click.echo(f"{p.locator}: {p.reason}" + (f" ({p.detail})" if p.detail else ""))
    if not items and not as_json:
        click.echo("No problems: every input given to ingest was read.", err=True)


@main.command()
@click.option("--out", "-o", default="storydiff-report", show_default=True,
              help="Output path without extension (or ending in .html / .json).")
@click.option("--format", "formats", type=click.Choice(["html", "json", "md"]), multiple=True,
              help="Formats to write, repeatable (default: html and json; md = Markdown for terminals and notes).")
@click.option("--limit", type=int, default=None, help="List at most this many articles.")
@click.pass_context
def report(ctx: click.Context, out: str, formats: tuple[str, ...], limit: int | None) -> None:
    """Write the report: one self-contained HTML file, its JSON (documented schema), and Markdown on request."""
    from .report import write_report

    store = _open(ctx.obj["db"])
    try:
        written = write_report(store, out, formats=formats or ("html", "json"), limit=limit)
    finally:
        store.close()
    for fmt, path in written.items():
        click.echo(f"{fmt}: {Path(path).resolve()}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. The default is this machine only; 0.0.0.0 exposes the store to the network.")
@click.option("--port", default=8765, show_default=True, type=int)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Run the local web app over the store: search, articles, entities, outlets, comparisons, uploads."""
    from .web import serve as run_server

    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"warning: listening on {host}: anyone who can reach this address can read and add articles",
                   err=True)
    click.echo(f"storydiff web app on http://{'[' + host + ']' if ':' in host else host}:{port}/ (Ctrl-C to stop)",
               err=True)
    missing = _missing_file(ctx.obj["db"])
    if missing:
        click.echo(f"note: no store at {missing} yet: it is made when articles are added (the app's 'Add articles' "
                   f"page, or storydiff --db {missing} ingest PATH...)", err=True)
    try:
        run_server(ctx.obj["db"], host=host, port=port)
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None


@main.command()
@click.option("--articles", "article_ids", multiple=True, metavar="ID", help="Only these articles (default: all).")
@click.option("--all-rows", is_flag=True, help="Also list single-source facts.")
@click.option("--json", "as_json", is_flag=True, help="The comparison as JSON (the report's schema).")
@click.pass_context
def compare(ctx: click.Context, article_ids: tuple[str, ...], all_rows: bool, as_json: bool) -> None:
    """Where the stored accounts agree and diverge: conflicting, differing, corroborated and single-source facts,
    name variants, the same quotes across outlets, and what each outlet leaves out."""
    from .report import comparison_section, figure

    store = _open(ctx.obj["db"])
    try:
        section = comparison_section(store, list(article_ids) or None)
    finally:
        store.close()
    if section is None:
        raise click.ClickException("fewer than two analysed articles: run `storydiff analyze` first")
    if as_json:
        click.echo(json.dumps(section, ensure_ascii=False, indent=1))
        return
    counts = ", ".join(f"{n} {k.replace('-', ' ')}" for k, n in section["counts"].items())
    click.echo(f"{len(section['articles'])} articles, {section['sources']} independent sources: {counts}")

    def line(text: str, limit: int, around: str = "") -> str:
        """Article text on one line (an evidence sentence can span a paragraph break), cut to ``limit`` characters
        around the words ``around`` when they are further in."""
        text = " ".join(text.split())
        if len(text) <= limit:
            return text
        at = text.find(" ".join(around.split())) if around else -1
        start = max(0, min(at - limit // 3, len(text) - limit)) if at > limit // 2 else 0
        if start:   # from a word's start
            start = text.find(" ", start) + 1 or start
        end = start + limit - 1
        return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")

    for row in section["rows"]:
        if row["status"] == "single-source" and not all_rows:
            continue
        flag = " (inside one article)" if row["internal"] else ""
        click.echo(f"\n[{row['status'].upper()}{flag}] {row['question']}")
        for c in row["claims"]:
            who = f", attributed to {c['attributed_to']}" if c["attributed_to"] else ""
            click.echo(f"  {c['outlet']}: {figure(c['value'], row['kind'])}  \"{line(c['text'], 80)}\"{who}")
            click.echo(f"      evidence: {line(c['evidence']['text'], 160, c['text'])}")
    for m in section["quotes"]:
        click.echo("\n[SAME STATEMENT] " + "; ".join(m["flags"]))
        for q in m["quotes"]:
            click.echo(f"  {q['outlet']} ({q['kind']}, {q['speaker'] or 'unattributed'}): \"{line(q['content'], 160)}\"")
    for o in section["omissions"]:
        click.echo(f"\n[LEFT OUT] {o['outlet']} leaves out {o['kind']} '{o['what']}' (carried by "
                   f"{', '.join(o['carried_by'])})")


# --- stories


@main.group(invoke_without_command=True)
@click.option("--update", "then_update", is_flag=True,
              help="First bring events up to date with the store (new or changed articles only).")
@click.option("--embedder", type=click.Choice(["wordllama", "wordllama-plain", "minilm", "minilm-static"]),
              default="wordllama",
              show_default=True,
              help="Article embedding model (see DEVELOPERS.md).")
@click.option("--min-articles", type=int, default=2, show_default=True,
              help="List only events with at least this many articles.")
@click.option("--group-first", is_flag=True,
              help="Group articles not yet analysed on their names alone (no parse), so that only the articles of "
                   "events of several sources need `storydiff analyze --grouped-only`; a large corpus is then grouped "
                   "before it is parsed.")
@click.option("--workers", type=int, default=None,
              help="Processes for the per-article maps of an update (default: CPU count).")
@click.option("--json", "as_json", is_flag=True, help="Events, storylines and timeline as JSON on stdout.")
@click.pass_context
def stories(ctx: click.Context, then_update: bool, embedder: str, min_articles: int, group_first: bool,
            workers: int | None, as_json: bool) -> None:
    """List events (articles reporting one happening, by outlet) and storylines (events over time).

    Events are grouped from the analysed articles: run `storydiff analyze` first, then `storydiff stories --update`
    (or `storydiff stories update`) after each ingest; only new or changed articles are processed. Correct the
    grouping with `stories merge`, `stories split` and `stories pin`: those decisions are stored and survive every
    later update.
    """
    ctx.obj["embedder"] = embedder
    ctx.obj["unanalysed"] = "names" if group_first else "wait"
    ctx.obj["workers"] = workers
    if ctx.invoked_subcommand is not None:
        return
    from .stories import list_events, list_storylines, timeline

    store = _open(ctx.obj["db"])
    try:
        if then_update:
            _stories_update(store, embedder, quiet=as_json, unanalysed=ctx.obj["unanalysed"], workers=workers)
        events = list_events(store)
        lines = list_storylines(store)
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None
    finally:
        store.close()
    shown = [e for e in events if len(e["articles"]) >= min_articles]
    if as_json:
        click.echo(json.dumps({"events": shown, "storylines": lines, "timeline": timeline(shown)},
                              ensure_ascii=False))
        return
    console = _console()
    if not events:
        console.print("No events yet: run `storydiff analyze`, then `storydiff stories --update`.")
        return
    console.print(f"[bold]{len(shown)} events[/bold] with {min_articles}+ articles "
                  f"({len(events) - len(shown)} more with fewer) · [bold]{_n(len(lines), 'storyline')}[/bold]")
    for e in shown:
        when = e.get("date") or (f"published {e['published']}" if e.get("published") else "undated")
        disputed = " [red](dates disputed)[/red]" if e.get("disputed") else ""
        console.print(f"\n[bold]{e['id']}[/bold]  {when}{disputed}  {_escape(e.get('title') or '')}")
        for outlet, ids in e["outlets"].items():
            console.print(f"  {_escape(outlet)}: {', '.join(ids)}")
        why = e.get("why", {})
        names = ", ".join(_escape(n["name"]) for n in why.get("shared_names", [])[:5])
        facts = ", ".join(_escape(f["value"]) for f in why.get("shared_facts", [])[:5])
        if names or facts:
            console.print(f"  [dim]why: names {names or '-'}; facts {facts or '-'}; "
                          f"mean score {why.get('mean_score')}[/dim]")
        if e.get("disputed"):
            for d in e["dates"]:
                console.print(f"  [dim]date {d['value']}: "
                              f"{', '.join(_escape(s['outlet'] or s['article']) for s in d['sources'])}[/dim]")
    for s in lines:
        console.print(f"\n[bold]storyline {s['id']}[/bold]  {s['start']} → {s['end']}  {_escape(s.get('title') or '')}")
        for e in s["events"]:
            console.print(f"  {e.get('date') or e.get('published') or '?'}  {e['id']}  {_escape(e.get('title') or '')}"
                          f"  ({e['articles']} articles)")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _n(count: int, word: str) -> str:
    """``1 storyline``, ``2 storylines``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def _stories_update(store, embedder: str, quiet: bool, unanalysed: str = "wait", workers: int | None = None):
    from .stories import update_stories

    summary = update_stories(store, embedder=embedder, unanalysed=unanalysed,
                             workers=workers if workers is not None else (os.cpu_count() or 1))
    if not quiet:
        _console(stderr=True).print(
            f"stories: {summary.embedded} embedded, {summary.featured} with new features, {summary.changed} changed, "
            f"{summary.reclustered} re-clustered into {_n(summary.events, 'event')} ({summary.unchanged} as they "
            f"were), {_n(summary.storylines, 'storyline')} "
            f"in {summary.seconds:.1f} s"
            + (" (scanned the whole store: the first update with these settings)" if summary.looked_at is None
               else f" (looked at {_n(summary.looked_at, 'article')} stored or analysed since the last update)")
            + (f"; {summary.waiting} articles wait for `storydiff analyze`" if summary.waiting else ""))
    return summary


@stories.command("update")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.pass_context
def stories_update(ctx: click.Context, as_json: bool) -> None:
    """Bring events and storylines up to date (only new or changed articles are processed)."""
    store = _open(ctx.obj["db"])
    try:
        summary = _stories_update(store, ctx.obj["embedder"], quiet=as_json, unanalysed=ctx.obj["unanalysed"],
                                  workers=ctx.obj["workers"])
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None
    finally:
        store.close()
    if as_json:
        from dataclasses import asdict

        click.echo(json.dumps(asdict(summary)))


@stories.command("merge")
@click.argument("first")
@click.argument("second")
@click.option("--note", default="", help="Why (kept with the decision).")
@click.pass_context
def stories_merge(ctx: click.Context, first: str, second: str, note: str) -> None:
    """Merge two events into one (the decision is stored and survives re-clustering)."""
    from .stories import merge_events

    with _using_store(ctx.obj["db"]) as store:
        merged = merge_events(store, first, second, note=note, embedder=ctx.obj["embedder"])
    click.echo(f"merged into {merged}")


@stories.command("split")
@click.argument("event")
@click.option("--articles", "article_ids", multiple=True, required=True, metavar="ID",
              help="Articles to take out of EVENT into an event of their own (repeat the option).")
@click.option("--note", default="", help="Why (kept with the decision).")
@click.pass_context
def stories_split(ctx: click.Context, event: str, article_ids: tuple[str, ...], note: str) -> None:
    """Split articles out of an event (the decision is stored and survives re-clustering)."""
    from .stories import split_event

    ids = [a for value in article_ids for a in value.replace(",", " ").split()]
    with _using_store(ctx.obj["db"]) as store:
        new = split_event(store, event, ids, note=note, embedder=ctx.obj["embedder"])
    click.echo(f"split into {new}")


@stories.command("pin")
@click.argument("article")
@click.argument("event")
@click.option("--note", default="", help="Why (kept with the decision).")
@click.pass_context
def stories_pin(ctx: click.Context, article: str, event: str, note: str) -> None:
    """Pin an article to an event (the decision is stored and survives re-clustering)."""
    from .stories import pin_article

    with _using_store(ctx.obj["db"]) as store:
        now = pin_article(store, article, event, note=note, embedder=ctx.obj["embedder"])
    click.echo(f"{article} is in {now}")


# --- export and the distributed engine (docs/distributed.md)


@main.command()
@click.option("--out", "-o", required=True, help="Folder (or fsspec URL) for <table>.parquet / <table>.jsonl.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl", "both"]), default="both", show_default=True,
              help="Parquet, JSON Lines, or both.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.option("--workers", type=int, default=None,
              help="Processes that compute the comparisons table [default: the CPU count].")
@click.pass_context
def export(ctx: click.Context, out: str, fmt: str, as_json: bool, workers: int | None) -> None:
    """Write every table of the store as Parquet and JSON Lines, for DuckDB, pandas or Spark.

    Tables: articles, analyses, entities, quotes, facts, duplicates, problems, runs, and the stories stage's events,
    event_members, storylines and story_decisions where the store has them, and comparisons: every event of two or
    more analysed articles compared (facts agreed on and contradicted, quotes across outlets, omissions), computed
    now. OUT/manifest.json lists the rows of each table and the tables skipped, with the reason.
    """
    from .export import export_store

    store = _open(ctx.obj["db"])
    try:
        summary = export_store(store, out, ("parquet", "jsonl") if fmt == "both" else (fmt,),
                               workers=max(1, workers or os.cpu_count() or 1))
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps({"out": summary.out, "rows": summary.rows, "skipped": summary.skipped,
                               "files": list(summary.files), "seconds": round(summary.seconds, 3)},
                              ensure_ascii=False))
        return
    for name, count in summary.rows.items():
        click.echo(f"{name}: {count} rows")
    for name, why in summary.skipped.items():
        click.echo(f"{name}: skipped ({why})")
    click.echo(f"written to {out} ({', '.join(summary.formats)}) in {summary.seconds:.1f} s")


@main.group()
def cluster() -> None:
    """Run ingest and analysis on a Dask cluster over Parquet files, then load the results into the store.

    `cluster ingest INPUTS --out DIR` reads the inputs into Parquet partitions and prepares them on the cluster;
    `cluster analyze DIR` analyses them there; `cluster load DIR` stores articles, copies, problems and analyses
    exactly as `storydiff ingest` and `storydiff analyze` would. DIR is a local folder or an fsspec URL that the
    workers can reach too. Without --scheduler, a local cluster of --workers processes runs for the command.
    Needs: pip install 'storydiff[distributed]'.
    """


_scheduler_option = click.option("--scheduler", envvar="STORYDIFF_SCHEDULER", default=None, metavar="ADDR",
                                 help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (or $STORYDIFF_SCHEDULER). "
                                      "Default: a local cluster.")
_workers_option = click.option("--workers", type=int, default=None,
                               help="Worker processes of the local cluster (default: CPU count).")


@cluster.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--out", "-o", required=True, help="Dataset folder or fsspec URL to write.")
@click.option("--map", "field_map", multiple=True, metavar="FIELD=NAME", help="As for `storydiff ingest`.")
@click.option("--partition-size", type=int, default=None, help="Records per partition (default: 1000).")
@click.option("--overwrite", is_flag=True, help="Replace a dataset already in --out.")
@_scheduler_option
@_workers_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.pass_context
def cluster_ingest(ctx: click.Context, paths: tuple[str, ...], out: str, field_map: tuple[str, ...],
                   partition_size: int | None, overwrite: bool, scheduler: str | None, workers: int | None,
                   as_json: bool) -> None:
    """Read PATHS into Parquet partitions and clean them on the cluster (exit 3 when inputs were skipped)."""
    from dataclasses import asdict

    from .distributed import PARTITION_SIZE, connect, ingest_to_parquet
    from .ingest.sources import parse_field_map

    try:
        mapping = parse_field_map(list(field_map))
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--map") from None
    try:
        with connect(scheduler, workers=workers) as client:
            summary = ingest_to_parquet(list(paths), out, client, field_map=mapping, overwrite=overwrite,
                                        partition_size=partition_size or PARTITION_SIZE)
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None
    if as_json:
        click.echo(json.dumps(asdict(summary)))
    else:
        click.echo(f"{summary.records} records in {summary.partitions} partitions: {summary.articles} articles, "
                   f"{summary.problems} skipped (see {out}/problems) in {summary.seconds:.1f} s")
    ctx.exit(EXIT_SKIPPED if summary.problems else EXIT_OK)


@cluster.command("analyze")
@click.argument("source")
@click.option("--out", "-o", default=None, help="Dataset folder for the analyses (default: SOURCE).")
@click.option("--overwrite", is_flag=True, help="Replace analyses already in the output folder.")
@_scheduler_option
@_workers_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def cluster_analyze(source: str, out: str | None, overwrite: bool, scheduler: str | None, workers: int | None,
                    as_json: bool) -> None:
    """Analyse the articles of SOURCE on the cluster (a dataset folder, or an export's articles.parquet)."""
    from dataclasses import asdict

    from .distributed import analyze_parquet, connect

    try:
        with connect(scheduler, workers=workers) as client:
            summary = analyze_parquet(source, client, out=out, overwrite=overwrite)
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None
    if as_json:
        click.echo(json.dumps(asdict(summary)))
    else:
        click.echo(f"analysed {summary.analyses} articles in {summary.partitions} partitions in "
                   f"{summary.seconds:.1f} s")


@cluster.command("load")
@click.argument("source")
@click.option("--no-analyses", is_flag=True, help="Load the articles only.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
@click.pass_context
def cluster_load(ctx: click.Context, source: str, no_analyses: bool, as_json: bool) -> None:
    """Store a cluster dataset as `ingest` and `analyze` would (exit 3 when inputs were skipped)."""
    from .distributed import load_parquet

    store = _open(ctx.obj["db"], create=True)
    try:
        summary = load_parquet(source, store, analyses=not no_analyses)
    except StorydiffError as err:
        raise click.ClickException(str(err)) from None
    finally:
        store.close()
    got = summary.ingest
    if as_json:
        click.echo(json.dumps({"read": got.read, "stored": got.stored, "updated": got.updated,
                               "unchanged": got.unchanged, "duplicates": got.duplicates, "skipped": got.skipped,
                               "analyses": summary.analyses, "analyses_skipped": summary.analyses_skipped,
                               "seconds": round(summary.seconds, 3)}))
    else:
        _print_summary(got, ctx.obj["db"])
        _console(stderr=True).print(f"analyses: {summary.analyses} stored, {summary.analyses_skipped} skipped "
                                    "(already stored, or computed from another text)")
    ctx.exit(EXIT_SKIPPED if got.problems else EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
