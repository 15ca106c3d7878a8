"""Managing access: deactivate, reactivate, unlink, set-role, link-local and invite revoke
(admins only, audited), a deactivated person refused everywhere at once, and the command
line acting as the OS login's staff profile (``--as`` only narrows)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.cli_support import os_login
from bot.store import access, invites, session_scope
from bot.store import staff as repo
from bot.store.models import AuditLog, ChatIdentity, Role, Staff
from bot.wrsp import service as plans
from tests.acting import act_as

LOGIN = os_login()


@pytest.fixture
def team(db_url):
    with session_scope() as s:
        admin = repo.add(s, "Ada Admin", role="admin")
        boss = repo.add(s, "Sam Boss", role="supervisor")
        peer = repo.add(s, "Pat Peer", program="adult", supervisor_id=boss.id)
        other = repo.add(s, "Ola Other", program="adult")
        repo.link_identity(s, peer.id, "telegram", "111")
        repo.link_identity(s, peer.id, "rest", "pat")
        # the admin's own login: the test process's login is pointed at whoever a test acts as
        repo.move_local_login(s, admin.id, "ada")
        ids = {"admin": admin.id, "boss": boss.id, "peer": peer.id, "other": other.id}
    act_as(ids["admin"])
    return ids


def _audit(action: str) -> list[tuple[int | None, str, int | None]]:
    with session_scope() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        return [(a.actor_id, a.outcome, a.object_id) for a in rows]


def _as(staff_id: int, fn, *args):
    """One service call by ``staff_id``, in a session of its own."""
    with session_scope() as s:
        return fn(s, s.get(Staff, staff_id), *args)


def _plan_of(peer_id: int) -> int:
    with session_scope() as s:
        return plans.create_plan(s, access.actor(s, peer_id), "J.D.", "adult").id


# --- deactivate / reactivate -----------------------------------------------------------------


def test_a_deactivated_person_is_refused_everywhere_and_reactivation_restores(team, capsys):
    plan_id = _plan_of(team["peer"])
    _as(team["admin"], repo.deactivate, team["peer"])
    with session_scope() as s:
        assert repo.from_sender(s, "telegram:111") is None  # every chat message
        assert repo.from_sender(s, "rest:pat") is None
        assert repo.by_identity(s, "telegram", "111") is None
        assert repo.by_identity(s, "telegram", "111", include_inactive=True).id == team["peer"]
    with session_scope() as s, pytest.raises(access.AccessDenied, match="no active staff member"):
        access.actor(s, team["peer"])
    assert _audit("access.actor") == [(team["peer"], "denied", team["peer"])]
    # the command line too, even from the person's own OS login
    act_as(team["peer"])
    assert main(["wrsp", "show", str(plan_id)]) == 3
    assert "no active staff member" in capsys.readouterr().err
    assert _audit("staff.deactivate") == [(team["admin"], "ok", team["peer"])]
    # nor does a new invite code bring the deactivated account back
    with session_scope() as s:
        code, _ = invites.create(s, role="admin", actor_id=team["admin"])
    result = invites.sign_in(code, "telegram", "111")
    assert not result.ok and result.reason == "inactive"

    act_as(team["admin"])
    assert main(["staff", "list"]) == 0
    assert "Pat Peer (deactivated)" in capsys.readouterr().out
    _as(team["admin"], repo.reactivate, team["peer"])
    with session_scope() as s:
        assert repo.from_sender(s, "telegram:111").id == team["peer"]
        assert access.actor(s, team["peer"]).id == team["peer"]
    act_as(team["peer"])
    assert main(["wrsp", "show", str(plan_id)]) == 0
    assert _audit("staff.reactivate") == [(team["admin"], "ok", team["peer"])]


def test_the_only_command_line_admin_cannot_lock_everyone_out(team):
    for change, args in ((repo.deactivate, ()), (repo.set_role, ("supervisor",)), (repo.unlink, ())):
        with session_scope() as s, pytest.raises(repo.StaffError, match="only active admin"):
            change(s, s.get(Staff, team["admin"]), team["admin"], *args)
    with session_scope() as s:
        repo.move_local_login(s, team["boss"], "ada")  # the admin keeps one login, this process's
    with session_scope() as s, pytest.raises(repo.StaffError, match="only active admin"):
        repo.link_local(s, s.get(Staff, team["admin"]), team["peer"], LOGIN)  # moving it away
    with session_scope() as s:
        assert s.get(Staff, team["admin"]).active and repo.cli_admin_ids(s) == {team["admin"]}
        # with a second admin on the command line, the first may step down
        second = repo.add(s, "Bea Admin", role="admin")
        repo.link_local(s, s.get(Staff, team["admin"]), second.id, "bea")
        repo.set_role(s, s.get(Staff, team["admin"]), team["admin"], "supervisor")
        assert repo.cli_admin_ids(s) == {second.id}


# --- unlink, set-role, link-local ------------------------------------------------------------


def test_unlink_removes_the_chat_accounts(team):
    assert _as(team["admin"], repo.unlink, team["peer"], "telegram") == 1
    with session_scope() as s:
        assert repo.from_sender(s, "telegram:111") is None
        assert repo.from_sender(s, "rest:pat").id == team["peer"]  # only the channel asked for
    assert _as(team["admin"], repo.unlink, team["peer"]) == 1
    with session_scope() as s:
        assert s.scalars(select(ChatIdentity).where(ChatIdentity.staff_id == team["peer"])).all() == []
        assert s.get(Staff, team["peer"]).active  # the record stays
    assert _audit("staff.unlink") == [(team["admin"], "ok", team["peer"])] * 2
    with session_scope() as s:
        details = [a.detail for a in s.scalars(select(AuditLog).where(AuditLog.action == "staff.unlink"))]
    assert details == [{"channel": "telegram", "removed": 1}, {"channel": "all", "removed": 1}]


def test_set_role_changes_what_they_may_read(team):
    plan_id = _plan_of(team["peer"])
    with session_scope() as s, pytest.raises(access.AccessDenied):
        plans.read_plan(s, access.actor(s, team["other"]), plan_id)
    _as(team["admin"], repo.set_role, team["other"], "admin")
    with session_scope() as s:
        assert plans.read_plan(s, access.actor(s, team["other"]), plan_id).id == plan_id
    _as(team["admin"], repo.set_role, team["other"], "peer")
    with session_scope() as s, pytest.raises(access.AccessDenied):
        plans.read_plan(s, access.actor(s, team["other"]), plan_id)
    with session_scope() as s:
        with pytest.raises(repo.StaffError, match="role must be one of"):
            repo.set_role(s, s.get(Staff, team["admin"]), team["other"], "boss")
        with pytest.raises(repo.StaffError, match="no staff member"):
            repo.set_role(s, s.get(Staff, team["admin"]), 9999, "peer")
    with session_scope() as s:
        details = [a.detail for a in s.scalars(select(AuditLog).where(AuditLog.action == "staff.set_role"))]
    assert details == [{"from": "peer", "to": "admin"}, {"from": "admin", "to": "peer"}]


def test_link_local_moves_a_login_to_one_staff_member(team):
    _as(team["admin"], repo.link_local, team["peer"], "pat")
    _as(team["admin"], repo.link_local, team["boss"], "pat")  # a login belongs to one person: moved
    with session_scope() as s:
        assert repo.by_identity(s, repo.LOCAL, "pat").id == team["boss"]
        assert (
            len(
                s.scalars(
                    select(ChatIdentity).where(ChatIdentity.external_id == "pat", ChatIdentity.channel == repo.LOCAL)
                ).all()
            )
            == 1
        )
        with pytest.raises(repo.StaffError, match="login name"):
            repo.link_local(s, s.get(Staff, team["admin"]), team["boss"], "two words")
    with session_scope() as s:
        moves = [
            a.detail
            for a in s.scalars(
                select(AuditLog).where(AuditLog.action == "staff.link", AuditLog.actor_id == team["admin"])
            )
        ]
    assert {"channel": "local", "moved_from": team["peer"]} in moves


# --- invites ---------------------------------------------------------------------------------


def test_a_revoked_invite_cannot_be_redeemed(team, capsys):
    with session_scope() as s:
        code, invite = invites.create(s, role="peer", name="New Person", actor_id=team["admin"])
        invite_id = invite.id
        used_code, used = invites.create(s, role="peer", actor_id=team["admin"])
        used_id = used.id
    assert invites.sign_in(used_code, "telegram", "222").ok

    assert main(["staff", "invite", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"#{invite_id}  open" in listed and f"#{used_id}  used" in listed
    assert main(["staff", "invite", "revoke", str(invite_id)]) == 0
    assert f"invite #{invite_id} revoked" in capsys.readouterr().out

    result = invites.sign_in(code, "telegram", "333")
    assert not result.ok and result.reason == "revoked" and "withdrawn" in result.message
    with session_scope() as s:
        assert repo.by_identity(s, "telegram", "333") is None
        with pytest.raises(invites.InviteError, match="already revoked"):
            invites.revoke(s, s.get(Staff, team["admin"]), invite_id)
        with pytest.raises(invites.InviteError, match="already used"):
            invites.revoke(s, s.get(Staff, team["admin"]), used_id)
        with pytest.raises(invites.InviteError, match="no invite"):
            invites.revoke(s, s.get(Staff, team["admin"]), 9999)
    assert _audit("invite.revoke") == [(team["admin"], "ok", invite_id)]
    with session_scope() as s:
        refusals = [
            a.detail
            for a in s.scalars(select(AuditLog).where(AuditLog.action == "invite.redeem", AuditLog.outcome == "denied"))
        ]
    assert refusals == [{"channel": "telegram", "reason": "revoked"}]
    assert main(["staff", "invite", "revoke", str(invite_id)]) == 2
    assert "already revoked" in capsys.readouterr().err


# --- only admins -----------------------------------------------------------------------------

OPERATIONS = {
    "staff.deactivate": lambda s, actor, ids: repo.deactivate(s, actor, ids["other"]),
    "staff.reactivate": lambda s, actor, ids: repo.reactivate(s, actor, ids["other"]),
    "staff.unlink": lambda s, actor, ids: repo.unlink(s, actor, ids["peer"]),
    "staff.set_role": lambda s, actor, ids: repo.set_role(s, actor, ids["other"], "admin"),
    "staff.link_local": lambda s, actor, ids: repo.link_local(s, actor, ids["other"], "mallory"),
    "invite.revoke": lambda s, actor, ids: invites.revoke(s, actor, ids["invite"]),
    "invite.list": lambda s, actor, ids: invites.list_recent(s, actor),
}


@pytest.mark.parametrize("who", ["boss", "peer"])
def test_only_an_admin_manages_access_and_refusals_are_audited(team, who):
    with session_scope() as s:
        ids = dict(team, invite=invites.create(s, role="peer", actor_id=team["admin"])[1].id)
    for action, operation in OPERATIONS.items():
        with session_scope() as s, pytest.raises(access.AccessDenied, match="only an admin"):
            operation(s, s.get(Staff, team[who]), ids)
        assert _audit(action)[-1][:2] == (team[who], "denied"), action
    with session_scope() as s:
        other = s.get(Staff, team["other"])
        assert other.active and other.role == Role.peer
        assert repo.from_sender(s, "telegram:111").id == team["peer"]
        assert repo.by_identity(s, repo.LOCAL, "mallory") is None
        assert s.get(invites.StaffInvite, ids["invite"]).revoked_at is None


def test_only_an_admin_uses_the_staff_commands(team, capsys):
    act_as(team["boss"])
    for argv in (
        ["staff", "deactivate", str(team["other"])],
        ["staff", "reactivate", str(team["other"])],
        ["staff", "unlink", str(team["peer"]), "--channel", "telegram"],
        ["staff", "set-role", str(team["boss"]), "admin"],
        ["staff", "link-local", str(team["boss"]), "someone"],
        ["staff", "link", str(team["boss"]), "telegram:999"],
        ["staff", "add", "Mallory", "--role", "admin"],
        ["staff", "invite", "--role", "admin"],
        ["staff", "invite", "revoke", "1"],
    ):
        assert main(argv) == 3, argv
        assert "only an admin" in capsys.readouterr().err
    with session_scope() as s:
        assert s.get(Staff, team["boss"]).role == Role.supervisor
        assert [m.name for m in repo.list_all(s)] == ["Ada Admin", "Sam Boss", "Pat Peer", "Ola Other"]
        denied = {
            a.action
            for a in s.scalars(select(AuditLog).where(AuditLog.outcome == "denied", AuditLog.actor_id == team["boss"]))
        }
    assert denied == {
        "staff.deactivate",
        "staff.reactivate",
        "staff.unlink",
        "staff.set_role",
        "staff.link_local",
        "staff.link",
        "staff.add",
        "invite.create",
        "invite.revoke",
    }


def test_an_admin_manages_access_from_the_command_line(team, capsys):
    other = str(team["other"])
    assert main(["staff", "deactivate", other]) == 0
    assert f"staff #{other} is deactivated" in capsys.readouterr().out
    assert main(["staff", "reactivate", other, "--as", str(team["admin"])]) == 0
    assert main(["staff", "set-role", other, "supervisor"]) == 0
    assert f"staff #{other} is now supervisor" in capsys.readouterr().out
    assert main(["staff", "link", other, "telegram:444"]) == 0
    assert main(["staff", "link-local", other, "ola"]) == 0
    assert main(["staff", "unlink", other, "--channel", "telegram"]) == 0
    assert f"removed 1 linked telegram account(s) from staff #{other}" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["staff", "set-role", other, "boss"])  # not a role
    assert main(["staff", "deactivate", "9999"]) == 2
    assert "no staff member #9999" in capsys.readouterr().err
    with session_scope() as s:
        member = s.get(Staff, team["other"])
        assert member.active and member.role == Role.supervisor
        assert [(i.channel, i.external_id) for i in member.identities] == [("local", "ola")]
        mine = [
            a.action
            for a in s.scalars(
                select(AuditLog).where(AuditLog.actor_id == team["admin"], AuditLog.object_id == team["other"])
            )
        ]
    assert mine == [
        "staff.deactivate",
        "staff.reactivate",
        "staff.set_role",
        "staff.link",
        "staff.link",
        "staff.unlink",
    ]


# --- the command line acts as the OS login ---------------------------------------------------


def test_as_someone_else_is_refused_and_audited(team, capsys):
    act_as(team["peer"])
    assert main(["wrsp", "list", "--as", str(team["boss"])]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--as {team['boss']} refused" in err and f"is staff #{team['peer']}" in err
    assert _audit("cli.as") == [(team["peer"], "denied", team["boss"])]
    assert main(["wrsp", "list", "--as", str(team["peer"])]) == 0  # narrowing to oneself is fine
    assert main(["wrsp", "list"]) == 0


def test_an_unlinked_login_can_do_nothing(team, capsys):
    with session_scope() as s:
        s.execute(ChatIdentity.__table__.delete().where(ChatIdentity.channel == repo.LOCAL))
    assert main(["wrsp", "list"]) == 3
    assert f"your OS login '{LOGIN}' is not linked" in capsys.readouterr().err
    assert main(["staff", "deactivate", str(team["peer"])]) == 3
    with session_scope() as s:
        assert s.get(Staff, team["peer"]).active
        refused = [a.detail for a in s.scalars(select(AuditLog).where(AuditLog.action == "cli.actor"))]
    assert refused == [{"login": LOGIN}] * 2


def test_the_first_admin_adds_themselves_then_the_door_closes(db_url, capsys):
    assert main(["staff", "add", "Pat Peer"]) == 2  # the first must be an admin
    assert main(["staff", "add", "Ada Admin", "--role", "admin"]) == 0
    assert f"linked your OS login '{LOGIN}'" in capsys.readouterr().out
    assert main(["staff", "add", "Pat Peer"]) == 0  # now as Ada
    with session_scope() as s:
        ada, pat = repo.list_all(s)
        assert repo.by_identity(s, repo.LOCAL, LOGIN).id == ada.id and ada.role == Role.admin
        assert [a.actor_id for a in s.scalars(select(AuditLog).where(AuditLog.action == "staff.add"))] == [None, ada.id]
        assert not repo.bootstrap_open(s)
        with pytest.raises(repo.StaffError, match="already manages"):
            repo.bootstrap_admin(s, "Mallory", "mallory")
    # the login now maps to a peer: no second bootstrap through `staff add` or `link-local`
    with session_scope() as s:
        repo.link_local(s, s.get(Staff, ada.id), ada.id, "ada")  # Ada keeps another login
    act_as(pat.id)
    assert main(["staff", "add", "Mallory", "--role", "admin"]) == 3
    assert main(["staff", "link-local", str(ada.id), LOGIN]) == 3
    with session_scope() as s:
        assert len(repo.list_all(s)) == 2 and repo.by_identity(s, repo.LOCAL, LOGIN).id == pat.id


def test_an_existing_admin_without_a_login_can_be_claimed_once(db_url, capsys):
    with session_scope() as s:
        ada = repo.add(s, "Ada Admin", role="admin")
        pat = repo.add(s, "Pat Peer")
    assert main(["staff", "link-local", str(pat.id), LOGIN]) == 2  # only an admin can be claimed
    assert main(["staff", "link-local", str(ada.id), LOGIN]) == 0
    assert f"to admin #{ada.id}" in capsys.readouterr().out
    assert main(["staff", "deactivate", str(pat.id)]) == 0
    with session_scope() as s:
        assert not repo.bootstrap_open(s)
        assert [a.detail for a in s.scalars(select(AuditLog).where(AuditLog.action == "staff.link"))] == [
            {"channel": "local", "moved_from": None, "bootstrap": True}
        ]
