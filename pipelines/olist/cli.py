"""`rasad import olist DIR [--out DIR]`: a real marketplace's public data as an Ombazar source (docs/olist.md)."""

from __future__ import annotations

from pathlib import Path


def cmd_import_olist(args) -> int:
    from pipelines.olist.convert import SUMMARY_FILE, import_olist, next_commands

    out = Path(args.out)
    summary = import_olist(Path(args.directory), out)
    print(f"Olist imported from {args.directory} into {out}")
    for line in summary.lines():
        print(line)
    print(f"summary: {out / SUMMARY_FILE}")
    print("to monitor it (docs/olist.md):")
    for command in next_commands(out, summary):
        print(f"  {command}")
    return 0


def register(subparsers) -> None:
    """Add `rasad import olist` to the CLI."""
    imp = subparsers.add_parser("import", help="convert a public marketplace dataset into an Ombazar source")
    sub = imp.add_subparsers(dest="import_command", required=True)
    olist = sub.add_parser("olist", help="the Olist Brazilian e-commerce CSVs (docs/olist.md)")
    olist.add_argument("directory", help="where the Olist CSV files are (searched recursively)")
    olist.add_argument("--out", default="var/olist", help="where to write the source, reference data and summary")
    olist.set_defaults(func=cmd_import_olist)
