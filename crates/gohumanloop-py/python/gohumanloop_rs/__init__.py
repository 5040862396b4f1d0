"""gohumanloop-rs: let AI agents ask a human — approval, information, conversation — and resume
with the answer. The Rust ``gohumanloop`` library for Python (blocking and ``async`` calls),
durable interrupts that any process can resume once, and adapters for LangGraph
(``gohumanloop_rs.langgraph``) and CrewAI (``gohumanloop_rs.crewai``)."""

from ._native import BadToken, GoHumanLoopError, __version__
from ._types import (
    APPROVED,
    CANCELLED,
    COMPLETED,
    ERROR,
    EXPIRED,
    INPROGRESS,
    PENDING,
    REJECTED,
    HumanLoopEnded,
    HumanLoopResult,
    RequestCancelled,
    RequestExpired,
    RequestFailed,
    RequestRejected,
)
from .guards import Guard
from .interrupts import Interrupts, Resumption
from .manager import (
    APIProvider,
    EmailProvider,
    HubProvider,
    Manager,
    Provider,
    TerminalProvider,
    Ticket,
)

__all__ = [
    "__version__",
    "APIProvider",
    "APPROVED",
    "BadToken",
    "CANCELLED",
    "COMPLETED",
    "EmailProvider",
    "ERROR",
    "EXPIRED",
    "GoHumanLoopError",
    "Guard",
    "HubProvider",
    "HumanLoopEnded",
    "HumanLoopResult",
    "INPROGRESS",
    "Interrupts",
    "Manager",
    "PENDING",
    "Provider",
    "REJECTED",
    "RequestCancelled",
    "RequestExpired",
    "RequestFailed",
    "RequestRejected",
    "Resumption",
    "TerminalProvider",
    "Ticket",
]
