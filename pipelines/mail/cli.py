"""`rasad report send` and `rasad report outbox`: the report emails from the command line.

`rasad report send --date D` queues D's messages (once) and delivers what is due; it refuses a day whose
monitoring run has not finished. `--resend` queues again only the day's messages that did not go (refused by the
server, not composed, withheld), freshly composed with new Message-IDs; delivered ones are never sent twice.
`--again KEY` (repeatable) sends the named messages again even if delivered. Without `--date` it only delivers
what waits in the outbox. SMTP comes from
`RASAD_SMTP_*`; with no `RASAD_SMTP_HOST` the messages are written as .eml files under var/outbox/.
"""

from __future__ import annotations

from pipelines.cli import day_arg


def cmd_send(args) -> int:
    """Queue a day's report emails and deliver the outbox."""
    from pipelines.mail.outbox import deliver_pending, transport_for
    from pipelines.orchestration.daily_steps import new_run_id, send_reports
    from pipelines.settings import get_settings
    from pipelines.store.engine import store_engine
    from pipelines.store.migrate import upgrade_store

    settings = get_settings()
    store = store_engine(settings)
    upgrade_store(store)
    where = (f"SMTP {settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host
             else f".eml files in {settings.outbox_dir.resolve()}")
    if (args.resend or args.again) and not args.date:
        raise SystemExit("rasad report send: --resend and --again need --date D")
    if args.date:
        detail = send_reports(settings, args.date, new_run_id(args.date, "send"), resend=args.resend,
                              again=args.again)
        print(f"Tehran day {args.date}: composed {detail['composed']}, queued {detail['queued']}, "
              f"already queued {detail['kept']}, queued again {detail['requeued']}; "
              f"sent {detail['sent']} via {where}; pending {detail['pending']}, failed {detail['failed']}")
    else:
        result = deliver_pending(store, settings, transport_for(settings))
        print(f"outbox: sent {result.sent} via {where}; pending {result.pending}, failed {result.failed}")
    return 0


def cmd_outbox(args) -> int:
    """Print the outbox's rows per status."""
    from pipelines.mail.outbox import outbox_counts
    from pipelines.settings import get_settings
    from pipelines.store.engine import store_engine

    counts = outbox_counts(store_engine(get_settings()))
    print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "the outbox is empty")
    return 0


def register(subparsers) -> None:
    """Add `send` and `outbox` under the existing `rasad report` command."""
    report = subparsers.choices["report"]
    for action in report._actions:  # `rasad report --date D` keeps working; `send` brings its own --date
        if action.dest == "date":
            action.required = False
    write = report.get_default("func")

    def write_or_usage(args) -> int:
        if getattr(args, "date", None) is None:
            report.error("give --date D (a Tehran day), or a subcommand: send, outbox")
        return write(args)

    report.set_defaults(func=write_or_usage)
    actions = report.add_subparsers(dest="report_action", metavar="{send,outbox}")
    send = actions.add_parser("send", help="email the reports of a day (queued once; --resend what did not go)")
    send.add_argument("--date", type=day_arg, default=None, help="the Tehran day; omit to only deliver the outbox")
    send.add_argument("--resend", action="store_true",
                      help="queue again the day's messages that did not go (failed, not composed, withheld)")
    send.add_argument("--again", action="append", default=[], metavar="KEY",
                      help="send this message again even if delivered (its key, e.g. officer:2026-11-19:23); "
                           "repeatable")
    send.set_defaults(func=cmd_send)
    actions.add_parser("outbox", help="count the outbox's messages by status").set_defaults(func=cmd_outbox)
