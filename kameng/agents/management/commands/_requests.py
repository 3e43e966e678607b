"""What the request commands share (not a command: its name starts with "_")."""

from kameng.agents import requests
from kameng.agents.services import get_agent

COLUMNS = ["id", "agent", "amount", "status", "created_at"]
STATUSES = ["submitted", "approved", "paid", "rejected"]


def add_listing_arguments(parser) -> None:
    parser.add_argument(
        "--status",
        default="submitted",
        help="submitted (default: the queue, oldest first), approved / paid, rejected, or all",
    )
    parser.add_argument("--agent", help="only this agent's requests")


def listing(kind: str, status: str, agent: str | None) -> list[dict]:
    owner = get_agent(agent) if agent else None
    wanted = None if status == "all" else status
    rows = (
        requests.top_up_requests(agent=owner, status=wanted)
        if kind == "top_up"
        else requests.withdrawal_requests(agent=owner, status=wanted)
    )
    if wanted == "submitted":
        rows = rows.order_by("pk")  # the queue: oldest first
    return [requests.request_view(r) for r in rows[:500]]
