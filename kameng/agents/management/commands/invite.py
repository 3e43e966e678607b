from datetime import timedelta

from django.utils import timezone

from kameng.agents import invites
from kameng.agents.models import InviteLink
from kameng.agents.services import get_agent
from kameng.commands import KamengCommand
from kameng.errors import InvalidInput

COLUMNS = ["token", "label", "state", "used", "max_uses", "expires_at", "created_at"]


class Command(KamengCommand):
    help = (
        "Invite links of an agent: whoever opens one creates an agent account directly "
        "under it, for free (no fee; the depth limit holds). `create` prints the token; "
        "`list` shows the agent's links; `revoke TOKEN` stops one at once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["create", "list", "revoke"])
        parser.add_argument("token", nargs="?", help="the link's token (revoke)")
        parser.add_argument("--agent", required=True, help="the inviting agent's username")
        parser.add_argument("--label", default="", help="a name for the link (create)")
        parser.add_argument("--max-uses", type=int, help="sign-ups allowed (create; default: any)")
        parser.add_argument(
            "--expires-days", type=int, help="days the link stays usable (create; default: ever)"
        )

    def handle(
        self,
        *args,
        action: str,
        token: str | None,
        agent: str,
        label: str,
        max_uses: int | None,
        expires_days: int | None,
        **options,
    ) -> None:
        owner = get_agent(agent)
        if action == "create":
            if expires_days is not None and expires_days < 1:
                raise InvalidInput("--expires-days must be at least 1")
            expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
            invite = invites.create_invite(
                owner, label=label, expires_at=expires_at, max_uses=max_uses
            )
            self.print_json(_view(invite))
        elif action == "list":
            rows = [_view(invite) for invite in invites.agent_invites(owner)]
            self.print_rows(rows, COLUMNS, empty=f"{agent} has no invite links")
        else:
            if not token:
                raise InvalidInput("say which link: kameng invite revoke TOKEN --agent USERNAME")
            self.print_json(_view(invites.revoke_invite(owner, token)))


def _view(invite: InviteLink) -> dict:
    return {
        "token": invite.token,
        "agent": invite.agent.user.username,
        "label": invite.label,
        "state": invites.invite_state(invite),
        "used": invite.used_count,
        "max_uses": invite.max_uses,
        "expires_at": invite.expires_at.isoformat() if invite.expires_at else None,
        "created_at": invite.created_at.isoformat(),
        "revoked_at": invite.revoked_at.isoformat() if invite.revoked_at else None,
    }
