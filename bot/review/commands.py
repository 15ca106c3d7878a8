"""`peerscope review list|show|decide|export-feedback`: the supervisor's queue from the command line.

Every command acts as the staff member the OS login is linked to (``--as`` only checks
it; bot.cli_support); the same role checks and audit entries apply as in chat.
"""

from __future__ import annotations

import argparse
import json

from bot.cli_support import acting, json_option, print_json, run_as


def register(sub, eval_sub) -> None:
    review = sub.add_parser("review", help="supervisors: review flagged notes")
    review_sub = review.add_subparsers(dest="review_command", metavar="ACTION")
    review.set_defaults(func=lambda args: review.print_help() or 2)

    json_option(acting(review_sub.add_parser("list", help="flagged notes waiting for you, oldest first"))).set_defaults(
        func=cmd_list
    )
    show = acting(review_sub.add_parser("show", help="one note with its flags"))
    show.add_argument("note_id", type=int)
    show.set_defaults(func=cmd_show)
    decide = acting(review_sub.add_parser("decide", help="confirm/dismiss flags, approve or return a note"))
    decide.add_argument("note_id", type=int)
    decide.add_argument("--confirm", type=int, action="append", default=[], metavar="N", help="confirm flag N")
    decide.add_argument("--dismiss", type=int, action="append", default=[], metavar="N", help="dismiss flag N")
    outcome = decide.add_mutually_exclusive_group()
    outcome.add_argument("--approve", action="store_true", help="approve the note")
    outcome.add_argument(
        "--return",
        dest="return_comment",
        metavar="COMMENT",
        help="return the note to its author with this comment (- reads it from stdin)",
    )
    decide.set_defaults(func=cmd_decide)
    acting(
        review_sub.add_parser("export-feedback", help="dismissed flags as labelled JSON lines (admins)")
    ).set_defaults(func=cmd_export_feedback)


def _run(args: argparse.Namespace, work) -> int:
    from bot.store.notes import NoteError

    return run_as(args, work, (NoteError,))


def cmd_list(args: argparse.Namespace) -> int:
    from bot.store import notes

    def work(session, actor):
        items = notes.review_queue(session, actor)
        if args.json:
            print_json(
                [
                    {
                        "note_id": i.note_id,
                        "submitted_at": i.submitted_at,
                        "author": i.author_name,
                        "flags": i.flags,
                        "open_flags": i.open_flags,
                    }
                    for i in items
                ]
            )
            return
        if not items:
            print("the review queue is empty")
        for item in items:
            print(
                f"#{item.note_id}  {item.submitted_at:%Y-%m-%d %H:%M}  {item.author_name}: "
                f"{item.flags} flag(s), {item.open_flags} open"
            )

    return _run(args, work)


def cmd_show(args: argparse.Namespace) -> int:
    from bot.store import notes

    def work(session, actor):
        note = notes.read(session, actor, args.note_id)
        print(f"note #{note.id} by {note.author.name} ({note.status.value})\n\n{note.text}\n")
        for n, flag in enumerate(note.flags, 1):
            print(f'flag {n} [{flag.status.value}] {flag.category}: "{note.text[flag.start:flag.end]}"')
            print(f"    why: {flag.reason}\n    instead: {flag.suggestion}")
            for c in flag.citations:
                print(f"    {c['source']}, {c['section']}: \"{c['quote']}\"")

    return _run(args, work)


def cmd_decide(args: argparse.Namespace) -> int:
    from bot.cli_support import text_arguments
    from bot.store import notes

    text_arguments(args, "return_comment")

    def work(session, actor):
        for number in args.confirm:
            notes.decide_flag(session, actor, args.note_id, number, confirm=True)
        for number in args.dismiss:
            notes.decide_flag(session, actor, args.note_id, number, confirm=False)
        if args.approve or args.return_comment is not None:
            note = notes.decide_note(session, actor, args.note_id, approve=args.approve, comment=args.return_comment)
            print(f"note #{note.id} {note.status.value}")
        else:
            print(f"flags recorded on note #{args.note_id}")

    return _run(args, work)


def cmd_export_feedback(args: argparse.Namespace) -> int:
    from bot.store import notes

    def work(session, actor):
        for row in notes.dismissed_examples(session, actor):
            print(json.dumps(row, ensure_ascii=False))

    return _run(args, work)
