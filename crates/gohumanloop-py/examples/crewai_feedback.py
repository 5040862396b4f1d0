"""A CrewAI flow whose `@human_feedback` step asks a human through the hub.

The flow drafts a release note; `HubFeedbackProvider` files the review as a hub request (the
human answers in the web inbox, by e-mail, in chat — any channel of the hub) and pauses the flow:
its state is saved by CrewAI's persistence and this process is free. `resume_flow` waits for the
answer (long-poll, no polling loop) and resumes the flow with it — here in the same process, but
any process can, after a restart: `python crewai_feedback.py --resume FLOW_ID`.

Needs GOHUMANLOOP_API_BASE_URL and GOHUMANLOOP_API_KEY (a key of the hub).
"""

import os
import sys
import tempfile

from crewai.flow import Flow, HumanFeedbackPending, human_feedback, listen, start
from crewai.flow.persistence import SQLiteFlowPersistence

from gohumanloop_rs.crewai import HubFeedbackProvider, resume_flow

persistence = SQLiteFlowPersistence(
    os.environ.get("FLOWS_DB", os.path.join(tempfile.gettempdir(), "crewai_feedback.db"))
)


class ReleaseNoteFlow(Flow):
    @start()
    @human_feedback(message="Review the release note before it is published:", provider=HubFeedbackProvider())
    def draft(self) -> str:
        return "v0.2: the hub answers 10x faster."

    @listen(draft)
    def publish(self) -> str:
        review = self.last_human_feedback
        return f"Published: {review.output} (reviewer said: {review.feedback})"


if __name__ == "__main__":
    if sys.argv[1:2] == ["--resume"]:
        flow_id = sys.argv[2]
    else:
        paused = ReleaseNoteFlow(persistence=persistence).kickoff()
        if not isinstance(paused, HumanFeedbackPending):
            sys.exit(f"the flow did not pause: {paused!r}")
        flow_id = paused.context.flow_id
        print(f"Paused flow {flow_id}: waiting for the reviewer", flush=True)
    wait = float(os.environ.get("WAIT_SECONDS", "3600"))
    print(resume_flow(ReleaseNoteFlow, flow_id, persistence, wait=wait) or "Nothing to resume")
