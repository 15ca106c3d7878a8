"""`peerscope wrsp list|show|export|signoff`: plans from the command line.

Every command acts as the staff member the OS login is linked to (``--as`` only checks
it; bot.cli_support); the same access checks and audit entries apply as in chat.
Exit codes: 0 done, 1 the output file could not be written, 2 usage, 3 refused (no
access, no such plan, not possible in its state).
"""

from __future__ import annotations

import argparse
import sys

from bot.cli_support import acting, json_option, print_json, run_as


def register(sub, eval_sub) -> None:
    wrsp = sub.add_parser("wrsp", help="Wellness and Recovery Service Plans: list, show, export, sign off")
    wrsp_sub = wrsp.add_subparsers(dest="wrsp_command", metavar="ACTION")
    wrsp.set_defaults(func=lambda args: wrsp.print_help() or 2)

    listing = json_option(acting(wrsp_sub.add_parser("list", help="plans you can see, with their deadlines")))
    listing.add_argument("--due", action="store_true", help="only plans due or overdue")
    listing.set_defaults(func=cmd_list)
    show = acting(wrsp_sub.add_parser("show", help="one plan, every answer"))
    show.add_argument("plan_id", type=int)
    show.set_defaults(func=cmd_show)
    history = acting(
        wrsp_sub.add_parser("history", help="every change to a plan's answers: old and new value, who, when, channel")
    )
    history.add_argument("plan_id", type=int)
    history.add_argument("--json", action="store_true", help="one JSON object per change")
    history.set_defaults(func=cmd_history)
    export = acting(wrsp_sub.add_parser("export", help="a plan as Markdown, PDF or JSON"))
    export.add_argument("plan_id", type=int)
    export.add_argument("--format", choices=("md", "pdf", "json"), default="md")
    export.add_argument(
        "--output", "-o", metavar="FILE", help="write here (a new file, owner-only) instead of standard output"
    )
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    export.set_defaults(func=cmd_export)
    review = acting(
        wrsp_sub.add_parser(
            "review", help="start the periodic review: a new version to update (the signed plan is kept)"
        )
    )
    review.add_argument("plan_id", type=int)
    review.set_defaults(func=cmd_review)
    signoff = acting(
        wrsp_sub.add_parser(
            "signoff",
            help="clinical consultant sign-off (supervisors, admins), in two steps",
            description="Without --attest: shows the plan, the attestation sentence and the plan's content hash "
            "(and, at a terminal, asks you to confirm). With --attest --hash HASH: signs the plan you "
            "reviewed; refused if it changed since. A later change needs a new version "
            "(`peerscope wrsp review`).",
        )
    )
    signoff.add_argument("plan_id", type=int)
    signoff.add_argument(
        "--attest", action="store_true", help="confirm the attestation sentence shown in the first step"
    )
    signoff.add_argument(
        "--hash",
        dest="reviewed_hash",
        metavar="HASH",
        help="the content hash shown in the first step (its first 12 characters are enough)",
    )
    signoff.set_defaults(func=cmd_signoff)


def _run(args: argparse.Namespace, work) -> int:
    from bot.wrsp.service import PlanError

    return run_as(args, work, (PlanError,))


def cmd_list(args: argparse.Namespace) -> int:
    from bot.wrsp import service as store

    def work(session, actor):
        from bot.settings import local_today

        rows = store.plans_due(session, actor, local_today(), include_ok=not args.due)
        if args.json:
            owners = {plan.id: store.owner_of(session, plan) for plan, _ in rows}
            print_json(
                [
                    {
                        "id": plan.id,
                        "version": plan.version,
                        "client_ref": plan.client_ref,
                        "status": plan.status.value,
                        "due": due.status,
                        "due_message": due.message,
                        "owner": owners[plan.id].name if owners[plan.id] else None,
                    }
                    for plan, due in rows
                ]
            )
            return
        if not rows:
            print("no plans due" if args.due else "no plans")
        for plan, due in rows:
            owner = store.owner_of(session, plan)
            print(
                f"#{plan.id}  v{plan.version}  {plan.client_ref:<12} {plan.status.value:<11} "
                f"{due.status:<8} {owner.name if owner else '?'}: {due.message}"
            )

    return _run(args, work)


def cmd_show(args: argparse.Namespace) -> int:
    from bot.wrsp.export import export_plan

    def work(session, actor):
        print(export_plan(session, actor, args.plan_id, "md").decode("utf-8"))

    return _run(args, work)


def cmd_history(args: argparse.Namespace) -> int:
    import json

    from bot.store.models import Staff
    from bot.wrsp import service as store
    from bot.wrsp.document import change_line, history_items

    def work(session, actor):
        rows = store.answer_history(session, actor, args.plan_id)
        names = {
            i: m.name for i in {r.actor_id for r in rows if r.actor_id} if (m := session.get(Staff, i)) is not None
        }
        items = history_items(rows, names)
        if args.json:
            for item in items:
                print(json.dumps(item, ensure_ascii=False, default=str))
        elif not items:
            print(f"no answer of plan #{args.plan_id} has been changed")
        for item in [] if args.json else items:
            print(change_line(item))

    return _run(args, work)


def cmd_export(args: argparse.Namespace) -> int:
    from bot.wrsp.export import export_plan

    if args.format == "pdf" and not args.output and sys.stdout.isatty():
        print("peerscope: a PDF needs --output FILE (or redirect standard output)", file=sys.stderr)
        return 2
    data: dict[str, bytes] = {}

    def work(session, actor):
        data["out"] = export_plan(session, actor, args.plan_id, args.format)

    code = _run(args, work)
    if code:
        return code
    if args.output:
        from bot.files import write_private

        try:
            write_private(args.output, data["out"], force=args.force)
        except OSError as exc:
            print(f"peerscope: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"plan #{args.plan_id} written to {args.output}", file=sys.stderr)
    elif args.format == "pdf":
        sys.stdout.flush()
        sys.stdout.buffer.write(data["out"])
        sys.stdout.buffer.flush()
    else:
        print(data["out"].decode("utf-8"))
    return 0


def cmd_signoff(args: argparse.Namespace) -> int:
    from bot.settings import show_time
    from bot.wrsp import service as store
    from bot.wrsp.export import plan_document, to_markdown

    if args.attest and not args.reviewed_hash:
        print(
            "peerscope: --attest needs --hash HASH from the review step "
            f"(run `peerscope wrsp signoff {args.plan_id}` first)",
            file=sys.stderr,
        )
        return 2

    def signed(plan, actor) -> None:
        print(
            f"plan #{plan.id} signed off by {actor.name} ({actor.role.value}) at {show_time(plan.signed_at)}; "
            f"signed content SHA-256 {store.signoff_of(plan)['content_sha256']}"
        )

    def work(session, actor):
        if args.attest:
            signed(store.sign_off(session, actor, args.plan_id, attested=True, reviewed_hash=args.reviewed_hash), actor)
            return 0
        plan, digest = store.review_for_signoff(session, actor, args.plan_id)
        print(to_markdown(plan_document(session, actor, args.plan_id)))
        print(f"Content SHA-256: {digest}")
        print(f'To sign, you confirm: "{store.attestation()}"')
        if not sys.stdin.isatty():
            print(f"Run `peerscope wrsp signoff {args.plan_id} --attest --hash {digest[:12]}` to sign it.")
            return 0
        session.commit()  # the review's audit entries are kept whatever is answered
        answer = input('Type "yes" to confirm and sign, anything else to stop: ').strip().lower()
        if answer != "yes":
            print(f"plan #{args.plan_id} was not signed")
            return 0
        signed(store.sign_off(session, actor, args.plan_id, attested=True, reviewed_hash=digest), actor)
        return 0

    return _run(args, work)


def cmd_review(args: argparse.Namespace) -> int:
    from bot.wrsp import service as store

    def work(session, actor):
        plan = store.new_version(session, actor, args.plan_id)
        print(
            f"plan #{plan.id} (version {plan.version}) started as the review of plan #{args.plan_id}; "
            f'say "resume plan {plan.id}" in the chat to update it'
        )

    return _run(args, work)
