"""A trainer and trainees in a workshop through the test client, in the words of what they do."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from referral.engine import GuidelineSet
from tests.training.walker import answer_for
from tests.web.conftest import csrf_token

ACTION = re.compile(r'action="/training/runs/(?P<run>\d+)/q/(?P<tree>[^/"]+)/(?P<node>[^/"]+)"')
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@dataclass
class TraineeAt:
    """One tablet: a browser without an account that joins a workshop and walks scenarios."""

    client: object
    gset: GuidelineSet
    pages: list[str] = field(default_factory=list)
    token: str | None = None

    def post(self, url: str, data: list | dict, follow: bool = True):  # noqa: ANN201
        if self.token is None:
            self.token = csrf_token(self.client, "/training/join")
        body = [("csrf_token", self.token), *(data.items() if isinstance(data, dict) else data)]
        response = self.client.post(url, data=_multi(body), follow_redirects=follow)
        self.pages.append(response.get_data(as_text=True))
        return response

    def get(self, url: str):  # noqa: ANN201
        response = self.client.get(url, follow_redirects=True)
        self.pages.append(response.get_data(as_text=True))
        return response

    def joins(self, code: str, name: str):  # noqa: ANN201
        return self.post("/training/join", {"code": code, "name": name})

    def starts(self, scenario_id: str) -> int:
        response = self.post("/training/me/start", {"scenario": scenario_id})
        return int(re.search(r"/training/runs/(\d+)", response.request.path).group(1))

    def walks(self, run: int, facts: dict, change=lambda node, value: value):  # noqa: ANN001, ANN201
        """Answer every question as ``facts`` say (``change`` may alter one), then finish; the debrief page."""
        response = self.get(f"/training/runs/{run}")
        for _ in range(80):
            found = ACTION.search(response.get_data(as_text=True))
            if found is None:
                break
            node = self.gset.tree(found["tree"]).nodes[found["node"]]
            value = change(node, answer_for(SimpleNamespace(fact=node.fact, node=node), facts))
            response = self.answers(run, found["tree"], found["node"], value)
        assert response.request.path.endswith("/end") and response.status_code == 200, response.request.path
        return self.post(f"/training/runs/{run}/finish", {})

    def answers(self, run: int, tree: str, node: str, value: object):  # noqa: ANN201
        if isinstance(value, frozenset):
            body = [("value", v) for v in sorted(value)] + [("action", "save" if value else "none")]
        elif value == "unknown" and self.gset.tree(tree).nodes[node].answer_type != "choice":
            body = [("action", "unknown")]
        else:
            body = [("value", str(value)), ("action", "save")]
        return self.post(f"/training/runs/{run}/q/{tree}/{node}", body)


def _multi(pairs: list[tuple[str, str]]):  # noqa: ANN202
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


def missing_held(node, value):  # noqa: ANN001, ANN201
    """The trainee does not notice that someone else holds the passports (a sign of trafficking)."""
    return value - {"held_by_other"} if node.id == "q_documents" and isinstance(value, frozenset) else value


def open_workshop(trainer, scenario_ids: list[str], mode: str = "solo", title: str = "Checkpoint day") -> str:  # noqa: ANN001
    """The trainer opens a workshop; its join code."""
    token = csrf_token(trainer, "/training/")
    response = trainer.post("/training/", data=_multi([("csrf_token", token), ("title", title), ("mode", mode),
                                                        *(("scenario", s) for s in scenario_ids)]))
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"].rsplit("/", 1)[1]
