"""``opendata users``: the stewards' accounts of the portal."""

from __future__ import annotations

import argparse
import sys

from opendata.cli.common import EXIT_UNUSABLE, EXIT_VALID
from opendata.cli.words import say


def users(args: argparse.Namespace) -> int:
    import getpass

    from opendata.contracts import registry
    from opendata.portal.accounts import AccountError, Accounts, token_id_of

    accounts = Accounts(args.root)

    def ask_password() -> str | None:
        if args.password_stdin:
            return sys.stdin.readline().rstrip("\r\n")
        password = getpass.getpass("Mot de passe : ")
        if getpass.getpass("Encore une fois : ") != password:
            sys.stderr.write(f"opendata: {say('passwords_differ')}\n")
            return None
        return password

    try:
        if args.verb == "add":
            password = ask_password()
            if password is None:
                return EXIT_UNUSABLE
            sources = [s.strip() for s in args.sources.split(",") if s.strip()]
            account = accounts.add(
                args.name, password, sources, args.admin, sorted(registry.sources())
            )
            if args.email:
                accounts.set_email(account.name, args.email)
            what = say("every_source") if account.admin else ", ".join(account.sources)
            sys.stdout.write(say("account_created", name=account.name, what=what) + "\n")
        elif args.verb == "email":
            accounts.set_email(args.name, args.address)
            said = args.address.strip() or say("email_none")
            sys.stdout.write(say("email_set", name=args.name, address=said) + "\n")
        elif args.verb == "token":
            earlier = len(getattr(accounts.get(args.name), "tokens", []))
            sys.stdout.write(accounts.new_token(args.name) + "\n")
            if earlier:
                sys.stderr.write(say("tokens_revoked_before", count=earlier) + "\n")
        elif args.verb == "tokens":
            found = accounts.get(args.name)
            if found is None:
                raise AccountError(say("no_account", name=args.name))
            for token in found.tokens:
                sys.stdout.write(f"{token_id_of(token)}\t{token['created'] or '?'}\n")
        elif args.verb == "revoke":
            if not args.all and not args.token_id:
                raise AccountError(say("token_id_needed"))
            revoked = accounts.revoke_tokens(args.name, None if args.all else args.token_id)
            if not revoked:
                raise AccountError(say("no_token", token=args.token_id, name=args.name))
            sys.stdout.write(say("tokens_revoked", count=revoked) + "\n")
        elif args.verb == "passwd":
            password = ask_password()
            if password is None:
                return EXIT_UNUSABLE
            accounts.set_password(args.name, password)
            sys.stdout.write(say("password_changed", name=args.name) + "\n")
        elif args.verb == "remove":
            accounts.remove(args.name)
            sys.stdout.write(say("account_removed", name=args.name) + "\n")
        else:
            for account in accounts.load().values():
                what = "admin" if account.admin else ",".join(account.sources)
                said = say("account_listed", name=account.name, what=what,
                           tokens=len(account.tokens), email=account.email or "-")  # fmt: skip
                sys.stdout.write(said + "\n")
    except AccountError as exc:
        sys.stderr.write(f"opendata: {exc}\n")
        return EXIT_UNUSABLE
    return EXIT_VALID
